package dev.airlock.daemon.reapi;

import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.Directory;
import build.bazel.remote.execution.v2.OutputDirectory;
import build.bazel.remote.execution.v2.OutputFile;
import build.bazel.remote.execution.v2.Tree;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * REAPI's action cache: Action digest → ActionResult, one file per entry under {@code
 * <state-dir>/reapi/ac/} (written as a temporary file and renamed, so a reader sees a whole entry
 * or none). An entry is served only while every blob it names is in the CAS: a dangling entry (its
 * blobs collected, or corrupt) is a miss, never a broken result.
 */
public final class RemoteActionCache {
  private static final Logger log = Logger.getLogger(RemoteActionCache.class.getName());

  private final Path dir;
  private final BlobStore blobs;

  public RemoteActionCache(Path dir, BlobStore blobs) throws IOException {
    this.dir = dir;
    this.blobs = blobs;
    Files.createDirectories(dir.resolve("tmp"));
  }

  /** The result recorded for {@code action}, if every blob it needs is stored. */
  public Optional<ActionResult> get(BlobId action) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(entry(action));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    ActionResult result;
    try {
      result = ActionResult.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      log.warning("action cache entry " + action + " is unreadable; treated as a miss");
      return Optional.empty();
    }
    List<BlobId> missing;
    try {
      missing = blobs.missing(referenced(result));
    } catch (ReapiException e) {
      log.fine(() -> "action cache entry " + action + " is dangling: " + e.getMessage());
      return Optional.empty();
    }
    if (!missing.isEmpty()) {
      log.fine(() -> "action cache entry " + action + " names missing blob " + missing.get(0));
      return Optional.empty();
    }
    return Optional.of(result);
  }

  /**
   * Records {@code result} for {@code action}.
   *
   * @throws ReapiException FAILED_PRECONDITION when a blob it names is not stored
   */
  public void put(BlobId action, ActionResult result) throws IOException, ReapiException {
    List<BlobId> missing = blobs.missing(referenced(result));
    if (!missing.isEmpty()) {
      throw ReapiException.missing("the ActionResult names blobs the CAS does not hold", missing);
    }
    Path target = entry(action);
    Files.createDirectories(target.getParent());
    Path temp = dir.resolve("tmp").resolve(UUID.randomUUID().toString());
    try {
      Files.write(temp, result.toByteArray());
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Every blob a result needs: its files, trees and the files inside them, stdout and stderr.
   *
   * @throws ReapiException INVALID_ARGUMENT for a malformed digest, NOT_FOUND for a tree that is
   *     missing or unreadable
   */
  List<BlobId> referenced(ActionResult result) throws IOException, ReapiException {
    List<BlobId> needed = new ArrayList<>();
    for (OutputFile f : result.getOutputFilesList()) {
      needed.add(BlobId.of(f.getDigest()));
    }
    if (result.hasStdoutDigest()) {
      needed.add(BlobId.of(result.getStdoutDigest()));
    }
    if (result.hasStderrDigest()) {
      needed.add(BlobId.of(result.getStderrDigest()));
    }
    for (OutputDirectory d : result.getOutputDirectoriesList()) {
      Tree tree;
      try {
        tree = Tree.parseFrom(blobs.read(BlobId.of(d.getTreeDigest())));
      } catch (InvalidProtocolBufferException e) {
        throw ReapiException.invalid("output directory " + d.getPath() + " has no readable Tree");
      }
      List<Directory> all = new ArrayList<>(tree.getChildrenList());
      all.add(tree.getRoot());
      for (Directory dir : all) {
        for (var f : dir.getFilesList()) {
          needed.add(BlobId.of(f.getDigest()));
        }
      }
    }
    return needed;
  }

  private Path entry(BlobId action) {
    String hex = action.hash().hex();
    return dir.resolve(hex.substring(0, 2)).resolve(hex.substring(2) + "-" + action.size());
  }
}
