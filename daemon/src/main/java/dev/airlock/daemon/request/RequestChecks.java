package dev.airlock.daemon.request;

import dev.airlock.protocol.CommitMode;
import dev.airlock.protocol.FileErrors;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/** What a request names on disk must be usable before the action is accepted. */
public final class RequestChecks {
  private RequestChecks() {}

  /**
   * Checks the keep-failed directory, the workspace, and that a determinism check can be made.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static void check(ActionRequest request) {
    if (request.checkDeterminism() && request.streamStdin()) {
      // The client's stdin is read once: a second run could not get the same input.
      throw new IllegalArgumentException(
          "a determinism check cannot forward stdin: the second run would not get the same input");
    }
    if (request.fixedOutput() && request.unsafeDirectWrites()) {
      // Its pinned outputs are checked before anything lands: that needs the copy-on-write layer.
      throw new IllegalArgumentException(
          "pinned outputs cannot go with direct writes: wrong content would land before it is"
              + " checked");
    }
    Optional<Path> keep = request.keepFailedDir();
    if (request.commitMode() == CommitMode.KEEP_FAILED
        && keep.isPresent()
        && Files.exists(keep.get(), LinkOption.NOFOLLOW_LINKS)
        && !isEmptyDirectory(keep.get())) {
      // Each keep gets a clean directory: an earlier run's files and DELETED list must not mix
      // with this one's (OverlayLayer.keep refuses it too, in case it fills up meanwhile).
      throw new IllegalArgumentException(
          "the keep-failed directory "
              + PathBytes.display(PathBytes.of(keep.get()))
              + " is not a new or empty directory; each failed run keeps its changes apart");
    }
    Path workspace = request.workspace();
    if (!workspace.equals(request.cwd()) && !Files.isDirectory(workspace)) {
      // ${workspace} grants and the copy-on-write layer hang on it: a typo must not silently
      // empty or widen them.
      throw new IllegalArgumentException(
          "the workspace "
              + PathBytes.display(PathBytes.of(workspace))
              + (Files.exists(workspace) ? " is not a directory" : " does not exist"));
    }
  }

  private static boolean isEmptyDirectory(Path dir) {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read the keep-failed directory "
              + PathBytes.display(PathBytes.of(dir))
              + ": "
              + FileErrors.reason(e));
    }
  }
}
