package dev.airlock.daemon.determinism;

import dev.airlock.daemon.commit.Change;
import dev.airlock.daemon.commit.OverlayLayer.RootChanges;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares two runs of one action on the same inputs, byte for byte: every path either run changed
 * (what it did there, file content, mode, link target), then stdout, stderr and the exit status.
 * Modification times are not compared: a commit does not carry them.
 */
public final class RunComparison {
  private RunComparison() {}

  /** The verdict on {@code first} and {@code second}. */
  public static DeterminismCheck compare(RunOutputs first, RunOutputs second) throws IOException {
    List<Difference> differences = new ArrayList<>();
    Map<String, List<Change>> a = byPath(first.changes());
    Map<String, List<Change>> b = byPath(second.changes());
    TreeSet<String> paths = new TreeSet<>(a.keySet());
    paths.addAll(b.keySet());
    for (String path : paths) {
      compareAt(path, a.getOrDefault(path, List.of()), b.getOrDefault(path, List.of()))
          .ifPresent(differences::add);
    }
    String note = "";
    if (first.streamsKept() && second.streamsKept()) {
      streams(Difference.STDOUT, first.stdout(), second.stdout()).ifPresent(differences::add);
      streams(Difference.STDERR, first.stderr(), second.stderr()).ifPresent(differences::add);
    } else {
      note = "stdout and stderr were not compared: they were too large to keep";
    }
    if (!first.status().equals(second.status())) {
      differences.add(
          Difference.of(
              Difference.EXIT_STATUS, Difference.Kind.STATUS, first.status(), second.status()));
    }
    return DeterminismCheck.compared(differences, note);
  }

  private static Optional<Difference> streams(String name, byte[] first, byte[] second)
      throws IOException {
    return ContentComparison.compare(Content.of(first), Content.of(second))
        .map(d -> Difference.ofContent(name, d));
  }

  /** Each run's changes by absolute path; a type change is a deletion and a creation there. */
  private static Map<String, List<Change>> byPath(List<RootChanges> changes) {
    Map<String, List<Change>> byPath = new TreeMap<>();
    for (RootChanges rc : changes) {
      for (Change c : rc.changes().changes()) {
        byPath.computeIfAbsent(rc.absolute(c), k -> new ArrayList<>()).add(c);
      }
    }
    return byPath;
  }

  private static Optional<Difference> compareAt(String path, List<Change> a, List<Change> b)
      throws IOException {
    String didA = what(a);
    String didB = what(b);
    if (!didA.equals(didB)) {
      return Optional.of(Difference.of(path, Difference.Kind.PRESENCE, didA, didB));
    }
    Optional<Change> x = a.stream().filter(c -> c.kind() != Change.Kind.DELETE).findFirst();
    Optional<Change> y = b.stream().filter(c -> c.kind() != Change.Kind.DELETE).findFirst();
    if (x.isEmpty() || y.isEmpty()) {
      return Optional.empty(); // both deleted it
    }
    Change first = x.get();
    Change second = y.get();
    if (first.source() != null) {
      Optional<ContentDifference> content = contents(first.source(), second.source());
      if (content.isPresent()) {
        return Optional.of(Difference.ofContent(path, content.get()));
      }
    }
    if (first.kind() == Change.Kind.CREATE_SYMLINK) {
      return first.linkTarget().equals(second.linkTarget())
          ? Optional.empty()
          : Optional.of(
              Difference.of(
                  path, Difference.Kind.LINK_TARGET, first.linkTarget(), second.linkTarget()));
    }
    if (first.mode() != second.mode()) {
      return Optional.of(
          Difference.of(path, Difference.Kind.MODE, octal(first.mode()), octal(second.mode())));
    }
    return Optional.empty();
  }

  private static Optional<ContentDifference> contents(Path first, Path second) throws IOException {
    try (FileChannel a = FileChannel.open(first, StandardOpenOption.READ);
        FileChannel b = FileChannel.open(second, StandardOpenOption.READ)) {
      return ContentComparison.compare(Content.of(a), Content.of(b));
    }
  }

  /** What a run did at a path, in words: "created a file", "deleted it and created a link". */
  static String what(List<Change> changes) {
    if (changes.isEmpty()) {
      return "left it alone";
    }
    List<String> parts = new ArrayList<>();
    for (Change c : changes) {
      parts.add(
          switch (c.kind()) {
            case DELETE -> "deleted it";
            case CREATE_DIR -> "created a directory";
            case CREATE_FILE -> "created a file";
            case REPLACE_FILE -> "rewrote it";
            case CREATE_SYMLINK -> "created a symlink";
            case CHMOD -> "changed its mode";
          });
    }
    return String.join(" and ", parts);
  }

  private static String octal(int mode) {
    return String.format("%04o", mode);
  }
}
