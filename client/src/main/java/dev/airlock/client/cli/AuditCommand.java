package dev.airlock.client.cli;

import dev.airlock.client.ActionCall;
import dev.airlock.client.AuditReport;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CacheMode;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code airlock audit -- CMD}: what a command really depends on beyond what it declares. */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = {
      "Reports what a command depends on beyond what it declares.",
      "",
      "Runs the command under the 'declared' policy (nothing is refused but escapes) and prints"
          + " on stderr, after the command's output: reads outside --inputs and the system"
          + " toolchain (grouped by directory), writes outside --outputs, absent probes inside the"
          + " workspace, executed tools, network use and refused escape attempts.",
      "",
      "Exit status: the command's; 65 with --fail-on-undeclared when anything was undeclared;"
          + " 127 when the command could not be executed (then no report is printed)."
    })
final class AuditCommand implements Callable<Integer> {
  /** sysexits' EX_DATAERR: the declared data (inputs, outputs) was incomplete. */
  static final int EXIT_UNDECLARED = 65;

  @ParentCommand AirlockCli parent;

  @Mixin ActionOptions action;

  @Option(
      names = "--json",
      paramLabel = "FILE",
      description = "Also write the report as JSON to FILE ('-': stdout).")
  Path json;

  @Option(names = "--verbose", description = "List every file, including the system toolchain's.")
  boolean verbose;

  @Option(names = "--fail-on-undeclared", description = "Exit 65 when anything was undeclared.")
  boolean failOnUndeclared;

  @Parameters(
      arity = "1..*",
      paramLabel = "COMMAND",
      description = "The command and its arguments (after --).")
  List<String> command;

  @Override
  public Integer call() throws Exception {
    // An audit must watch the command really run: it may record in the cache, never replay.
    CliContext context = parent.context();
    ExecuteRequest.Builder builder = action.request(command, context).setPolicyName("declared");
    if (builder.getCacheMode() != CacheMode.CACHE_OFF) {
      builder.setCacheMode(CacheMode.CACHE_WRITE);
    }
    ExecuteRequest request = builder.build();
    ReportFile jsonFile = json == null ? null : ReportFile.checked("--json", json, context);
    OutputStream out = context.stdout();
    OutputStream err = context.stderr();
    try (ActionCall call = action.submit(parent.paths(), request, context)) {
      ActionResult result;
      try {
        result = call.awaitResult(out, err);
      } catch (ClientStdout.ReaderGone e) {
        return RunCommand.cancelAfterReaderGone(call);
      }
      if (result.getOutcome() == Outcome.EXEC_FAILED) {
        // Nothing ran: a report would only list the launcher's own accesses.
        return ExitStatuses.report(result, command.get(0), context.err());
      }
      Path workspace =
          PathBytes.toPath(
              PathBytes.fromWire(
                  request.getWorkspace().isEmpty() ? request.getCwd() : request.getWorkspace()));
      AuditReport report =
          new AuditReport(result, workspace, PathBytes.fromWire(request.getDeclaredInputsList()));
      // The report goes to stderr so that the command's stdout stays its own.
      PrintStream reportStream = new PrintStream(err, true, StandardCharsets.UTF_8);
      reportStream.print("\n" + report.format(verbose));
      reportStream.flush();
      if (jsonFile != null) {
        try {
          jsonFile.write(report.json(), out);
        } catch (ClientStdout.ReaderGone e) {
          return ClientStdout.EXIT_READER_GONE;
        }
      }
      int status = ExitStatuses.report(result, command.get(0), context.err());
      return failOnUndeclared && report.hasUndeclared() ? EXIT_UNDECLARED : status;
    }
  }
}
