package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.tests.CacheWorkloads.Compile;
import dev.airlock.tests.CacheWorkloads.Script;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The action cache end to end, on a real compile (gcc -c with a local header found through an
 * include search path) and a shell script that reads a glob and lists a directory: the cache must
 * never serve a wrong result. A change to anything the action read, probed or listed is a miss
 * whose output matches a native run; anything else is a hit that runs nothing and restores the
 * outputs byte for byte.
 */
@Timeout(120)
class ActionCacheTest {
  private static final Duration CLIENT_TIMEOUT = CachedRun.CLIENT_TIMEOUT;

  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  /** The workspace of one test: its actions' working directory. */
  @TempDir Path ws;

  // The compile.

  @Test
  void aCompileHitsWhenAnUnreadHeaderChangesAndMissesWhenTheIncludedOneDoes() throws Exception {
    Compile compile = Compile.in(daemon.fixture(), ws);
    compile.warm();
    byte[] valueOne = Files.readAllBytes(compile.object());

    Files.writeString(ws.resolve("inc/b.h"), "#define OTHER 2\n");
    compile.run().assertHit();
    compile.assertObjectIsNative();

    Files.writeString(ws.resolve("inc/a.h"), "#define VALUE 20\n");
    compile.run().assertRecorded();
    compile.assertObjectIsNative();
    assertObjectChanged(valueOne, compile);
  }

  @Test
  void aHeaderCreatedEarlierInTheIncludePathIsAMissAndTheObjectUsesIt() throws Exception {
    Compile compile = Compile.in(daemon.fixture(), ws);
    compile.warm();
    byte[] before = Files.readAllBytes(compile.object());

    // gcc probed inc1/a.h, found nothing there, and went on to inc/a.h.
    Files.writeString(ws.resolve("inc1/a.h"), "#define VALUE 42\n");
    compile.run().assertRecorded();

    compile.assertObjectIsNative();
    assertObjectChanged(before, compile);
    compile.run().assertHit();
    compile.assertObjectIsNative();
  }

  @Test
  void touchingAHeaderHitsButNewContentWithTheSameSizeAndMtimeMisses() throws Exception {
    Compile compile = Compile.in(daemon.fixture(), ws);
    compile.warm();
    byte[] before = Files.readAllBytes(compile.object());
    Path header = ws.resolve("inc/a.h");

    Files.setLastModifiedTime(header, FileTime.from(Instant.now().plusSeconds(5)));
    compile.run().assertHit();
    compile.assertObjectIsNative();

    // Same size, and the mtime put back at once: only the content (and ctime) tell the change.
    FileTime mtime = Files.getLastModifiedTime(header);
    long size = Files.size(header);
    Files.writeString(header, "#define VALUE 7\n");
    Files.setLastModifiedTime(header, mtime);
    assertEquals(size, Files.size(header));
    compile.run().assertRecorded();

    compile.assertObjectIsNative();
    assertObjectChanged(before, compile);
  }

  @Test
  void aHitRestoresADeletedOrCorruptedObjectByteForByte() throws Exception {
    Compile compile = Compile.in(daemon.fixture(), ws);
    compile.warm();

    Files.delete(compile.object());
    compile.run().assertHit();
    compile.assertObjectIsNative();

    Files.writeString(compile.object(), "not an object file\n");
    compile.run().assertHit();
    compile.assertObjectIsNative();
  }

  @Test
  void anotherPolicyIsAMissAndEachPolicyKeepsItsOwnEntry() throws Exception {
    Compile compile = Compile.in(daemon.fixture(), ws);
    compile.warm();

    // Everything gcc observes is as in the warm hit: only the policy differs.
    compile.run("--policy", "build").assertRecorded();
    compile.assertObjectIsNative();
    compile.run("--policy", "build").assertHit();
    compile.run().assertHit();
    compile.assertObjectIsNative();
  }

  // The script.

  @Test
  void aScriptMissesWhenAFileItReadChangesOrItsListedDirectoryGainsAFile() throws Exception {
    Script script = Script.in(daemon.fixture(), ws);
    script.run().assertRecorded();
    script.assertOutputsMatchInputs();
    script.run().assertHit();
    assertEquals(1, script.realRuns(), "a hit must not run the script");

    Files.writeString(ws.resolve("in/notes.md"), "listed, not read\n");
    script.run().assertRecorded();
    script.assertOutputsMatchInputs();
    Files.writeString(ws.resolve("in/notes.md"), "listed, not read, edited\n");
    script.run().assertHit();
    assertEquals(2, script.realRuns());

    Files.writeString(ws.resolve("in/b.txt"), "bravo, edited\n");
    script.run().assertRecorded();
    assertEquals(3, script.realRuns());
    script.assertOutputsMatchInputs();

    Files.writeString(ws.resolve("in/c.txt"), "charlie\n");
    script.run().assertRecorded();
    assertEquals(4, script.realRuns());
    script.assertOutputsMatchInputs();
    script.run().assertHit();
    assertEquals(4, script.realRuns());
  }

  @Test
  void anotherValueOfAPassedVariableIsAMiss() throws Exception {
    Script script = Script.in(daemon.fixture(), ws);
    script.run("--env", "FOO=1").assertRecorded();
    script.run("--env", "FOO=1").assertHit();

    script.run("--env", "FOO=2").assertRecorded();
    assertEquals(2, script.realRuns());
    script.run("--env", "FOO=1").assertHit();
    script.run("--env", "FOO=2").assertHit();
    assertEquals(2, script.realRuns());
    script.assertOutputsMatchInputs();
  }

  @Test
  void explainSaysAHitWouldBeReplayedAndNamesTheChangedInputOfAMiss() throws Exception {
    Script script = Script.in(daemon.fixture(), ws);
    script.run().assertRecorded();
    List<String> explain = new ArrayList<>(List.of("cache", "explain", "--cwd", ws.toString()));
    explain.add("--");
    explain.addAll(script.argv());

    CliProcess.Result hit = daemon.runCli(CLIENT_TIMEOUT, explain.toArray(String[]::new));
    assertEquals(0, hit.status(), hit::toString);
    assertTrue(hit.stdout().startsWith("hit: "), hit::toString);

    Files.writeString(ws.resolve("in/a.txt"), "alpha, edited\n");
    CliProcess.Result miss = daemon.runCli(CLIENT_TIMEOUT, explain.toArray(String[]::new));
    assertEquals(1, miss.status(), miss::toString);
    assertTrue(miss.stdout().startsWith("miss: "), miss::toString);
    assertTrue(
        miss.stdout().contains("first difference: " + ws.resolve("in/a.txt") + " "),
        miss::toString);
    assertEquals(1, script.realRuns(), "explain runs nothing");
  }

  @Test
  void gcToSizeZeroEmptiesTheCacheAndTheNextRunIsACorrectMiss() throws Exception {
    Script script = Script.in(daemon.fixture(), ws);
    script.run().assertRecorded();
    script.run().assertHit();

    CliProcess.Result gc = daemon.runCli(CLIENT_TIMEOUT, "cache", "gc", "--max-size", "0");
    assertEquals(0, gc.status(), gc::toString);
    assertEquals(0, CacheStats.of(daemon.fixture()).entries(), gc::toString);
    assertEquals(0, CacheStats.of(daemon.fixture()).pathSets(), gc::toString);

    Files.delete(ws.resolve("out.txt"));
    script.run().assertRecorded();
    assertEquals(2, script.realRuns());
    script.assertOutputsMatchInputs();
    script.run().assertHit();
  }

  @Test
  void cacheOffRunsTheCommandAndLeavesTheEntryAlone() throws Exception {
    Script script = Script.in(daemon.fixture(), ws);
    script.run().assertRecorded();

    CachedRun off = script.run("--cache=off");
    assertEquals("disabled", off.status(), off::toString);
    assertEquals(2, script.realRuns());
    script.assertOutputsMatchInputs();
    script.run().assertHit();
    assertEquals(2, script.realRuns());
  }

  @Test
  void aFailureIsReplayedWithItsExitStatusAndStderrOnlyWhenFailuresAreCached() throws Exception {
    Files.writeString(ws.resolve("config.txt"), "bad value\n");
    Path runLog = Files.createTempFile(daemon.dir(), "runs-", ".log");
    List<String> argv =
        List.of(
            "sh",
            "-c",
            "echo ran >> \"$1\"; echo checking; echo \"error: $(cat config.txt)\" >&2; exit 3",
            "sh",
            runLog.toString());

    CachedRun plain = CachedRun.launch(daemon.fixture(), ws, List.of(), argv).await().assertExit(3);
    assertEquals("skipped", plain.status(), plain::toString);
    CachedRun first =
        CachedRun.launch(daemon.fixture(), ws, List.of("--cache-failures"), argv)
            .await()
            .assertExit(3);
    first.assertRecorded();
    CachedRun replayed =
        CachedRun.launch(daemon.fixture(), ws, List.of("--cache-failures"), argv)
            .await()
            .assertExit(3);

    replayed.assertHit();
    assertEquals("checking\n", replayed.cli().stdout());
    assertTrue(replayed.cli().stderr().contains("error: bad value\n"), replayed::toString);
    assertEquals(first.cli().stderr(), replayed.cli().stderr());
    assertEquals(2, Files.readAllLines(runLog).size(), "the replayed failure must not run");

    // Without the flag a recorded failure is not served: the command runs again.
    CachedRun again = CachedRun.launch(daemon.fixture(), ws, List.of(), argv).await().assertExit(3);
    assertEquals(3, Files.readAllLines(runLog).size(), again::toString);
  }

  @Test
  void writesUnderADeclaredRootOutsideTheWorkspaceAreReplayedAfterTheyAreDeleted()
      throws Exception {
    Path opt =
        Files.createDirectories(Files.createTempDirectory(daemon.dir(), "prov-").resolve("opt"));
    Path policy = daemon.dir().resolve(opt.getParent().getFileName() + ".textproto");
    Files.writeString(
        policy,
        "# a provisioning script that installs into one root outside its workspace\n"
            + "extends: \"build\"\n"
            + "writable: \""
            + opt
            + "\"\n");
    // The stamp is random: a replay restores the first run's, a rerun would draw another.
    String install =
        "mkdir -p \"$1/tool/bin\" && od -An -N8 -tx8 /dev/urandom > \"$1/tool/stamp\""
            + " && printf '#!/bin/sh\\necho tool\\n' > \"$1/tool/bin/tool\""
            + " && chmod 755 \"$1/tool/bin/tool\"";
    List<String> argv = List.of("sh", "-c", install, "sh", opt.toString());
    List<String> options = List.of("--policy", policy.toString());

    CachedRun.launch(daemon.fixture(), ws, options, argv).await().assertExit(0).assertRecorded();
    String stamp = Files.readString(opt.resolve("tool/stamp"));
    deleteTree(opt.resolve("tool"));
    CachedRun.launch(daemon.fixture(), ws, options, argv).await().assertExit(0).assertHit();

    assertEquals(stamp, Files.readString(opt.resolve("tool/stamp")));
    assertEquals("#!/bin/sh\necho tool\n", Files.readString(opt.resolve("tool/bin/tool")));
    assertEquals(
        "rwxr-xr-x",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(opt.resolve("tool/bin/tool"))));
  }

  // Concurrency and crashes.

  @Test
  void eightIdenticalActionsAtOnceAgreeAndTheCountersAddUp() throws Exception {
    Script script = Script.in(daemon.fixture(), ws);
    CacheStats before = CacheStats.of(daemon.fixture());

    List<CachedRun.Started> started = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      started.add(script.start());
    }
    List<CachedRun> runs = new ArrayList<>();
    for (CachedRun.Started s : started) {
      runs.add(s.await().assertExit(0));
    }

    script.assertOutputsMatchInputs();
    long hits = runs.stream().filter(r -> r.status().equals("hit")).count();
    CacheStats after = CacheStats.of(daemon.fixture());
    assertTrue(after.entries() >= 1, after::toString);
    assertEquals(8, after.lookups() - before.lookups(), after + " after " + before);
    assertEquals(hits, after.hits() - before.hits(), after + " after " + before);
    // Every miss ran the script once; no hit ran it.
    assertEquals(script.realRuns(), after.misses() - before.misses(), runs::toString);
    assertEquals(8 - hits, script.realRuns(), runs::toString);
  }

  @Test
  void afterSigkillARestartedDaemonServesOnlyCorrectResults() throws Exception {
    Path killedDir = Files.createTempDirectory(daemon.dir(), "killed-");
    Path other = Files.createTempDirectory(daemon.dir(), "slow-");
    Script script;
    Script slow;
    try (DaemonFixture first = DaemonFixture.start(killedDir)) {
      script = Script.in(first, ws);
      slow = Script.in(first, other).slow("1");
      script.run().assertRecorded();
      List<CachedRun.Started> running = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        running.add(slow.start());
      }
      Procs.await("a slow action to start", CLIENT_TIMEOUT, () -> realRuns(slow) > 0);

      first.process().destroyForcibly();
      assertTrue(first.process().waitFor(20, TimeUnit.SECONDS));
      for (CachedRun.Started s : running) {
        CachedRun cut = s.await();
        assertNotEquals(0, cut.exitStatus(), "an action cut off by the crash cannot succeed");
      }
      assertFalse(Files.exists(other.resolve("out.txt")), "a cut-off action commits nothing");
    }

    try (DaemonFixture second = DaemonFixture.start(killedDir)) {
      Script again = script.on(second);
      again.run().assertHit();
      again.assertOutputsMatchInputs();
      assertEquals(1, again.realRuns());

      Script slowAgain = slow.on(second);
      CachedRun rerun = slowAgain.run();
      assertNotEquals("hit", rerun.status(), "the cut-off action was never recorded");
      slowAgain.assertOutputsMatchInputs();
      slowAgain.run().assertHit();
      slowAgain.assertOutputsMatchInputs();

      CacheStats stats = CacheStats.of(second);
      assertTrue(stats.entries() >= 2, stats::toString);
    }
  }

  private static int realRuns(Script script) {
    try {
      return script.realRuns();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void assertObjectChanged(byte[] before, Compile compile) throws Exception {
    assertFalse(
        Arrays.equals(before, Files.readAllBytes(compile.object())), "a.o should have changed");
  }

  private static void deleteTree(Path root) throws Exception {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** What {@code airlock cache stats} prints. */
  record CacheStats(long entries, long pathSets, long hits, long misses) {
    private static final Pattern ENTRIES =
        Pattern.compile("entries:\\s+(\\d+) \\((\\d+) path sets\\)");
    private static final Pattern HITS = Pattern.compile("hits:\\s+(\\d+)");
    private static final Pattern MISSES = Pattern.compile("misses:\\s+(\\d+)");

    static CacheStats of(DaemonFixture daemon) throws Exception {
      CliProcess.Result r = daemon.runCli(CLIENT_TIMEOUT, "cache", "stats");
      assertEquals(0, r.status(), r::toString);
      Matcher entries = find(ENTRIES, r);
      return new CacheStats(
          Long.parseLong(entries.group(1)),
          Long.parseLong(entries.group(2)),
          Long.parseLong(find(HITS, r).group(1)),
          Long.parseLong(find(MISSES, r).group(1)));
    }

    long lookups() {
      return hits + misses;
    }

    private static Matcher find(Pattern p, CliProcess.Result r) {
      Matcher m = p.matcher(r.stdout());
      assertTrue(m.find(), "no " + p + " in " + r);
      return m;
    }
  }
}
