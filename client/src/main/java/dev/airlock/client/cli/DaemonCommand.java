package dev.airlock.client.cli;

import dev.airlock.client.DaemonStarter;
import dev.airlock.protocol.AirlockPaths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Unmatched;

/** {@code airlock daemon}: starts airlockd in the background, or runs it in the foreground. */
@Command(
    name = "daemon",
    mixinStandardHelpOptions = true,
    description = {
      "Starts airlockd in the background, unless one runs.",
      "",
      "With --foreground it runs here instead, for systemd and debugging; stop it with Ctrl-C,"
          + " SIGTERM or 'airlock stop'.",
      "",
      "Other options are passed to airlockd: --max-parallel N, --max-queued N, --kill-grace-ms MS,"
          + " --idle-timeout-ms MS, --no-pin-actions."
    })
final class DaemonCommand implements Callable<Integer> {
  @ParentCommand AirlockCli parent;

  @Option(names = "--foreground", description = "Run in the foreground, logging to stderr too.")
  boolean foreground;

  @Unmatched List<String> daemonOptions = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    parent.context().requireOwnProcess("daemon");
    AirlockPaths paths = parent.paths();
    List<String> command = new ArrayList<>(AirlockCli.daemonCommand());
    command.addAll(daemonOptions);
    if (foreground) {
      command.addAll(
          List.of(
              "--log-stderr",
              "--state-dir",
              paths.stateDir().toString(),
              "--socket",
              paths.socket().toString()));
      // The ./airlock script runs airlockd directly for --foreground; this path serves other
      // launchers of the CLI. Signals reach both processes (same process group).
      return new ProcessBuilder(command).inheritIO().start().waitFor();
    }
    boolean started = new DaemonStarter(command, Duration.ofSeconds(30)).ensureRunning(paths);
    parent
        .context()
        .out()
        .println((started ? "airlockd started on " : "airlockd already runs on ") + paths.socket());
    return 0;
  }
}
