package dev.airlock.sandbox.linux.trace;

import static dev.airlock.sandbox.linux.trace.AccessKind.ESCAPE;
import static dev.airlock.sandbox.linux.trace.AccessKind.READ;
import static dev.airlock.sandbox.linux.trace.AccessKind.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.sandbox.linux.LaunchSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The tracer's policy layer and the escapes it always refuses, with real programs. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GuardTraceTest {
  @TempDir Path dir;

  private TraceHarness.Run run(AccessGuard guard, String script) throws Exception {
    return TraceHarness.trace(
        new LaunchSpec(List.of("sh", "-c", script), TraceHarness.ENV, dir, false),
        Duration.ofSeconds(20),
        null,
        guard);
  }

  /** Denies (or hides, or reports) one path, allows everything else. */
  private static AccessGuard only(Path path, AccessGuard.Verdict verdict) {
    String p = path.toString();
    return (intent, target, pid) -> target.equals(p) ? verdict : AccessGuard.Verdict.ALLOW;
  }

  @TraceTest
  void aDeniedReadFailsWithEaccesAndIsRecordedAsADeniedViolation() throws Exception {
    Path secret = Files.writeString(dir.resolve("secret"), "s3cret");
    TraceHarness.Run run =
        run(only(secret.toRealPath(), AccessGuard.Verdict.DENY), "cat secret; echo rc=$?");
    assertTrue(run.stderr().contains("Permission denied"), run.stderr());
    assertTrue(run.stdout().contains("rc=1"), run.stdout());
    assertFalse(run.stdout().contains("s3cret"));
    assertFalse(run.has(READ, secret.toRealPath().toString()), "a denied read is not a read");
    assertTrue(
        run.trace()
            .violations()
            .contains(new Violation(READ, secret.toRealPath().toString(), violationPid(run), true)),
        run.trace().violations().toString());
  }

  @TraceTest
  void aHiddenPathLooksAbsent() throws Exception {
    Path hidden = Files.writeString(dir.resolve("hidden"), "x");
    TraceHarness.Run run =
        run(
            only(hidden.toRealPath(), AccessGuard.Verdict.HIDE),
            "cat hidden; test -e hidden || echo absent");
    assertTrue(run.stderr().contains("No such file or directory"), run.stderr());
    assertTrue(run.stdout().contains("absent"), run.stdout());
    assertTrue(run.trace().violations().stream().allMatch(Violation::denied));
  }

  @TraceTest
  void aReportedAccessHappensAndIsRecordedAsAViolationNotDenied() throws Exception {
    Path out = dir.resolve("out.txt");
    TraceHarness.Run run = run(only(out, AccessGuard.Verdict.REPORT), "echo hi > out.txt");
    run.assertExitedWith(0);
    assertEquals("hi\n", Files.readString(out));
    assertTrue(run.has(WRITE, out.toString()));
    Violation v = run.trace().violations().get(0);
    assertEquals(out.toString(), v.path());
    assertFalse(v.denied());
  }

  @TraceTest
  void namespaceCreationIsRefusedAndRecordedAsAnEscape() throws Exception {
    TraceHarness.Run run = run(AccessGuard.ALLOW_ALL, "unshare -U true; echo rc=$?");
    assertTrue(run.stdout().contains("rc=1"), run.stdout() + run.stderr());
    assertTrue(run.has(ESCAPE, "(unshare)"), run.toString());
  }

  @TraceTest
  void escapeSyscallsFailWithEpermAndAreRecorded() throws Exception {
    Path program =
        TraceHarness.compile(
            dir,
            "escapes",
            """
            #define _GNU_SOURCE
            #include <errno.h>
            #include <sched.h>
            #include <signal.h>
            #include <stdio.h>
            #include <sys/syscall.h>
            #include <unistd.h>
            int main(void) {
              long r = syscall(SYS_bpf, 0, 0, 0);
              printf("bpf %ld %d\\n", r, errno);
              r = syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, getppid(), 0, 0);
              printf("ptrace %ld %d\\n", r, errno);
              r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
              printf("clone-newuser %ld %d\\n", r, errno);
              return 0;
            }
            """);
    TraceHarness.Run run = TraceHarness.trace(dir, program.toString());
    run.assertExitedWith(0);
    assertEquals("bpf -1 1\nptrace -1 1\nclone-newuser -1 1\n", run.stdout());
    assertTrue(run.has(ESCAPE, "(bpf)"), run.toString());
    assertTrue(run.has(ESCAPE, "(ptrace)"), run.toString());
    assertTrue(run.has(ESCAPE, "(clone)"), run.toString());
  }

  private static int violationPid(TraceHarness.Run run) {
    return run.trace().violations().get(0).pid();
  }
}
