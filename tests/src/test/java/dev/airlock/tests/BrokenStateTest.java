package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon whose state was damaged while it was down (a truncated LMDB file, a blob changed on
 * disk) starts, says what it found, and never serves a corrupt result: the action runs again and
 * its result is right.
 */
@Timeout(120)
class BrokenStateTest {
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);
  private static final String SCRIPT = "printf 'made from %s' \"$(cat in.txt)\" > out.txt";

  @TempDir Path dir;

  private Path workspace() throws Exception {
    Path ws = Files.createDirectories(dir.resolve("ws"));
    Files.writeString(ws.resolve("in.txt"), "the input");
    return ws;
  }

  private static CliProcess.Result build(DaemonFixture daemon, Path ws) throws Exception {
    Files.deleteIfExists(ws.resolve("out.txt"));
    return daemon.runCli(
        CLIENT_TIMEOUT,
        "run",
        "--no-start",
        "--trace-summary",
        "--cwd",
        ws.toString(),
        "--",
        "sh",
        "-c",
        SCRIPT);
  }

  @Test
  void aTruncatedStateDatabaseIsSetAsideSaidAndTheActionRunsAgain() throws Exception {
    Path ws = workspace();
    try (DaemonFixture daemon = DaemonFixture.start(dir)) {
      CliProcess.Result first = build(daemon, ws);
      assertEquals(0, first.status(), first::toString);
      // Enough entries that the file spans pages well past its meta pages.
      for (int i = 0; i < 8; i++) {
        CliProcess.Result r =
            daemon.runCli(
                CLIENT_TIMEOUT,
                "run",
                "--no-start",
                "--cwd",
                ws.toString(),
                "--",
                "sh",
                "-c",
                "echo " + i + " > n" + i);
        assertEquals(0, r.status(), r::toString);
      }
    }
    Path data = dir.resolve("state/db/data.mdb");
    long size = Files.size(data);
    try (FileChannel c = FileChannel.open(data, StandardOpenOption.WRITE)) {
      c.truncate(8192 + (size - 8192) / 3);
    }

    try (DaemonFixture restarted = DaemonFixture.start(dir)) {
      String log = Files.readString(restarted.stateDir().resolve("logs/airlockd.log.0"));
      assertTrue(log.contains("is broken (it is cut short"), log);
      CliProcess.Result again = build(restarted, ws);
      assertEquals(0, again.status(), again::toString);
      assertTrue(
          !again.stderr().contains("replayed"), "the entry went with the database: " + again);
      assertEquals("made from the input", Files.readString(ws.resolve("out.txt")));
      CliProcess.Result replay = build(restarted, ws);
      assertTrue(replay.stderr().contains("replayed"), "cached again: " + replay);
    }
  }

  @Test
  void aBlobChangedOnDiskIsNeverReplayed() throws Exception {
    Path ws = workspace();
    try (DaemonFixture daemon = DaemonFixture.start(dir)) {
      assertEquals(0, build(daemon, ws).status());
      byte[] out = "made from the input".getBytes(StandardCharsets.UTF_8);
      String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(out));
      Path blob = dir.resolve("state/cas").resolve(hex.substring(0, 2)).resolve(hex.substring(2));
      assertTrue(Files.exists(blob), "the output is stored at " + blob);
      blob.toFile().setWritable(true);
      Files.writeString(blob, "made from the inpvt");

      CliProcess.Result again = build(daemon, ws);

      assertEquals(0, again.status(), again::toString);
      assertEquals("made from the input", Files.readString(ws.resolve("out.txt")));
      String log = Files.readString(daemon.stateDir().resolve("logs/airlockd.log.0"));
      assertTrue(log.toLowerCase().contains("corrupt"), log);
    }
  }
}
