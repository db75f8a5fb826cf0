package dev.airlock.client.cli;

import dev.airlock.client.AirlockClient;
import dev.airlock.client.DaemonUnavailableException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code airlock stop}: graceful shutdown. */
@Command(
    name = "stop",
    mixinStandardHelpOptions = true,
    description = {
      "Stops the daemon gracefully.",
      "",
      "Running and queued actions are cancelled, and their clients are told so."
    })
final class StopCommand implements Callable<Integer> {
  private static final long WAIT_FOR_EXIT_MS = 15_000;

  @ParentCommand AirlockCli parent;

  @Override
  public Integer call() throws Exception {
    // It waits for the daemon to exit: the daemon cannot run it.
    parent.context().requireOwnProcess("stop");
    AirlockClient client = AirlockClient.forPaths(parent.paths());
    int cancelled;
    try {
      cancelled = client.shutdown();
    } catch (DaemonUnavailableException e) {
      parent.context().out().println("airlockd is not running");
      return 0;
    }
    // The reply comes before the socket closes; wait so that a following start finds it free.
    long deadline = System.currentTimeMillis() + WAIT_FOR_EXIT_MS;
    while (client.isDaemonRunning() && System.currentTimeMillis() < deadline) {
      Thread.sleep(10);
    }
    // Running and queued actions alike: the daemon counts every action it cancelled.
    parent
        .context()
        .out()
        .println(
            "airlockd stopped"
                + (cancelled == 0
                    ? ""
                    : " ("
                        + cancelled
                        + (cancelled == 1 ? " action" : " actions")
                        + " cancelled)"));
    return 0;
  }
}
