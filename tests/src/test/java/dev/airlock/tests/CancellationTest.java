package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.client.ActionCall;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.Outcome;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cancelling an action (client disconnect, Cancel request, Ctrl-C, timeout) ends its whole process
 * tree, grandchildren included, and reports how it ended.
 */
@Timeout(60)
class CancellationTest {
  private static final Duration TREE_START = Duration.ofSeconds(20);

  /** Far above the daemon's 500 ms kill grace: a tree still alive after this leaked. */
  private static final Duration TREE_DEATH = Duration.ofSeconds(10);

  /** A daemon of its own for each test. */
  @RegisterExtension
  final DaemonExtension daemon = DaemonExtension.started("--kill-grace-ms", "500");

  @Test
  void disconnectingTheClientKillsTheWholeProcessTree() throws Exception {
    ProcessTree tree = ProcessTree.in(daemon.dir());
    long[] pids;
    try (ActionCall call = daemon.client().execute(daemon.request(tree.argv(false)).build())) {
      assertTrue(call.nextEvent().hasAccepted());
      ActionEvent started = call.nextEvent();
      assertTrue(started.hasStarted(), started::toString);
      pids = tree.awaitPids(TREE_START);
    } // closing before the result is a disconnect

    Procs.awaitGone("main, child and grandchild after the client disconnected", TREE_DEATH, pids);
    Procs.awaitEquals(
        "the daemon to count the action as finished",
        TREE_DEATH,
        "0 running, 1 finished",
        this::statusCounts);
  }

  @Test
  void disconnectingEscalatesToSigkillWhenTheTreeIgnoresSigterm() throws Exception {
    ProcessTree tree = ProcessTree.in(daemon.dir());
    long[] pids;
    try (ActionCall call = daemon.client().execute(daemon.request(tree.argv(true)).build())) {
      call.nextEvent();
      call.nextEvent();
      pids = tree.awaitPids(TREE_START);
    }

    Procs.awaitGone("a SIGTERM-ignoring tree after the client disconnected", TREE_DEATH, pids);
  }

  @Test
  void aCancelRequestSendsTheSignalToTheGroupAndReportsCancelled() throws Exception {
    ProcessTree tree = ProcessTree.in(daemon.dir());
    try (ActionCall call = daemon.client().execute(daemon.request(tree.argv(false)).build())) {
      call.nextEvent();
      call.nextEvent();
      long[] pids = tree.awaitPids(TREE_START);

      call.cancel(0);
      ActionResult result =
          call.awaitResult(new ByteArrayOutputStream(), new ByteArrayOutputStream());

      assertEquals(Outcome.CANCELLED, result.getOutcome(), result::toString);
      assertEquals(
          ActionResult.TerminationCase.SIGNAL, result.getTerminationCase(), result::toString);
      assertEquals(15, result.getSignal(), result::toString);
      assertTrue(result.getMessage().contains("cancelled"), result::toString);
      assertNull(call.nextEvent(), "no event after Finished");
      Procs.awaitGone("the tree after a Cancel", TREE_DEATH, pids);
    }
  }

  @Test
  void aCancelIgnoredByTheCommandIsFollowedBySigkillAfterTheGracePeriod() throws Exception {
    ProcessTree tree = ProcessTree.in(daemon.dir());
    try (ActionCall call = daemon.client().execute(daemon.request(tree.argv(true)).build())) {
      call.nextEvent();
      call.nextEvent();
      long[] pids = tree.awaitPids(TREE_START);

      long cancelled = System.nanoTime();
      call.cancel(15);
      ActionResult result =
          call.awaitResult(new ByteArrayOutputStream(), new ByteArrayOutputStream());
      Duration took = Duration.ofNanos(System.nanoTime() - cancelled);

      assertEquals(Outcome.CANCELLED, result.getOutcome(), result::toString);
      assertEquals(9, result.getSignal(), result::toString);
      assertTrue(took.toMillis() >= 400, "SIGKILL came before the 500 ms grace period: " + took);
      assertTrue(
          took.toMillis() < 8_000, "SIGKILL came long after the 500 ms grace period: " + took);
      Procs.awaitGone("the SIGTERM-ignoring tree after the grace period", TREE_DEATH, pids);
    }
  }

  @Test
  void ctrlCOnTheClientInterruptsTheCommandAndExits130() throws Exception {
    ProcessTree tree = ProcessTree.in(daemon.dir());
    try (CliProcess cli = daemon.cli(prepend("run", "--", tree.argv(false)))) {
      long[] pids = tree.awaitPids(TREE_START);

      cli.signal("INT");
      CliProcess.Result r = cli.await(Duration.ofSeconds(20));

      assertEquals(130, r.status(), r::toString);
      assertTrue(r.stderr().contains("airlock: sh: "), r::toString);
      Procs.awaitGone("the tree after Ctrl-C", TREE_DEATH, pids);
    }
  }

  @Test
  void sigtermOnTheClientIsForwardedAndExits143() throws Exception {
    ProcessTree tree = ProcessTree.in(daemon.dir());
    try (CliProcess cli = daemon.cli(prepend("run", "--", tree.argv(false)))) {
      long[] pids = tree.awaitPids(TREE_START);

      cli.signal("TERM");
      CliProcess.Result r = cli.await(Duration.ofSeconds(20));

      assertEquals(143, r.status(), r::toString);
      Procs.awaitGone("the tree after SIGTERM to the client", TREE_DEATH, pids);
    }
  }

  @Test
  void aTimeoutKillsTheTreeAndExits124() throws Exception {
    ProcessTree tree = ProcessTree.in(daemon.dir());
    try (CliProcess cli = daemon.cli(prepend("run", "--timeout", "1s", "--", tree.argv(false)))) {
      long[] pids = tree.awaitPids(TREE_START);

      CliProcess.Result r = cli.await(Duration.ofSeconds(30));

      assertEquals(124, r.status(), r::toString);
      assertEquals("airlock: sh: timed out after 1s\n", r.stderr(), r::toString);
      assertTrue(r.elapsed().toMillis() >= 1_000, "ended before the timeout: " + r.elapsed());
      assertTrue(r.elapsed().toMillis() < 15_000, "the 1s timeout took " + r.elapsed());
      Procs.awaitGone("the tree after the timeout", TREE_DEATH, pids);
    }
  }

  @Test
  void aTimeoutOfSleep30EndsItWithin30Seconds() throws Exception {
    CliProcess.Result r =
        daemon.runCli(Duration.ofSeconds(30), "run", "--timeout", "1s", "--", "sleep", "30");

    assertEquals(124, r.status(), r::toString);
    assertTrue(r.stderr().contains("timed out"), r::toString);
    assertTrue(r.elapsed().toMillis() < 15_000, "took " + r.elapsed());
  }

  @Test
  void aTimeoutThroughTheLibraryReportsTimedOut() throws Exception {
    try (ActionCall call =
        daemon.client().execute(daemon.request("sleep", "30").setTimeoutMs(300).build())) {
      ActionResult result =
          call.awaitResult(new ByteArrayOutputStream(), new ByteArrayOutputStream());

      assertNotNull(result);
      assertEquals(Outcome.TIMED_OUT, result.getOutcome(), result::toString);
      assertEquals(15, result.getSignal(), result::toString);
      assertEquals("timed out after 300ms", result.getMessage());
    }
  }

  private String statusCounts() {
    try {
      var s = daemon.client().status();
      return s.getRunningActions() + " running, " + s.getFinishedActions() + " finished";
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  private static String[] prepend(String a, String b, String[] rest) {
    String[] all = new String[rest.length + 2];
    all[0] = a;
    all[1] = b;
    System.arraycopy(rest, 0, all, 2, rest.length);
    return all;
  }

  private static String[] prepend(String a, String b, String c, String d, String[] rest) {
    String[] all = new String[rest.length + 4];
    all[0] = a;
    all[1] = b;
    all[2] = c;
    all[3] = d;
    System.arraycopy(rest, 0, all, 4, rest.length);
    return all;
  }
}
