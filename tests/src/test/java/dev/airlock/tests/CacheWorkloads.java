package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The actions the cache tests run, each with the means to check its outputs independently. */
final class CacheWorkloads {
  private CacheWorkloads() {}

  /**
   * {@code gcc -c -Iinc1 -Iinc a.c -o a.o}, where a.c includes "a.h": gcc probes a.h beside a.c and
   * in inc1/ (absent) before it reads inc/a.h. Its object is checked against gcc run natively on a
   * copy of the sources (without -g the object holds no directory, so the bytes must agree).
   */
  static final class Compile {
    static final List<String> ARGV = List.of("gcc", "-c", "-Iinc1", "-Iinc", "a.c", "-o", "a.o");

    private final DaemonFixture daemon;
    private final Path ws;

    private Compile(DaemonFixture daemon, Path ws) {
      this.daemon = daemon;
      this.ws = ws;
    }

    /**
     * Writes a.c, inc/a.h (VALUE 1) and an empty inc1/ into {@code ws}. The cache keys name paths
     * relative to the workspace, so two workspaces with the same sources share entries: a.c carries
     * the workspace's name in a comment to keep each test's compile its own action.
     */
    static Compile in(DaemonFixture daemon, Path ws) throws IOException {
      Files.writeString(
          ws.resolve("a.c"),
          "/* " + ws.getFileName() + " */\n#include \"a.h\"\nint value(void) { return VALUE; }\n");
      Files.createDirectories(ws.resolve("inc"));
      Files.createDirectories(ws.resolve("inc1"));
      Files.writeString(ws.resolve("inc/a.h"), "#define VALUE 1\n");
      return new Compile(daemon, ws);
    }

    /** Compiles through airlock with {@code options}; the compile must succeed. */
    CachedRun run(String... options) throws IOException, InterruptedException {
      return CachedRun.launch(daemon, ws, List.of(options), ARGV).await().assertExit(0);
    }

    /**
     * Records the compile, then replays it: gcc only stats a.o before replacing it, so whether a.o
     * was there before is no input, and the run after the first is a hit. Each object is checked.
     */
    void warm() throws IOException, InterruptedException {
      run().assertRecorded();
      assertObjectIsNative();
      run().assertHit();
      assertObjectIsNative();
    }

    Path object() {
      return ws.resolve("a.o");
    }

    void assertObjectIsNative() throws IOException, InterruptedException {
      assertArrayEquals(nativeObject(ws), Files.readAllBytes(object()), "a.o differs from gcc's");
    }

    /** The object gcc makes natively from {@code ws}'s a.c, inc/ and inc1/. */
    byte[] nativeObject(Path sources) throws IOException, InterruptedException {
      Path copy = Files.createTempDirectory(daemon.dir(), "native-");
      Files.copy(sources.resolve("a.c"), copy.resolve("a.c"));
      for (String include : List.of("inc", "inc1")) {
        Files.createDirectories(copy.resolve(include));
        try (Stream<Path> headers = Files.list(sources.resolve(include))) {
          for (Path h : headers.toList()) {
            Files.copy(h, copy.resolve(include).resolve(h.getFileName()));
          }
        }
      }
      Process gcc =
          new ProcessBuilder(ARGV)
              .directory(copy.toFile())
              .redirectErrorStream(true)
              .redirectOutput(copy.resolve("gcc.log").toFile())
              .start();
      if (!gcc.waitFor(60, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
        gcc.destroyForcibly();
        throw new AssertionError("native gcc failed: " + Files.readString(copy.resolve("gcc.log")));
      }
      return Files.readAllBytes(copy.resolve("a.o"));
    }
  }

  /**
   * {@code cat in/*.txt > out.txt; ls in > listing.txt}: it lists in/ and reads only its .txt
   * files. Each real run first appends a line to a log outside the workspace (written in place
   * under the audit policy, so visible at once, and never an output), which a hit leaves alone;
   * then it sleeps for its delay (0 unless {@link #slow}).
   */
  static final class Script {
    static final String SCRIPT =
        "echo ran >> \"$1\"; sleep \"$2\"; cat in/*.txt > out.txt; ls in > listing.txt";

    private final DaemonFixture daemon;
    private final Path ws;
    private final Path runLog;
    private final String delay;

    private Script(DaemonFixture daemon, Path ws, Path runLog, String delay) {
      this.daemon = daemon;
      this.ws = ws;
      this.runLog = runLog;
      this.delay = delay;
    }

    /** Writes in/a.txt and in/b.txt into {@code ws}; the run log goes beside the daemon's state. */
    static Script in(DaemonFixture daemon, Path ws) throws IOException {
      Files.createDirectories(ws.resolve("in"));
      Files.writeString(ws.resolve("in/a.txt"), "alpha\n");
      Files.writeString(ws.resolve("in/b.txt"), "bravo\n");
      return new Script(daemon, ws, Files.createTempFile(daemon.dir(), "runs-", ".log"), "0");
    }

    /** The same script through another daemon (one restarted on the same state). */
    Script on(DaemonFixture other) {
      return new Script(other, ws, runLog, delay);
    }

    /** The script sleeping {@code seconds} after it logged its start: another action. */
    Script slow(String seconds) {
      return new Script(daemon, ws, runLog, seconds);
    }

    List<String> argv() {
      return List.of("sh", "-c", SCRIPT, "sh", runLog.toString(), delay);
    }

    /** Runs the script through airlock with {@code options}; it must succeed. */
    CachedRun run(String... options) throws IOException, InterruptedException {
      return start(options).await().assertExit(0);
    }

    /** Starts the script through airlock with {@code options}, without waiting for it. */
    CachedRun.Started start(String... options) throws IOException {
      return CachedRun.launch(daemon, ws, List.of(options), argv());
    }

    /** How many times the script really started. */
    int realRuns() throws IOException {
      return Files.readAllLines(runLog).size();
    }

    /** out.txt and listing.txt are what in/ holds now. */
    void assertOutputsMatchInputs() throws IOException {
      List<String> names;
      try (Stream<Path> entries = Files.list(ws.resolve("in"))) {
        // Lowercase ASCII names: every locale's collation sorts them alike.
        names = entries.map(p -> p.getFileName().toString()).sorted().toList();
      }
      StringBuilder concatenated = new StringBuilder();
      for (String name : names) {
        if (name.endsWith(".txt")) {
          concatenated.append(Files.readString(ws.resolve("in").resolve(name)));
        }
      }
      assertEquals(concatenated.toString(), Files.readString(ws.resolve("out.txt")), "out.txt");
      assertEquals(
          names.stream().map(n -> n + "\n").collect(Collectors.joining()),
          Files.readString(ws.resolve("listing.txt")),
          "listing.txt");
    }
  }
}
