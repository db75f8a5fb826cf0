package dev.airlock.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** Every command explains itself: --help and 'airlock help' work and read as sentences. */
class HelpTest {
  private static final List<String> COMMANDS =
      List.of(
          "run",
          "audit",
          "fetch",
          "policy",
          "policy learn",
          "status",
          "stop",
          "cache",
          "cache stats",
          "cache gc",
          "cache explain",
          "cache verify",
          "daemon");

  /** An interpolated variable that had no value ("/dev/null" is no such word). */
  private static final Pattern NULL = Pattern.compile("(?<!/dev/)\\bnull\\b");

  /** What one invocation printed and how it exited. */
  private record Printed(int status, String out, String err) {
    @Override
    public String toString() {
      return "status " + status + ", out <" + out + ">, err <" + err + ">";
    }
  }

  private static Printed airlock(String... args) {
    CommandLine cli = AirlockCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int status = cli.execute(args);
    return new Printed(status, out.toString(), err.toString());
  }

  @ParameterizedTest(name = "{0} --help")
  @FieldSource("COMMANDS")
  void everyCommandsHelpExitsZeroWithItsUsageAndNoNull(String command) {
    String[] args = (command + " --help").split(" ");

    Printed help = airlock(args);

    assertEquals(0, help.status(), command + ": " + help);
    assertEquals("", help.err(), command + ": " + help);
    assertTrue(help.out().startsWith("Usage: airlock " + command), command + ": " + help);
    assertFalse(NULL.matcher(help.out()).find(), command + ": " + help);
    assertSummaryIsASentence(command, help.out());
  }

  @Test
  void helpCommandDescribesTheTool() {
    Printed overview = airlock("help");
    assertEquals(0, overview.status(), overview::toString);
    assertTrue(overview.out().startsWith("Usage: airlock "), overview::toString);
    Printed itself = airlock("help", "--help");
    assertEquals(0, itself.status(), itself::toString);
    assertTrue(itself.out().contains("Usage: airlock help"), itself::toString);
  }

  @ParameterizedTest(name = "help {0}")
  @ValueSource(strings = {"run", "audit", "fetch", "policy", "status", "stop", "cache", "daemon"})
  void helpCommandDescribesEachCommand(String command) {
    Printed help = airlock("help", command);
    assertEquals(0, help.status(), command + ": " + help);
    assertTrue(help.out().startsWith("Usage: airlock " + command), command + ": " + help);
  }

  @Test
  void theCommandListGivesEachCommandAWholeOneLineSummary() {
    Printed overview = airlock("--help");
    assertEquals(0, overview.status(), overview::toString);
    String out = overview.out();
    String commands = out.substring(out.indexOf("Commands:"), out.indexOf("Exit status:"));
    Matcher line = Pattern.compile("(?m)^  (\\S+)\\s+(.*)$").matcher(commands);
    int listed = 0;
    while (line.find()) {
      listed++;
      String summary = line.group(2);
      assertTrue(summary.endsWith("."), "cut short: " + line.group() + "\n" + overview.out());
    }
    assertEquals(9, listed, overview.out());
  }

  @Test
  void theWorkspaceOptionNamesThePolicyVariableLiterally() {
    Printed help = airlock("run", "--help");
    assertTrue(help.out().contains("${workspace} in policies"), help::toString);
  }

  /** The first line after the synopsis is a whole sentence, not the start of a wrapped one. */
  private static void assertSummaryIsASentence(String command, String help) {
    List<String> lines = help.lines().toList();
    int i = 1;
    while (i < lines.size() && lines.get(i).startsWith(" ")) {
      i++; // the synopsis' continuation lines
    }
    String summary = lines.get(i);
    assertTrue(summary.endsWith("."), command + ": summary cut short: <" + summary + ">\n" + help);
  }
}
