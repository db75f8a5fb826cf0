package dev.airlock.sandbox.linux.trace;

import static dev.airlock.sandbox.linux.trace.AccessKind.ABSENT_PROBE;
import static dev.airlock.sandbox.linux.trace.AccessKind.READ;
import static dev.airlock.sandbox.linux.trace.AccessKind.STAT_PROBE;
import static dev.airlock.sandbox.linux.trace.ShimTraceTest.both;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.sandbox.linux.LaunchSpec;
import dev.airlock.sandbox.linux.trace.TraceHarness.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fast path under a policy that hides one tree and denies reads in another: the shim never
 * serves either (the tracer decides them, as in strict mode), and where a symlink leads a served
 * call into one, the tracer records the violation after the fact.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ShimPolicyTraceTest {
  @TempDir Path dir;

  private String hidden;
  private String denied;

  /** Everything allowed but hidden/ (absent) and reads of denied/ (refused; probes allowed). */
  private final AccessGuard guard =
      new AccessGuard() {
        @Override
        public Verdict check(AccessKind intent, String path, int pid) {
          if (path.equals(hidden) || path.startsWith(hidden + "/")) {
            return Verdict.HIDE;
          }
          boolean probe = intent == STAT_PROBE || intent == ABSENT_PROBE;
          if (!probe && (path.equals(denied) || path.startsWith(denied + "/"))) {
            return Verdict.DENY;
          }
          return Verdict.ALLOW;
        }

        @Override
        public FastPathScope fastPathScope() {
          return FastPathScope.of(
              List.of(
                  // As PolicyGuard writes them: probes everywhere, then the grants (a tie).
                  new FastPathScope.Entry("/", FastPathScope.Reach.PROBES),
                  new FastPathScope.Entry("/", FastPathScope.Reach.ALL),
                  new FastPathScope.Entry(hidden, FastPathScope.Reach.NONE),
                  new FastPathScope.Entry(denied, FastPathScope.Reach.PROBES)));
        }
      };

  @BeforeEach
  void tree() throws Exception {
    Path real = dir.toRealPath();
    Files.createDirectories(real.resolve("hidden"));
    Files.createDirectories(real.resolve("denied"));
    Files.writeString(real.resolve("hidden/x"), "hidden secret");
    Files.writeString(real.resolve("denied/y"), "denied secret");
    Files.writeString(real.resolve("open.txt"), "open");
    hidden = real.resolve("hidden").toString();
    denied = real.resolve("denied").toString();
  }

  private Run run(String script) throws Exception {
    return TraceHarness.trace(
        new LaunchSpec(List.of("sh", "-c", script), TraceHarness.ENV, dir, false),
        Duration.ofSeconds(20),
        null,
        guard);
  }

  @Test
  void hiddenAndDeniedPathsAreDecidedByTheTracerInBothModes() throws Exception {
    Run run =
        both(
            () ->
                run(
                    "cat open.txt; cat hidden/x; cat denied/y; test -e hidden/x || echo absent;"
                        + " test -e denied/y && echo exists;"
                        + " i=0; while [ $i -lt 50 ]; do read l < open.txt; i=$((i+1)); done"));

    assertEquals("openabsent\nexists\n", run.stdout());
    run.assertHas(ABSENT_PROBE, hidden + "/x");
    run.assertHas(STAT_PROBE, denied + "/y");
    run.assertHasNo(READ, denied + "/y");
    assertTrue(
        run.trace().violations().stream()
            .anyMatch(v -> v.kind() == READ && v.path().equals(denied + "/y") && v.denied()),
        run.toString());
    assertTrue(run.stats().records() > 0, "open.txt and the rest were served\n" + run);
    assertTrue(
        run.stats().stopsBySyscall().getOrDefault("openat", 0L) < 30,
        "the shell's 50 reads of open.txt did not stop\n" + run);
  }

  @Test
  void aServedCallThatASymlinkLeadsIntoThemIsAViolationAfterTheFact() throws Exception {
    Files.createSymbolicLink(dir.resolve("to-hidden"), Path.of("hidden/x"));
    Files.createSymbolicLink(dir.resolve("to-denied"), Path.of("denied/y"));
    TraceHarness.mode = TraceMode.FAST;
    Run run;
    try {
      run = run("cat to-hidden to-denied >/dev/null; echo rc=$?");
    } finally {
      TraceHarness.mode = TraceMode.STRICT;
    }

    // Nothing but the kernel could refuse these here (no mount namespace, no Landlock in this
    // test); the record says what happened and that the policy forbade it.
    assertEquals("rc=0\n", run.stdout(), run.toString());
    run.assertHas(READ, dir.toRealPath().resolve("to-hidden").toString()); // the link itself
    assertTrue(
        run.trace().violations().stream()
            .anyMatch(v -> v.path().equals(hidden + "/x") && v.hidden()),
        run.toString());
    assertTrue(
        run.trace().violations().stream()
            .anyMatch(v -> v.kind() == READ && v.path().equals(denied + "/y") && v.denied()),
        run.toString());
    assertFalse(run.trace().violations().isEmpty());
  }
}
