package dev.airlock.client.cli;

import dev.airlock.client.ActionCall;
import dev.airlock.client.ReportJson;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Signals;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
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

  @Parameters(
      arity = "1..*",
      paramLabel = "COMMAND",
      description = "The command and its arguments (after --).")
  List<String> command;

  @Override
  public Integer call() throws Exception {
    ExecuteRequest.Builder request = action.request(command);
    if (policy != null) {
      request.setPolicyName(policy);
    }
    ReportFile reportFile = report == null ? null : ReportFile.checked("--report", report);
    OutputStream out = new ClientStdout();
    OutputStream err = new FileOutputStream(FileDescriptor.err);
    try (ActionCall call = action.submit(parent.paths(), request.build())) {
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
        TraceSummary.print(result, System.err);
      }
      return ExitStatuses.report(result, command.get(0), System.err);
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
