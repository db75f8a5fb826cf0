package dev.airlock.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands run against a context that is not this JVM's process, as the daemon runs them for
 * the native client: output goes to the context's streams, paths resolve against its directory, and
 * the commands that need the client's own process say so.
 */
class ForwardedContextTest {
  @TempDir Path dir;

  /** A client elsewhere: its own directory, environment and streams. */
  final class Forwarded implements CliContext {
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(stdout, true, StandardCharsets.UTF_8);
    final PrintStream err = new PrintStream(stderr, true, StandardCharsets.UTF_8);

    @Override
    public Map<String, String> environment() {
      return Map.of("AIRLOCK_SOCKET", dir.resolve("none.sock").toString(), "PATH", "/usr/bin");
    }

    @Override
    public Path workingDirectory() {
      return dir;
    }

    @Override
    public InputStream stdin() {
      return new ByteArrayInputStream(new byte[0]);
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
      return false;
    }

    @Override
    public int terminalColumns() {
      return 0;
    }

    @Override
    public void onSignal(SignalHandler handler) {}

    @Override
    public void requireOwnProcess(String command) {
      throw new OwnProcessRequired(command);
    }
  }

  @Test
  void outputGoesToTheContextsStreams() {
    Forwarded client = new Forwarded();

    int status = AirlockCli.execute(client, new String[] {"--version"});

    assertEquals(0, status);
    assertTrue(client.stdout.toString(StandardCharsets.UTF_8).startsWith("airlock "));
  }

  @Test
  void pathsResolveAgainstTheClientsDirectoryNotTheJvms() throws Exception {
    Forwarded client = new Forwarded();
    Files.createDirectory(dir.resolve("not-empty"));
    Files.writeString(dir.resolve("not-empty/file"), "x");

    int status =
        AirlockCli.execute(
            client, new String[] {"run", "--no-start", "--keep-failed", "not-empty", "--", "true"});

    assertEquals(125, status);
    assertEquals(
        "airlock: --keep-failed not-empty: not empty; name a new or empty directory (each failed"
            + " run keeps its changes apart)\n",
        client.stderr.toString(StandardCharsets.UTF_8));
  }

  @Test
  void stopAndDaemonMustRunInTheClientsOwnProcess() {
    for (String command : new String[] {"stop", "daemon"}) {
      Forwarded client = new Forwarded();
      assertThrows(
          CliContext.OwnProcessRequired.class,
          () -> AirlockCli.execute(client, new String[] {command}),
          command);
      assertEquals("", client.stderr.toString(StandardCharsets.UTF_8), command);
    }
  }

  @Test
  void aReusedCommandLineForgetsThePreviousInvocation() throws Exception {
    AirlockCli.Reusable cli = new AirlockCli.Reusable();
    Files.createDirectory(dir.resolve("not-empty"));
    Files.writeString(dir.resolve("not-empty/file"), "x");

    Forwarded first = new Forwarded();
    assertEquals(
        125,
        cli.execute(
            first, new String[] {"run", "--no-start", "--keep-failed", "not-empty", "--", "true"}));
    assertThrows(
        CliContext.OwnProcessRequired.class,
        () -> cli.execute(new Forwarded(), new String[] {"stop"}));
    Forwarded third = new Forwarded();
    int status = cli.execute(third, new String[] {"run", "--no-start", "--", "true"});

    // No --keep-failed left over, and no "own process" verdict either: just no daemon.
    assertEquals(125, status);
    String stderr = third.stderr.toString(StandardCharsets.UTF_8);
    assertTrue(stderr.startsWith("airlock: ") && !stderr.contains("keep-failed"), stderr);
    assertTrue(first.stderr.toString(StandardCharsets.UTF_8).contains("keep-failed"));
  }
}
