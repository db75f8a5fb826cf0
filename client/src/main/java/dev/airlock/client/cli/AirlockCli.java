package dev.airlock.client.cli;

import dev.airlock.client.AirlockClient;
import dev.airlock.client.DaemonStarter;
import dev.airlock.protocol.AirlockConfigException;
import dev.airlock.protocol.AirlockPaths;
import dev.airlock.protocol.FileErrors;
import dev.airlock.protocol.Version;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code airlock}: the command-line client of airlockd. */
@Command(
    name = "airlock",
    mixinStandardHelpOptions = true,
    versionProvider = AirlockCli.VersionProvider.class,
    description = {
      "Runs commands through the airlockd daemon: traced, confined by a policy, their writes"
          + " committed atomically and their results cached.",
      "",
      "The daemon is started in the background when a command needs it. 'airlock help COMMAND'"
          + " or 'airlock COMMAND --help' describes each command."
    },
    subcommands = {
      RunCommand.class,
      AuditCommand.class,
      FetchCommand.class,
      PolicyCommand.class,
      StatusCommand.class,
      CacheCommand.class,
      StopCommand.class,
      DaemonCommand.class,
      CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0-123:the command's own status (run)",
      "65:audit --fail-on-undeclared found undeclared dependencies; run and fetch: a pinned"
          + " output does not have its pinned content (nothing committed)",
      "75:the command succeeded but its changes were not committed (a conflicting commit)",
      "124:the action timed out",
      "125:Airlock itself failed (no daemon, refused request, bad option)",
      "126:the policy refused accesses (enforce mode); stderr names them",
      "127:the command could not be executed",
      "128+N:the command was killed by signal N",
      "141:nothing reads stdout any more (| head): the action was cancelled"
    })
public final class AirlockCli {
  /** Set by the ./airlock script: the start script of the daemon. */
  static final String DAEMON_COMMAND_PROPERTY = "airlock.daemon";

  static final int EXIT_TIMEOUT = 124;
  static final int EXIT_POLICY_VIOLATION = 126;
  static final int EXIT_AIRLOCK_ERROR = 125;
  static final int EXIT_EXEC_FAILED = 127;

  /** The command succeeded but a pinned output has other content (or none): nothing committed. */
  static final int EXIT_HASH_MISMATCH = 65;

  /** The command succeeded but another commit changed what it read or wrote: nothing committed. */
  static final int EXIT_CONFLICT = 75;

  @Option(
      names = "--socket",
      paramLabel = "PATH",
      scope = CommandLine.ScopeType.INHERIT,
      description =
          "Daemon socket (default: $AIRLOCK_SOCKET, $XDG_RUNTIME_DIR/airlock/airlockd.sock or <state-dir>/airlockd.sock).")
  Path socket;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      scope = CommandLine.ScopeType.INHERIT,
      description =
          "Daemon state directory (default: $AIRLOCK_STATE_DIR, $XDG_CACHE_HOME/airlock or ~/.cache/airlock).")
  Path stateDir;

  private CliContext context;

  private AirlockCli(CliContext context) {
    this.context = context;
  }

  public static void main(String[] args) {
    System.exit(execute(new ProcessContext(), args));
  }

  /**
   * Runs one invocation in {@code context} and returns its exit status.
   *
   * @throws CliContext.OwnProcessRequired when the command must run in the client's own process
   */
  public static int execute(CliContext context, String[] args) {
    return new Reusable(context).execute(context, args);
  }

  /**
   * The command line, built once and run for many invocations, one at a time: building picocli's
   * model of every command and option costs milliseconds, parsing one invocation microseconds
   * (picocli resets every option to its initial value before each parse). The daemon keeps a few
   * for its CLI sessions.
   */
  public static final class Reusable {
    private final AirlockCli top;
    private final CommandLine cli;

    public Reusable() {
      this(null);
    }

    private Reusable(CliContext context) {
      this.top = new AirlockCli(context);
      this.cli = new CommandLine(top);
      cli.setExecutionExceptionHandler(
          (e, commandLine, parseResult) -> {
            if (e instanceof CliContext.OwnProcessRequired own) {
              // Picked up by execute() on the top command (picocli swallows what a handler
              // throws).
              cli.setExecutionResult(own);
              return EXIT_AIRLOCK_ERROR;
            }
            commandLine.getErr().println("airlock: " + describe(e));
            return EXIT_AIRLOCK_ERROR;
          });
    }

    /**
     * Runs one invocation in {@code context}; not from two threads at once.
     *
     * @throws CliContext.OwnProcessRequired when the command must run in the client's own process
     */
    public int execute(CliContext context, String[] args) {
      top.context = context;
      cli.setOut(
          new PrintWriter(new OutputStreamWriter(context.out(), StandardCharsets.UTF_8), true));
      cli.setErr(
          new PrintWriter(new OutputStreamWriter(context.err(), StandardCharsets.UTF_8), true));
      cli.setExecutionResult(null);
      try {
        int status = cli.execute(args);
        if (cli.getExecutionResult() instanceof CliContext.OwnProcessRequired e) {
          throw e;
        }
        return status;
      } finally {
        top.context = null;
      }
    }
  }

  /** The command line with every subcommand; a failure in a command is one line on stderr. */
  static CommandLine commandLine(CliContext context) {
    Reusable reusable = new Reusable(context);
    reusable.cli.setOut(
        new PrintWriter(new OutputStreamWriter(context.out(), StandardCharsets.UTF_8), true));
    reusable.cli.setErr(
        new PrintWriter(new OutputStreamWriter(context.err(), StandardCharsets.UTF_8), true));
    return reusable.cli;
  }

  /** The command line in this JVM's own context (tests of parsing and help). */
  static CommandLine commandLine() {
    return commandLine(new ProcessContext());
  }

  /** Where this invocation runs. */
  CliContext context() {
    return context;
  }

  /** The socket and state paths these options and the environment select. */
  AirlockPaths paths() {
    return AirlockPaths.resolve(
        context.environment(),
        stateDir == null ? null : context.resolve(stateDir),
        socket == null ? null : context.resolve(socket));
  }

  /** A client of the daemon on these paths; with {@code start}, one is started when none runs. */
  static AirlockClient connect(AirlockPaths paths, boolean start, CliContext context)
      throws IOException {
    AirlockClient client = AirlockClient.forPaths(paths);
    if (start && !context.servedAt(paths.socket()) && !client.isDaemonRunning()) {
      new DaemonStarter(daemonCommand(), Duration.ofSeconds(30)).ensureRunning(paths);
    }
    return client;
  }

  /** How to start the daemon, from the ./airlock script's setting. */
  static List<String> daemonCommand() {
    String command = System.getProperty(DAEMON_COMMAND_PROPERTY);
    if (command == null || command.isEmpty()) {
      throw new AirlockConfigException(
          "no airlockd to start: run airlock through its ./airlock script, or start the daemon"
              + " yourself (scripts/airlockd)");
    }
    return List.of(command);
  }

  static String describe(Throwable e) {
    if (e instanceof IOException io) {
      return FileErrors.describe(io);
    }
    String message = e.getMessage();
    return message == null || message.isEmpty() ? e.toString() : message;
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"airlock " + Version.current()};
    }
  }
}
