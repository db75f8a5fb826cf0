package dev.airlock.daemon.reapi;

import build.bazel.remote.execution.v2.Directory;
import build.bazel.remote.execution.v2.DirectoryNode;
import build.bazel.remote.execution.v2.FileNode;
import build.bazel.remote.execution.v2.SymlinkNode;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A directory tree of the CAS, read level by level from its root: every Directory message once, in
 * breadth-first order, with the file blobs it needs. Names are checked on the way: one path segment
 * each, never "." or "..", so no entry of an input root can point outside it.
 */
public final class InputTree {
  private final BlobId root;
  private final Map<BlobId, Directory> directories;
  private final List<BlobId> missing;

  private InputTree(BlobId root, Map<BlobId, Directory> directories, List<BlobId> missing) {
    this.root = root;
    this.directories = directories;
    this.missing = missing;
  }

  /**
   * Reads the tree below {@code root}.
   *
   * @throws ReapiException INVALID_ARGUMENT for a malformed Directory or name
   */
  public static InputTree load(BlobStore blobs, BlobId root) throws ReapiException, IOException {
    Map<BlobId, Directory> seen = new LinkedHashMap<>();
    List<BlobId> missing = new ArrayList<>();
    Set<BlobId> files = new HashSet<>();
    Deque<BlobId> queue = new ArrayDeque<>(List.of(root));
    while (!queue.isEmpty()) {
      BlobId id = queue.poll();
      if (seen.containsKey(id) || missing.contains(id)) {
        continue;
      }
      if (!blobs.contains(id)) {
        missing.add(id);
        continue;
      }
      Directory dir;
      try {
        dir = Directory.parseFrom(blobs.read(id));
      } catch (InvalidProtocolBufferException e) {
        throw ReapiException.invalid("blob " + id + " is not a Directory: " + e.getMessage());
      } catch (ReapiException gone) {
        missing.add(id);
        continue;
      }
      seen.put(id, dir);
      for (FileNode f : dir.getFilesList()) {
        checkName(f.getName(), id);
        files.add(BlobId.of(f.getDigest()));
      }
      for (SymlinkNode s : dir.getSymlinksList()) {
        checkName(s.getName(), id);
        if (s.getTarget().isEmpty()) {
          throw ReapiException.invalid("symlink '" + s.getName() + "' in " + id + " has no target");
        }
      }
      for (DirectoryNode d : dir.getDirectoriesList()) {
        checkName(d.getName(), id);
        queue.add(BlobId.of(d.getDigest()));
      }
    }
    for (BlobId f : files) {
      if (!blobs.contains(f)) {
        missing.add(f);
      }
    }
    return new InputTree(root, seen, missing);
  }

  public BlobId root() {
    return root;
  }

  /** The Directory named {@code id}; it must be part of the tree. */
  public Directory directory(BlobId id) {
    Directory d = directories.get(id);
    if (d == null) {
      throw new IllegalArgumentException("directory " + id + " is not part of the tree");
    }
    return d;
  }

  /** Every Directory of the tree, breadth-first from the root, each once. */
  public List<Directory> directories() {
    return List.copyOf(directories.values());
  }

  /** Directories and files the CAS does not have. */
  public List<BlobId> missing() {
    return List.copyOf(missing);
  }

  /** Checks that {@code name} is one path segment (REAPI names never hold a slash). */
  static void checkName(String name, BlobId in) throws ReapiException {
    if (name.isEmpty()
        || name.equals(".")
        || name.equals("..")
        || name.indexOf('/') >= 0
        || name.indexOf('\0') >= 0) {
      throw ReapiException.invalid(
          "directory " + in + " has an entry named '" + name + "', which is not one path segment");
    }
  }
}
