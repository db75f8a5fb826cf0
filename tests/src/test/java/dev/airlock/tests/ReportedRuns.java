package dev.airlock.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code airlock run} in a given workspace with its report kept under a name, so that a test can
 * read the report's "changes" afterwards.
 *
 * @param reports the directory the reports go to (outside every workspace)
 */
record ReportedRuns(DaemonFixture daemon, Path reports) {
  static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

  /** Runs {@code run --no-start --cwd WS --report REPORTS/NAME.json OPTIONS...} to its end. */
  CliProcess.Result run(Path ws, String name, String... options)
      throws IOException, InterruptedException {
    try (CliProcess cli = daemon.cli(args(ws, name, options))) {
      return cli.await(CLIENT_TIMEOUT);
    }
  }

  /** Starts {@code run --no-start --cwd WS --report REPORTS/NAME.json -- COMMAND...}. */
  CliProcess start(Path ws, String name, String... command) throws IOException {
    List<String> options = new ArrayList<>(List.of("--"));
    options.addAll(List.of(command));
    return daemon.cli(args(ws, name, options.toArray(String[]::new)));
  }

  /** The "changes" of the report of run {@code name}. */
  ReportChanges changes(String name) throws IOException {
    return ReportChanges.parse(Files.readString(reports.resolve(name + ".json")));
  }

  private String[] args(Path ws, String name, String... options) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "run",
                "--no-start",
                "--cwd",
                ws.toString(),
                "--report",
                reports.resolve(name + ".json").toString()));
    args.addAll(List.of(options));
    return args.toArray(String[]::new);
  }
}
