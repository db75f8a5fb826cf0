package dev.airlock.daemon.determinism;

import dev.airlock.daemon.cache.CachedResult;
import dev.airlock.daemon.cache.ContentStore;
import dev.airlock.daemon.cache.Digest;
import dev.airlock.daemon.cache.Output;
import dev.airlock.daemon.cache.PortablePaths;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Compares what a cache entry recorded with what a fresh run of its action produced ({@code airlock
 * cache verify}): every output either names, then stdout, stderr and the exit status. The recorded
 * run is the first, the fresh run the second. The entry's blobs must be intact (checked before).
 */
public final class EntryComparison {
  /** What the fresh run left at one output path, and where its content is, for a file. */
  public record FreshOutput(Output output, Optional<Path> content) {}

  private EntryComparison() {}

  /**
   * The verdict on {@code recorded} against the fresh run's {@code outputs} (keyed as the entry
   * keys them), streams and {@code exitCode} ({@code -1} for a run killed by a signal).
   */
  public static DeterminismCheck compare(
      CachedResult recorded,
      Map<String, FreshOutput> outputs,
      byte[] stdout,
      byte[] stderr,
      int exitCode,
      ContentStore cas,
      PortablePaths portable)
      throws IOException {
    List<Difference> differences = new ArrayList<>();
    TreeSet<String> paths = new TreeSet<>(recorded.outputs().keySet());
    paths.addAll(outputs.keySet());
    for (String path : paths) {
      compareAt(
              portable.absolute(path),
              Optional.ofNullable(recorded.outputs().get(path)),
              Optional.ofNullable(outputs.get(path)),
              cas)
          .ifPresent(differences::add);
    }
    stream(Difference.STDOUT, recorded.stdout(), stdout, cas).ifPresent(differences::add);
    stream(Difference.STDERR, recorded.stderr(), stderr, cas).ifPresent(differences::add);
    if (recorded.exitCode() != exitCode) {
      differences.add(
          Difference.of(
              Difference.EXIT_STATUS,
              Difference.Kind.STATUS,
              String.valueOf(recorded.exitCode()),
              exitCode < 0 ? "a signal" : String.valueOf(exitCode)));
    }
    return DeterminismCheck.compared(differences, "");
  }

  private static Optional<Difference> stream(
      String name, Digest recorded, byte[] fresh, ContentStore cas) throws IOException {
    if (Digest.sha256(fresh).equals(recorded)) {
      return Optional.empty();
    }
    try (FileChannel blob = cas.openUnverified(recorded)) {
      return ContentComparison.compare(Content.of(blob), Content.of(fresh))
          .map(d -> Difference.ofContent(name, d));
    }
  }

  private static Optional<Difference> compareAt(
      String path, Optional<Output> recorded, Optional<FreshOutput> fresh, ContentStore cas)
      throws IOException {
    String was = what(recorded);
    String is = what(fresh.map(FreshOutput::output));
    if (!was.equals(is)) {
      return Optional.of(Difference.of(path, Difference.Kind.PRESENCE, was, is));
    }
    Output then = recorded.orElseThrow();
    Output now = fresh.orElseThrow().output();
    if (then instanceof Output.RegularFile a && now instanceof Output.RegularFile b) {
      if (!a.digest().equals(b.digest())) {
        Path content = fresh.get().content().orElseThrow();
        try (FileChannel blob = cas.openUnverified(a.digest());
            FileChannel file = FileChannel.open(content, StandardOpenOption.READ)) {
          Optional<ContentDifference> d =
              ContentComparison.compare(Content.of(blob), Content.of(file));
          if (d.isPresent()) {
            return Optional.of(Difference.ofContent(path, d.get()));
          }
        }
      }
      return mode(path, a.mode(), b.mode());
    }
    if (then instanceof Output.Directory a && now instanceof Output.Directory b) {
      return mode(path, a.mode(), b.mode());
    }
    if (then instanceof Output.Symlink a && now instanceof Output.Symlink b) {
      return a.target().equals(b.target())
          ? Optional.empty()
          : Optional.of(Difference.of(path, Difference.Kind.LINK_TARGET, a.target(), b.target()));
    }
    return Optional.empty();
  }

  private static Optional<Difference> mode(String path, int a, int b) {
    return (a & 07777) == (b & 07777)
        ? Optional.empty()
        : Optional.of(
            Difference.of(
                path,
                Difference.Kind.MODE,
                String.format("%04o", a & 07777),
                String.format("%04o", b & 07777)));
  }

  /** What a run left at a path, in words: "left a file", "deleted it", "left it alone". */
  static String what(Optional<Output> output) {
    if (output.isEmpty()) {
      return "left it alone";
    }
    Output o = output.get();
    if (o instanceof Output.RegularFile) {
      return "left a file";
    }
    if (o instanceof Output.Directory) {
      return "left a directory";
    }
    if (o instanceof Output.Symlink) {
      return "left a symlink";
    }
    return "deleted it";
  }
}
