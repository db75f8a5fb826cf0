package dev.airlock.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A policy author's mistakes are named where they are, in the author's terms. */
class PolicyErrorMessagesTest {
  @TempDir Path dir;

  private String error(String file, String text) throws Exception {
    Files.writeString(dir.resolve(file), text);
    return assertThrows(PolicyException.class, () -> new PolicyLoader(dir).load(file)).getMessage();
  }

  @Test
  void aMisspeltFieldIsNamedWithTheFieldsThereAre() throws Exception {
    assertEquals(
        dir.resolve("p.textproto")
            + ":2:1: unknown field 'readabel' (fields: description, extends, mode, readable,"
            + " writable, executable, hidden, network, env, private_tmp, allow_namespaces,"
            + " limits)",
        error("p.textproto", "mode: MODE_ENFORCE\nreadabel: \"/usr\"\n"));
  }

  @Test
  void aMisspeltLimitListsTheLimits() throws Exception {
    String message = error("p.textproto", "mode: MODE_ENFORCE\nlimits {\n  wall_tme_ms: 5\n}\n");

    assertEquals(
        dir.resolve("p.textproto") + ":3:3: unknown field 'wall_tme_ms' (fields: wall_time_ms,",
        message.substring(0, message.indexOf(',') + 1));
  }

  @Test
  void anUnknownVariableIsCalledThatAndTheKnownOnesListed() throws Exception {
    assertEquals(
        dir.resolve("p.textproto")
            + ":2:1: readable: '${nosuch}/x' uses unknown variable ${nosuch}; known: ${workspace},"
            + " ${home}, ${tmp}, ${inputs}, ${outputs}",
        error("p.textproto", "mode: MODE_AUDIT\nreadable: \"${nosuch}/x\"\n"));
  }

  @Test
  void anUnknownBaseIsReportedAtTheExtendsField() throws Exception {
    assertEquals(
        dir.resolve("p.textproto")
            + ":2:1: extends: no shipped policy named 'nosuch' (shipped: audit, build, declared,"
            + " hermetic, provision; a file needs a path)",
        error("p.textproto", "mode: MODE_AUDIT\nextends: \"nosuch\"\n"));
  }

  @Test
  void aMissingBaseFileIsSaidToBeMissing() throws Exception {
    assertEquals(
        dir.resolve("p.textproto")
            + ":1:1: extends: cannot read policy file "
            + dir.resolve("base.textproto")
            + ": no such file or directory",
        error("p.textproto", "extends: \"base.textproto\"\nmode: MODE_AUDIT\n"));
  }

  @Test
  void anUnreadablePolicyFileSaysWhyNotJustItsName() {
    String missing =
        assertThrows(PolicyException.class, () -> new PolicyLoader(dir).load("none.textproto"))
            .getMessage();
    String directory =
        assertThrows(PolicyException.class, () -> new PolicyLoader(dir).load(dir.toString()))
            .getMessage();

    assertEquals(
        "cannot read policy file " + dir.resolve("none.textproto") + ": no such file or directory",
        missing);
    assertEquals("cannot read policy file " + dir + ": is a directory", directory);
  }
}
