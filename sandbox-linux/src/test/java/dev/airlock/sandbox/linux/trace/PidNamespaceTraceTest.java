package dev.airlock.sandbox.linux.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.airlock.sandbox.linux.Confinement;
import dev.airlock.sandbox.linux.LaunchSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An action in a pid namespace of its own, traced: it sees only its own processes under a fresh
 * /proc, the launcher's helpers stay out of the record, and the command's end ends the action.
 */
@Timeout(60)
class PidNamespaceTraceTest {
  private static final Confinement PID_NAMESPACE =
      Confinement.namespacesOnly(Confinement.Network.HOST).withPidNamespace(true);

  @TempDir Path dir;

  @BeforeAll
  static void needsNamespaces() throws Exception {
    assumeTrue(
        TraceHarness.launcher().pidNamespaceWorks(),
        "this kernel refuses user or pid namespaces (the daemon falls back without them)");
  }

  private TraceHarness.Run run(String script) throws Exception {
    return TraceHarness.trace(
        new LaunchSpec(List.of("sh", "-c", script), TraceHarness.ENV, dir, false),
        Duration.ofSeconds(30),
        null,
        AccessGuard.ALLOW_ALL,
        PID_NAMESPACE);
  }

  @TraceTest
  void theCommandSeesOnlyItsOwnProcessesAsPidTwoUnderItsInit() throws Exception {
    TraceHarness.Run run =
        // The shell expands the glob itself: no other process exists while /proc is listed.
        run("echo pid=$$; cd /proc && echo [0-9]*");
    assertEquals(0, run.trace().rootStatus().exitCode(), run.toString());
    String[] lines = run.stdout().split("\n");
    assertEquals("pid=2", lines[0], "the init is pid 1, the command pid 2");
    List<String> pids = List.of(lines[1].trim().split(" "));
    assertEquals("1", pids.get(0));
    // The init and sh: a fresh namespace numbers them from 1.
    assertEquals(List.of("1", "2"), pids, "only the action's processes");
    assertFalse(
        pids.contains(Long.toString(ProcessHandle.current().pid())), "the daemon is not visible");
  }

  @TraceTest
  void procSelfIsRecordedAsTheNamespacesNumberingAndTheHelpersAreNotInTheTree() throws Exception {
    TraceHarness.Run run = run("cat /proc/self/status | grep '^NSpid'");
    String nspid = run.stdout().trim().split("\\s+")[1];
    run.assertHas(AccessKind.READ, "/proc/" + nspid + "/status");
    List<TracedProcess> tree = run.processes();
    assertEquals(List.of("sh", "-c"), tree.get(0).argv().subList(0, 2), run.toString());
    assertEquals(0, tree.get(0).parentPid(), "the command is the top of the tree");
    assertTrue(
        tree.stream().noneMatch(p -> p.argv().isEmpty()),
        "no launcher helper: "
            + tree.stream().map(TracedProcess::argv).collect(Collectors.toList()));
  }

  @TraceTest
  void theExitStatusAndADeathBySignalComeThroughTheInit() throws Exception {
    assertEquals(7, run("exit 7").trace().rootStatus().exitCode());
    TraceHarness.Run killed = run("kill -TERM $$");
    assertFalse(killed.trace().rootStatus().exited(), killed.toString());
    assertEquals(15, killed.trace().rootStatus().signal());
  }

  @TraceTest(
      incomparable =
          "how far the background children get before the root's exit kills them is a race in"
              + " either mode")
  void whatTheCommandLeavesRunningEndsWithIt() throws Exception {
    TraceHarness.Run run = run("sleep 600 & sleep 600 & echo started");
    assertEquals("started", run.stdout().trim());
    assertEquals(0, run.trace().rootStatus().exitCode());
    assertTrue(run.elapsed().toSeconds() < 20, "the sleeps were killed: " + run.elapsed());
  }

  @TraceTest
  void aFailedExecIsStillReportedAsTheLaunchFailure() throws Exception {
    TraceHarness.Run run = run("exec /nonexistent/tool");
    assertEquals(127, run.trace().rootStatus().exitCode(), run.toString());
  }
}
