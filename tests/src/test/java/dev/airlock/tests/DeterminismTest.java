package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code airlock run --check-determinism} end to end: the action runs twice on the same inputs and
 * every output that differs is named, in words on stderr and in the JSON report; the verdict marks
 * the cache entry; only the first run's changes are committed.
 */
@Timeout(120)
class DeterminismTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  @TempDir Path ws;

  @Test
  void aTimestampWrittenToAFileIsReportedNondeterministicWithTheFileAndLineNamed()
      throws Exception {
    CachedRun run = check(List.of(), "sh", "-c", "date +%s%N > out");

    assertEquals(0, run.exitStatus(), run::toString);
    String out = ws.resolve("out").toString();
    assertTrue(
        Pattern.compile(
                "airlock: sh: the action is not deterministic: two runs on the same inputs differ"
                    + " in 1 place:\nairlock:   "
                    + Pattern.quote(out)
                    + " differs at line 1 \\(\"\\d{19}\" vs \"\\d{19}\"\\)\n")
            .matcher(run.cli().stderr())
            .find(),
        run::toString);
    assertTrue(
        run.report().contains("\"determinism\": {\"checked\": true, \"deterministic\": false"),
        run::toString);
    assertTrue(
        run.report().contains("{\"subject\": \"" + out + "\", \"kind\": \"text\", \"line\": 1,"),
        run::toString);
    // The first run's file is committed: one timestamp, as the report's first line says.
    String committed = Files.readString(ws.resolve("out")).strip();
    assertTrue(run.report().contains("\"first\": \"" + committed + "\""), run::toString);
    assertTrue(
        run.report()
            .contains(
                "\"determinism\": \"nondeterministic\", \"nondeterministic_outputs\": [\""
                    + out
                    + "\"]"),
        run::toString);
  }

  @Test
  void aTimestampOnStdoutIsReportedAndTheClientSeesTheOutputOnce() throws Exception {
    CachedRun run = check(List.of(), "date", "+%s%N");

    assertEquals(0, run.exitStatus(), run::toString);
    assertTrue(run.cli().stdout().matches("\\d{19}\n"), run::toString);
    assertTrue(
        Pattern.compile("airlock:   stdout differs at line 1 \\(\"\\d{19}\" vs \"\\d{19}\"\\)\n")
            .matcher(run.cli().stderr())
            .find(),
        run::toString);
    assertTrue(
        run.report().contains("\"first\": \"" + run.cli().stdout().strip() + "\""), run::toString);
  }

  @Test
  void failOnNondeterminismTurnsASuccessIntoExit1() throws Exception {
    CachedRun run = check(List.of("--fail-on-nondeterminism"), "sh", "-c", "date +%s%N > out");

    assertEquals(1, run.exitStatus(), run::toString);
    assertTrue(run.cli().stderr().contains("the action is not deterministic"), run::toString);
  }

  @Test
  void dateAndTimeMacrosInACompileMakeTheObjectDifferAtAnOffset() throws Exception {
    Files.writeString(
        ws.resolve("t.c"), "const char *stamp = \"built \" __DATE__ \" \" __TIME__;\n");

    // __TIME__ has whole seconds: the sleep puts the second run's compile in a later second than
    // the first's, which ended before the second run began.
    CachedRun run = check(List.of(), "sh", "-c", "sleep 1; gcc -c t.c -o t.o");

    assertEquals(0, run.exitStatus(), run::toString);
    String object = ws.resolve("t.o").toString();
    Matcher m =
        Pattern.compile(
                "airlock:   "
                    + Pattern.quote(object)
                    + " differs at byte (\\d+) \\(both (\\d+) bytes\\)\n")
            .matcher(run.cli().stderr());
    assertTrue(m.find(), run::toString);
    assertEquals(Files.size(ws.resolve("t.o")), Long.parseLong(m.group(2)), run::toString);
    assertTrue(
        run.report()
            .contains(
                "{\"subject\": \""
                    + object
                    + "\", \"kind\": \"binary\", \"offset\": "
                    + m.group(1)
                    + ", \"first_size\": "
                    + m.group(2)),
        run::toString);
  }

  @Test
  void aPlainCompileIsDeterministicAndItsEntrySaysSo() throws Exception {
    Files.writeString(ws.resolve("p.c"), "int answer(void) { return 42; }\n");

    CachedRun run = check(List.of(), "gcc", "-c", "p.c", "-o", "p.o");

    assertEquals(0, run.exitStatus(), run::toString);
    assertTrue(
        run.cli()
            .stderr()
            .contains(
                "airlock: gcc: the action is deterministic: two runs on the same inputs left the"
                    + " same outputs\n"),
        run::toString);
    assertTrue(
        run.report()
            .contains(
                "\"determinism\": {\"checked\": true, \"deterministic\": true, \"differences\": []}"),
        run::toString);
    assertTrue(run.report().contains("\"status\": \"stored\""), run::toString);
    assertTrue(run.report().contains("\"determinism\": \"deterministic\""), run::toString);
    assertTrue(Files.isRegularFile(ws.resolve("p.o")));
  }

  @Test
  void aReplayOfANondeterministicEntryAndCacheExplainSayItIsNotDeterministic() throws Exception {
    check(List.of(), "sh", "-c", "date +%s%N > out").cli();
    String out = ws.resolve("out").toString();

    CachedRun replay =
        CachedRun.launch(daemon.fixture(), ws, List.of(), List.of("sh", "-c", "date +%s%N > out"))
            .await();
    CliProcess.Result explain =
        daemon.runCli(
            CachedRun.CLIENT_TIMEOUT,
            "cache",
            "explain",
            "--no-start",
            "--cwd",
            ws.toString(),
            "--",
            "sh",
            "-c",
            "date +%s%N > out");

    replay.assertHit();
    assertTrue(
        replay
            .report()
            .contains(
                "\"determinism\": \"nondeterministic\", \"nondeterministic_outputs\": [\""
                    + out
                    + "\"]"),
        replay::toString);
    assertEquals(0, explain.status(), explain::toString);
    assertTrue(
        explain
            .stdout()
            .contains(
                "; a determinism check found it not deterministic: "
                    + out
                    + " differed between two runs\n"),
        explain::toString);
  }

  @Test
  void aTimeoutDuringTheSecondRunKeepsTheFirstRunsChangesOut(@TempDir Path outside)
      throws Exception {
    // The first run makes a directory outside the workspace (the audit policy writes there in
    // place), so the second run, which finds it, is the one that hangs.
    String once = outside.resolve("once").toString();
    CachedRun run =
        check(
            List.of("--timeout", "3s"),
            "sh",
            "-c",
            "echo made > out; mkdir " + once + " 2>/dev/null || sleep 30");

    assertEquals(124, run.exitStatus(), run::toString);
    assertTrue(Files.isDirectory(outside.resolve("once")), "the first run ran");
    assertTrue(Files.notExists(ws.resolve("out")), "nothing of the first run was committed");
    assertTrue(
        run.cli().stderr().contains("airlock: sh: determinism not checked: the action timed out\n"),
        run::toString);
    assertTrue(
        run.report().contains("\"determinism\": {\"checked\": false, \"deterministic\": false,"),
        run::toString);
  }

  @Test
  void aDeterminismCheckCannotForwardStdin() throws Exception {
    CliProcess.Result run =
        daemon.runCli(
            CachedRun.CLIENT_TIMEOUT,
            "run",
            "--no-start",
            "--cwd",
            ws.toString(),
            "--check-determinism",
            "--stdin",
            "--",
            "cat");

    assertEquals(125, run.status(), run::toString);
    assertEquals(
        "airlock: --check-determinism cannot forward stdin: the second run would not get the same"
            + " input\n",
        run.stderr());
  }

  private CachedRun check(List<String> options, String... command) throws Exception {
    List<String> all = new java.util.ArrayList<>(List.of("--check-determinism"));
    all.addAll(options);
    return CachedRun.launch(daemon.fixture(), ws, all, List.of(command)).await();
  }
}
