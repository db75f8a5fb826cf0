package dev.airlock.daemon;

import dev.airlock.daemon.commit.CommitObserver;
import java.util.logging.Logger;

/**
 * A test hook for crash-safety tests: with {@code AIRLOCK_TEST_CRASH_AT=PHASE[:STEP]} in its
 * environment (e.g. {@code JOURNALED} or {@code APPLY:1}), the daemon halts the moment a commit
 * reaches that point, as abruptly as kill -9: no shutdown hook, no finally block runs.
 */
final class CrashInjection {
  static final String VARIABLE = "AIRLOCK_TEST_CRASH_AT";
  private static final Logger log = Logger.getLogger(CrashInjection.class.getName());

  private CrashInjection() {}

  static CommitObserver fromEnvironment() {
    String spec = System.getenv(VARIABLE);
    if (spec == null || spec.isBlank()) {
      return CommitObserver.NONE;
    }
    String[] parts = spec.trim().split(":");
    CommitObserver.Phase phase = CommitObserver.Phase.valueOf(parts[0]);
    int step = parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
    log.warning(VARIABLE + "=" + spec + ": this daemon will halt when a commit reaches it");
    return (commitId, reached, at) -> {
      if (reached == phase && (step < 0 || step == at)) {
        Runtime.getRuntime().halt(137);
      }
    };
  }
}
