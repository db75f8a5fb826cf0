package dev.airlock.client.cli;

import dev.airlock.client.ActionCall;
import dev.airlock.client.ReportJson;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Signals;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code airlock run -- CMD...}: runs one command through the daemon and mirrors its status. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a command through airlockd and exits with its status.",
      "",
      "The command's output is streamed as it is written. Its writes go to a copy-on-write layer"
          + " and reach the workspace only when it succeeds (--commit, --discard, --keep-failed);"
          + " a command that already ran with the same inputs is replayed from the cache.",
      "",
      "--check-determinism runs it twice and names every output that differs (exit status:"
          + " the command's own, or 1 with --fail-on-nondeterminism when it succeeded but"
          + " differs).",
      "",
      "Environment: by default only PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*, TERM,"
          + " TZ and TMPDIR are passed; --env-inherit passes everything, --env adds or overrides."
    })
final class RunCommand implements Callable<Integer> {
  @ParentCommand AirlockCli parent;

  @Mixin ActionOptions action;

  @Option(
      names = "--policy",
      paramLabel = "NAME|FILE",
      description =
          "Policy: a shipped name (audit, build, declared, hermetic, provision) or a .textproto file (default: audit).")
  String policy;

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

  @Option(
      names = "--check-determinism",
      description =
          "Run the command twice on the same inputs (the second time on a fresh copy-on-write"
              + " layer, nothing committed between) and compare every output byte for byte, stdout,"
              + " stderr and the exit status; the verdict goes to stderr and the report. Only the"
              + " first run's changes are committed; the cache is not read.")
  boolean checkDeterminism;

  @Option(
      names = "--fail-on-nondeterminism",
      description =
          "With --check-determinism: exit 1 when the command succeeded but its two runs differ.")
  boolean failOnNondeterminism;

  @Parameters(
      arity = "1..*",
      paramLabel = "COMMAND",
      description = "The command and its arguments (after --).")
  List<String> command;

  @Override
  public Integer call() throws Exception {
    CliContext context = parent.context();
    ExecuteRequest.Builder request = action.request(command, context);
    if (policy != null) {
      request.setPolicyName(policy);
    }
    if (failOnNondeterminism && !checkDeterminism) {
      throw new IllegalArgumentException("--fail-on-nondeterminism goes with --check-determinism");
    }
    if (checkDeterminism && action.stdin) {
      throw new IllegalArgumentException(
          "--check-determinism cannot forward stdin: the second run would not get the same input");
    }
    request.setCheckDeterminism(checkDeterminism);
    ReportFile reportFile = report == null ? null : ReportFile.checked("--report", report, context);
    OutputStream out = context.stdout();
    OutputStream err = context.stderr();
    try (ActionCall call = action.submit(parent.paths(), request.build(), context)) {
      ActionResult result;
      try {
        result = call.awaitResult(out, err);
      } catch (ClientStdout.ReaderGone e) {
        return cancelAfterReaderGone(call);
      }
      if (reportFile != null) {
        try {
          reportFile.write(
              ReportJson.format(
                  call.actionId(),
                  command,
                  PathBytes.fromWire(request.getCwd()),
                  PathBytes.fromWire(
                      request.getWorkspace().isEmpty() ? request.getCwd() : request.getWorkspace()),
                  result),
              out);
        } catch (ClientStdout.ReaderGone e) {
          return ClientStdout.EXIT_READER_GONE;
        }
      }
      if (traceSummary) {
        TraceSummary.print(result, context.err());
      }
      boolean nondeterministic = DeterminismSummary.print(result, command.get(0), context.err());
      int status = ExitStatuses.report(result, command.get(0), context.err());
      // A nondeterministic verdict fails only a command that itself succeeded, and only if asked.
      return failOnNondeterminism && nondeterministic && status == 0 ? 1 : status;
    }
  }

  /**
   * Nobody reads the output any more: the action is cancelled with SIGPIPE, the signal its writes
   * would have got in a shell pipeline, and the client ends as such a writer would, silently.
   */
  static int cancelAfterReaderGone(ActionCall call) {
    try {
      call.cancel(Signals.SIGPIPE);
    } catch (IOException e) {
      // The daemon went away too; closing the call cancels the action anyway.
    }
    return ClientStdout.EXIT_READER_GONE;
  }
}
