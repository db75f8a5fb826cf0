package dev.airlock.daemon.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.policies.PolicyLoader;
import dev.airlock.sandbox.linux.Confinement;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** From policy to kernel confinement, without a kernel: what the launcher will be asked to do. */
class ConfinementPlannerTest {
  /** A real workspace under /tmp (bind mounts need existing paths), with src/a.c and out/. */
  private static final Path WORKSPACE = workspace();

  private static Path workspace() {
    try {
      Path ws = Files.createTempDirectory(Path.of("/tmp"), "planner-ws-");
      Files.createDirectories(ws.resolve("src"));
      Files.writeString(ws.resolve("src/a.c"), "int x;\n");
      Files.createDirectories(ws.resolve("out"));
      return ws;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @AfterAll
  static void removeWorkspace() throws IOException {
    Files.delete(WORKSPACE.resolve("src/a.c"));
    Files.delete(WORKSPACE.resolve("src"));
    Files.delete(WORKSPACE.resolve("out"));
    Files.delete(WORKSPACE);
  }

  private static EffectivePolicy policy(String name) throws Exception {
    PolicyContext context =
        new PolicyContext(
            WORKSPACE,
            Path.of("/home/u"),
            Path.of("/tmp"),
            List.of(WORKSPACE.resolve("src/a.c")),
            List.of(WORKSPACE.resolve("out"), WORKSPACE.resolve("gen/not-yet.h")),
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
    assertTrue(c.keep().contains(WORKSPACE), c.keep().toString());
    assertTrue(c.writable().contains(WORKSPACE.resolve("out")), c.writable().toString());
    // An output still to be made is bound writable through its nearest existing directory.
    assertTrue(c.writable().contains(WORKSPACE), c.writable().toString());
    assertTrue(c.hidden().contains(Path.of("/home/u/.cache/airlock")));
    assertTrue(c.landlockRead().contains(WORKSPACE.resolve("src/a.c")));
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
  void whatAnEnforcingPolicyDoesNotGrantInAWorkingDirectoryKeptInThePrivateTmpIsCovered()
      throws Exception {
    Path notes = Files.writeString(WORKSPACE.resolve("notes.txt"), "undeclared\n");
    Path other = Files.createDirectories(WORKSPACE.resolve("src/other"));
    try {
      ConfinementPlanner planner = new ConfinementPlanner(true, true, 7);
      Confinement c = planner.plan(policy("hermetic"), WORKSPACE);
      // Landlock's rule for the private /tmp reaches the workspace kept on it: only a mount can
      // keep the kernel from what the tracer alone would refuse.
      assertTrue(c.hidden().contains(notes), c.hidden().toString());
      assertTrue(c.hidden().contains(other), "beside a declared input: " + c.hidden());
      assertFalse(c.hidden().contains(WORKSPACE.resolve("src")), "on the way to src/a.c");
      assertFalse(c.hidden().contains(WORKSPACE.resolve("src/a.c")), "a declared input");
      assertFalse(c.hidden().contains(WORKSPACE.resolve("out")), "a declared output");
      assertFalse(
          planner.plan(policy("build"), WORKSPACE).hidden().contains(notes),
          "build grants the whole workspace");
      assertFalse(
          planner.plan(policy("audit"), WORKSPACE).hidden().contains(notes),
          "audit refuses nothing");
    } finally {
      Files.delete(notes);
      Files.delete(other);
    }
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
    assertTrue(String.join(" ", options).contains("--rw " + WORKSPACE), options.toString());
    assertTrue(String.join(" ", options).contains("--hide /home/u/.ssh"), options.toString());
    assertTrue(options.contains("--ro-root"));
    assertFalse(options.contains("--ll-ro"), "no Landlock on a kernel without it");
  }
}
