package dev.airlock.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * A shell script that builds a three-level process tree, main sh → child sh → grandchild sleep, so
 * a test can check that all of them die with the action. The test finds the three in the host's
 * /proc by a token on their command lines: files the action writes would sit in its copy-on-write
 * layer, unseen until it commits, and a pid it prints is its own pid namespace's number.
 */
final class ProcessTree {
  private static final String SCRIPT =
      """
      #!/bin/sh
      # usage: tree.sh TOKEN [ignore-term]
      # main sh -> child sh -> grandchild sleep 300. With ignore-term every process of the tree
      # ignores SIGTERM (only SIGKILL ends it).
      if [ "$2" = ignore-term ]; then trap '' TERM; fi
      sh -c 'sleep 300 & wait' child "$1" &
      wait
      """;

  final Path script;
  final String token;

  private ProcessTree(Path script, String token) {
    this.script = script;
    this.token = token;
  }

  /** Writes the script into {@code dir}; each tree gets a token of its own. */
  static ProcessTree in(Path dir) throws IOException {
    Path script = dir.resolve("tree.sh");
    if (!Files.exists(script)) {
      Files.writeString(script, SCRIPT);
    }
    return new ProcessTree(script, "tree-" + System.nanoTime());
  }

  /** The command line that runs the tree. */
  String[] argv(boolean ignoreTerm) {
    return ignoreTerm
        ? new String[] {"sh", script.toString(), token, "ignore-term"}
        : new String[] {"sh", script.toString(), token};
  }

  /** Waits until the whole tree runs; returns the host pids of main, child and grandchild. */
  long[] awaitPids(Duration timeout) throws IOException {
    long[] found = new long[3];
    Procs.await(
        "main, child and grandchild of " + token,
        timeout,
        () -> {
          try {
            return find(found);
          } catch (IOException e) {
            return false;
          }
        });
    return found;
  }

  private boolean find(long[] found) throws IOException {
    Arrays.fill(found, 0);
    try (var entries = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        List<String> argv = argv(p);
        if (argv.size() >= 3
            && argv.get(1).equals(script.toString())
            && argv.get(2).equals(token)) {
          found[0] = Long.parseLong(name);
        } else if (argv.size() >= 5 && argv.get(1).equals("-c") && argv.get(4).equals(token)) {
          found[1] = Long.parseLong(name);
        }
      }
      if (found[1] == 0) {
        return false;
      }
    }
    try (var entries = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        String name = p.getFileName().toString();
        if (name.chars().allMatch(Character::isDigit)
            && parentOf(p) == found[1]
            && argv(p).equals(List.of("sleep", "300"))) {
          found[2] = Long.parseLong(name);
        }
      }
    }
    return found[0] != 0 && found[2] != 0;
  }

  private static List<String> argv(Path proc) {
    try {
      byte[] raw = Files.readAllBytes(proc.resolve("cmdline"));
      if (raw.length == 0) {
        return List.of();
      }
      return List.of(new String(raw, 0, raw.length - 1, StandardCharsets.UTF_8).split("\0", -1));
    } catch (IOException e) {
      return List.of();
    }
  }

  private static long parentOf(Path proc) {
    try {
      String stat = Files.readString(proc.resolve("stat"));
      // The command name in parentheses may hold spaces; the fields after it do not.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[1]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
