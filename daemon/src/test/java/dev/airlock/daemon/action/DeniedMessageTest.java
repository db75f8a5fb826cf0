package dev.airlock.daemon.action;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.airlock.daemon.policy.EffectivePolicy;
import dev.airlock.daemon.policy.PolicyContext;
import dev.airlock.protocol.Policy;
import dev.airlock.protocol.PolicyMode;
import dev.airlock.sandbox.linux.trace.AccessKind;
import dev.airlock.sandbox.linux.trace.Violation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one line a refused action's client prints: the first denials, and where the rest are. */
class DeniedMessageTest {
  private static final EffectivePolicy STRICT =
      EffectivePolicy.of(
          "strict",
          Policy.newBuilder().setMode(PolicyMode.MODE_ENFORCE).build(),
          new PolicyContext(
              Path.of("/w"), Path.of("/h"), Path.of("/tmp"), List.of(), List.of(), List.of()));

  private static List<Violation> reads(int count) {
    List<Violation> denied = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      denied.add(new Violation(AccessKind.READ, "/secret/" + i, 42, true));
    }
    return denied;
  }

  @Test
  void fiveOrFewerDenialsAreAllNamed() {
    assertEquals(
        "policy 'strict' denied: read /secret/0, read /secret/1",
        Finishing.deniedMessage(STRICT, reads(2)));
  }

  @Test
  void beyondFiveTheMessageSaysWhereTheFullListIs() {
    assertEquals(
        "policy 'strict' denied: read /secret/0, read /secret/1, read /secret/2, read /secret/3,"
            + " read /secret/4 (and 6 more; --report FILE lists them all)",
        Finishing.deniedMessage(STRICT, reads(11)));
  }
}
