package dev.airlock.daemon.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.airlock.policies.PolicyLoader;
import dev.airlock.sandbox.linux.trace.AccessGuard;
import dev.airlock.sandbox.linux.trace.AccessKind;
import dev.airlock.sandbox.linux.trace.FastPathScope;
import dev.airlock.sandbox.linux.trace.FastPathScope.Reach;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Where a policy lets the fast path's shim serve calls unasked: never where the guard would answer
 * anything but ALLOW for the intents it serves (reads and listings under ALL, probes under PROBES).
 */
class PolicyGuardScopeTest {
  private static final Path WORKSPACE = Path.of("/tmp/ws");

  private static PolicyGuard guard(String name) throws Exception {
    PolicyContext context =
        new PolicyContext(
            WORKSPACE,
            Path.of("/home/u"),
            Path.of("/tmp"),
            List.of(Path.of("/tmp/ws/src/a.c")),
            List.of(Path.of("/tmp/ws/out")),
            List.of(Path.of("/home/u/.cache/airlock")));
    return new PolicyGuard(
        EffectivePolicy.of(name, new PolicyLoader(WORKSPACE).load(name), context), true);
  }

  @Test
  void auditServesEverythingButTheDaemonsState() throws Exception {
    FastPathScope scope = guard("audit").fastPathScope();
    assertEquals(Reach.ALL, scope.reach("/usr/include/stdio.h"));
    assertEquals(Reach.ALL, scope.reach("/tmp/ws/src/a.c"));
    assertEquals(Reach.NONE, scope.reach("/home/u/.cache/airlock/db"));
  }

  @Test
  void buildServesReadsWidelyAndNothingOfTheHiddenSecrets() throws Exception {
    FastPathScope scope = guard("build").fastPathScope();
    assertEquals(Reach.ALL, scope.reach("/usr/lib/gcc/x86_64-linux-gnu/12/cc1"));
    assertEquals(Reach.ALL, scope.reach("/tmp/ws/src/a.c"));
    assertEquals(Reach.NONE, scope.reach("/home/u/.ssh/id_ed25519"));
    assertEquals(Reach.NONE, scope.reach("/home/u/.ssh"));
  }

  @Test
  void hermeticServesProbesOutsideItsInputsAndReadsOnlyWithin() throws Exception {
    FastPathScope scope = guard("hermetic").fastPathScope();
    assertEquals(Reach.ALL, scope.reach("/tmp/ws/src/a.c"));
    assertEquals(Reach.PROBES, scope.reach("/home/u/notes.txt"));
  }

  /** The property itself, over many paths: what the scope serves, the guard allows. */
  @Test
  void whatTheScopeServesTheGuardAllows() throws Exception {
    List<String> paths =
        List.of(
            "/",
            "/usr/include/stdio.h",
            "/etc/passwd",
            "/home/u",
            "/home/u/.ssh/config",
            "/home/u/.cache/airlock/x",
            "/tmp",
            "/tmp/ws",
            "/tmp/ws/src/a.c",
            "/tmp/ws/src/b.c",
            "/tmp/ws/out/a.o",
            "/tmp/other",
            "/var/log/syslog");
    for (String name : List.of("audit", "build", "hermetic", "declared", "provision")) {
      PolicyGuard guard = guard(name);
      FastPathScope scope = guard.fastPathScope();
      for (String path : paths) {
        Reach reach = scope.reach(path);
        if (reach == Reach.ALL) {
          for (AccessKind intent : List.of(AccessKind.READ, AccessKind.ENUMERATE)) {
            assertEquals(
                AccessGuard.Verdict.ALLOW, guard.check(intent, path, 1), name + " " + path);
          }
        }
        if (reach != Reach.NONE) {
          for (AccessKind intent : List.of(AccessKind.STAT_PROBE, AccessKind.ABSENT_PROBE)) {
            assertEquals(
                AccessGuard.Verdict.ALLOW, guard.check(intent, path, 1), name + " " + path);
          }
        }
      }
    }
  }
}
