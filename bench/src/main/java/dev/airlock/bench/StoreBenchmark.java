package dev.airlock.bench;

import dev.airlock.client.ActionCall;
import dev.airlock.client.AirlockClient;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CacheMode;
import dev.airlock.protocol.CacheStatus;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What copy-on-write commit and the action cache cost, against the same work done directly, in one
 * run: commit time for 1, 100 and 10,000 output files against writing them without Airlock; the
 * overlay's setup cost per action; and cache hit latency for path sets of 10, 1,000 and 10,000
 * paths, in the daemon and end to end through the client library. Run it with {@code
 * scripts/bench-store}; it prints a Markdown report on stdout.
 */
public final class StoreBenchmark {
  private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin");

  private final Path scratch;
  private final AirlockClient client;
  private final int rounds;

  private StoreBenchmark(Path scratch, AirlockClient client, int rounds) {
    this.scratch = scratch;
    this.client = client;
    this.rounds = rounds;
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    Path repo = Path.of(System.getProperty("airlock.repo", "")).toAbsolutePath().normalize();
    Path scratch = Files.createTempDirectory(Path.of("/var/tmp"), "airlock-bench-store-");
    DaemonProcess daemon =
        DaemonProcess.start(
            repo,
            scratch.resolve("state"),
            scratch.resolve("airlockd.sock"),
            2,
            Map.of("JAVA_HOME", System.getProperty("java.home")),
            Duration.ofMinutes(5));
    try {
      StoreBenchmark bench =
          new StoreBenchmark(
              scratch, AirlockClient.forSocket(scratch.resolve("airlockd.sock")), rounds);
      System.out.printf(
          "## Store benchmark (%d rounds, medians; %s, %d CPUs, load %s)%n%n",
          rounds,
          System.getProperty("os.version"),
          Runtime.getRuntime().availableProcessors(),
          LatencyBenchmark.MachineInfo.loadAverage());
      bench.commitCost();
      bench.overlaySetup();
      bench.hitLatency();
    } finally {
      daemon.close();
      new ProcessBuilder("rm", "-rf", scratch.toString()).inheritIO().start().waitFor();
    }
  }

  /** A shell loop writing n small files (echo is a builtin: no process per file). */
  private static String writeFiles(int n) {
    return "i=0; while [ $i -lt " + n + " ]; do echo $i > f$i; i=$((i+1)); done";
  }

  private void commitCost() throws Exception {
    System.out.println("### Commit cost (ms), outputs written by one action, cache off");
    System.out.println();
    System.out.println(
        "| files | direct write (no Airlock) | action in airlockd | of which commit | commit ms/file |");
    System.out.println("|---:|---:|---:|---:|---:|");
    for (int n : new int[] {1, 100, 10_000}) {
      double[] direct = new double[rounds];
      double[] action = new double[rounds];
      double[] commit = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        Path d1 = Files.createDirectories(scratch.resolve("direct-" + n + "-" + r));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("sh", "-c", writeFiles(n)).directory(d1.toFile()).start();
        if (p.waitFor() != 0) {
          throw new IOException("direct write failed");
        }
        direct[r] = (System.nanoTime() - t0) / 1e6;
        Path d2 = Files.createDirectories(scratch.resolve("action-" + n + "-" + r));
        ActionResult result = run(d2, CacheMode.CACHE_OFF, "sh", "-c", writeFiles(n));
        if (result.getChanges().getChangesCount() != n) {
          throw new IOException("expected " + n + " changes: " + result.getChanges());
        }
        action[r] = result.getWallTimeUs() / 1000.0;
        commit[r] = result.getChanges().getCommitTimeUs() / 1000.0;
      }
      System.out.printf(
          Locale.ROOT,
          "| %d | %.2f | %.2f | %.2f | %.4f |%n",
          n,
          median(direct),
          median(action),
          median(commit),
          median(commit) / n);
    }
    System.out.println();
  }

  private void overlaySetup() throws Exception {
    int n = Math.max(50, rounds * 20);
    double[] with = new double[n];
    double[] without = new double[n];
    Path ws = Files.createDirectories(scratch.resolve("overlay-ws"));
    for (int i = 0; i < n; i++) {
      // Interleaved: `true` in a workspace (one overlay) and in / (no writable root to overlay).
      with[i] = run(ws, CacheMode.CACHE_OFF, "true").getWallTimeUs() / 1000.0;
      without[i] = run(Path.of("/"), CacheMode.CACHE_OFF, "true").getWallTimeUs() / 1000.0;
    }
    System.out.println("### Overlay setup per action (`true`, in-daemon wall time, ms)");
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "%d actions each: p50 %.2f with a workspace overlay, %.2f without; overlay cost %.2f ms%n%n",
        n,
        median(with),
        median(without),
        median(with) - median(without));
  }

  private void hitLatency() throws Exception {
    System.out.println("### Cache hit latency (ms), warm stat cache, after 30 warm-up hits");
    System.out.println();
    System.out.println(
        "| paths in the path set | lookup in daemon | whole hit in daemon | end to end (client library) | run it traced (miss) |");
    System.out.println("|---:|---:|---:|---:|---:|");
    for (int n : new int[] {10, 1_000, 10_000}) {
      Path ws = Files.createDirectories(scratch.resolve("hits-" + n));
      for (int i = 0; i < n; i++) {
        Files.writeString(ws.resolve("in" + i), "input " + i + "\n");
      }
      // One path per input (read) plus the directory listing and the shell's own paths.
      String[] argv = {"sh", "-c", "cat in* > /dev/null"};
      ActionResult first = run(ws, CacheMode.CACHE_READ_WRITE, argv);
      if (first.getCache().getStatus() != CacheStatus.CACHE_STORED) {
        throw new IOException("the first run was not stored: " + first.getCache());
      }
      // A long-running daemon has its lookup code compiled: warm it as a build's first minutes
      // would, then measure.
      for (int w = 0; w < 30; w++) {
        run(ws, CacheMode.CACHE_READ_WRITE, argv);
      }
      double[] lookup = new double[rounds * 4];
      double[] daemon = new double[rounds * 4];
      double[] e2e = new double[rounds * 4];
      for (int r = 0; r < lookup.length; r++) {
        long t0 = System.nanoTime();
        ActionResult hit = run(ws, CacheMode.CACHE_READ_WRITE, argv);
        e2e[r] = (System.nanoTime() - t0) / 1e6;
        if (hit.getCache().getStatus() != CacheStatus.CACHE_HIT) {
          throw new IOException("expected a hit: " + hit.getCache());
        }
        lookup[r] = hit.getCache().getLookupTimeUs() / 1000.0;
        daemon[r] = hit.getWallTimeUs() / 1000.0;
      }
      System.out.printf(
          Locale.ROOT,
          "| %d (%d recorded) | %.2f | %.2f | %.2f | %.2f |%n",
          n,
          first.getCache().getPathSetSize(),
          median(lookup),
          median(daemon),
          median(e2e),
          first.getWallTimeUs() / 1000.0);
    }
    System.out.println();
  }

  private ActionResult run(Path cwd, CacheMode mode, String... argv) throws IOException {
    ExecuteRequest request =
        ExecuteRequest.newBuilder()
            .addAllArgv(PathBytes.toWire(List.of(argv)))
            .putAllEnv(PathBytes.toWire(ENV))
            .setCwd(PathBytes.toWire(cwd.toString()))
            .setCacheMode(mode)
            // The "without an overlay" runs in /: the daemon refuses / as a workspace to overlay
            // unless asked to write in place (`true` writes nothing).
            .setUnsafeDirectWrites(cwd.getNameCount() == 0)
            .build();
    try (ActionCall call = client.execute(request)) {
      ActionResult result =
          call.awaitResult(OutputStream.nullOutputStream(), OutputStream.nullOutputStream());
      if (result.getOutcome() != dev.airlock.protocol.Outcome.COMPLETED
          || result.getExitCode() != 0) {
        throw new IOException(String.join(" ", argv) + " failed: " + result);
      }
      return result;
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
