package dev.airlock.daemon.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.policies.PolicyException;
import dev.airlock.policies.PolicyLoader;
import dev.airlock.protocol.Network;
import dev.airlock.protocol.Policy;
import dev.airlock.protocol.PolicyMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading, checking and expanding policies: what a policy author sees. */
class PolicyLoaderTest {
  @TempDir Path dir;

  private PolicyLoader loader() {
    return new PolicyLoader(dir);
  }

  private String error(String text) throws Exception {
    Files.writeString(dir.resolve("p.textproto"), text);
    return assertThrows(PolicyException.class, () -> loader().load("p.textproto")).getMessage();
  }

  @Test
  void everyShippedPolicyLoads() throws Exception {
    for (String name : PolicyLoader.shippedNames()) {
      Policy policy = loader().load(name);
      assertTrue(policy.hasMode(), name);
    }
  }

  @Test
  void extendingAppendsListsAndReplacesScalars() throws Exception {
    Policy build = loader().load("build");
    Policy provision = loader().load("provision");
    assertEquals(Network.NETWORK_NONE, build.getNetwork());
    assertEquals(Network.NETWORK_FULL, provision.getNetwork());
    assertEquals(build.getWritableList(), provision.getWritableList());
    assertEquals(PolicyMode.MODE_ENFORCE, provision.getMode());
  }

  @Test
  void unknownFieldIsReportedWithFileLineAndColumn() throws Exception {
    String message = error("mode: MODE_ENFORCE\nreadable: \"/usr\"\nnetwrok: NETWORK_NONE\n");
    assertTrue(message.startsWith(dir.resolve("p.textproto") + ":3:"), message);
    assertTrue(message.contains("netwrok"), message);
  }

  @Test
  void relativePathIsReportedWithItsLocationAndField() throws Exception {
    String message = error("mode: MODE_ENFORCE\nreadable: \"/usr\"\nwritable: \"out\"\n");
    assertTrue(message.startsWith(dir.resolve("p.textproto") + ":3:"), message);
    assertTrue(message.contains("writable: 'out' must be an absolute path"), message);
  }

  @Test
  void unknownVariableAndDotDotAreRefused() throws Exception {
    assertTrue(
        error("mode: MODE_AUDIT\nreadable: \"${src}/x\"\n").contains("readable: '${src}/x'"));
    assertTrue(error("mode: MODE_AUDIT\nreadable: \"/a/../etc\"\n").contains("'/a/../etc'"));
    assertTrue(error("mode: MODE_AUDIT\nreadable: \"${inputs}/x\"\n").contains("${inputs}/x"));
  }

  @Test
  void aPathBothGrantedAndHiddenIsAContradiction() throws Exception {
    String message = error("mode: MODE_ENFORCE\nhidden: \"/secret\"\nreadable: \"/secret/x\"\n");
    assertTrue(message.contains("'/secret/x' is both readable and hidden (by '/secret')"), message);
  }

  @Test
  void aPolicyWithoutAModeAnywhereInItsChainIsRefused() throws Exception {
    assertTrue(error("readable: \"/usr\"\n").contains("'mode' is not set"));
  }

  @Test
  void extendsCyclesAreCaught() throws Exception {
    Files.writeString(dir.resolve("a.textproto"), "extends: \"b.textproto\"\nmode: MODE_AUDIT\n");
    Files.writeString(dir.resolve("b.textproto"), "extends: \"a.textproto\"\n");
    String message =
        assertThrows(PolicyException.class, () -> loader().load("a.textproto")).getMessage();
    assertTrue(message.contains("longer than"), message);
  }

  @Test
  void unknownShippedNameListsTheShippedOnes() {
    String message =
        assertThrows(PolicyException.class, () -> loader().load("strict")).getMessage();
    assertEquals(
        "no shipped policy named 'strict' (shipped: audit, build, declared, hermetic, provision; a file needs a path)",
        message);
  }

  @Test
  void variablesExpandForTheAction() throws Exception {
    PolicyContext context =
        new PolicyContext(
            Path.of("/work/p"),
            Path.of("/home/u"),
            Path.of("/tmp/a1"),
            List.of(Path.of("/work/p/src/a.c")),
            List.of(Path.of("/work/p/out")),
            List.of(Path.of("/home/u/.cache/airlock")));
    EffectivePolicy hermetic = EffectivePolicy.of("hermetic", loader().load("hermetic"), context);
    assertTrue(hermetic.canRead(Path.of("/work/p/src/a.c")));
    assertFalse(hermetic.canRead(Path.of("/work/p/src/b.c")));
    assertTrue(hermetic.canWrite(Path.of("/work/p/out/a.o")));
    assertFalse(hermetic.canWrite(Path.of("/work/p/src/a.o")));
    assertTrue(hermetic.canRead(Path.of("/usr/include/stdio.h")));
    assertTrue(hermetic.isHidden(Path.of("/home/u/.cache/airlock/airlockd.sock")));

    EffectivePolicy build = EffectivePolicy.of("build", loader().load("build"), context);
    assertTrue(build.canWrite(Path.of("/work/p/anything")));
    assertFalse(build.canRead(Path.of("/home/u/.ssh/id_rsa")), "hidden wins over readable /");
    assertTrue(build.canRead(Path.of("/home/u/.bashrc")));
  }

  @Test
  void environmentIsFilteredByNameAndPrefix() throws Exception {
    PolicyContext context =
        new PolicyContext(
            Path.of("/w"), Path.of("/h"), Path.of("/t"), List.of(), List.of(), List.of());
    EffectivePolicy hermetic = EffectivePolicy.of("hermetic", loader().load("hermetic"), context);
    assertEquals(
        Map.of("PATH", "/bin", "LC_ALL", "C"),
        hermetic.filterEnvironment(Map.of("PATH", "/bin", "LC_ALL", "C", "AWS_SECRET", "x")));
  }

  @Test
  void inlinePoliciesMayExtendShippedOnes() throws Exception {
    Policy inline = loader().loadInline("extends: \"build\"\nnetwork: NETWORK_LOOPBACK\n");
    assertEquals(Network.NETWORK_LOOPBACK, inline.getNetwork());
    assertEquals(PolicyMode.MODE_ENFORCE, inline.getMode());
  }
}
