package dev.airlock.daemon.policy;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The host's block devices: a raw disk holds every file, hidden ones included, so no policy's read
 * grant may reach one (an action running as root could otherwise read any file through {@code
 * /dev/sda}). They are hidden from every action like the daemon's own state.
 */
final class BlockDevices {
  private static final int S_IFMT = 0170000;
  private static final int S_IFBLK = 0060000;

  /** Trees of /dev that hold no device nodes, only files and sockets (some of them many). */
  private static final Set<String> NOT_DEVICES = Set.of("shm", "pts", "mqueue", "hugepages");

  private BlockDevices() {}

  /** Every block device node below {@code dev}, not following symlinks; none when unreadable. */
  static List<Path> under(Path dev) {
    List<Path> found = new ArrayList<>();
    try {
      Files.walkFileTree(
          dev,
          Set.of(),
          4,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
              return !dir.equals(dev) && NOT_DEVICES.contains(dir.getFileName().toString())
                  ? FileVisitResult.SKIP_SUBTREE
                  : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              if (attrs.isOther() && isBlockDevice(file)) {
                found.add(file);
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              return FileVisitResult.CONTINUE; // gone meanwhile, or unreadable: nothing to hide
            }
          });
    } catch (IOException e) {
      return List.copyOf(found);
    }
    return List.copyOf(found);
  }

  private static boolean isBlockDevice(Path file) {
    try {
      int mode = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return (mode & S_IFMT) == S_IFBLK;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
