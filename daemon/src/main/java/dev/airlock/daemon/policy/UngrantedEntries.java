package dev.airlock.daemon.policy;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The entries of a host tree kept visible in a private /tmp (the working directory) that no grant
 * reaches: covered in the action's mount namespace, since the private /tmp's Landlock rule covers
 * whatever lies below /tmp and would leave the tracer alone to refuse them (a second thread
 * rewriting a path between the tracer's check and the kernel's use got through).
 */
final class UngrantedEntries {
  /** Beyond this many the rest stay visible (each is a mount): the tracer still refuses them. */
  static final int LIMIT = 1000;

  private UngrantedEntries() {}

  /**
   * The entries below {@code tree} that are neither granted nor on the way to a grant, outermost
   * only; symlinks are left alone (a mount would land on their target; what they lead to is judged
   * where it is).
   */
  static List<Path> below(Path tree, List<Path> grants) {
    List<Path> found = new ArrayList<>();
    collect(tree, grants, found);
    return found;
  }

  private static void collect(Path dir, List<Path> grants, List<Path> found) {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        if (found.size() >= LIMIT) {
          return;
        }
        if (Files.isSymbolicLink(entry) || grants.stream().anyMatch(entry::startsWith)) {
          continue;
        }
        if (grants.stream().anyMatch(g -> g.startsWith(entry))) {
          if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
            collect(entry, grants, found);
          }
          continue;
        }
        found.add(entry);
      }
    } catch (IOException e) {
      // unreadable or gone: nothing to cover that the daemon could see
    }
  }
}
