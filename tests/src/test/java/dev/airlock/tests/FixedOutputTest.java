package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fixed-output actions and {@code airlock fetch}, end to end: a real daemon, curl downloading from
 * real HTTP servers on 127.0.0.1 (one mirror broken, one serving right and wrong bytes), the pinned
 * content verified, committed atomically and served from the content store afterwards.
 */
@Timeout(120)
class FixedOutputTest {
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

  /** 3 MiB, so curl has something to show progress for. */
  private static final byte[] RIGHT = randomBytes(3 << 20, 18);

  private static final byte[] WRONG = randomBytes(3 << 20, 81);
  private static final String RIGHT_SHA = Mirrors.sha256(RIGHT);
  private static final String WRONG_SHA = Mirrors.sha256(WRONG);

  /** Content no test ever produces: pinning it can never be served from the store. */
  private static final String NEVER_SHA = Mirrors.sha256(randomBytes(1 << 10, 99));

  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  private static Mirrors mirrors;

  @BeforeAll
  static void startMirrors() throws IOException {
    mirrors = Mirrors.start().put("/v1/tool.bin", RIGHT).put("/bad/tool.bin", WRONG);
  }

  @AfterAll
  static void stopMirrors() {
    mirrors.close();
  }

  @Test
  void fetchTriesTheMirrorsInOrderAndCommitsTheFirstRightBytes() throws Exception {
    Path ws = workspace("in-order");
    int servedBefore = mirrors.requests("/v1/tool.bin");

    CliProcess.Result r =
        fetch(
            ws,
            "--sha256",
            RIGHT_SHA,
            "-o",
            "deps/tool.bin",
            mirrors.broken("/v1/tool.bin"),
            mirrors.serving("/bad/tool.bin"),
            mirrors.serving("/v1/tool.bin"));

    assertEquals(0, r.status(), r::toString);
    assertArrayEquals(RIGHT, Files.readAllBytes(ws.resolve("deps/tool.bin")));
    assertTrue(
        r.stderr().contains(mirrors.broken("/v1/tool.bin") + ": download failed"), r::toString);
    assertTrue(
        r.stderr()
            .contains(
                mirrors.serving("/bad/tool.bin")
                    + ": wrong content: expected sha256:"
                    + RIGHT_SHA
                    + ", got sha256:"
                    + WRONG_SHA),
        r::toString);
    assertTrue(r.stderr().contains("100.0%"), "curl's progress on stderr: " + r);
    assertEquals(1, mirrors.requests("/v1/tool.bin") - servedBefore, "one download of the file");
    assertEquals(List.of("tool.bin"), names(ws.resolve("deps")), "nothing but the file landed");
  }

  @Test
  void wrongBytesAreRefusedNamingBothDigestsAndTheWorkspaceIsUntouched() throws Exception {
    Path ws = workspace("wrong");
    Path target = Files.createDirectories(ws.resolve("deps")).resolve("tool.bin");
    Files.writeString(target, "old\n");
    FileTime mtime = FileTime.fromMillis(1_600_000_000_000L);
    Files.setLastModifiedTime(target, mtime);

    CliProcess.Result r =
        fetch(
            ws,
            "--sha256",
            NEVER_SHA,
            "-o",
            "deps/tool.bin",
            mirrors.broken("/v1/tool.bin"),
            mirrors.serving("/bad/tool.bin"));

    assertEquals(1, r.status(), r::toString);
    assertTrue(
        r.stderr().contains("expected sha256:" + NEVER_SHA + ", got sha256:" + WRONG_SHA),
        r::toString);
    assertTrue(r.stderr().contains("nothing was committed"), r::toString);
    assertEquals("old\n", Files.readString(target));
    assertEquals(mtime, Files.getLastModifiedTime(target));
    assertEquals(List.of("tool.bin"), names(ws.resolve("deps")));
  }

  @Test
  void aRunWhosePinnedOutputHasOtherContentFailsAndCommitsNothing() throws Exception {
    Path ws = workspace("run-mismatch");
    String wrongSha = Mirrors.sha256("wrong".getBytes(StandardCharsets.UTF_8));

    CliProcess.Result r =
        daemon.runCli(
            CLIENT_TIMEOUT,
            "run",
            "--no-start",
            "--cwd",
            ws.toString(),
            "--output-hash",
            "out.bin=sha256:" + NEVER_SHA,
            "--",
            "sh",
            "-c",
            "printf wrong > out.bin; echo side > side.txt");

    assertEquals(65, r.status(), r::toString);
    assertTrue(
        r.stderr()
            .contains(
                ws.resolve("out.bin")
                    + ": expected sha256:"
                    + NEVER_SHA
                    + ", got sha256:"
                    + wrongSha),
        r::toString);
    assertEquals(List.of(), names(ws), "nothing committed, not even the unpinned file");

    CliProcess.Result missing =
        daemon.runCli(
            CLIENT_TIMEOUT,
            "run",
            "--no-start",
            "--cwd",
            ws.toString(),
            "--output-hash",
            "never.bin=sha256:" + NEVER_SHA,
            "--",
            "true");
    assertEquals(65, missing.status(), missing::toString);
    assertTrue(
        missing.stderr().contains("never.bin: expected sha256:" + NEVER_SHA + ", found nothing"),
        missing::toString);
  }

  @Test
  void aPinOutsideTheCopyOnWriteLayerIsRefusedBeforeItRuns() throws Exception {
    Path ws = workspace("in-place");
    Path outside = Outside.directory("pinned-");
    String content = Mirrors.sha256("x".getBytes(StandardCharsets.UTF_8));

    CliProcess.Result audit =
        daemon.runCli(
            CLIENT_TIMEOUT,
            "run",
            "--no-start",
            "--cwd",
            ws.toString(),
            "--output-hash",
            outside.resolve("x") + "=sha256:" + NEVER_SHA,
            "--",
            "sh",
            "-c",
            "printf x > \"$1\"",
            "sh",
            outside.resolve("x").toString());
    assertEquals(125, audit.status(), audit::toString);
    assertTrue(
        audit.stderr().contains("outside the action's copy-on-write layer"), audit::toString);
    assertFalse(Files.exists(outside.resolve("x")), "it did not run");

    CliProcess.Result build =
        daemon.runCli(
            CLIENT_TIMEOUT,
            "run",
            "--no-start",
            "--cwd",
            ws.toString(),
            "--policy",
            "build",
            "--output-hash",
            outside.resolve("x") + "=sha256:" + content,
            "--",
            "sh",
            "-c",
            "printf x > \"$1\"",
            "sh",
            outside.resolve("x").toString());
    assertEquals(0, build.status(), build::toString);
    assertEquals("x", Files.readString(outside.resolve("x")), "a pin is an output under build");
  }

  @Test
  void aSecondFetchIsServedFromTheStoreWithTheServersStopped() throws Exception {
    byte[] content = randomBytes(1 << 20, 7);
    String sha = Mirrors.sha256(content);
    Path ws = workspace("offline");
    List<String> urls;
    try (Mirrors own = Mirrors.start().put("/dep.bin", content)) {
      urls = List.of(own.broken("/dep.bin"), own.serving("/dep.bin"));
      CliProcess.Result first =
          fetch(ws, "--sha256", sha, "-o", "dep.bin", urls.get(0), urls.get(1));
      assertEquals(0, first.status(), first::toString);
      assertEquals(1, own.requests("/dep.bin"));
    }
    Files.delete(ws.resolve("dep.bin"));

    CliProcess.Result again = fetch(ws, "--sha256", sha, "-o", "dep.bin", urls.get(0), urls.get(1));

    assertEquals(0, again.status(), again::toString);
    assertArrayEquals(content, Files.readAllBytes(ws.resolve("dep.bin")));
    assertTrue(again.stderr().contains("served from the content store"), again::toString);
    assertFalse(again.stderr().contains("download failed"), "curl did not run: " + again);

    // The digest is the key: another path, other (dead) URLs, the same content.
    CliProcess.Result elsewhere =
        fetch(ws, "--sha256", "sha256:" + sha, "-o", "copy/dep.bin", "http://127.0.0.1:9/nowhere");
    assertEquals(0, elsewhere.status(), elsewhere::toString);
    assertArrayEquals(content, Files.readAllBytes(ws.resolve("copy/dep.bin")));
  }

  @Test
  void aPinnedActionHitsWhateverElseItReadAndReplaysOnlyItsPinnedOutputs() throws Exception {
    Path ws = workspace("pinned-hit");
    Files.writeString(ws.resolve("input.txt"), "one\n");
    String pinned = Mirrors.sha256("pinned".getBytes(StandardCharsets.UTF_8));
    List<String> options = List.of("--output-hash", "a.txt=sha256:" + pinned);
    List<String> command =
        List.of(
            "sh", "-c", "cat input.txt > /dev/null; printf pinned > a.txt; date +%s%N > side.txt");

    CachedRun first = CachedRun.launch(daemon.fixture(), ws, options, command).await();
    assertEquals(0, first.exitStatus(), first::toString);
    assertEquals("stored", first.status(), first::toString);
    assertTrue(first.report().contains("\"fixed_output\": true"), first::toString);
    assertTrue(Files.exists(ws.resolve("side.txt")));

    Files.writeString(ws.resolve("input.txt"), "two\n");
    Files.delete(ws.resolve("a.txt"));
    Files.delete(ws.resolve("side.txt"));

    CachedRun second = CachedRun.launch(daemon.fixture(), ws, options, command).await();
    assertEquals(0, second.exitStatus(), second::toString);
    assertEquals("hit", second.status(), second::toString);
    assertTrue(second.report().contains("\"fixed_output\": true"), second::toString);
    assertEquals("pinned", Files.readString(ws.resolve("a.txt")));
    assertFalse(Files.exists(ws.resolve("side.txt")), "an unpinned output is not replayed");

    CachedRun dryRun =
        CachedRun.launch(
                daemon.fixture(),
                ws,
                List.of("--output-hash", "c.txt=sha256:" + pinned, "--discard"),
                List.of("false"))
            .await();
    assertEquals(0, dryRun.exitStatus(), dryRun::toString);
    assertEquals("hit", dryRun.status(), dryRun::toString);
    assertFalse(Files.exists(ws.resolve("c.txt")), "a dry run serves nothing into the workspace");

    CliProcess.Result explained =
        daemon.runCli(
            CLIENT_TIMEOUT,
            "cache",
            "explain",
            "--no-start",
            "--cwd",
            ws.toString(),
            "--output-hash",
            "elsewhere.txt=sha256:" + pinned,
            "--",
            "false");
    assertEquals(0, explained.status(), explained::toString);
    assertTrue(explained.stdout().startsWith("hit: fixed-output"), explained::toString);
    CliProcess.Result unknown =
        daemon.runCli(
            CLIENT_TIMEOUT,
            "cache",
            "explain",
            "--no-start",
            "--cwd",
            ws.toString(),
            "--output-hash",
            "a.txt=sha256:" + NEVER_SHA,
            "--",
            "true");
    assertEquals(1, unknown.status(), unknown::toString);
    assertTrue(unknown.stdout().contains("sha256:" + NEVER_SHA), unknown::toString);

    CachedRun off =
        CachedRun.launch(
                daemon.fixture(),
                ws,
                List.of("--output-hash", "b.txt=sha256:" + pinned, "--cache", "off"),
                List.of("sh", "-c", "printf pinned > b.txt"))
            .await();
    assertEquals(0, off.exitStatus(), off::toString);
    assertEquals("disabled", off.status(), "--cache=off runs it: " + off);
  }

  private static CliProcess.Result fetch(Path ws, String... args)
      throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("fetch", "--no-start", "--cwd", ws.toString()));
    all.addAll(List.of(args));
    return daemon.runCli(CLIENT_TIMEOUT, all.toArray(String[]::new));
  }

  private static Path workspace(String name) throws IOException {
    return Files.createDirectories(daemon.dir().resolve("ws-" + name));
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static byte[] randomBytes(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }
}
