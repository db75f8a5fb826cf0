package dev.airlock.daemon.commit;

import static dev.airlock.sandbox.linux.FileMode.S_IFDIR;
import static dev.airlock.sandbox.linux.FileMode.S_IFMT;

import dev.airlock.sandbox.linux.ErrnoException;
import dev.airlock.sandbox.linux.FileStatus;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Measures what copy-on-write layers hold while their action may still be writing to them: the
 * space allocated to every entry (st_blocks, so a sparse file counts what it really takes) and the
 * number of entries. Entries that vanish or cannot be read meanwhile are skipped: the measure is a
 * lower bound, taken without ever failing.
 */
public final class LayerMeter {
  /** What the layers held: allocated bytes and entries (files, dirs, links, whiteouts). */
  public record Usage(long bytes, long entries) {
    public static final Usage NONE = new Usage(0, 0);
  }

  private LayerMeter() {}

  /**
   * Walks {@code uppers} (iteratively: an action can nest deeper than any stack), stopping early
   * once the usage passes {@code maxBytes} or {@code maxEntries} (0: no bound) or {@code stop} says
   * so.
   */
  public static Usage measure(
      List<Path> uppers, long maxBytes, long maxEntries, BooleanSupplier stop) {
    long bytes = 0;
    long entries = 0;
    Deque<Path> dirs = new ArrayDeque<>(uppers);
    while (!dirs.isEmpty() && !stop.getAsBoolean()) {
      try (DirectoryStream<Path> stream = Files.newDirectoryStream(dirs.pop())) {
        for (Path entry : stream) {
          Optional<FileStatus> status = lstat(entry);
          if (status.isEmpty()) {
            continue;
          }
          entries++;
          bytes += status.get().blocks() * 512;
          if ((status.get().mode() & S_IFMT) == S_IFDIR) {
            dirs.push(entry);
          }
          if (over(bytes, maxBytes) || over(entries, maxEntries)) {
            return new Usage(bytes, entries);
          }
        }
      } catch (IOException | RuntimeException e) {
        // Gone (the action removed it), unreadable (mode 000) or nested past PATH_MAX.
      }
    }
    return new Usage(bytes, entries);
  }

  /** Whether any of {@code uppers} holds an entry: the action wrote something there. */
  public static boolean anyWritten(List<Path> uppers) {
    for (Path upper : uppers) {
      try (DirectoryStream<Path> stream = Files.newDirectoryStream(upper)) {
        if (stream.iterator().hasNext()) {
          return true;
        }
      } catch (IOException | RuntimeException e) {
        // Not there yet or already gone: nothing to count.
      }
    }
    return false;
  }

  private static boolean over(long value, long limit) {
    return limit > 0 && value > limit;
  }

  private static Optional<FileStatus> lstat(Path entry) {
    try {
      return FileStatus.lstat(entry);
    } catch (ErrnoException e) {
      return Optional.empty();
    }
  }
}
