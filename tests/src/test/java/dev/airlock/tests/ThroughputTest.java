package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.client.ActionCall;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.OutputChunk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Large outputs: integrity of both streams, and bounded daemon memory with a slow reader. */
@Timeout(120)
class ThroughputTest {
  private static final int MIB = 1 << 20;

  /** A daemon of its own for each test. */
  @RegisterExtension final DaemonExtension daemon = DaemonExtension.started();

  @Test
  void hundredMegabytesOfInterleavedStdoutAndStderrArriveIntact() throws Exception {
    int rounds = 50;
    byte[] outBlock = randomBytes(MIB, 1);
    byte[] errBlock = randomBytes(MIB, 2);
    Path outFile = Files.write(daemon.dir().resolve("out.bin"), outBlock);
    Path errFile = Files.write(daemon.dir().resolve("err.bin"), errBlock);
    MessageDigest expectedOut = sha256();
    MessageDigest expectedErr = sha256();
    for (int i = 0; i < rounds; i++) {
      expectedOut.update(outBlock);
      expectedErr.update(errBlock);
    }

    MessageDigest out = sha256();
    MessageDigest err = sha256();
    long outBytes = 0;
    long errBytes = 0;
    int streamSwitches = 0;
    dev.airlock.protocol.OutputStream last = null;
    ActionResult result = null;
    long start = System.nanoTime();
    try (ActionCall call =
        daemon
            .client()
            .execute(
                daemon
                    .request(
                        "sh",
                        "-c",
                        "i=0; while [ $i -lt "
                            + rounds
                            + " ]; do cat \"$1\"; cat \"$2\" >&2; i=$((i+1)); done",
                        "sh",
                        outFile.toString(),
                        errFile.toString())
                    .build())) {
      ActionEvent event;
      while ((event = call.nextEvent()) != null) {
        if (event.hasOutput()) {
          OutputChunk chunk = event.getOutput();
          byte[] data = chunk.getData().toByteArray();
          if (chunk.getStream() == dev.airlock.protocol.OutputStream.STDERR) {
            err.update(data);
            errBytes += data.length;
          } else {
            out.update(data);
            outBytes += data.length;
          }
          if (last != null && chunk.getStream() != last) {
            streamSwitches++;
          }
          last = chunk.getStream();
        } else if (event.hasFinished()) {
          result = event.getFinished().getResult();
        }
      }
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertEquals(Outcome.COMPLETED, result.getOutcome(), result::toString);
    assertEquals(0, result.getExitCode(), result::toString);
    assertEquals((long) rounds * MIB, outBytes, "stdout bytes");
    assertEquals((long) rounds * MIB, errBytes, "stderr bytes");
    assertEquals(hex(expectedOut), hex(out), "stdout SHA-256");
    assertEquals(hex(expectedErr), hex(err), "stderr SHA-256");
    assertTrue(
        streamSwitches >= rounds,
        "the streams should arrive interleaved as written, but switched only "
            + streamSwitches
            + " times");
    assertTrue(took.toSeconds() < 30, "100 MB took " + took);
  }

  @Test
  void aClientThatDoesNotReadBlocksTheCommandInsteadOfGrowingTheDaemon() throws Exception {
    long total = 200L * MIB;
    // Warm up: the daemon's heap grows to its working size while it pumps output normally, so
    // that what follows measures buffering, not a young JVM's first allocations.
    try (ActionCall warmUp =
        daemon
            .client()
            .execute(daemon.request("head", "-c", Long.toString(50L * MIB), "/dev/zero").build())) {
      ZeroCounter out = new ZeroCounter();
      warmUp.awaitResult(out, new ZeroCounter());
      assertEquals(50L * MIB, out.count);
    }
    try (ActionCall call =
        daemon
            .client()
            .execute(daemon.request("head", "-c", Long.toString(total), "/dev/zero").build())) {
      assertTrue(call.nextEvent().hasAccepted());
      ActionEvent started = call.nextEvent();
      assertTrue(started.hasStarted(), started::toString);
      long commandPid = started.getStarted().getPid();
      long baseline = Procs.rssBytes(daemon.pid());

      // Read nothing for three seconds, watching the daemon's memory meanwhile.
      long maxRss = baseline;
      long pauseEnd = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < pauseEnd) {
        maxRss = Math.max(maxRss, Procs.rssBytes(daemon.pid()));
        Thread.sleep(50);
      }
      long written = Procs.bytesWritten(commandPid);

      assertTrue(
          !Procs.isGone(commandPid),
          "the command should be blocked on its output pipe, but it has ended");
      assertTrue(
          written < 32L * MIB,
          "the daemon absorbed "
              + written / MIB
              + " MiB from a command whose client reads nothing");
      assertTrue(
          maxRss - baseline < 100L * MIB,
          "the daemon's RSS grew by "
              + (maxRss - baseline) / MIB
              + " MiB while its client did not read");

      ZeroCounter out = new ZeroCounter();
      ZeroCounter errOut = new ZeroCounter();
      ActionResult result = call.awaitResult(out, errOut);

      assertEquals(Outcome.COMPLETED, result.getOutcome(), result::toString);
      assertEquals(0, result.getExitCode(), result::toString);
      assertEquals(total, out.count, "stdout bytes after reading resumed");
      assertEquals(0, out.nonZero, "stdout should be all zero bytes");
      assertEquals(0, errOut.count, "stderr bytes");
    }
  }

  /** Counts bytes, and the ones that are not zero. */
  private static final class ZeroCounter extends java.io.OutputStream {
    long count;
    long nonZero;

    @Override
    public void write(int b) {
      count++;
      if (b != 0) {
        nonZero++;
      }
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
      for (int i = off; i < off + len; i++) {
        if (b[i] != 0) {
          nonZero++;
        }
      }
    }
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] bytes = new byte[n];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static MessageDigest sha256() throws NoSuchAlgorithmException {
    return MessageDigest.getInstance("SHA-256");
  }

  private static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }
}
