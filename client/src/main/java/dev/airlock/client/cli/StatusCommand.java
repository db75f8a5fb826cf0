package dev.airlock.client.cli;

import dev.airlock.client.AirlockClient;
import dev.airlock.client.DaemonUnavailableException;
import dev.airlock.protocol.StatusReply;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code airlock status}: what the daemon is and does. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Shows the daemon's pid, version, uptime, paths and actions.",
      "",
      "Exit status: 0 when a daemon runs, 3 when none does."
    })
final class StatusCommand implements Callable<Integer> {
  static final int EXIT_NOT_RUNNING = 3;

  @ParentCommand AirlockCli parent;

  @Override
  public Integer call() throws Exception {
    AirlockClient client = AirlockClient.forPaths(parent.paths());
    StatusReply s;
    try {
      s = client.status();
    } catch (DaemonUnavailableException e) {
      parent.context().out().println("airlockd is not running (socket " + client.socket() + ")");
      return EXIT_NOT_RUNNING;
    }
    parent
        .context()
        .out()
        .printf(
            "airlockd %s (protocol %d)%n"
                + "  pid:       %d%n"
                + "  uptime:    %s%n"
                + "  socket:    %s%n"
                + "  state dir: %s%n"
                + "  log:       %s%n"
                + "  actions:   %d running, %d queued, %d finished (at most %d in parallel, %d queued)%n"
                + "  sandbox:   %s%n",
            s.getVersion(),
            s.getProtocolVersion(),
            s.getPid(),
            formatUptime(Duration.ofMillis(s.getUptimeMs())),
            s.getSocketPath(),
            s.getStateDir(),
            s.getLogPath(),
            s.getRunningActions(),
            s.getQueuedActions(),
            s.getFinishedActions(),
            s.getMaxParallel(),
            s.getMaxQueued(),
            s.getSandboxFeaturesMap().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(" ")));
    return 0;
  }

  static String formatUptime(Duration d) {
    long s = d.toSeconds();
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return (s / 60) + "m " + (s % 60) + "s";
    }
    return (s / 3600) + "h " + (s % 3600 / 60) + "m";
  }
}
