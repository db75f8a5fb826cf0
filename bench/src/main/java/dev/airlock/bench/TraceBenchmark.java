package dev.airlock.bench;

import dev.airlock.sandbox.linux.CpuAffinity;
import dev.airlock.sandbox.linux.ErrnoException;
import dev.airlock.sandbox.linux.LaunchSpec;
import dev.airlock.sandbox.linux.LaunchedProcess;
import dev.airlock.sandbox.linux.Launcher;
import dev.airlock.sandbox.linux.LauncherBinary;
import dev.airlock.sandbox.linux.ShimLibrary;
import dev.airlock.sandbox.linux.seccomp.SyscallTable;
import dev.airlock.sandbox.linux.trace.AccessGuard;
import dev.airlock.sandbox.linux.trace.FastPath;
import dev.airlock.sandbox.linux.trace.FastPathScope;
import dev.airlock.sandbox.linux.trace.TraceResult;
import dev.airlock.sandbox.linux.trace.TraceStats;
import dev.airlock.sandbox.linux.trace.Tracer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Tracing at the sandbox-linux level, without the daemon: shell commands launched and traced the
 * way the daemon does, in four placements interleaved round-robin (strict or fast, each pinned to
 * one CPU or not; for the fast path, "until-up" keeps each new program on the tracer's CPU until
 * its shim is up). Also measures what the tracer thread spends per shim record.
 *
 * <pre>
 * TraceBenchmark [--rounds N] [--variants a,b,...] DIR 'COMMAND' ['PREPARE'] [DIR 'COMMAND' ...]
 * TraceBenchmark --records N    (records/s of one tracer thread: N stat calls of 1,000 paths)
 * </pre>
 */
public final class TraceBenchmark {
  private static final SyscallTable TABLE = SyscallTable.current();
  private static final Map<String, String> ENV =
      Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "LC_ALL", "C");

  private enum Variant {
    STRICT_PINNED,
    STRICT,
    FAST,
    FAST_UNTIL_UP,
    FAST_PINNED
  }

  private final Launcher launcher;
  private final ShimLibrary shim;
  private final List<Integer> cpus;

  private TraceBenchmark(Path libexec) throws IOException, ErrnoException {
    this.launcher = new Launcher(LauncherBinary.extractTo(libexec));
    this.shim = ShimLibrary.load(libexec);
    this.cpus = CpuAffinity.allowedCpus();
  }

  /** One traced run: its wall time and what tracing it cost. */
  private record Result(double seconds, double tracerCpuSeconds, TraceStats stats, int exit) {}

  private Result run(Variant v, Path dir, String command) throws Exception {
    boolean fast = v != Variant.STRICT && v != Variant.STRICT_PINNED;
    boolean pinned = v == Variant.STRICT_PINNED || v == Variant.FAST_PINNED;
    if (pinned) {
      // Before the spawn: the launcher and everything it starts inherit the CPU.
      CpuAffinity.restrictCurrentThread(List.of(CpuAffinity.currentCpu()));
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long start = System.nanoTime();
    long cpuStart = threads.getCurrentThreadCpuTime();
    try (FastPath fastPath =
            fast
                ? FastPath.open(
                    shim,
                    FastPathScope.EVERYWHERE,
                    FastPath.DEFAULT_SLOTS,
                    FastPath.DEFAULT_SLOT_BYTES,
                    v == Variant.FAST_UNTIL_UP ? cpus : null)
                : null;
        LaunchedProcess p =
            launcher.launchTraced(
                new LaunchSpec(List.of("sh", "-c", command), ENV, dir, false),
                Tracer.filter(TABLE, false, false, Optional.ofNullable(fastPath)).toBytes(),
                dev.airlock.sandbox.linux.Confinement.NONE,
                fast ? Optional.of(fastPath.injection()) : Optional.empty())) {
      Tracer tracer = new Tracer(TABLE, AccessGuard.ALLOW_ALL, Optional.ofNullable(fastPath));
      tracer.seize(p);
      Thread out = drain(p.stdout());
      Thread err = drain(p.stderr());
      TraceResult result = tracer.run(p);
      out.join();
      err.join();
      double seconds = (System.nanoTime() - start) / 1e9;
      double cpu = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
      return new Result(seconds, cpu, tracer.stats(), result.rootStatus().exitCode());
    } finally {
      if (pinned) {
        CpuAffinity.restrictCurrentThread(cpus);
      }
    }
  }

  private static Thread drain(InputStream in) {
    Thread t =
        new Thread(
            () -> {
              try {
                in.transferTo(java.io.OutputStream.nullOutputStream());
              } catch (IOException e) {
                // the benchmark checks the exit status
              }
            });
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void sh(Path dir, String command) throws Exception {
    Process p =
        new ProcessBuilder("sh", "-c", command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException("'" + command + "' failed in " + dir);
    }
  }

  private static double nativeRun(Path dir, String command) throws Exception {
    long start = System.nanoTime();
    sh(dir, command);
    return (System.nanoTime() - start) / 1e9;
  }

  public static void main(String[] args) throws Exception {
    int rounds = 5;
    List<Variant> variants = new ArrayList<>(List.of(Variant.values()));
    long records = 0;
    List<String[]> workloads = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--records" -> records = Long.parseLong(args[++i]);
        case "--variants" -> {
          variants.clear();
          for (String v : args[++i].split(",")) {
            variants.add(Variant.valueOf(v.toUpperCase(Locale.ROOT).replace('-', '_')));
          }
        }
        default -> {
          String prepare = i + 2 < args.length && !args[i + 2].startsWith("/") ? args[i + 2] : "";
          workloads.add(new String[] {args[i], args[i + 1], prepare});
          i += prepare.isEmpty() ? 1 : 2;
        }
      }
    }
    Path libexec = Files.createTempDirectory("airlock-trace-bench");
    TraceBenchmark bench = new TraceBenchmark(libexec);
    if (records > 0) {
      bench.records(records, libexec);
    }
    for (String[] w : workloads) {
      bench.workload(Path.of(w[0]), w[1], w[2], variants, rounds);
    }
  }

  private void workload(
      Path dir, String command, String prepare, List<Variant> variants, int rounds)
      throws Exception {
    Map<String, List<Double>> times = new LinkedHashMap<>();
    Map<Variant, Result> last = new LinkedHashMap<>();
    times.put("native", new ArrayList<>());
    variants.forEach(v -> times.put(name(v), new ArrayList<>()));
    for (int round = -1; round < rounds; round++) { // round -1: warm-up
      if (!prepare.isEmpty()) {
        sh(dir, prepare);
      }
      double t = nativeRun(dir, command);
      if (round >= 0) {
        times.get("native").add(t);
      }
      for (Variant v : variants) {
        if (!prepare.isEmpty()) {
          sh(dir, prepare);
        }
        Result r = run(v, dir, command);
        if (r.exit() != 0) {
          throw new IllegalStateException(v + ": '" + command + "' exited " + r.exit());
        }
        if (round >= 0) {
          times.get(name(v)).add(r.seconds());
          last.put(v, r);
        }
      }
      System.err.printf("  %s: round %d/%d%n", command, round + 1, rounds);
    }
    double base = median(times.get("native"));
    System.out.printf(
        "%n%s (in %s), %d rounds, load %s%n",
        command, dir, rounds, Files.readString(Path.of("/proc/loadavg")).trim());
    System.out.printf(
        "| variant | median s | x native | stops | records | tracer CPU s |%n|---|---:|---:|---:|---:|---:|%n");
    System.out.printf("| native | %.3f | 1.00 | | | |%n", base);
    for (Variant v : variants) {
      Result r = last.get(v);
      System.out.printf(
          "| %s | %.3f | %.2f | %d | %d | %.3f |%n",
          name(v),
          median(times.get(name(v))),
          median(times.get(name(v))) / base,
          r.stats().seccompStops(),
          r.stats().records(),
          r.tracerCpuSeconds());
    }
  }

  /**
   * What one tracer thread spends per record: a program makes {@code n} stat calls over 1,000
   * paths, served by the shim; the ring (8,192 slots) fills and each overflow stops the program,
   * whereupon the tracer drains it. Tracer CPU per record = its thread's CPU time / records.
   */
  private void records(long n, Path dir) throws Exception {
    Path c = dir.resolve("stats.c");
    Files.writeString(
        c,
        """
        #include <stdio.h>
        #include <stdlib.h>
        #include <sys/stat.h>
        int main(int argc, char **argv) {
          long n = atol(argv[1]);
          char name[64];
          struct stat st;
          for (long i = 0; i < n; i++) {
            snprintf(name, sizeof name, "/usr/include/%s%ld.h", i % 2 ? "sys/x" : "y", i % 1000);
            stat(name, &st);
          }
          return 0;
        }
        """);
    sh(dir, "gcc -O2 -o stats stats.c");
    for (int round = 0; round < 3; round++) {
      Result r = run(Variant.FAST, dir, "./stats " + n);
      double perRecord = r.tracerCpuSeconds() / Math.max(1, r.stats().records());
      System.out.printf(
          "records: %d stat calls in %.3f s; %d records drained at %d stops; tracer thread CPU"
              + " %.3f s: %.2f us per record, %.0f records/s per tracer thread%n",
          n,
          r.seconds(),
          r.stats().records(),
          r.stats().seccompStops(),
          r.tracerCpuSeconds(),
          perRecord * 1e6,
          1 / perRecord);
    }
  }

  private static String name(Variant v) {
    return v.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
