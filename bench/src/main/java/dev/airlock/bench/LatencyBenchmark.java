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
 * spawning it directly from Java in the same run, plus the end-to-end wall time of {@code ./airlock
 * run -- true} (native client, and JVM client) against spawning {@code true} directly. Run it with
 * {@code scripts/bench-latency}; it prints a Markdown report on stdout and its progress on stderr.
 *
 * <p>Targets: airlockd adds at most 2 ms at p50 per action over a direct spawn (issue: latency
 * benchmark), and {@code ./airlock run -- true} adds at most 15 ms at p50 over spawning {@code
 * true} directly (issue 17: a client that starts in milliseconds).
 */
public final class LatencyBenchmark {
  static final double TARGET_OVERHEAD_MS = 2.0;
  static final double TARGET_CLI_OVERHEAD_MS = 15.0;

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

      CliCommands cli = cliCommands(stateDir, socket);
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
   * The command-line variants, all spawned the same way (ProcessBuilder, stdin from /dev/null,
   * output discarded) against the running daemon: {@code true} itself, for reference; {@code
   * ./airlock run -- true} as a user types it (the bash script, then the native client); the native
   * client binary alone, without the script; and the JVM client ({@code AIRLOCK_CLIENT=jvm}), the
   * same client JVM without the scripts (flags read from scripts/airlock-jvm) and a bare start of
   * such a JVM, the last three for {@code --jvm-runs} runs only.
   */
  CliCommands cliCommands(Path stateDir, Path socket) throws IOException {
    Path repo = options.repo;
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path jvmClient = repo.resolve("scripts/airlock-jvm");
    List<String> runArgs =
        List.of(
            "--state-dir", stateDir.toString(), "--socket", socket.toString(), "run", "--", "true");

    TimedCommand direct =
        new TimedCommand(
            "`true` (spawned directly)", List.of(trueBinary()), childEnv, repo, scratch, true);
    List<String> script = new ArrayList<>(List.of(repo.resolve("airlock").toString()));
    script.addAll(runArgs);
    TimedCommand airlock =
        new TimedCommand("`./airlock run -- true`", script, childEnv, repo, scratch, true);
    List<String> nativeLine =
        new ArrayList<>(
            List.of(
                repo.resolve("sandbox-linux/target/airlock-client").toString(),
                jvmClient.toString()));
    nativeLine.addAll(runArgs);
    TimedCommand nativeClient =
        new TimedCommand(
            "native client alone (`airlock-client scripts/airlock-jvm run -- true`)",
            nativeLine,
            childEnv,
            repo,
            scratch,
            true);

    Map<String, String> jvmEnv = new java.util.HashMap<>(childEnv);
    jvmEnv.put("AIRLOCK_CLIENT", "jvm");
    List<TimedCommand> jvm = new ArrayList<>();
    jvm.add(
        new TimedCommand(
            "JVM client (`AIRLOCK_CLIENT=jvm ./airlock run -- true`)",
            script,
            jvmEnv,
            repo,
            scratch,
            true));
    Optional<List<String>> clientFlags = clientJvmFlags(jvmClient);
    if (clientFlags.isPresent()) {
      List<String> alone = new ArrayList<>();
      alone.add(java.toString());
      alone.addAll(clientFlags.get());
      // The archive scripts/airlock-jvm made (it makes one on its first run: the warm-up).
      alone.add("-XX:SharedArchiveFile=" + CDS_PLACEHOLDER);
      alone.add("-Dairlock.daemon=" + repo.resolve("scripts/airlockd"));
      alone.add("-cp");
      alone.add(
          repo.resolve("client/target/airlock-client.jar")
              + ":"
              + repo.resolve("client/target/lib/*"));
      alone.add("dev.airlock.client.cli.AirlockCli");
      alone.addAll(runArgs);
      jvm.add(
          new TimedCommand(
              "client JVM alone (no scripts, same flags)", alone, childEnv, repo, scratch, true));
      List<String> bare = new ArrayList<>();
      bare.add(java.toString());
      bare.addAll(clientFlags.get());
      bare.add("-version");
      jvm.add(
          new TimedCommand(
              "`java -version` (the client JVM's flags)", bare, childEnv, repo, scratch, false));
    } else {
      progress.println(
          "bench-latency: note: cannot read the client JVM flags from scripts/airlock-jvm;"
              + " timing the JVM client only through ./airlock");
    }
    return new CliCommands(direct, airlock, nativeClient, jvm);
  }

  /** The command-line variants; {@link #jvm} runs {@code --jvm-runs} times, the rest more. */
  static final class CliCommands {
    final TimedCommand direct;
    final TimedCommand airlock;
    final TimedCommand nativeClient;
    final List<TimedCommand> jvm;
    String loadBefore = "unknown";
    String loadAfter = "unknown";

    CliCommands(
        TimedCommand direct,
        TimedCommand airlock,
        TimedCommand nativeClient,
        List<TimedCommand> jvm) {
      this.direct = direct;
      this.airlock = airlock;
      this.nativeClient = nativeClient;
      this.jvm = new ArrayList<>(jvm);
    }

    List<TimedCommand> fast() {
      return List.of(direct, airlock, nativeClient);
    }

    List<TimedCommand> all() {
      List<TimedCommand> all = new ArrayList<>(fast());
      all.addAll(jvm);
      return all;
    }
  }

  /** The {@code true} binary on {@link #ACTION_PATH}, the one the daemon's actions run. */
  private static String trueBinary() throws IOException {
    for (String dir : ACTION_PATH.split(":")) {
      Path p = Path.of(dir, "true");
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    throw new IOException("no `true` on " + ACTION_PATH);
  }

  private static final String CDS_PLACEHOLDER = "<cds-archive>";

  /** {@code flags=(...)} at the start of a line; the array may span lines. */
  private static final Pattern FLAGS_ARRAY =
      Pattern.compile("^flags=\\(([^)]*)\\)", Pattern.MULTILINE);

  /**
   * The client JVM's flags, from the first {@code flags=(...)} assignment of scripts/airlock-jvm;
   * empty when it holds anything but literal options (then the direct JVM variants are left out).
   */
  private static Optional<List<String>> clientJvmFlags(Path jvmClientScript) throws IOException {
    Matcher m = FLAGS_ARRAY.matcher(Files.readString(jvmClientScript, StandardCharsets.UTF_8));
    if (!m.find()) {
      return Optional.empty();
    }
    List<String> flags = List.of(m.group(1).replace("\\\n", " ").trim().split("\\s+"));
    if (flags.stream().allMatch(f -> f.startsWith("-") && !f.contains("$") && !f.contains("\""))) {
      return Optional.of(flags);
    }
    return Optional.empty();
  }

  /**
   * Interleaves the variants: every iteration runs the fast ones (in rotating order), and the JVM
   * ones in {@code --jvm-runs} of the iterations, spread evenly over the run.
   */
  private void measureCli(CliCommands cli, DaemonProcess daemon) throws Exception {
    progress.printf(
        "bench-latency: command line: %d warm-up runs each, then %d timed runs of %d commands and"
            + " %d of %d JVM ones%n",
        options.cliWarmup, options.cliRuns, cli.fast().size(), options.jvmRuns, cli.jvm.size());
    // The JVM client first: its first run makes the CDS archive the direct JVM variant uses.
    for (int i = 0; i < Math.max(1, options.cliWarmup); i++) {
      cli.jvm.get(0).run(false);
    }
    resolveCdsArchive(cli.jvm);
    for (int i = 0; i < options.cliWarmup; i++) {
      for (TimedCommand c : cli.all()) {
        c.run(false);
      }
    }
    cli.loadBefore = MachineInfo.loadAverage();
    List<TimedCommand> fast = cli.fast();
    int jvmDone = 0;
    for (int i = 0; i < options.cliRuns; i++) {
      List<TimedCommand> round = new ArrayList<>();
      for (int j = 0; j < fast.size(); j++) {
        round.add(fast.get((i + j) % fast.size()));
      }
      // Iteration i runs the JVM variants when it crosses the next of jvmRuns even steps.
      if ((long) (i + 1) * options.jvmRuns / options.cliRuns > jvmDone) {
        jvmDone++;
        round.addAll(i % 2 == 0 ? 0 : round.size(), cli.jvm);
      }
      for (TimedCommand c : round) {
        c.run(true);
      }
      if (!daemon.isAlive()) {
        throw new IOException("airlockd died during the benchmark: " + daemon.stderrTail(5));
      }
      if ((i + 1) % 50 == 0) {
        progress.printf("bench-latency:   %d/%d command-line runs%n", i + 1, options.cliRuns);
      }
    }
    cli.loadAfter = MachineInfo.loadAverage();
  }

  /**
   * Points the direct client variant at the newest archive in client/target/cds
   * (scripts/airlock-jvm names it after a checksum of the JDK path and the jar), or drops the flag
   * when there is none.
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
