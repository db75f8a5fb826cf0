package dev.airlock.client.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;

/** The CLI running in its own JVM: this process's environment, directory and streams. */
@SuppressWarnings("sunapi")
final class ProcessContext implements CliContext {
  private final OutputStream stdout = new ClientStdout();
  private final OutputStream stderr = new FileOutputStream(FileDescriptor.err);

  @Override
  public Map<String, String> environment() {
    return System.getenv();
  }

  @Override
  public Path workingDirectory() {
    return Path.of("").toAbsolutePath();
  }

  @Override
  public InputStream stdin() {
    return System.in;
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
    return System.out;
  }

  @Override
  public PrintStream err() {
    return System.err;
  }

  @Override
  public boolean isTerminal(int fd) {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  @Override
  public int terminalColumns() {
    try {
      return Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * Forwards Ctrl-C, SIGTERM and SIGHUP to the handler (so a command interrupted by Ctrl-C dies of
   * SIGINT, as it would in the shell). A second signal, or a handler that fails (the daemon went
   * away), exits at once; the daemon then cancels the action because its client went away.
   */
  @Override
  public void onSignal(SignalHandler handler) {
    AtomicInteger received = new AtomicInteger();
    for (String name : new String[] {"INT", "TERM", "HUP"}) {
      Signal.handle(
          new Signal(name),
          signal -> {
            if (received.incrementAndGet() > 1) {
              Runtime.getRuntime().halt(128 + signal.getNumber());
            }
            try {
              handler.signalled(signal.getNumber());
            } catch (IOException e) {
              Runtime.getRuntime().halt(128 + signal.getNumber());
            }
          });
    }
  }

  @Override
  public void requireOwnProcess(String command) {
    // This is the user's process.
  }
}
