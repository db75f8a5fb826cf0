package dev.airlock.client.cli;

import dev.airlock.client.ActionCall;
import dev.airlock.client.AirlockClient;
import dev.airlock.client.DaemonStarter;
import dev.airlock.client.ReportJson;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.AirlockPaths;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.StdinMode;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code airlock run -- CMD...}: runs one command through the daemon and mirrors its status. */
@Command(
    name = "run",
    description = {
      "Runs a command through airlockd, streaming its output, and exits with its status.",
      "Environment: by default only PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*, TERM,"
          + " TZ and TMPDIR are passed; --env-inherit passes everything, --env adds or overrides."
    })
final class RunCommand implements Callable<Integer> {
  /** Variables passed by default: what tools need to behave, nothing that varies by session. */
  static final Set<String> DEFAULT_ENV =
      Set.of(
          "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ", "TMPDIR");

  @ParentCommand AirlockCli parent;

  @Option(names = "--env", paramLabel = "NAME=VALUE", description = "Set a variable (repeatable).")
  List<String> env = List.of();

  @Option(names = "--env-inherit", description = "Pass this shell's whole environment.")
  boolean envInherit;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      description = "Wall-clock limit: 30s, 500ms, 5m, 1h or plain seconds.")
  String timeout;

  @Option(
      names = "--stdin",
      description = "Forward standard input (default: the command reads /dev/null).")
  boolean stdin;

  @Option(names = "--cwd", description = "Working directory (default: the current one).")
  Path cwd;

  @Option(names = "--no-start", description = "Fail instead of starting airlockd when none runs.")
  boolean noStart;

  @Option(
      names = "--report",
      paramLabel = "FILE",
      description =
          "Write the result and every file access as JSON to FILE ('-': stdout, after the command's output).")
  Path report;

  @Option(
      names = "--trace-summary",
      description = "Print the number of accesses of each kind to stderr.")
  boolean traceSummary;

  @Parameters(
      arity = "1..*",
      paramLabel = "COMMAND",
      description = "The command and its arguments (after --).")
  List<String> command;

  @Override
  public Integer call() throws Exception {
    AirlockPaths paths = parent.paths();
    if (!noStart && !AirlockClient.forPaths(paths).isDaemonRunning()) {
      new DaemonStarter(AirlockCli.daemonCommand(), Duration.ofSeconds(30)).ensureRunning(paths);
    }
    ExecuteRequest request =
        ExecuteRequest.newBuilder()
            .addAllArgv(command)
            .putAllEnv(environment())
            .setCwd((cwd == null ? Path.of("") : cwd).toAbsolutePath().normalize().toString())
            .setTimeoutMs(timeout == null ? 0 : Durations.parseMillis(timeout))
            .setStdinMode(stdin ? StdinMode.STDIN_STREAM : StdinMode.STDIN_NULL)
            .build();
    OutputStream out = new FileOutputStream(FileDescriptor.out);
    OutputStream err = new FileOutputStream(FileDescriptor.err);
    try (ActionCall call = AirlockClient.forPaths(paths).execute(request)) {
      SignalForwarder.install(call);
      if (stdin) {
        startStdinForwarder(call);
      }
      ActionResult result = call.awaitResult(out, err);
      if (report != null) {
        String json = ReportJson.format(call.actionId(), command, request.getCwd(), result);
        if (report.toString().equals("-")) {
          out.write(json.getBytes(StandardCharsets.UTF_8));
          out.flush();
        } else {
          Files.writeString(report, json);
        }
      }
      if (traceSummary) {
        TraceSummary.print(result.getAccessReport(), System.err);
      }
      return ExitStatuses.report(result, command.get(0), System.err);
    }
  }

  private Map<String, String> environment() {
    Map<String, String> result = new LinkedHashMap<>();
    System.getenv()
        .forEach(
            (name, value) -> {
              if (envInherit || DEFAULT_ENV.contains(name) || name.startsWith("LC_")) {
                result.put(name, value);
              }
            });
    for (String assignment : env) {
      int eq = assignment.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--env wants NAME=VALUE, got '" + assignment + "'");
      }
      result.put(assignment.substring(0, eq), assignment.substring(eq + 1));
    }
    return result;
  }

  private static void startStdinForwarder(ActionCall call) {
    Thread forwarder =
        new Thread(
            () -> {
              byte[] buffer = new byte[64 * 1024];
              try {
                InputStream in = System.in;
                int n;
                while ((n = in.read(buffer)) > 0) {
                  call.writeStdin(buffer, 0, n);
                }
                call.closeStdin();
              } catch (IOException e) {
                // The action ended or the daemon went away; the result says which.
              }
            },
            "airlock-stdin");
    forwarder.setDaemon(true);
    forwarder.start();
  }
}
