package dev.airlock.client.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where one invocation of the CLI runs: the environment, working directory, terminals and standard
 * streams of the process the user started. In a client JVM they are the JVM's own ({@link
 * ProcessContext}); in the daemon they are what the native client forwarded, so the one
 * implementation of every command serves both.
 */
public interface CliContext {
  /** What to do when the user signals the client (SIGINT, SIGTERM, SIGHUP). */
  @FunctionalInterface
  interface SignalHandler {
    void signalled(int signal) throws IOException;
  }

  /**
   * Thrown by {@link #requireOwnProcess} where a command cannot run: the daemon, for a command that
   * stops or starts the daemon itself. The native client then runs the JVM client instead.
   */
  final class OwnProcessRequired extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OwnProcessRequired(String command) {
      super(command + " runs in the client's own process");
    }
  }

  /** The client's environment variables. */
  Map<String, String> environment();

  /** The client's working directory, absolute. */
  Path workingDirectory();

  /** The client's standard input (read only when a command forwards it). */
  InputStream stdin();

  /**
   * The client's standard output, for the command's bytes; a write fails with {@link
   * ClientStdout.ReaderGone} once nothing reads it any more.
   */
  OutputStream stdout();

  /** The client's standard error, for the command's bytes. */
  OutputStream stderr();

  /** Text for standard output (messages, tables). */
  PrintStream out();

  /** Text for standard error (messages). */
  PrintStream err();

  /** Whether the client's standard stream {@code fd} (0, 1 or 2) is a terminal. */
  boolean isTerminal(int fd);

  /** The terminal's width in columns, 0 when not known. */
  int terminalColumns();

  /**
   * Calls {@code handler} with the signal the user sends the client (SIGINT, SIGTERM, SIGHUP); a
   * second signal ends the client at once, without waiting for the daemon.
   */
  void onSignal(SignalHandler handler);

  /**
   * For commands that must run in the user's own process (they stop or start the daemon).
   *
   * @throws OwnProcessRequired where this context is not that process
   */
  void requireOwnProcess(String command);

  /**
   * Whether this context runs inside the daemon serving {@code socket}: then no daemon needs to be
   * looked for or started there.
   */
  default boolean servedAt(Path socket) {
    return false;
  }

  /** A path the user typed, resolved against the client's working directory. */
  default Path resolve(Path path) {
    return workingDirectory().resolve(path).normalize();
  }

  /**
   * The user's home directory: the account's (the daemon serves only its own user, so the JVM's
   * {@code user.home} is the client's too).
   */
  default Path home() {
    return Path.of(System.getProperty("user.home"));
  }
}
