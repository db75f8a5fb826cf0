package dev.airlock.daemon.action;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.cache.CacheStores;
import dev.airlock.daemon.commit.CommitObserver;
import dev.airlock.daemon.commit.WriteTransactions;
import dev.airlock.daemon.policy.ConfinementPlanner;
import dev.airlock.daemon.policy.PolicyResolver;
import dev.airlock.daemon.store.StateDatabase;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CommitMode;
import dev.airlock.protocol.ErrorCode;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import dev.airlock.sandbox.linux.Launcher;
import dev.airlock.sandbox.linux.LauncherBinary;
import dev.airlock.sandbox.linux.LinuxPlatform;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A walkthrough of the action service with real processes and no socket: how an action is accepted,
 * started, streamed and finished, and how queueing, cancelling and timeouts behave.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ActionServiceTest {
  @TempDir Path dir;
  private ActionService service;

  /** Records the events of one action in order. */
  static final class Recorder implements ActionListener {
    final BlockingQueue<ActionEvent> events = new LinkedBlockingQueue<>();

    @Override
    public void deliver(ActionEvent event) {
      events.add(event);
    }

    ActionEvent next() throws InterruptedException {
      ActionEvent event = events.poll(30, TimeUnit.SECONDS);
      if (event == null) {
        throw new AssertionError("no event within 30 s");
      }
      return event;
    }

    /** Reads to the Finished event, collecting stdout. */
    ActionResult finish(ByteArrayOutputStream stdout) throws Exception {
      while (true) {
        ActionEvent event = next();
        if (event.hasOutput()
            && event.getOutput().getStream() == dev.airlock.protocol.OutputStream.STDOUT
            && stdout != null) {
          event.getOutput().getData().writeTo(stdout);
        }
        if (event.hasFinished()) {
          return event.getFinished().getResult();
        }
      }
    }
  }

  private StateDatabase db;

  @BeforeEach
  void start() throws Exception {
    Path state = Files.createDirectories(dir.resolve("state"));
    db = StateDatabase.open(state.resolve("db"));
    service =
        new ActionService(
            new Launcher(LauncherBinary.extractTo(dir.resolve("libexec"))),
            new PolicyResolver(List.of(state), dir),
            // The real kernel layers where this machine has them, as the daemon would.
            new ConfinementPlanner(true, true, LinuxPlatform.probe().landlockAbi()),
            new SharedState(
                WriteTransactions.open(db, state, true, CommitObserver.NONE),
                CacheStores.open(db, state)),
            1,
            1,
            200,
            true,
            // Strict tracing: the walkthrough of the service, not of the fast path.
            Optional.empty());
  }

  @AfterEach
  void stop() throws Exception {
    service.shutdown(5_000);
    service.close();
    db.close();
  }

  private ExecuteRequest sh(String script) {
    return ExecuteRequest.newBuilder()
        .addAllArgv(PathBytes.toWire(List.of("sh", "-c", script)))
        .putEnv("PATH", PathBytes.toWire("/usr/bin:/bin"))
        .setCwd(PathBytes.toWire(dir.toString()))
        .build();
  }

  @Test
  void anActionIsAcceptedStartedStreamedAndFinishedInThatOrder() throws Exception {
    Recorder recorder = new Recorder();
    Action action = service.submit(sh("echo out; exit 4"), recorder);

    ActionEvent accepted = recorder.next();
    assertEquals(action.id(), accepted.getActionId());
    assertEquals(0, accepted.getAccepted().getQueuePosition());
    assertTrue(recorder.next().getStarted().getPid() > 0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ActionResult result = recorder.finish(out);

    assertEquals("out\n", out.toString(StandardCharsets.UTF_8));
    assertEquals(Outcome.COMPLETED, result.getOutcome());
    assertEquals(4, result.getExitCode());
    assertTrue(result.getWallTimeUs() > 0);
    assertEquals(1, service.status().finished());
  }

  @Test
  void actionsBeyondTheParallelLimitQueueAndBeyondTheQueueLimitAreRefused() throws Exception {
    Recorder first = new Recorder();
    service.submit(sh("sleep 30"), first);
    first.next();
    first.next(); // started

    Recorder second = new Recorder();
    Action queued = service.submit(sh("echo never"), second);
    assertEquals(1, second.next().getAccepted().getQueuePosition());
    assertEquals(1, service.status().queued());

    ActionRejectedException refused =
        assertThrows(
            ActionRejectedException.class, () -> service.submit(sh("true"), new Recorder()));
    assertEquals(ErrorCode.QUEUE_FULL, refused.code());
    assertEquals(
        "airlockd's queue is full (1 action waits behind 1 running); retry later or raise"
            + " --max-queued",
        refused.getMessage());

    service.cancel(queued, "not needed", 0);
    ActionResult result = second.finish(null);
    assertEquals(Outcome.CANCELLED, result.getOutcome());
    assertEquals(ActionResult.TerminationCase.TERMINATION_NOT_SET, result.getTerminationCase());
  }

  @Test
  void cancellingARunningActionSignalsItsGroupWithTheGivenSignal() throws Exception {
    Recorder recorder = new Recorder();
    Action action = service.submit(sh("sleep 30"), recorder);
    recorder.next();
    recorder.next();
    service.cancel(action, "cancelled by the client", 2);
    ActionResult result = recorder.finish(null);
    assertEquals(Outcome.CANCELLED, result.getOutcome());
    assertEquals(2, result.getSignal());
    assertEquals("cancelled by the client", result.getMessage());
  }

  @Test
  void aCommandThatIgnoresTheCancelSignalIsKilledAfterTheGracePeriod() throws Exception {
    Recorder recorder = new Recorder();
    Action action =
        service.submit(sh("trap '' TERM; echo ready; while :; do sleep 1; done"), recorder);
    while (!recorder.next().hasOutput()) {
      // wait until the trap is installed
    }
    service.cancel(action, "stop", 15);
    assertEquals(9, recorder.finish(null).getSignal());
  }

  @Test
  void timeoutEndsTheActionAsTimedOut() throws Exception {
    Recorder recorder = new Recorder();
    service.submit(sh("sleep 30").toBuilder().setTimeoutMs(300).build(), recorder);
    ActionResult result = recorder.finish(null);
    assertEquals(Outcome.TIMED_OUT, result.getOutcome());
    assertEquals("timed out after 300ms", result.getMessage());
  }

  @Test
  void invalidRequestsAreRefusedWithTheReason() throws Exception {
    ActionRejectedException empty =
        assertThrows(
            ActionRejectedException.class,
            () ->
                service.submit(
                    ExecuteRequest.newBuilder().setCwd(PathBytes.toWire("/")).build(),
                    new Recorder()));
    assertEquals(ErrorCode.INVALID_REQUEST, empty.code());

    ActionRejectedException relative =
        assertThrows(
            ActionRejectedException.class,
            () ->
                service.submit(
                    sh("true").toBuilder().setCwd(PathBytes.toWire("rel")).build(),
                    new Recorder()));
    assertTrue(relative.getMessage().contains("absolute"), relative.getMessage());

    ActionRejectedException policy =
        assertThrows(
            ActionRejectedException.class,
            () ->
                service.submit(
                    sh("true").toBuilder().setPolicyName("strict").build(), new Recorder()));
    assertEquals(ErrorCode.INVALID_REQUEST, policy.code());
    assertTrue(policy.getMessage().startsWith("no shipped policy named"), policy.getMessage());

    ActionRejectedException workspace =
        assertThrows(
            ActionRejectedException.class,
            () ->
                service.submit(
                    sh("true").toBuilder().setWorkspace(PathBytes.toWire("/nonexistent")).build(),
                    new Recorder()));
    assertEquals(ErrorCode.INVALID_REQUEST, workspace.code());
    assertEquals("the workspace /nonexistent does not exist", workspace.getMessage());

    Path used = Files.createDirectories(dir.resolve("kept-before"));
    Files.writeString(used.resolve("old.txt"), "from an earlier run\n");
    ActionRejectedException keep =
        assertThrows(
            ActionRejectedException.class,
            () ->
                service.submit(
                    sh("exit 1").toBuilder()
                        .setCommitMode(CommitMode.KEEP_FAILED)
                        .setKeepFailedDir(PathBytes.toWire(used.toString()))
                        .build(),
                    new Recorder()));
    assertEquals(ErrorCode.INVALID_REQUEST, keep.code());
    assertEquals(
        "the keep-failed directory "
            + used
            + " is not a new or empty directory; each failed run keeps its changes apart",
        keep.getMessage());
  }

  @Test
  void anEnforcingPolicyRefusesAccessesAndTheActionFailsNamingThem() throws Exception {
    java.nio.file.Files.writeString(dir.resolve("allowed.txt"), "ok\n");
    java.nio.file.Files.writeString(dir.resolve("secret.txt"), "no\n");
    // Only the toolchain and one file of the workspace may be read, nothing may be written.
    String policy =
        "mode: MODE_ENFORCE\n"
            + "readable: [\"/usr\", \"/lib\", \"/lib64\", \"/bin\", \"/etc/ld.so.cache\"]\n"
            + "readable: \"${workspace}/allowed.txt\"\n"
            + "executable: [\"/usr\", \"/bin\"]\n"
            + "writable: \"${workspace}/out\"\n";
    Recorder recorder = new Recorder();
    service.submit(
        sh("cat allowed.txt; cat secret.txt; echo x > elsewhere.txt; echo done").toBuilder()
            .setInlinePolicy(policy)
            .build(),
        recorder);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ActionResult result = recorder.finish(out);
    assertEquals("ok\ndone\n", out.toString(StandardCharsets.UTF_8));
    assertEquals(Outcome.POLICY_VIOLATION, result.getOutcome(), result::toString);
    assertEquals(0, result.getExitCode());
    assertEquals(
        "policy 'inline' denied: read "
            + dir.resolve("secret.txt")
            + ", write "
            + dir.resolve("elsewhere.txt"),
        result.getMessage());
    assertEquals(2, result.getAccessReport().getViolationsCount());
    assertTrue(result.getAccessReport().getViolationsList().stream().allMatch(v -> v.getDenied()));
  }

  @Test
  void theAuditPolicyReportsNothingButHidesTheDaemonsState() throws Exception {
    java.nio.file.Files.createDirectories(dir.resolve("state"));
    java.nio.file.Files.writeString(dir.resolve("state/secret"), "x");
    Recorder recorder = new Recorder();
    service.submit(sh("cat state/secret; echo rc=$?"), recorder);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ActionResult result = recorder.finish(out);
    assertEquals("rc=1\n", out.toString(StandardCharsets.UTF_8));
    assertEquals(Outcome.COMPLETED, result.getOutcome(), "audit mode does not fail the action");
    assertEquals("audit", result.getPolicy());
  }

  @Test
  void shutdownCancelsRunningAndQueuedActionsAndRefusesNewOnes() throws Exception {
    Recorder running = new Recorder();
    service.submit(sh("sleep 30"), running);
    running.next();
    running.next();
    Recorder queued = new Recorder();
    service.submit(sh("sleep 30"), queued);

    assertEquals(2, service.shutdown(10_000));
    assertEquals(Outcome.CANCELLED, running.finish(null).getOutcome());
    assertEquals(Outcome.CANCELLED, queued.finish(null).getOutcome());
    ActionRejectedException late =
        assertThrows(
            ActionRejectedException.class, () -> service.submit(sh("true"), new Recorder()));
    assertEquals(ErrorCode.SHUTTING_DOWN, late.code());
  }
}
