package dev.airlock.client.cli;

import dev.airlock.protocol.CacheReply;
import dev.airlock.protocol.CacheRequest;
import dev.airlock.protocol.CacheVerifyRequest;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.VerifiedEntry;
import dev.airlock.protocol.VerifyVerdict;
import java.io.PrintStream;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code airlock cache verify [--sample N]}: runs recorded actions again and compares. */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Runs recorded actions again and compares with what the cache recorded.",
      "",
      "Each entry whose recorded inputs are unchanged runs again on a fresh copy-on-write layer"
          + " that is then discarded: the workspace never changes. Every blob an entry needs is"
          + " checked against its digest. One line per entry: consistent, nondeterministic (what"
          + " differs), corrupt blob (which), or skipped (why: its inputs changed, it cannot be run"
          + " again); then a summary.",
      "",
      "Exit status: 0 when nothing was found nondeterministic or corrupt, 1 otherwise."
    })
final class CacheVerifyCommand implements Callable<Integer> {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

  @ParentCommand CacheCommand cache;

  @Option(
      names = "--sample",
      paramLabel = "N",
      description = "Verify N entries picked at random (default: every entry).")
  int sample;

  @Option(names = "--no-start", description = "Fail instead of starting airlockd when none runs.")
  boolean noStart;

  @Override
  public Integer call() throws Exception {
    if (sample < 0) {
      throw new IllegalArgumentException("--sample wants 1 or more entries");
    }
    CacheReply reply =
        cache.ask(
            CacheRequest.newBuilder()
                .setVerify(CacheVerifyRequest.newBuilder().setSample(sample))
                .build(),
            !noStart);
    PrintStream out = cache.parent.context().out();
    Map<VerifyVerdict, Integer> counts = new EnumMap<>(VerifyVerdict.class);
    for (VerifiedEntry entry : reply.getVerifiedList()) {
      counts.merge(entry.getVerdict(), 1, Integer::sum);
      out.println(line(entry));
    }
    int found =
        counts.getOrDefault(VerifyVerdict.VERIFY_NONDETERMINISTIC, 0)
            + counts.getOrDefault(VerifyVerdict.VERIFY_CORRUPT_BLOB, 0);
    out.printf(
        Locale.ROOT,
        "verified %d %s: %d consistent, %d nondeterministic, %d corrupt blob, %d skipped%n",
        reply.getVerifiedCount(),
        reply.getVerifiedCount() == 1 ? "entry" : "entries",
        counts.getOrDefault(VerifyVerdict.VERIFY_CONSISTENT, 0),
        counts.getOrDefault(VerifyVerdict.VERIFY_NONDETERMINISTIC, 0),
        counts.getOrDefault(VerifyVerdict.VERIFY_CORRUPT_BLOB, 0),
        counts.getOrDefault(VerifyVerdict.VERIFY_SKIPPED, 0));
    return found == 0 ? 0 : 1;
  }

  /** "nondeterministic: sh -c 'date > out' (action m1-3): /w/out differs at line 1 (...)". */
  static String line(VerifiedEntry entry) {
    String verdict =
        switch (entry.getVerdict()) {
          case VERIFY_CONSISTENT -> "consistent";
          case VERIFY_NONDETERMINISTIC -> "nondeterministic";
          case VERIFY_CORRUPT_BLOB -> "corrupt blob";
          default -> "skipped";
        };
    String command = command(PathBytes.fromWire(entry.getArgvList()));
    return verdict
        + ": "
        + (command.isEmpty() ? "" : command + " ")
        + "(action "
        + entry.getActionId()
        + ")"
        + (entry.getVerdict() == VerifyVerdict.VERIFY_CONSISTENT ? "" : ": " + entry.getDetail());
  }

  /** The command as a shell would take it: arguments with spaces or quotes are single-quoted. */
  private static String command(List<String> argv) {
    StringBuilder out = new StringBuilder();
    for (String arg : argv) {
      String shown = PathBytes.display(arg);
      out.append(out.length() == 0 ? "" : " ")
          .append(PLAIN.matcher(shown).matches() ? shown : "'" + shown.replace("'", "'\\''") + "'");
    }
    return out.toString();
  }
}
