package dev.airlock.daemon.reapi;

import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.Directory;
import build.bazel.remote.execution.v2.DirectoryNode;
import build.bazel.remote.execution.v2.FileNode;
import build.bazel.remote.execution.v2.OutputDirectory;
import build.bazel.remote.execution.v2.OutputFile;
import build.bazel.remote.execution.v2.OutputSymlink;
import build.bazel.remote.execution.v2.SymlinkNode;
import build.bazel.remote.execution.v2.Tree;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Takes an action's outputs from its exec root into the CAS and lists them in an ActionResult:
 * files (with their executable bit), symlinks as symlinks, directories as Tree blobs (each child
 * Directory stored too, for GetTree). An output that is absent is left out; one whose directory
 * leads outside the exec root through a symlink is refused.
 */
public final class OutputCollector {
  private static final Comparator<String> BY_BYTES =
      Comparator.comparing(
          ByteString::copyFromUtf8, ByteString.unsignedLexicographicalComparator());

  private final BlobStore blobs;
  private final Path execRoot;

  public OutputCollector(BlobStore blobs, Path execRoot) {
    this.blobs = blobs;
    this.execRoot = execRoot;
  }

  /**
   * Adds the outputs to {@code result}.
   *
   * @param workingDir the directory output names are relative to
   * @throws ReapiException INVALID_ARGUMENT for an output reached through a symlink out of the root
   */
  public void collect(CommandSpec command, Path workingDir, ActionResult.Builder result)
      throws IOException, ReapiException {
    for (String name : command.outputFiles()) {
      collect(name, workingDir, result, false);
    }
    for (String name : command.outputDirectories()) {
      collect(name, workingDir, result, true);
    }
    for (String name : command.outputPaths()) {
      collect(name, workingDir, result, null);
    }
  }

  /**
   * @param directory whether it was declared a directory; null for an output path of any kind
   */
  private void collect(String name, Path workingDir, ActionResult.Builder result, Boolean directory)
      throws IOException, ReapiException {
    Path path = workingDir.resolve(name).normalize();
    Path parent = path.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      return;
    }
    if (!parent.toRealPath().startsWith(execRoot.toRealPath()) || !path.startsWith(execRoot)) {
      throw ReapiException.invalid(
          "output '" + name + "' leads outside the exec root (through a symlink)");
    }
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    PosixFileAttributes attrs =
        Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (attrs.isSymbolicLink()) {
      OutputSymlink link =
          OutputSymlink.newBuilder()
              .setPath(name)
              .setTarget(Files.readSymbolicLink(path).toString())
              .build();
      result.addOutputSymlinks(link);
      if (directory == Boolean.TRUE) {
        result.addOutputDirectorySymlinks(link);
      } else if (directory == Boolean.FALSE) {
        result.addOutputFileSymlinks(link);
      }
    } else if (attrs.isDirectory()) {
      if (directory == Boolean.FALSE) {
        throw ReapiException.invalid("output file '" + name + "' is a directory");
      }
      TreeAndRoot tree = tree(path);
      result.addOutputDirectories(
          OutputDirectory.newBuilder()
              .setPath(name)
              .setTreeDigest(blobs.store(tree.tree().toByteArray()).toWire())
              .setRootDirectoryDigest(tree.root().toWire()));
    } else if (attrs.isRegularFile()) {
      if (directory == Boolean.TRUE) {
        throw ReapiException.invalid("output directory '" + name + "' is a file");
      }
      result.addOutputFiles(
          OutputFile.newBuilder()
              .setPath(name)
              .setDigest(blobs.store(path).toWire())
              .setIsExecutable(executable(attrs)));
    }
  }

  private record TreeAndRoot(Tree tree, BlobId root) {}

  private TreeAndRoot tree(Path dir) throws IOException {
    Map<BlobId, Directory> children = new LinkedHashMap<>();
    Directory root = directory(dir, children);
    BlobId rootId = blobs.store(root.toByteArray());
    return new TreeAndRoot(
        Tree.newBuilder().setRoot(root).addAllChildren(children.values()).build(), rootId);
  }

  /** The Directory of {@code dir}, storing it and its subdirectories' in the CAS. */
  private Directory directory(Path dir, Map<BlobId, Directory> children) throws IOException {
    List<Path> entries;
    try (Stream<Path> list = Files.list(dir)) {
      entries = new ArrayList<>(list.toList());
    }
    entries.sort(Comparator.comparing(p -> p.getFileName().toString(), BY_BYTES));
    Directory.Builder d = Directory.newBuilder();
    for (Path entry : entries) {
      String name = entry.getFileName().toString();
      PosixFileAttributes attrs =
          Files.readAttributes(entry, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (attrs.isSymbolicLink()) {
        d.addSymlinks(
            SymlinkNode.newBuilder()
                .setName(name)
                .setTarget(Files.readSymbolicLink(entry).toString()));
      } else if (attrs.isDirectory()) {
        Directory child = directory(entry, children);
        BlobId id = blobs.store(child.toByteArray());
        children.putIfAbsent(id, child);
        d.addDirectories(DirectoryNode.newBuilder().setName(name).setDigest(id.toWire()));
      } else if (attrs.isRegularFile()) {
        d.addFiles(
            FileNode.newBuilder()
                .setName(name)
                .setDigest(blobs.store(entry).toWire())
                .setIsExecutable(executable(attrs)));
      }
    }
    return d.build();
  }

  private static boolean executable(PosixFileAttributes attrs) {
    return attrs.permissions().contains(PosixFilePermission.OWNER_EXECUTE);
  }
}
