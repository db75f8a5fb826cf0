package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code airlock cache verify} end to end: recorded actions run again on a discarded layer and are
 * found consistent, nondeterministic (what differs) or skipped (inputs changed); a blob that no
 * longer matches its digest is found; the workspace is never touched.
 */
@Timeout(120)
class CacheVerifyTest {
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(90);

  /** A daemon per test: each test knows every entry of its cache. */
  @RegisterExtension final DaemonExtension daemon = DaemonExtension.started();

  @TempDir Path ws;

  @Test
  void findsConsistentNondeterministicAndCorruptEntriesAndLeavesTheWorkspaceAlone()
      throws Exception {
    Files.writeString(ws.resolve("in.txt"), "hello\n");
    record(List.of("sh", "-c", "cat in.txt > copy.txt"));
    record(List.of("sh", "-c", "date +%s%N > stamp"));
    record(List.of("sh", "-c", "printf corruptme > c.txt"));
    Path blob = casPath("corruptme".getBytes(StandardCharsets.US_ASCII));
    assertTrue(Files.exists(blob), "the output is stored at " + blob);
    blob.toFile().setWritable(true);
    Files.writeString(blob, "corruptm3");
    TreeSnapshot before = TreeSnapshot.of(ws);

    CliProcess.Result verify = daemon.runCli(CLIENT_TIMEOUT, "cache", "verify");

    assertEquals(1, verify.status(), verify::toString);
    String out = verify.stdout();
    assertTrue(
        Pattern.compile("(?m)^consistent: sh -c 'cat in.txt > copy.txt' \\(action [^)]+\\)$")
            .matcher(out)
            .find(),
        verify::toString);
    assertTrue(
        Pattern.compile(
                "(?m)^nondeterministic: sh -c 'date \\+%s%N > stamp' \\(action [^)]+\\): "
                    + Pattern.quote(ws.resolve("stamp").toString())
                    + " differs at line 1 \\(\"\\d{19}\" vs \"\\d{19}\"\\)$")
            .matcher(out)
            .find(),
        verify::toString);
    assertTrue(
        Pattern.compile(
                "(?m)^corrupt blob: sh -c 'printf corruptme > c.txt' \\(action [^)]+\\): blob"
                    + " sha256:[0-9a-f]{12}\\.\\.\\. \\("
                    + Pattern.quote(ws.resolve("c.txt").toString())
                    + "\\) no longer matches its digest$")
            .matcher(out)
            .find(),
        verify::toString);
    assertTrue(
        out.endsWith(
            "verified 3 entries: 1 consistent, 1 nondeterministic, 1 corrupt blob, 0 skipped\n"),
        verify::toString);
    assertEquals(before, TreeSnapshot.of(ws), "cache verify changed the workspace");
    assertEquals("corruptm3", Files.readString(blob), "verify leaves the store as it found it");
  }

  @Test
  void anEntryWhoseInputChangedIsSkippedAndConsistentOnesExit0() throws Exception {
    Files.writeString(ws.resolve("in.txt"), "hello\n");
    Files.writeString(ws.resolve("other.txt"), "one\n");
    record(List.of("sh", "-c", "cat in.txt > copy.txt"));
    record(List.of("sh", "-c", "cat other.txt > other.out"));
    Files.writeString(ws.resolve("other.txt"), "two\n");

    CliProcess.Result verify = daemon.runCli(CLIENT_TIMEOUT, "cache", "verify");

    assertEquals(0, verify.status(), verify::toString);
    assertTrue(
        Pattern.compile(
                "(?m)^skipped: sh -c 'cat other.txt > other.out' \\(action [^)]+\\): its inputs"
                    + " changed since it was recorded")
            .matcher(verify.stdout())
            .find(),
        verify::toString);
    assertTrue(
        verify
            .stdout()
            .endsWith(
                "verified 2 entries: 1 consistent, 0 nondeterministic, 0 corrupt blob, 1 skipped\n"),
        verify::toString);
    assertEquals("one\n", Files.readString(ws.resolve("other.out")));
  }

  @Test
  void aRecordedFailureIsConsistentWhenItFailsAlikeThoughItsWritesWereNeverKept() throws Exception {
    CachedRun failed =
        CachedRun.launch(
                daemon.fixture(),
                ws,
                List.of("--cache-failures"),
                List.of("sh", "-c", "echo partial > half.txt; echo broke >&2; exit 3"))
            .await();
    assertEquals(3, failed.exitStatus(), failed::toString);
    failed.assertRecorded();

    CliProcess.Result verify = daemon.runCli(CLIENT_TIMEOUT, "cache", "verify");

    assertEquals(0, verify.status(), verify::toString);
    assertTrue(
        verify
            .stdout()
            .endsWith(
                "verified 1 entry: 1 consistent, 0 nondeterministic, 0 corrupt blob, 0 skipped\n"),
        verify::toString);
    assertTrue(Files.notExists(ws.resolve("half.txt")));
  }

  @Test
  void sampleVerifiesThatManyEntries() throws Exception {
    Files.writeString(ws.resolve("in.txt"), "hello\n");
    record(List.of("sh", "-c", "cat in.txt > a.txt"));
    record(List.of("sh", "-c", "cat in.txt > b.txt"));
    record(List.of("sh", "-c", "cat in.txt > c.txt"));

    CliProcess.Result verify = daemon.runCli(CLIENT_TIMEOUT, "cache", "verify", "--sample", "2");

    assertEquals(0, verify.status(), verify::toString);
    assertTrue(
        verify
            .stdout()
            .endsWith(
                "verified 2 entries: 2 consistent, 0 nondeterministic, 0 corrupt blob, 0 skipped\n"),
        verify::toString);
  }

  private void record(List<String> command) throws Exception {
    CachedRun run = CachedRun.launch(daemon.fixture(), ws, List.of(), command).await();
    run.assertRecorded();
  }

  private Path casPath(byte[] content) throws Exception {
    String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    return daemon.stateDir().resolve("cas").resolve(hex.substring(0, 2)).resolve(hex.substring(2));
  }
}
