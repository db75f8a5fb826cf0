package dev.airlock.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Options the client can check itself are refused with one line before any daemon is asked: the
 * socket here has no daemon, so reaching it would say "not running" instead.
 */
class BadOptionsTest {
  @TempDir Path dir;

  private String[] withPaths(String... args) {
    String[] all = new String[args.length + 4];
    all[0] = "--socket";
    all[1] = dir.resolve("none.sock").toString();
    all[2] = "--state-dir";
    all[3] = dir.resolve("state").toString();
    System.arraycopy(args, 0, all, 4, args.length);
    return all;
  }

  /** Runs the CLI and returns "STATUS STDERR". */
  private String airlock(String... args) {
    var cli = AirlockCli.commandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(new StringWriter(), true));
    return cli.execute(withPaths(args)) + " " + err;
  }

  @Test
  void aReportInAMissingDirectoryIsRefusedBeforeTheCommandRuns() {
    assertEquals(
        "125 airlock: cannot write --report /nonexistent/x.json: its directory /nonexistent does"
            + " not exist\n",
        airlock("run", "--no-start", "--report", "/nonexistent/x.json", "--", "true"));
  }

  @Test
  void aReportNamingADirectoryIsRefused() {
    assertEquals(
        "125 airlock: cannot write --report " + dir + ": it is a directory; name a file\n",
        airlock("run", "--no-start", "--report", dir.toString(), "--", "true"));
  }

  @Test
  void anAuditJsonInAMissingDirectoryIsRefused() {
    assertEquals(
        "125 airlock: cannot write --json /nonexistent/a.json: its directory /nonexistent does not"
            + " exist\n",
        airlock("audit", "--no-start", "--json", "/nonexistent/a.json", "--", "true"));
  }

  @Test
  void aWorkspaceThatIsNoDirectoryIsRefused() throws Exception {
    Path file = Files.writeString(dir.resolve("file"), "x");

    assertEquals(
        "125 airlock: --workspace /nonexistent: no such directory\n",
        airlock("run", "--no-start", "--workspace", "/nonexistent", "--", "true"));
    assertEquals(
        "125 airlock: --workspace " + file + ": not a directory\n",
        airlock("run", "--no-start", "--workspace", file.toString(), "--", "true"));
  }

  @Test
  void aMissingManifestIsSaidInWords() {
    Path manifest = dir.resolve("no-manifest");

    assertEquals(
        "125 airlock: " + manifest + ": no such file or directory\n",
        airlock("run", "--no-start", "--manifest", manifest.toString(), "--", "true"));
  }
}
