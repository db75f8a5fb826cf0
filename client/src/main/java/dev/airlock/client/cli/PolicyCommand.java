package dev.airlock.client.cli;

import dev.airlock.client.ActionCall;
import dev.airlock.client.learn.LearnedPolicy;
import dev.airlock.client.learn.ObservedRun;
import dev.airlock.client.learn.ObservedRuns;
import dev.airlock.client.learn.PolicyLearner;
import dev.airlock.policies.PolicyException;
import dev.airlock.policies.PolicyLoader;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.AirlockConfigException;
import dev.airlock.protocol.CacheMode;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.FileErrors;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Policy;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code airlock policy learn}: policies made from what commands really did. */
@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    description = "Makes policies from what commands were seen to do.",
    subcommands = {PolicyCommand.Learn.class})
final class PolicyCommand {
  @ParentCommand AirlockCli parent;

  @Command(
      name = "learn",
      mixinStandardHelpOptions = true,
      description = {
        "Learns a policy that grants what a command was seen to need.",
        "",
        "Runs the command traced under the 'audit' policy (nothing refused) and writes a policy"
            + " that extends a shipped base (--base, default hermetic) and grants what the"
            + " command was seen to need beyond it: readable and executable paths, writable paths,"
            + " and the network only if it was used. Directories where many entries were touched"
            + " are granted whole (--collapse); each line says why in a comment. With"
            + " --from-report, learns from reports written earlier by 'airlock run --report' or"
            + " 'airlock audit --json' instead of (or as well as) running the command. When FILE"
            + " exists (a policy learned before), the new runs are merged into it.",
        "",
        "Enforce it with 'airlock run --policy FILE'. Exit status: the command's (nothing is"
            + " learned when it fails); 125 when nothing could be learned otherwise (no command"
            + " and no report, an unreadable report, FILE not written by learn)."
      })
  static final class Learn implements Callable<Integer> {
    @ParentCommand PolicyCommand policy;

    @Mixin ActionOptions action;

    @Option(
        names = {"-o", "--output"},
        required = true,
        paramLabel = "FILE",
        description = "The policy file to write (merged into when it was learned before).")
    Path output;

    @Option(
        names = "--base",
        paramLabel = "NAME|FILE",
        description =
            "The policy the learned one extends: a shipped name or a file (default: FILE's base"
                + " when it exists, else hermetic).")
    String base;

    @Option(
        names = "--collapse",
        paramLabel = "N",
        defaultValue = "3",
        description = "Grant a directory whole once N of its entries were touched (default: 3).")
    int collapse;

    @Option(
        names = "--from-report",
        paramLabel = "REPORT",
        description = "Learn from a JSON report written earlier (repeatable).")
    List<Path> reports = new ArrayList<>();

    @Parameters(
        arity = "0..*",
        paramLabel = "COMMAND",
        description = "The command and its arguments (after --).")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      if (command.isEmpty() && reports.isEmpty()) {
        throw new AirlockConfigException(
            "nothing to learn from: give a command (after --) or --from-report REPORT");
      }
      CliContext context = policy.parent.context();
      Path file = context.resolve(output);
      LearnedPolicy learned = earlierOrEmpty(file, context);
      Optional<String> home = Optional.of(context.home().toString());
      int status = 0;
      List<ObservedRun> runs = new ArrayList<>();
      Optional<String> workspace =
          Optional.ofNullable(action.workspace).map(w -> context.resolve(w).toString());
      for (Path report : reports) {
        runs.add(fromReport(report, context.resolve(report), workspace));
      }
      if (!command.isEmpty()) {
        ExecuteRequest request = action.request(command, context).setPolicyName("audit").build();
        CommandRun run = runCommand(request, context);
        if (run.observed().isEmpty()) {
          return run.status();
        }
        runs.add(run.observed().get());
        status = run.status();
      }
      for (ObservedRun run : runs) {
        if (!run.complete()) {
          context
              .err()
              .println(
                  "airlock: warning: the record of "
                      + String.join(" ", run.command())
                      + " is incomplete (untraced parts, or an audit summary): the policy may lack"
                      + " what was not seen");
        }
        PolicyLearner learner =
            PolicyLearner.forBase(
                learned.base(), loadBase(learned.base(), context), run.workspace(), home, collapse);
        learned = learner.learn(learned, run);
      }
      write(file, learned.render());
      context
          .err()
          .println(
              "airlock: learned "
                  + output
                  + " from "
                  + learned.runs()
                  + (learned.runs() == 1 ? " run" : " runs")
                  + ": "
                  + learned.summary()
                  + (command.isEmpty()
                      ? ""
                      : "; enforce it with: airlock run --policy "
                          + output
                          + " -- "
                          + String.join(" ", command)));
      return status;
    }

    /** The command's exit status, and what it did when it succeeded (else nothing is learned). */
    private record CommandRun(int status, Optional<ObservedRun> observed) {}

    private CommandRun runCommand(ExecuteRequest request, CliContext context) throws IOException {
      // Learning must watch the command really run: it may record in the cache, never replay.
      if (request.getCacheMode() != CacheMode.CACHE_OFF) {
        request = request.toBuilder().setCacheMode(CacheMode.CACHE_WRITE).build();
      }
      OutputStream out = context.stdout();
      OutputStream err = context.stderr();
      try (ActionCall call = action.submit(policy.parent.paths(), request, context)) {
        ActionResult result;
        try {
          result = call.awaitResult(out, err);
        } catch (ClientStdout.ReaderGone e) {
          return new CommandRun(RunCommand.cancelAfterReaderGone(call), Optional.empty());
        }
        int status = ExitStatuses.report(result, command.get(0), context.err());
        boolean succeeded =
            result.getOutcome() == Outcome.COMPLETED
                && result.getTerminationCase() == ActionResult.TerminationCase.EXIT_CODE
                && result.getExitCode() == 0;
        if (!succeeded) {
          context
              .err()
              .println(
                  "airlock: nothing learned: the command did not succeed, and a policy learned from a"
                      + " failed run would grant what the failure did");
          return new CommandRun(status, Optional.empty());
        }
        String workspace =
            PathBytes.fromWire(
                request.getWorkspace().isEmpty() ? request.getCwd() : request.getWorkspace());
        return new CommandRun(
            status, Optional.of(ObservedRuns.fromResult(result, workspace, command)));
      }
    }

    private LearnedPolicy earlierOrEmpty(Path file, CliContext context) throws IOException {
      if (!Files.exists(file)) {
        return LearnedPolicy.empty(base == null ? "hermetic" : baseReference(base, context));
      }
      LearnedPolicy earlier;
      try {
        earlier = LearnedPolicy.parse(Files.readString(file));
      } catch (IllegalArgumentException e) {
        throw new AirlockConfigException(
            "will not merge into " + output + ": " + e.getMessage() + "; choose another -o");
      }
      if (base != null && !baseReference(base, context).equals(earlier.base())) {
        throw new AirlockConfigException(
            output
                + " was learned with base '"
                + earlier.base()
                + "', not '"
                + base
                + "': choose another -o, or drop --base");
      }
      return earlier;
    }

    /** A shipped name as it is; a file as an absolute path, since the policy may move. */
    private static String baseReference(String base, CliContext context) {
      return PolicyLoader.shippedNames().contains(base)
          ? base
          : context.resolve(Path.of(base)).toString();
    }

    private static Policy loadBase(String name, CliContext context) {
      try {
        return new PolicyLoader(context.workingDirectory()).load(name);
      } catch (PolicyException e) {
        throw new AirlockConfigException("cannot load the base policy: " + e.getMessage());
      }
    }

    private static ObservedRun fromReport(Path report, Path resolved, Optional<String> workspace) {
      String text;
      try {
        text = Files.readString(resolved);
      } catch (IOException e) {
        throw new AirlockConfigException(
            "cannot read report " + report + ": " + FileErrors.reason(e));
      }
      try {
        return ObservedRuns.fromJson(text, workspace);
      } catch (IllegalArgumentException e) {
        throw new AirlockConfigException("cannot learn from " + report + ": " + e.getMessage());
      }
    }

    /** Written whole or not at all: a temporary file beside it, renamed over it. */
    private static void write(Path file, String text) throws IOException {
      Path temp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
      try {
        Files.writeString(temp, text);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(temp);
      }
    }
  }
}
