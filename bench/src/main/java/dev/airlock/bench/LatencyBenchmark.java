package dev.airlock.bench;

import dev.airlock.sandbox.linux.Launcher;
import dev.airlock.sandbox.linux.LauncherBinary;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Latency of a trivial action ({@code true}) through airlockd and the Java client library, against
 * spawning it directly from Java in the same run, plus the end-to-end wall time of one {@code
 * ./airlock run -- true}. Run it with {@code scripts/bench-latency}; it prints a Markdown report on
 * stdout and its progress on stderr.
 *
 * <p>Targets (issue: latency benchmark): airlockd adds at most 2 ms at p50 per action over a direct
 * spawn, and {@code ./airlock run -- true} takes under 0.3 s including the client JVM.
 */
public final class LatencyBenchmark {
  static final double TARGET_OVERHEAD_MS = 2.0;
  static final double TARGET_CLI_SECONDS = 0.3;

  /** PATH of every spawned {@code true}, identical for all variants. */
  static final String ACTION_PATH = "/usr/local/bin:/usr/bin:/bin";

  private static final PrintStream progress = System.err;
  private static final long BATCH_TIMEOUT_MINUTES = 5;

  private final BenchOptions options;
  private final Path scratch;
  private final Map<String, String> childEnv;

  private LatencyBenchmark(BenchOptions options, Path scratch) {
    this.options = options;
    this.scratch = scratch;
    // Child scripts (airlockd, ./airlock) use the JDK this benchmark runs on.
    this.childEnv = Map.of("JAVA_HOME", System.getProperty("java.home"));
  }

  public static void main(String[] args) {
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench-latency: " + e.getMessage());
      System.err.println(BenchOptions.USAGE);
      System.exit(2);
      return;
    }
    if (options.help) {
      System.out.println(BenchOptions.USAGE);
      return;
    }
    int status;
    try {
      status = run(options);
    } catch (Exception e) {
      System.err.println("bench-latency: failed: " + describe(e));
      if (e instanceof RuntimeException) {
        e.printStackTrace();
      }
      status = 1;
    } catch (Error e) {
      System.err.println("bench-latency: failed: " + e);
      e.printStackTrace();
      status = 1;
    }
    System.exit(status);
  }

  private static int run(BenchOptions options) throws Exception {
    Path scratch = Files.createTempDirectory("airlock-bench-");
    LatencyBenchmark bench = new LatencyBenchmark(options, scratch);
    boolean ok = false;
    try {
      int status = bench.runWithDaemon();
      ok = true;
      return status;
    } finally {
      if (ok) {
        deleteTree(scratch);
      } else {
        System.err.println("bench-latency: daemon logs and state kept in " + scratch);
      }
    }
  }

  private int runWithDaemon() throws Exception {
    MachineInfo machine = MachineInfo.collect();
    String loadBefore = MachineInfo.loadAverage();
    Path stateDir = scratch.resolve("state");
    Path socket = scratch.resolve("airlockd.sock");

    progress.printf(
        "bench-latency: starting airlockd (--max-parallel %d) in %s%n",
        options.maxParallel, scratch);
    DaemonProcess daemon =
        DaemonProcess.start(
            options.repo, stateDir, socket, options.maxParallel, childEnv, Duration.ofMinutes(5));
    Thread stopOnExit = new Thread(daemon::close, "bench-stop-airlockd");
    Runtime.getRuntime().addShutdownHook(stopOnExit);
    try {
      progress.printf(
          "bench-latency: airlockd %s ready (pid %d)%n", daemon.version(), daemon.pid());
      Launcher launcher = new Launcher(LauncherBinary.extractTo(scratch.resolve("launcher")));
      List<Variant> variants = new ArrayList<>();
      Spawner[] spawners = {
        Spawner.processBuilder(ACTION_PATH),
        Spawner.launcher(launcher, ACTION_PATH),
        Spawner.tracedLauncher(launcher, ACTION_PATH),
        Spawner.daemon(socket, ACTION_PATH)
      };
      // Every spawner runs on threads of its own, never on this one: the tracer waits for any
      // child of its thread (wait4(-1, __WNOTHREAD)) and must not find airlockd, ./airlock or
      // a ProcessBuilder child there.
      for (int concurrency : new int[] {1, 2}) {
        for (Spawner spawner : spawners) {
          variants.add(new Variant(spawner, concurrency));
        }
      }
      try {
        measureActions(variants, daemon);
      } finally {
        for (Variant v : variants) {
          v.threads.shutdownNow();
        }
      }

      List<TimedCommand> cli = cliCommands(stateDir, socket);
      measureCli(cli, daemon);

      String loadAfter = MachineInfo.loadAverage();
      if (!daemon.isAlive()) {
        throw new IOException("airlockd died during the benchmark: " + daemon.stderrTail(5));
      }
      int daemonStatus = daemon.stop();
      boolean targetsMet =
          new Report(options, machine, daemon.version(), loadBefore, loadAfter, variants, cli)
              .print(System.out);
      progress.printf("bench-latency: airlockd stopped (status %d)%n", daemonStatus);
      return options.check && !targetsMet ? 3 : 0;
    } finally {
      daemon.close();
      try {
        Runtime.getRuntime().removeShutdownHook(stopOnExit);
      } catch (IllegalStateException exiting) {
        // The hook is running already.
      }
    }
  }

  /** One spawner at one concurrency, with what was measured for it. */
  static final class Variant {
    final Spawner spawner;
    final int concurrency;

    /** The threads this variant's actions run on (and spawn from); used by no other variant. */
    final ExecutorService threads;

    final Samples latency = new Samples();

    /** The daemon's own wall time per action (daemon variants only), as latency samples. */
    final Samples daemonSide = new Samples();

    Variant(Spawner spawner, int concurrency) {
      this.spawner = spawner;
      this.concurrency = concurrency;
      String name = "bench-" + spawner.kind().name().toLowerCase(Locale.ROOT) + "-x" + concurrency;
      this.threads =
          Executors.newFixedThreadPool(
              concurrency,
              r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
              });
    }

    boolean isDaemon() {
      return spawner.kind() == Spawner.Kind.DAEMON;
    }

    String mode() {
      return concurrency == 1 ? "sequential" : concurrency + "-way concurrent";
    }
  }

  private void measureActions(List<Variant> variants, DaemonProcess daemon) throws Exception {
    if (options.warmup > 0) {
      progress.printf(
          "bench-latency: warm-up, %d actions per variant (%d variants)%n",
          options.warmup, variants.size());
      for (Variant v : variants) {
        // At least one action per thread, so every code path is warm.
        runBatch(v, Math.max(options.warmup, v.concurrency), false);
      }
    }
    progress.printf(
        "bench-latency: measuring %d actions per variant in %d interleaved rounds%n",
        options.actions, options.rounds);
    for (int round = 0; round < options.rounds; round++) {
      int share =
          options.actions / options.rounds + (round < options.actions % options.rounds ? 1 : 0);
      for (int i = 0; i < variants.size(); i++) {
        // Rotate the order every round so that no variant always runs right after another.
        Variant v = variants.get((round + i) % variants.size());
        runBatch(v, share, true);
      }
      if (!daemon.isAlive()) {
        throw new IOException("airlockd died during the benchmark: " + daemon.stderrTail(5));
      }
      progress.printf("bench-latency:   round %d/%d done%n", round + 1, options.rounds);
    }
  }

  /** Runs {@code n} actions of a variant, split over its threads, and records them. */
  private void runBatch(Variant v, int n, boolean record) throws Exception {
    long[] latencies = new long[n];
    long[] daemonMicros = new long[n];
    int threads = v.concurrency;
    CountDownLatch gate = new CountDownLatch(1);
    List<Future<long[]>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int from = n * t / threads;
      int to = n * (t + 1) / threads;
      futures.add(
          v.threads.submit(
              () -> {
                gate.await();
                long start = System.nanoTime();
                runSlice(v.spawner, latencies, daemonMicros, from, to);
                return new long[] {start, System.nanoTime()};
              }));
    }
    gate.countDown();
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    for (Future<long[]> f : futures) {
      long[] span;
      try {
        span = f.get(BATCH_TIMEOUT_MINUTES, TimeUnit.MINUTES);
      } catch (TimeoutException e) {
        throw new IOException(
            v.spawner.name()
                + " ("
                + v.mode()
                + ") did not finish "
                + n
                + " actions within "
                + BATCH_TIMEOUT_MINUTES
                + " min; a spawn hangs");
      }
      first = Math.min(first, span[0]);
      last = Math.max(last, span[1]);
    }
    long wall = last - first;
    if (record) {
      v.latency.add(latencies, n, wall);
      if (v.isDaemon()) {
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
          nanos[i] = daemonMicros[i] * 1000;
        }
        v.daemonSide.add(nanos, n, 0);
      }
    }
  }

  private static void runSlice(
      Spawner spawner, long[] latencies, long[] daemonMicros, int from, int to) throws Exception {
    for (int i = from; i < to; i++) {
      long start = System.nanoTime();
      long reported = spawner.runOnce();
      latencies[i] = System.nanoTime() - start;
      daemonMicros[i] = reported;
    }
  }

  /**
   * The command-line variants: {@code ./airlock run -- true} as a user types it, the same client
   * JVM without the bash wrapper (flags read from ./airlock), and a bare JVM start for context.
   */
  private List<TimedCommand> cliCommands(Path stateDir, Path socket) throws IOException {
    Path repo = options.repo;
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> runArgs =
        List.of(
            "--state-dir", stateDir.toString(), "--socket", socket.toString(), "run", "--", "true");
    List<TimedCommand> commands = new ArrayList<>();
    List<String> script = new ArrayList<>(List.of(repo.resolve("airlock").toString()));
    script.addAll(runArgs);
    commands.add(
        new TimedCommand("`./airlock run -- true`", script, childEnv, repo, scratch, true));

    Optional<List<String>> clientFlags = clientJvmFlags(repo.resolve("airlock"));
    if (clientFlags.isPresent()) {
      List<String> direct = new ArrayList<>();
      direct.add(java.toString());
      direct.addAll(clientFlags.get());
      // The archive ./airlock made (it makes one on its first run, i.e. during the warm-up).
      direct.add("-XX:SharedArchiveFile=" + CDS_PLACEHOLDER);
      direct.add("-Dairlock.daemon=" + repo.resolve("scripts/airlockd"));
      direct.add("-cp");
      direct.add(
          repo.resolve("client/target/airlock-client.jar")
              + ":"
              + repo.resolve("client/target/lib/*"));
      direct.add("dev.airlock.client.cli.AirlockCli");
      direct.addAll(runArgs);
      commands.add(
          new TimedCommand(
              "client JVM alone (no bash wrapper)", direct, childEnv, repo, scratch, true));
      List<String> bare = new ArrayList<>();
      bare.add(java.toString());
      bare.addAll(clientFlags.get());
      bare.add("-version");
      commands.add(
          new TimedCommand(
              "`java -version` (same JVM flags)", bare, childEnv, repo, scratch, false));
    } else {
      progress.println(
          "bench-latency: note: cannot read the client JVM flags from ./airlock; timing only"
              + " ./airlock itself");
    }
    return commands;
  }

  private static final String CDS_PLACEHOLDER = "<cds-archive>";

  /** {@code flags=(...)} at the start of a line; the array may span lines. */
  private static final Pattern FLAGS_ARRAY =
      Pattern.compile("^flags=\\(([^)]*)\\)", Pattern.MULTILINE);

  /**
   * The client JVM's flags, from the first {@code flags=(...)} assignment of ./airlock; empty when
   * it holds anything but literal options (then the direct variant is left out).
   */
  private static Optional<List<String>> clientJvmFlags(Path airlockScript) throws IOException {
    Matcher m = FLAGS_ARRAY.matcher(Files.readString(airlockScript, StandardCharsets.UTF_8));
    if (!m.find()) {
      return Optional.empty();
    }
    List<String> flags = List.of(m.group(1).replace("\\\n", " ").trim().split("\\s+"));
    if (flags.stream().allMatch(f -> f.startsWith("-") && !f.contains("$") && !f.contains("\""))) {
      return Optional.of(flags);
    }
    return Optional.empty();
  }

  private void measureCli(List<TimedCommand> commands, DaemonProcess daemon) throws Exception {
    progress.printf(
        "bench-latency: command line: %d warm-up and %d timed runs of %d commands%n",
        options.cliWarmup, options.cliRuns, commands.size());
    // The script first: its first run may build the CDS archive the direct variant uses.
    for (int i = 0; i < Math.max(1, options.cliWarmup); i++) {
      commands.get(0).run(false);
    }
    resolveCdsArchive(commands);
    for (int i = 0; i < options.cliWarmup; i++) {
      for (TimedCommand c : commands.subList(1, commands.size())) {
        c.run(false);
      }
    }
    for (int i = 0; i < options.cliRuns; i++) {
      for (int j = 0; j < commands.size(); j++) {
        commands.get((i + j) % commands.size()).run(true);
      }
      if (!daemon.isAlive()) {
        throw new IOException("airlockd died during the benchmark: " + daemon.stderrTail(5));
      }
    }
  }

  /**
   * Points the direct client variant at the newest archive in client/target/cds (./airlock names it
   * after a checksum of the JDK path), or drops the flag when there is none.
   */
  private void resolveCdsArchive(List<TimedCommand> commands) throws IOException {
    Path dir = options.repo.resolve("client/target/cds");
    Optional<Path> archive = Optional.empty();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        archive =
            files
                .filter(p -> p.getFileName().toString().endsWith(".jsa"))
                .max(Comparator.comparing(LatencyBenchmark::modified));
      }
    }
    for (int i = 0; i < commands.size(); i++) {
      TimedCommand c = commands.get(i);
      if (c.commandLine().contains("-XX:SharedArchiveFile=" + CDS_PLACEHOLDER)) {
        List<String> line = new ArrayList<>(c.commandLine());
        int at = line.indexOf("-XX:SharedArchiveFile=" + CDS_PLACEHOLDER);
        if (archive.isPresent()) {
          line.set(at, "-XX:SharedArchiveFile=" + archive.get());
        } else {
          line.remove(at);
        }
        commands.set(i, c.withCommandLine(line));
      }
    }
  }

  private static java.nio.file.attribute.FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return java.nio.file.attribute.FileTime.from(Instant.EPOCH);
    }
  }

  static String describe(Throwable e) {
    Throwable cause = e;
    while (cause instanceof java.util.concurrent.ExecutionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String message = cause.getMessage();
    return message == null || message.isEmpty() ? cause.toString() : message;
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // Best effort: it is a temporary directory.
                }
              });
    } catch (IOException e) {
      // Best effort.
    }
  }

  /** What the report says about the machine. */
  record MachineInfo(int cores, String cpu, String kernel, String java, String memory) {
    static MachineInfo collect() {
      String cpu =
          grepFirst(Path.of("/proc/cpuinfo"), "model name\\s*:\\s*(.*)").orElse("unknown CPU");
      String memory =
          grepFirst(Path.of("/proc/meminfo"), "MemTotal:\\s*(\\d+) kB")
              .map(kib -> String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(kib) / 1048576.0))
              .orElse("unknown");
      String kernel = System.getProperty("os.name") + " " + System.getProperty("os.version");
      String java =
          System.getProperty("java.vm.name")
              + " "
              + System.getProperty("java.runtime.version")
              + " ("
              + System.getProperty("java.vendor")
              + ")";
      return new MachineInfo(Runtime.getRuntime().availableProcessors(), cpu, kernel, java, memory);
    }

    static String loadAverage() {
      try {
        String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
        return parts[0] + " / " + parts[1] + " / " + parts[2];
      } catch (IOException | RuntimeException e) {
        return "unknown";
      }
    }

    static String benchJvmFlags() {
      return String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments());
    }

    private static Optional<String> grepFirst(Path file, String regex) {
      Pattern p = Pattern.compile(regex);
      try {
        for (String line : Files.readAllLines(file)) {
          Matcher m = p.matcher(line);
          if (m.find()) {
            return Optional.of(m.group(1).trim());
          }
        }
      } catch (IOException e) {
        // Not Linux procfs, or unreadable.
      }
      return Optional.empty();
    }
  }

  static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
