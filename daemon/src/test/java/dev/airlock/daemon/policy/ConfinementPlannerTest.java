package dev.airlock.daemon.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.sandbox.linux.Confinement;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** From policy to kernel confinement, without a kernel: what the launcher will be asked to do. */
class ConfinementPlannerTest {
  private static final Path WORKSPACE = Path.of("/tmp/ws");

  private static EffectivePolicy policy(String name) throws Exception {
    PolicyContext context =
        new PolicyContext(
            WORKSPACE,
            Path.of("/home/u"),
            Path.of("/tmp"),
            List.of(Path.of("/tmp/ws/src/a.c")),
            List.of(Path.of("/tmp/ws/out")),
            List.of(Path.of("/home/u/.cache/airlock")));
    return EffectivePolicy.of(name, new PolicyLoader(WORKSPACE).load(name), context);
  }

  @Test
  void hermeticGetsEveryLayerAndKeepsTheWorkspaceVisibleThroughThePrivateTmp() throws Exception {
    ConfinementPlanner planner = new ConfinementPlanner(true, true, 7);
    Confinement c = planner.plan(policy("hermetic"), WORKSPACE);
    assertTrue(c.namespaces());
    assertEquals(Confinement.Network.LOOPBACK, c.network(), "its own namespace, its own loopback");
    assertTrue(c.readOnlyRoot());
    assertTrue(c.privateTmp());
    assertEquals(List.of(Path.of("/tmp/ws/src/a.c"), Path.of("/tmp/ws/out")).size(), 2);
    assertTrue(c.keep().contains(WORKSPACE), c.keep().toString());
    assertTrue(c.writable().contains(Path.of("/tmp/ws/out")), c.writable().toString());
    assertTrue(c.hidden().contains(Path.of("/home/u/.cache/airlock")));
    assertTrue(c.landlockRead().contains(Path.of("/tmp/ws/src/a.c")));
    assertTrue(c.landlockWrite().contains(Path.of("/tmp")), "the private /tmp is writable");
    assertEquals(
        List.of(
            "seccomp",
            "tracer",
            "user-namespace",
            "mount-namespace",
            "pid-namespace",
            "network-namespace",
            "read-only-root",
            "landlock-abi-7",
            // the shipped policy limits processes, memory and its /tmp
            "rlimits"),
        planner.layers(c));
  }

  @Test
  void withoutAPidNamespaceTheOtherNamespacesStay() throws Exception {
    ConfinementPlanner planner = new ConfinementPlanner(true, false, 0);
    Confinement c = planner.plan(policy("hermetic"), WORKSPACE);
    assertTrue(c.namespaces());
    assertFalse(c.pidNamespace());
    assertFalse(planner.layers(c).contains("pid-namespace"));
    assertFalse(c.options().contains("--pidns"));
  }

  @Test
  void auditKeepsEverythingWritableAndUsesNoLandlock() throws Exception {
    Confinement c = new ConfinementPlanner(true, true, 7).plan(policy("audit"), WORKSPACE);
    assertTrue(c.namespaces());
    assertFalse(c.readOnlyRoot(), "audit grants writes everywhere");
    assertFalse(c.landlock(), "audit mode refuses nothing, so no Landlock");
    assertEquals(Confinement.Network.HOST, c.network());
    assertTrue(
        c.hidden().contains(Path.of("/home/u/.cache/airlock")), "the daemon's state stays hidden");
  }

  @Test
  void withoutNamespacesOnlyTheTracerAndSeccompRemain() throws Exception {
    ConfinementPlanner planner = new ConfinementPlanner(false, false, 0);
    Confinement c = planner.plan(policy("hermetic"), WORKSPACE);
    assertEquals(Confinement.NONE, c);
    assertEquals(List.of("seccomp", "tracer"), planner.layers(c));
  }

  @Test
  void confinementBecomesLauncherOptions() throws Exception {
    Confinement c = new ConfinementPlanner(true, true, 0).plan(policy("build"), Path.of("/work/p"));
    List<String> options = c.options();
    assertEquals(List.of("--userns", "--pidns"), options.subList(0, 2));
    assertTrue(String.join(" ", options).contains("--netns loopback"));
    assertTrue(String.join(" ", options).contains("--rw /tmp/ws"), options.toString());
    assertTrue(String.join(" ", options).contains("--hide /home/u/.ssh"), options.toString());
    assertTrue(options.contains("--ro-root"));
    assertFalse(options.contains("--ll-ro"), "no Landlock on a kernel without it");
  }
}
