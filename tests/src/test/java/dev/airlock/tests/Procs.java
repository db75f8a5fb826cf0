package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waiting for conditions and looking at processes through /proc. */
final class Procs {
  private Procs() {}

  /** Polls {@code condition} until it holds; fails naming {@code what} after {@code timeout}. */
  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out after " + timeout.toMillis() + " ms waiting for " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted while waiting for " + what);
      }
    }
  }

  /**
   * Polls {@code value} until it equals {@code expected}; the failure shows the last value seen.
   */
  static <T> void awaitEquals(String what, Duration timeout, T expected, Supplier<T> value) {
    Object[] last = new Object[1];
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!expected.equals(last[0] = value.get())) {
      if (System.nanoTime() - deadline > 0) {
        fail(
            "timed out after "
                + timeout.toMillis()
                + " ms waiting for "
                + what
                + ": expected <"
                + expected
                + "> but the last value was <"
                + last[0]
                + ">");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted while waiting for " + what);
      }
    }
  }

  /** The one-letter state of a process (R, S, D, Z, ...), or 0 when it no longer exists. */
  static char state(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // "pid (comm) S ...": comm may contain spaces and parentheses, the state follows the last
      // ')'.
      return stat.charAt(stat.lastIndexOf(')') + 2);
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** True when the process no longer runs: absent from /proc, or a zombie waiting to be reaped. */
  static boolean isGone(long pid) {
    char state = state(pid);
    return state == 0 || state == 'Z' || state == 'X';
  }

  static void awaitGone(String what, Duration timeout, long... pids) {
    await(
        what + " (pids " + describe(pids) + ") to be gone",
        timeout,
        () -> {
          for (long pid : pids) {
            if (!isGone(pid)) {
              return false;
            }
          }
          return true;
        });
  }

  private static String describe(long... pids) {
    List<String> parts = new ArrayList<>();
    for (long pid : pids) {
      parts.add(pid + (isGone(pid) ? "" : " [state " + state(pid) + "]"));
    }
    return String.join(", ", parts);
  }

  /** Waits until a pid file written with write-then-rename exists, and reads it. */
  static long awaitPidFile(Path file, Duration timeout) throws IOException {
    await("pid file " + file, timeout, () -> Files.exists(file));
    return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
  }

  /** Resident set size of a process in bytes (VmRSS of /proc/PID/status). */
  static long rssBytes(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        String kib = line.substring("VmRSS:".length()).replace("kB", "").trim();
        return Long.parseLong(kib) * 1024;
      }
    }
    throw new IOException("no VmRSS for pid " + pid);
  }

  /** Bytes a process has passed to write(2) and friends so far (wchar of /proc/PID/io). */
  static long bytesWritten(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "io"))) {
      if (line.startsWith("wchar:")) {
        return Long.parseLong(line.substring("wchar:".length()).trim());
      }
    }
    throw new IOException("no wchar for pid " + pid);
  }

  /** Sends a signal by name (INT, TERM, KILL, ...) with kill(1). */
  static void signal(long pid, String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-s", name, Long.toString(pid)).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IOException(
          "kill -s " + name + " " + pid + " failed with status " + kill.exitValue());
    }
  }

  /** Kills a process and everything below it, without waiting; for cleanup after failures. */
  static void killTree(ProcessHandle root) {
    List<ProcessHandle> all = new ArrayList<>(root.descendants().toList());
    all.add(0, root);
    for (ProcessHandle p : all) {
      p.destroyForcibly();
    }
  }

  static void killTree(Process process) {
    killTree(process.toHandle());
  }

  /** Runs a short helper command (chmod, chown, ...) and fails when it fails. */
  static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed (" + p.exitValue() + "): " + out);
    }
  }

  static Duration seconds(long s) {
    return Duration.ofSeconds(s);
  }
}
