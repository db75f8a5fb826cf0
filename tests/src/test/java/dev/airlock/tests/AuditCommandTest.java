package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code ./airlock audit}: a command that cannot run, and what counts as undeclared. */
@Timeout(90)
class AuditCommandTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  private static CliProcess.Result airlock(String... args) throws Exception {
    try (CliProcess cli = daemon.cli(args)) {
      return cli.await(Duration.ofSeconds(60));
    }
  }

  @Test
  void aCommandThatCannotBeExecutedGetsOnlyTheErrorAndExits127() throws Exception {
    CliProcess.Result r = airlock("audit", "--", "no-such-cmd-xyz");

    assertEquals(127, r.status(), r::toString);
    assertEquals(
        "airlock: cannot execute 'no-such-cmd-xyz': No such file or directory\n", r.stderr());
    assertEquals("", r.stdout());
  }

  @Test
  void listingTheWorkspaceIsNoUndeclaredReadButAnUndeclaredDirectoryIs() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("listing"));
    Files.writeString(ws.resolve("in.txt"), "in\n");
    Files.createDirectories(ws.resolve("include"));
    Files.writeString(ws.resolve("include/a.h"), "#define A 1\n");

    CliProcess.Result declared =
        airlock(
            "audit",
            "--cwd",
            ws.toString(),
            "--inputs",
            "in.txt",
            "--fail-on-undeclared",
            "--",
            "sh",
            "-c",
            "ls > /dev/null; cat in.txt");
    CliProcess.Result undeclared =
        airlock(
            "audit",
            "--cwd",
            ws.toString(),
            "--inputs",
            "in.txt",
            "--fail-on-undeclared",
            "--",
            "sh",
            "-c",
            "ls > /dev/null; ls include > /dev/null; cat in.txt include/a.h");

    assertEquals(0, declared.status(), declared::toString);
    assertTrue(declared.stderr().contains("Undeclared reads (0): none"), declared::toString);
    assertEquals(65, undeclared.status(), undeclared::toString);
    assertTrue(
        undeclared
            .stderr()
            .contains("Undeclared reads (2), by directory:\n      2  " + ws + "/include/\n"),
        undeclared::toString);
    assertFalse(undeclared.stderr().contains("  " + daemon.dir() + "/\n"), undeclared::toString);
  }
}
