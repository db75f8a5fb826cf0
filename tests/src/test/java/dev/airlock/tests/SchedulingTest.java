package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.client.ActionCall;
import dev.airlock.client.DaemonErrorException;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.ErrorCode;
import dev.airlock.protocol.Outcome;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Many actions at once: parallel limit, queue limit, and cancelling a queued action. */
@Timeout(90)
class SchedulingTest {
  @TempDir Path dir;

  private record Outputs(int index, ActionResult result, String stdout, String stderr) {}

  @Test
  void twentyParallelActionsEachGetExactlyTheirOwnOutputAndExitCode() throws Exception {
    int actions = 20;
    int lines = 2_000;
    try (DaemonFixture daemon = DaemonFixture.start(dir, "--max-parallel", "4")) {
      ExecutorService pool = Executors.newFixedThreadPool(actions);
      try {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Outputs>> futures = new ArrayList<>();
        for (int i = 0; i < actions; i++) {
          int index = i;
          futures.add(
              pool.submit(
                  () -> {
                    go.await();
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    ByteArrayOutputStream err = new ByteArrayOutputStream();
                    try (ActionCall call =
                        daemon
                            .client()
                            .execute(
                                daemon
                                    .request(
                                        "sh",
                                        "-c",
                                        "i=0; while [ $i -lt $2 ]; do echo \"action $1 line $i\";"
                                            + " i=$((i+1)); done; echo \"done $1\" >&2; exit $(($1 + 1))",
                                        "sh",
                                        Integer.toString(index),
                                        Integer.toString(lines))
                                    .build())) {
                      ActionResult result = call.awaitResult(out, err);
                      return new Outputs(
                          index,
                          result,
                          out.toString(StandardCharsets.UTF_8),
                          err.toString(StandardCharsets.UTF_8));
                    }
                  }));
        }
        go.countDown();
        for (Future<Outputs> future : futures) {
          Outputs o = future.get(60, TimeUnit.SECONDS);
          StringBuilder expected = new StringBuilder();
          for (int line = 0; line < lines; line++) {
            expected.append("action ").append(o.index()).append(" line ").append(line).append('\n');
          }
          assertEquals(Outcome.COMPLETED, o.result().getOutcome(), o.result()::toString);
          assertEquals(o.index() + 1, o.result().getExitCode(), "exit code of action " + o.index());
          assertTrue(
              expected.toString().equals(o.stdout()),
              "action "
                  + o.index()
                  + " got someone else's or incomplete stdout ("
                  + o.stdout().length()
                  + " chars, expected "
                  + expected.length()
                  + ")");
          assertEquals("done " + o.index() + "\n", o.stderr(), "stderr of action " + o.index());
        }
      } finally {
        pool.shutdownNow();
      }
      var status = daemon.client().status();
      assertEquals(actions, status.getFinishedActions());
      assertEquals(0, status.getRunningActions());
      assertEquals(4, status.getMaxParallel());
    }
  }

  @Test
  void beyondTheQueueLimitRequestsAreRefusedAndACancelledQueuedActionNeverStarts()
      throws Exception {
    Path marker = dir.resolve("queued-action-ran");
    try (DaemonFixture daemon =
            DaemonFixture.start(dir, "--max-parallel", "1", "--max-queued", "1");
        ActionCall running = daemon.client().execute(daemon.request("sleep", "300").build())) {
      ActionEvent accepted = running.nextEvent();
      assertEquals(0, accepted.getAccepted().getQueuePosition(), accepted::toString);
      assertTrue(running.nextEvent().hasStarted());

      try (ActionCall queued =
          daemon.client().execute(daemon.request("touch", marker.toString()).build())) {
        assertTrue(queued.nextEvent().hasAccepted());
        Procs.awaitEquals(
            "the daemon to report one running and one queued action",
            Duration.ofSeconds(10),
            "1 running, 1 queued",
            () -> counts(daemon));

        DaemonErrorException refused =
            assertThrows(
                DaemonErrorException.class,
                () -> {
                  try (ActionCall third = daemon.client().execute(daemon.request("true").build())) {
                    third.nextEvent();
                  }
                });
        assertEquals(ErrorCode.QUEUE_FULL, refused.code(), refused::getMessage);

        queued.cancel(0);
        ActionEvent next = queued.nextEvent();
        assertTrue(
            next.hasFinished(), "a cancelled queued action must finish without starting: " + next);
        ActionResult result = next.getFinished().getResult();
        assertEquals(Outcome.CANCELLED, result.getOutcome(), result::toString);
        assertEquals(ActionResult.TerminationCase.TERMINATION_NOT_SET, result.getTerminationCase());
        assertNull(queued.nextEvent());
      }
      assertEquals("1 running, 0 queued", counts(daemon));
      assertFalse(Files.exists(marker), "the cancelled queued action ran");
    }
  }

  @Test
  void aQueuedActionIsAcceptedWithItsQueuePosition() throws Exception {
    try (DaemonFixture daemon =
            DaemonFixture.start(dir, "--max-parallel", "1", "--max-queued", "4");
        ActionCall running = daemon.client().execute(daemon.request("sleep", "300").build())) {
      assertEquals(0, running.nextEvent().getAccepted().getQueuePosition());
      assertTrue(running.nextEvent().hasStarted());

      try (ActionCall queued = daemon.client().execute(daemon.request("true").build())) {
        ActionEvent accepted = queued.nextEvent();

        assertEquals(1, accepted.getAccepted().getQueuePosition(), accepted::toString);
      }
    }
  }

  @Test
  void aQueuedActionStartsWhenASlotFrees() throws Exception {
    // Outside the workspace, which the action sees through a copy-on-write overlay.
    Path release = Files.createTempDirectory("airlock-release-").resolve("release-first");
    try (DaemonFixture daemon = DaemonFixture.start(dir, "--max-parallel", "1");
        ActionCall first =
            daemon
                .client()
                .execute(
                    daemon
                        .request(
                            "sh",
                            "-c",
                            "while [ ! -e \"$1\" ]; do sleep 0.02; done",
                            "sh",
                            release.toString())
                        .build())) {
      // Connections are served by several event-loop threads: only once the first action has
      // started is the second certain to queue behind it.
      assertTrue(first.nextEvent().hasAccepted());
      assertTrue(first.nextEvent().hasStarted());
      try (ActionCall second = daemon.client().execute(daemon.request("echo", "second").build())) {
        assertTrue(second.nextEvent().hasAccepted());
        Procs.awaitEquals(
            "the second action to wait in the queue",
            Duration.ofSeconds(10),
            "1 running, 1 queued",
            () -> counts(daemon));

        Files.createFile(release);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ActionResult secondResult = second.awaitResult(out, new ByteArrayOutputStream());
        ActionResult firstResult =
            first.awaitResult(new ByteArrayOutputStream(), new ByteArrayOutputStream());

        assertEquals(Outcome.COMPLETED, firstResult.getOutcome());
        assertEquals(Outcome.COMPLETED, secondResult.getOutcome());
        assertEquals("second\n", out.toString(StandardCharsets.UTF_8));
      }
    }
  }

  private static String counts(DaemonFixture daemon) {
    try {
      var s = daemon.client().status();
      return s.getRunningActions() + " running, " + s.getQueuedActions() + " queued";
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
