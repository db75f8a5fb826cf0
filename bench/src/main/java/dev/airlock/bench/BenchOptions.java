package dev.airlock.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** The benchmark's command line. */
final class BenchOptions {
  static final String USAGE =
      String.join(
          "\n",
          "usage: bench-latency [options]",
          "  --actions N      measured actions per variant (default 1000)",
          "  --warmup N       warm-up actions per variant before measuring (default 100)",
          "  --rounds N       rounds the measured actions are split into; every round runs each",
          "                   variant once, in rotating order (default 10)",
          "  --cli-runs N     timed runs of `true`, ./airlock run -- true and the native client"
              + " (default 200)",
          "  --jvm-runs N     timed runs of the JVM client variants, spread over the CLI runs"
              + " (default 20)",
          "  --cli-warmup N   untimed runs of each command-line variant first (default 3)",
          "  --max-parallel N the daemon's --max-parallel (default: number of cores)",
          "  --check          exit with status 3 when a target is missed",
          "  --repo DIR       the Airlock checkout (default: -Dairlock.repo or the current"
              + " directory)");

  int actions = 1000;
  int warmup = 100;
  int rounds = 10;
  int cliRuns = 200;
  int jvmRuns = 20;
  int cliWarmup = 3;
  int maxParallel = Runtime.getRuntime().availableProcessors();
  boolean check;
  boolean help;
  Path repo;

  static BenchOptions parse(String[] args) {
    BenchOptions o = new BenchOptions();
    String repo = System.getProperty("airlock.repo");
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      switch (name) {
        case "-h", "--help" -> o.help = true;
        case "--check" -> o.check = true;
        case "--actions",
            "--warmup",
            "--rounds",
            "--cli-runs",
            "--jvm-runs",
            "--cli-warmup",
            "--max-parallel",
            "--repo" -> {
          if (value == null) {
            if (i + 1 >= args.length) {
              throw new IllegalArgumentException(name + " needs a value");
            }
            value = args[++i];
          }
          if (name.equals("--repo")) {
            repo = value;
          } else {
            int n = parseCount(name, value);
            switch (name) {
              case "--actions" -> o.actions = n;
              case "--warmup" -> o.warmup = n;
              case "--rounds" -> o.rounds = n;
              case "--cli-runs" -> o.cliRuns = n;
              case "--jvm-runs" -> o.jvmRuns = n;
              case "--cli-warmup" -> o.cliWarmup = n;
              default -> o.maxParallel = n;
            }
          }
        }
        default -> throw new IllegalArgumentException("unknown option '" + arg + "'");
      }
    }
    if (o.actions < 2) {
      throw new IllegalArgumentException("--actions must be at least 2");
    }
    if (o.rounds < 1 || o.rounds > o.actions / 2) {
      throw new IllegalArgumentException("--rounds must be between 1 and actions/2");
    }
    if (o.cliRuns < 1) {
      throw new IllegalArgumentException("--cli-runs must be at least 1");
    }
    if (o.jvmRuns > o.cliRuns) {
      throw new IllegalArgumentException("--jvm-runs must be at most --cli-runs");
    }
    if (o.maxParallel < 1) {
      throw new IllegalArgumentException("--max-parallel must be at least 1");
    }
    o.repo = Path.of(repo == null ? "" : repo).toAbsolutePath().normalize();
    if (!o.help && !Files.isExecutable(o.repo.resolve("scripts/airlockd"))) {
      throw new IllegalArgumentException(
          "no Airlock checkout at " + o.repo + " (scripts/airlockd is missing); pass --repo DIR");
    }
    return o;
  }

  private static int parseCount(String name, String value) {
    try {
      int n = Integer.parseInt(value);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          name + " wants a non-negative number, got '" + value + "'");
    }
  }
}
