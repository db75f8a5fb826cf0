package dev.airlock.client.cli;

import dev.airlock.protocol.CacheGcRequest;
import dev.airlock.protocol.CacheReply;
import dev.airlock.protocol.CacheRequest;
import dev.airlock.protocol.CacheStatsRequest;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code airlock cache stats | gc | explain | verify}: the daemon's action cache. */
@Command(
    name = "cache",
    mixinStandardHelpOptions = true,
    description = {
      "Inspects and maintains the action cache.",
      "",
      "Like run, these commands start the daemon when none runs."
    },
    subcommands = {
      CacheCommand.Stats.class,
      CacheCommand.Gc.class,
      CacheCommand.Explain.class,
      CacheVerifyCommand.class
    })
final class CacheCommand {
  @ParentCommand AirlockCli parent;

  /** Sends one cache request to the daemon, starting one first (as run does) unless told not. */
  CacheReply ask(CacheRequest request, boolean start) throws java.io.IOException {
    return AirlockCli.connect(parent.paths(), start, parent.context()).cache(request);
  }

  @Command(
      name = "stats",
      mixinStandardHelpOptions = true,
      description = "Shows the cache's entries, size, hits, misses and hit rate.")
  static final class Stats implements Callable<Integer> {
    @ParentCommand CacheCommand cache;

    @Override
    public Integer call() throws Exception {
      CacheReply r =
          cache.ask(
              CacheRequest.newBuilder().setStats(CacheStatsRequest.getDefaultInstance()).build(),
              true);
      printStats(r, cache.parent.context().out());
      return 0;
    }
  }

  @Command(
      name = "gc",
      mixinStandardHelpOptions = true,
      description = {
        "Evicts least recently used entries until the content store fits a size.",
        "",
        "Blobs a remaining entry needs are kept, and so are blobs stored so recently that an"
            + " action may still be recording them (gc says how recently)."
      })
  static final class Gc implements Callable<Integer> {
    @ParentCommand CacheCommand cache;

    @Option(
        names = "--max-size",
        required = true,
        paramLabel = "SIZE",
        description = "e.g. 10G, 500M, 64K or plain bytes.")
    String maxSize;

    @Override
    public Integer call() throws Exception {
      long maxBytes = parseSize(maxSize);
      CacheReply r =
          cache.ask(
              CacheRequest.newBuilder()
                  .setGc(CacheGcRequest.newBuilder().setMaxBytes(maxBytes))
                  .build(),
              true);
      PrintStream out = cache.parent.context().out();
      out.printf(
          Locale.ROOT,
          "removed %d %s and %d %s: %s -> %s%n",
          r.getEntriesRemoved(),
          r.getEntriesRemoved() == 1 ? "entry" : "entries",
          r.getBlobsRemoved(),
          r.getBlobsRemoved() == 1 ? "blob" : "blobs",
          human(r.getBytesBefore()),
          human(r.getBytesAfter()));
      out.println(
          "kept: blobs stored in the last "
              + Durations.format(r.getGcGraceMs())
              + ", even those no entry needs (an action may still be recording them)"
              + (r.getBytesAfter() > maxBytes ? "; the store is still over " + maxSize : ""));
      printStats(r, out);
      return 0;
    }
  }

  @Command(
      name = "explain",
      mixinStandardHelpOptions = true,
      description = {
        "Says whether a command would be replayed from the cache.",
        "",
        "If it would run instead, names the first recorded input whose state differs now. Runs"
            + " nothing.",
        "",
        "Exit status: 0 when the command would be replayed (a hit), 1 when it would run (a miss)."
      })
  static final class Explain implements Callable<Integer> {
    @ParentCommand CacheCommand cache;

    @Mixin ActionOptions action;

    @Option(names = "--policy", paramLabel = "NAME|FILE", description = "As for run.")
    String policy;

    @Parameters(
        arity = "1..*",
        paramLabel = "COMMAND",
        description = "The command and its arguments (after --), as they would be given to run.")
    List<String> command;

    @Override
    public Integer call() throws Exception {
      var request = action.request(command, cache.parent.context());
      if (policy != null) {
        request.setPolicyName(policy);
      }
      CacheReply r =
          cache.ask(CacheRequest.newBuilder().setExplain(request).build(), !action.noStart);
      cache
          .parent
          .context()
          .out()
          .println((r.getWouldHit() ? "hit: " : "miss: ") + r.getExplanation());
      return r.getWouldHit() ? 0 : 1;
    }
  }

  static void printStats(CacheReply r, PrintStream out) {
    long lookups = r.getHits() + r.getMisses();
    out.printf(
        Locale.ROOT,
        "entries:   %d (%d path sets)%n"
            + "size:      %s%n"
            + "hits:      %d%n"
            + "misses:    %d%n"
            + "hit rate:  %s%n",
        r.getEntries(),
        r.getPathSets(),
        human(r.getCasBytes()),
        r.getHits(),
        r.getMisses(),
        lookups == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * r.getHits() / lookups));
  }

  /** "10G", "500M", "64K", "123" → bytes; anything else, a negative size included, is refused. */
  static long parseSize(String text) {
    String t = text.trim().toUpperCase(Locale.ROOT);
    long unit = 1;
    if (t.endsWith("B")) {
      t = t.substring(0, t.length() - 1);
    }
    switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
      case 'K' -> unit = 1L << 10;
      case 'M' -> unit = 1L << 20;
      case 'G' -> unit = 1L << 30;
      case 'T' -> unit = 1L << 40;
      default -> unit = 1;
    }
    if (unit != 1) {
      t = t.substring(0, t.length() - 1);
    }
    try {
      // Digits only: Long.parseLong would take "-5" and "+5".
      if (!t.strip().matches("[0-9]+")) {
        throw new NumberFormatException(t);
      }
      return Math.multiplyExact(Long.parseLong(t.strip()), unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(
          "--max-size: not a size: '"
              + text
              + "' (a size is 0 or more bytes: 10G, 500M, 64K or plain bytes)");
    }
  }

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
  }
}
