package dev.airlock.bench;

import dev.airlock.bench.LatencyBenchmark.MachineInfo;
import dev.airlock.bench.LatencyBenchmark.Variant;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The Markdown report: machine, per-variant latency, daemon overhead, command-line latency. */
final class Report {
  private final BenchOptions options;
  private final MachineInfo machine;
  private final String daemonVersion;
  private final String loadBefore;
  private final String loadAfter;
  private final List<Variant> variants;
  private final LatencyBenchmark.CliCommands cli;

  Report(
      BenchOptions options,
      MachineInfo machine,
      String daemonVersion,
      String loadBefore,
      String loadAfter,
      List<Variant> variants,
      LatencyBenchmark.CliCommands cli) {
    this.options = options;
    this.machine = machine;
    this.daemonVersion = daemonVersion;
    this.loadBefore = loadBefore;
    this.loadAfter = loadAfter;
    this.variants = variants;
    this.cli = cli;
  }

  /** Prints the report; returns whether every target was met. */
  boolean print(PrintStream out) {
    boolean met = true;
    out.println();
    out.println("## Airlock latency benchmark");
    out.println();
    out.printf(
        "`scripts/bench-latency` at %s: %d measured `true` actions per variant after %d warm-up,"
            + " in %d interleaved rounds; airlockd %s with `--max-parallel %d`.%n",
        LatencyBenchmark.now(),
        options.actions,
        options.warmup,
        options.rounds,
        daemonVersion,
        options.maxParallel);
    out.println();
    out.println("| Machine | |");
    out.println("|---|---|");
    out.printf("| CPU | %d × %s |%n", machine.cores(), machine.cpu());
    out.printf("| Memory | %s |%n", machine.memory());
    out.printf("| Kernel | %s |%n", machine.kernel());
    out.printf("| Java | %s |%n", machine.java());
    out.printf("| Benchmark JVM flags | `%s` |%n", MachineInfo.benchJvmFlags());
    out.printf(
        "| ProcessBuilder launch mechanism | %s |%n",
        System.getProperty("jdk.lang.Process.launchMechanism", "default (POSIX_SPAWN)"));
    out.printf("| Load average 1/5/15 min, start → end | %s → %s |%n", loadBefore, loadAfter);
    out.println();

    out.println("### One `true` action, end to end");
    out.println();
    out.println(
        "Latency: start to exit status, output read to end-of-file. Actions/s: actions over the"
            + " wall time of their batches. Percentiles are nearest-rank.");
    out.println();
    out.println(
        "| Variant | Mode | Actions | Actions/s | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |");
    out.println("|---|---|---:|---:|---:|---:|---:|---:|");
    for (Variant v : variants) {
      Samples s = v.latency;
      out.printf(
          Locale.ROOT,
          "| %s | %s | %d | %.0f | %.2f | %.2f | %.2f | %.2f |%n",
          v.spawner.name(),
          v.mode(),
          s.count(),
          s.throughput(),
          s.percentileMillis(50),
          s.percentileMillis(90),
          s.percentileMillis(99),
          s.maxMillis());
    }
    out.println();

    out.printf(
        Locale.ROOT,
        "### airlockd's overhead at p50 (target: at most %.0f ms over a direct spawn)%n",
        LatencyBenchmark.TARGET_OVERHEAD_MS);
    out.println();
    out.println(
        "Each cell: airlockd's p50 minus the direct spawn's p50 (ratio of the p50s); throughput:"
            + " airlockd's actions/s over the direct spawn's. The target compares with the untraced"
            + " direct spawns; the traced one is the daemon's own spawn path (launcher, seccomp,"
            + " ptrace) without the daemon, so the difference to it is the daemon's plumbing.");
    out.println();
    out.println(
        "| Mode | airlockd p50 | over ProcessBuilder | over Launcher | over Launcher + tracer |"
            + " throughput vs ProcessBuilder | vs Launcher | vs Launcher + tracer | target |");
    out.println("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    List<String> daemonSide = new ArrayList<>();
    for (int concurrency : new int[] {1, 2}) {
      Variant daemon = find(concurrency, Spawner.Kind.DAEMON);
      if (daemon == null) {
        continue;
      }
      StringBuilder over = new StringBuilder();
      StringBuilder throughput = new StringBuilder();
      boolean ok = true;
      for (Spawner.Kind kind :
          List.of(
              Spawner.Kind.PROCESS_BUILDER, Spawner.Kind.LAUNCHER, Spawner.Kind.LAUNCHER_TRACED)) {
        Variant base = find(concurrency, kind);
        if (base == null) {
          over.append(" n/a |");
          throughput.append(" n/a |");
          continue;
        }
        double d = daemon.latency.percentileMillis(50);
        double b = base.latency.percentileMillis(50);
        over.append(String.format(Locale.ROOT, " %+.2f ms (%.2f×) |", d - b, d / b));
        throughput.append(
            String.format(
                Locale.ROOT, " %.2f× |", daemon.latency.throughput() / base.latency.throughput()));
        if (kind != Spawner.Kind.LAUNCHER_TRACED) {
          ok &= d - b <= LatencyBenchmark.TARGET_OVERHEAD_MS;
        }
      }
      met &= ok;
      out.printf(
          Locale.ROOT,
          "| %s | %.2f ms |%s%s %s |%n",
          daemon.mode(),
          daemon.latency.percentileMillis(50),
          over,
          throughput,
          ok ? "met" : "**missed**");
      daemonSide.add(
          String.format(
              Locale.ROOT,
              "%.2f ms %s (p99 %.2f ms)",
              daemon.daemonSide.percentileMillis(50),
              daemon.mode(),
              daemon.daemonSide.percentileMillis(99)));
    }
    out.println();
    if (!daemonSide.isEmpty()) {
      out.println(
          "airlockd's own wall time per action (`ActionResult.wall_time_us`: from its runner"
              + " thread's start to the result, inside the daemon), p50: "
              + String.join(", ", daemonSide)
              + ". The rest of the client-observed latency is connecting, framing, scheduling and"
              + " thread hand-offs.");
      out.println();
    }

    out.printf(
        Locale.ROOT,
        "### Command line (target: `./airlock run -- true` at most %.0f ms over `true` at p50)%n",
        LatencyBenchmark.TARGET_CLI_OVERHEAD_MS);
    out.println();
    out.printf(
        Locale.ROOT,
        "Wall time from spawning the command (ProcessBuilder) to its exit, against the already"
            + " running daemon, interleaved: %d timed runs of the first three rows after %d"
            + " warm-up, the JVM rows in %d of those iterations. \"over `true`\": the row's p50"
            + " minus that of spawning `true` directly. Load average 1/5/15 min over this part: %s"
            + " → %s.%n",
        options.cliRuns,
        options.cliWarmup,
        options.jvmRuns,
        cli.loadBefore,
        cli.loadAfter);
    out.println();
    out.println(
        "| Command | Runs | p50 (ms) | p99 (ms) | min (ms) | p50 over `true` (ms) | target |");
    out.println("|---|---:|---:|---:|---:|---:|---|");
    double directP50 = cli.direct.samples().percentileMillis(50);
    for (TimedCommand c : cli.all()) {
      Samples s = c.samples();
      String target = "(context)";
      if (c == cli.direct) {
        target = "(reference)";
      } else if (c == cli.airlock) {
        boolean ok = s.percentileMillis(50) - directP50 <= LatencyBenchmark.TARGET_CLI_OVERHEAD_MS;
        met &= ok;
        target = ok ? "met" : "**missed**";
      }
      out.printf(
          Locale.ROOT,
          "| %s | %d | %.2f | %.2f | %.2f | %s | %s |%n",
          c.label(),
          s.count(),
          s.percentileMillis(50),
          s.percentileMillis(99),
          s.minMillis(),
          c == cli.direct
              ? "–"
              : String.format(Locale.ROOT, "%+.2f", s.percentileMillis(50) - directP50),
          target);
    }
    out.println();
    for (TimedCommand c : cli.all()) {
      if (c.rebuilds() > 0) {
        out.printf(
            "Note: %d run(s) of %s rebuilt Airlock first (its sources changed during the"
                + " benchmark); they were repeated and are not in the table.%n%n",
            c.rebuilds(), c.label());
      }
      if (!c.stderrLines().isEmpty()) {
        out.printf(
            "Note: %s wrote to stderr: %s%n%n",
            c.label(), "`" + String.join("`; `", c.stderrLines()) + "`");
      }
    }
    out.printf("All targets met: %s%n", met ? "yes" : "**no**");
    out.flush();
    return met;
  }

  private Variant find(int concurrency, Spawner.Kind kind) {
    for (Variant v : variants) {
      if (v.concurrency == concurrency && v.spawner.kind() == kind) {
        return v;
      }
    }
    return null;
  }
}
