package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code airlock run --report FILE} and what its JSON report says about the cache: "hit"
 * (replayed), "stored" (ran, then recorded), "miss", "skipped" or "disabled".
 */
record CachedRun(CliProcess.Result cli, String report) {
  static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

  private static final Pattern STATUS = Pattern.compile("\"cache\": \\{\"status\": \"([a-z]+)\"");
  private static final Pattern SOURCE = Pattern.compile("\"source_action\": \"([^\"]+)\"");

  /** A started {@code airlock run} and the file its report goes to. */
  record Started(CliProcess cli, Path reportFile) {
    /** Waits for the client; the report is "" when it wrote none. */
    CachedRun await() throws IOException, InterruptedException {
      CliProcess.Result result = cli.await(CLIENT_TIMEOUT);
      String json = Files.exists(reportFile) ? Files.readString(reportFile) : "";
      Files.deleteIfExists(reportFile);
      return new CachedRun(result, json);
    }
  }

  /**
   * Starts {@code command} in {@code cwd} through the CLI with {@code options} (never starting a
   * daemon of its own); the report goes to a file outside the workspace.
   */
  static Started launch(DaemonFixture daemon, Path cwd, List<String> options, List<String> command)
      throws IOException {
    Path report = Files.createTempFile(daemon.dir(), "report-", ".json");
    // The client writes the report only at the end: its absence then says it wrote none.
    Files.delete(report);
    List<String> args = new ArrayList<>(List.of("run", "--no-start", "--cwd", cwd.toString()));
    args.addAll(List.of("--report", report.toString()));
    args.addAll(options);
    args.add("--");
    args.addAll(command);
    return new Started(daemon.cli(args.toArray(String[]::new)), report);
  }

  /** The cache status in the report, "" when there is no report. */
  String status() {
    Matcher m = STATUS.matcher(report);
    return m.find() ? m.group(1) : "";
  }

  /** The action whose recorded result a hit replayed, "" for anything but a hit. */
  String sourceAction() {
    Matcher m = SOURCE.matcher(report);
    return m.find() ? m.group(1) : "";
  }

  int exitStatus() {
    return cli.status();
  }

  /** Replayed from the cache: the command did not run. */
  CachedRun assertHit() {
    assertEquals("hit", status(), this::toString);
    assertFalse(sourceAction().isEmpty(), "a hit names the action it replays: " + this);
    return this;
  }

  /** Not served from the cache: the command ran, and its result was recorded. */
  CachedRun assertRecorded() {
    assertEquals("stored", status(), this::toString);
    assertEquals("", sourceAction(), this::toString);
    return this;
  }

  CachedRun assertExit(int status) {
    assertEquals(status, cli.status(), this::toString);
    return this;
  }

  @Override
  public String toString() {
    // The accesses (hundreds for a compile) say nothing about the cache.
    int accesses = report.indexOf("\"accesses\"");
    return cli + ", report <" + (accesses < 0 ? report : report.substring(0, accesses)) + "...>";
  }
}
