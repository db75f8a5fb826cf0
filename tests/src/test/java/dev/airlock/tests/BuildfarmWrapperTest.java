package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code airlock run --policy build --env-inherit --cache off --} as a buildfarm execution wrapper:
 * the worker starts it in the action's exec directory with the action's environment and the
 * action's argv appended, reads the exit status, collects outputs from the exec directory, and
 * kills the wrapper on a timeout. Each of those must reach the action (or come back from it).
 */
@Timeout(90)
class BuildfarmWrapperTest {
  /** The wrapper as docs/reapi.md configures it in buildfarm's execution policy. */
  private static final List<String> WRAPPER =
      List.of("run", "--policy", "build", "--env-inherit", "--cache", "off", "--");

  @RegisterExtension
  final DaemonExtension daemon = DaemonExtension.started("--kill-grace-ms", "500");

  /** Starts the wrapper the way a buildfarm worker does: cwd and environment are the action's. */
  private CliProcess wrap(Path execDir, Map<String, String> env, String... argv)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                DaemonFixture.AIRLOCK.toString(),
                "--socket",
                daemon.socket().toString(),
                "--state-dir",
                daemon.stateDir().toString()));
    command.addAll(WRAPPER);
    command.addAll(List.of(argv));
    Map<String, String> full = DaemonFixture.cliEnvironment();
    full.putAll(env);
    return CliProcess.start(command, full, execDir, null);
  }

  private Path execDir(String name) throws IOException {
    Path exec = Files.createDirectories(daemon.dir().resolve("exec/" + name));
    Files.writeString(exec.resolve("in.txt"), "input of the action\n");
    Files.createDirectories(exec.resolve("out"));
    return exec;
  }

  @Test
  void cwdAndEnvironmentPassThroughAndOutputsLandInPlace() throws Exception {
    Path exec = execDir("op1");
    CliProcess.Result r =
        wrap(
                exec,
                Map.of("ACTION_FLAVOUR", "salted", "BAZEL_TEST_VAR", "x y"),
                "sh",
                "-c",
                "pwd; echo \"$ACTION_FLAVOUR/$BAZEL_TEST_VAR\";"
                    + " tr a-z A-Z < in.txt > out/upper.txt; echo err >&2")
            .await(Duration.ofSeconds(60));
    assertEquals(0, r.status(), r::toString);
    assertEquals(exec + "\nsalted/x y\n", r.stdout(), r::toString);
    assertTrue(r.stderr().contains("err\n"), r::toString);
    assertEquals("INPUT OF THE ACTION\n", Files.readString(exec.resolve("out/upper.txt")));
  }

  @Test
  void theExitStatusIsMirrored() throws Exception {
    Path exec = execDir("op2");
    assertEquals(
        3, wrap(exec, Map.of(), "sh", "-c", "exit 3").await(Duration.ofSeconds(60)).status());
    assertEquals(
        137, wrap(exec, Map.of(), "sh", "-c", "kill -9 $$").await(Duration.ofSeconds(60)).status());
    CliProcess.Result missing =
        wrap(exec, Map.of(), "./no-such-tool").await(Duration.ofSeconds(60));
    assertEquals(127, missing.status(), missing::toString);
  }

  @Test
  void killingTheWrapperKillsTheActionsTree() throws Exception {
    for (String signal : List.of("TERM", "KILL")) {
      Path exec = execDir("kill-" + signal);
      ProcessTree tree = ProcessTree.in(exec);
      try (CliProcess cli = wrap(exec, Map.of(), tree.argv(false))) {
        long[] pids = tree.awaitPids(Duration.ofSeconds(20));
        cli.signal(signal);
        cli.await(Duration.ofSeconds(20));
        Procs.awaitGone(
            "the tree after SIG" + signal + " to the wrapper", Duration.ofSeconds(10), pids);
      }
    }
  }
}
