package dev.airlock.client;

import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Declared inputs and outputs as people write them: paths or globs (comma-separated or repeated),
 * relative to the working directory, and manifest files with one {@code input PATH} or {@code
 * output PATH} per line ({@code #} comments). Globs are expanded against the files that exist now;
 * plain paths are kept whether they exist or not (an output usually does not yet).
 */
public final class DeclaredPaths {
  private DeclaredPaths() {}

  /**
   * The inputs, outputs and pinned outputs ({@code output-hash PATH=sha256:HEX}) of a manifest, in
   * the order they appear.
   */
  public record Manifest(List<String> inputs, List<String> outputs, List<String> outputHashes) {}

  /** Reads a manifest file. */
  public static Manifest readManifest(Path file) throws IOException {
    List<String> inputs = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    List<String> outputHashes = new ArrayList<>();
    int lineNumber = 0;
    for (String line : Files.readAllLines(file)) {
      lineNumber++;
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      String[] parts = trimmed.split("\\s+", 2);
      if (parts.length < 2 || !List.of("input", "output", "output-hash").contains(parts[0])) {
        throw new IllegalArgumentException(
            file
                + ":"
                + lineNumber
                + ": expected 'input PATH', 'output PATH' or 'output-hash PATH=sha256:HEX', got '"
                + trimmed
                + "'");
      }
      switch (parts[0]) {
        case "input" -> inputs.add(parts[1]);
        case "output" -> outputs.add(parts[1]);
        default -> outputHashes.add(parts[1]);
      }
    }
    return new Manifest(inputs, outputs, outputHashes);
  }

  /** Expands entries (comma-separated lists allowed) to absolute, normalized paths. */
  public static List<String> expand(Path cwd, List<String> entries) throws IOException {
    Set<String> out = new LinkedHashSet<>();
    for (String entry : entries) {
      for (String item : entry.split(",")) {
        String trimmed = item.strip();
        if (trimmed.isEmpty()) {
          continue;
        }
        if (isGlob(trimmed)) {
          out.addAll(glob(cwd, trimmed));
        } else {
          out.add(cwd.resolve(trimmed).normalize().toString());
        }
      }
    }
    return new ArrayList<>(out);
  }

  private static boolean isGlob(String s) {
    return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0 || s.indexOf('{') >= 0;
  }

  private static List<String> glob(Path cwd, String pattern) throws IOException {
    Path absolutePattern = cwd.resolve(pattern).normalize();
    // Walk from the longest prefix without wildcards.
    Path base = absolutePattern.getRoot();
    for (Path part : absolutePattern) {
      if (isGlob(part.toString())) {
        break;
      }
      base = base.resolve(part);
    }
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + absolutePattern);
    List<String> matches = new ArrayList<>();
    if (!Files.isDirectory(base)) {
      return matches;
    }
    try (Stream<Path> files = Files.walk(base, FileVisitOption.FOLLOW_LINKS)) {
      files.filter(matcher::matches).forEach(p -> matches.add(PathBytes.of(p)));
    }
    return matches;
  }
}
