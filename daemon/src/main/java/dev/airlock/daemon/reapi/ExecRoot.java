package dev.airlock.daemon.reapi;

import build.bazel.remote.execution.v2.Directory;
import build.bazel.remote.execution.v2.DirectoryNode;
import build.bazel.remote.execution.v2.FileNode;
import build.bazel.remote.execution.v2.SymlinkNode;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * One action's private exec root: the input root laid out from the CAS, the parents of its outputs
 * created, everything removed when the action is done. Input files are hard links to the content
 * store where the action cannot write (its mount tree is read-only there, and the policy's tracer
 * refuses writes), and copies in the directories its outputs make writable and for executables (a
 * link shares the stored blob's read-only mode), so nothing the action does reaches the store.
 */
public final class ExecRoot implements AutoCloseable {
  private final Path dir;
  private boolean closed;

  private ExecRoot(Path dir) {
    this.dir = dir;
  }

  /** The directory; it exists once {@link #create} returned. */
  public Path dir() {
    return dir;
  }

  /**
   * Lays out {@code tree} in the new directory {@code dir} and creates the parents of {@code
   * outputs} (absolute paths below it).
   *
   * @param writable the directories the action may write below (its outputs' parents and output
   *     directories): inputs there are copies
   */
  public static ExecRoot create(
      Path dir, InputTree tree, BlobStore blobs, List<Path> outputs, List<Path> writable)
      throws IOException, ReapiException {
    Files.createDirectory(dir);
    ExecRoot root = new ExecRoot(dir);
    try {
      root.lay(tree, tree.root(), dir, blobs, writable);
      for (Path output : outputs) {
        Files.createDirectories(output.getParent());
      }
      for (Path scratch : writable) {
        Files.createDirectories(scratch);
      }
      return root;
    } catch (IOException | ReapiException | RuntimeException e) {
      root.close();
      throw e;
    }
  }

  private void lay(InputTree tree, BlobId id, Path at, BlobStore blobs, List<Path> writable)
      throws IOException, ReapiException {
    Directory d = tree.directory(id);
    boolean linkable = writable.stream().noneMatch(w -> at.startsWith(w));
    for (FileNode f : d.getFilesList()) {
      blobs.materialize(
          BlobId.of(f.getDigest()), at.resolve(f.getName()), f.getIsExecutable(), linkable);
    }
    for (SymlinkNode s : d.getSymlinksList()) {
      Files.createSymbolicLink(at.resolve(s.getName()), Path.of(s.getTarget()));
    }
    for (DirectoryNode sub : d.getDirectoriesList()) {
      Path child = at.resolve(sub.getName());
      Files.createDirectory(child);
      lay(tree, BlobId.of(sub.getDigest()), child, blobs, writable);
    }
  }

  /** Removes the exec root and everything in it; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      deleteTree(dir);
    } catch (IOException e) {
      java.util.logging.Logger.getLogger(ExecRoot.class.getName())
          .warning("cannot remove the exec root " + dir + ": " + e.getMessage());
    }
  }

  /** Deletes a tree without following symlinks, making directories writable first if needed. */
  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
              throws IOException {
            // An action may have left a directory without write permission.
            d.toFile().setWritable(true, true);
            d.toFile().setExecutable(true, true);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
            Files.deleteIfExists(f);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            Files.deleteIfExists(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
