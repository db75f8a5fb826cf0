package dev.airlock.daemon.cli;

import dev.airlock.client.cli.AirlockCli;
import dev.airlock.client.cli.CliContext;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One invocation of the CLI that the native client forwarded, run here with the same commands the
 * JVM client runs: its arguments, environment, directory and streams are the client's.
 */
final class CliSession implements CliContext {
  private static final Logger log = Logger.getLogger(CliSession.class.getName());

  private final CliInvocation invocation;
  private final FrameSink sink;
  private final Executor signalThreads;
  private final SessionStdin stdin;
  private final SessionOutput stdout;
  private final SessionOutput stderr;
  private final PrintStream out;
  private final PrintStream err;
  private volatile SignalHandler signalHandler;
  private volatile Thread thread;
  private volatile boolean disconnected;

  private final Path daemonSocket;

  CliSession(CliInvocation invocation, FrameSink sink, Executor signalThreads, Path daemonSocket) {
    this.daemonSocket = daemonSocket;
    this.invocation = invocation;
    this.sink = sink;
    this.signalThreads = signalThreads;
    this.stdin = new SessionStdin(n -> sink.sendLater(CliFrames.STDIN_CREDIT, FrameSink.int32(n)));
    this.stdout = new SessionOutput(sink, CliFrames.STDOUT);
    this.stderr = new SessionOutput(sink, CliFrames.STDERR);
    this.out = new PrintStream(stdout, true, StandardCharsets.UTF_8);
    this.err = new PrintStream(stderr, true, StandardCharsets.UTF_8);
  }

  /** Runs the invocation with {@code commandLine} (which no other session uses meanwhile). */
  void run(AirlockCli.Reusable commandLine) {
    thread = Thread.currentThread();
    int status;
    try {
      status = commandLine.execute(this, invocation.arguments().toArray(String[]::new));
    } catch (OwnProcessRequired e) {
      sink.sendLast(CliFrames.OWN_PROCESS, new byte[0]);
      return;
    } catch (RuntimeException | Error e) {
      log.log(Level.SEVERE, "a CLI session failed: " + invocation.arguments(), e);
      err.println("airlock: internal error in airlockd: " + e);
      status = 125;
    } finally {
      thread = null;
      // An interrupt for a client that went away must not outlive the session on this thread.
      Thread.interrupted();
    }
    out.flush();
    err.flush();
    sink.sendLast(CliFrames.EXIT, FrameSink.int32(status));
  }

  /** Stdin bytes from the client (event loop). */
  void stdinReceived(byte[] bytes) {
    stdin.received(bytes);
  }

  /** The client's stdin ended (event loop). */
  void stdinEnded() {
    stdin.end();
  }

  /** The client's stdout has no reader any more (event loop). */
  void stdoutGone() {
    stdout.readerGone();
  }

  /** The user signalled the client, which forwards only once the command handles signals. */
  void signalled(int signal) {
    SignalHandler handler = signalHandler;
    if (handler == null) {
      return;
    }
    try {
      signalThreads.execute(
          () -> {
            try {
              handler.signalled(signal);
            } catch (Exception e) {
              log.log(Level.FINE, "forwarding signal " + signal + " failed", e);
            }
          });
    } catch (RejectedExecutionException e) {
      // The daemon is stopping: it cancels every action anyway.
    }
  }

  /**
   * The client went away (event loop): the command stops as it would if its JVM had died, its
   * connections to the daemon closed by the interrupt, so the daemon cancels its action.
   */
  void disconnected() {
    disconnected = true;
    stdin.end();
    stdout.readerGone();
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }

  /** Ends a session that outlived the daemon's patience at shutdown. */
  void abort() {
    disconnected();
  }

  boolean isDisconnected() {
    return disconnected;
  }

  @Override
  public Map<String, String> environment() {
    return invocation.environment();
  }

  @Override
  public Path workingDirectory() {
    return invocation.workingDirectory();
  }

  @Override
  public InputStream stdin() {
    return stdin;
  }

  @Override
  public OutputStream stdout() {
    return stdout;
  }

  @Override
  public OutputStream stderr() {
    return stderr;
  }

  @Override
  public PrintStream out() {
    return out;
  }

  @Override
  public PrintStream err() {
    return err;
  }

  @Override
  public boolean isTerminal(int fd) {
    return fd >= 0 && fd < 3 && invocation.terminals()[fd];
  }

  @Override
  public int terminalColumns() {
    return invocation.columns();
  }

  @Override
  public void onSignal(SignalHandler handler) {
    signalHandler = handler;
    sink.sendLater(CliFrames.SIGNALS_HANDLED, new byte[0]);
  }

  @Override
  public boolean servedAt(Path socket) {
    return socket.toAbsolutePath().normalize().equals(daemonSocket);
  }

  @Override
  public void requireOwnProcess(String command) {
    throw new OwnProcessRequired(command);
  }
}
