package dev.airlock.sandbox.linux.trace;

import static dev.airlock.sandbox.linux.trace.AccessKind.ESCAPE;
import static dev.airlock.sandbox.linux.trace.AccessKind.READ;
import static dev.airlock.sandbox.linux.trace.TraceHarness.SIGSYS;
import static dev.airlock.sandbox.linux.trace.TraceHarness.compile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.airlock.sandbox.linux.trace.TraceHarness.Run;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Calls that would bypass path tracing: refused or fatal, and never silent. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EscapeTraceTest {
  @TempDir Path dir;

  @TraceTest
  void ioUringSetupIsRefusedWithEnosysAndRecordedAsAnEscape() throws Exception {
    Path program =
        compile(
            dir,
            "uring",
            """
            #include <errno.h>
            #include <stdio.h>
            #include <string.h>
            #include <unistd.h>
            int main(void) {
              unsigned char params[120]; /* struct io_uring_params */
              memset(params, 0, sizeof params);
              long r = syscall(425, 8, params);
              printf("%ld %d\\n", r, r < 0 ? errno : 0);
              FILE *f = fopen("after.txt", "r"); /* tracing goes on after the refusal */
              return f == NULL;
            }
            """);
    Files.writeString(dir.resolve("after.txt"), "after");

    Run run = TraceHarness.trace(dir, program.toString());

    run.assertExitedWith(0);
    assertEquals("-1 38\n", run.stdout(), "ENOSYS");
    List<Access> escapes = run.accesses().stream().filter(a -> a.kind() == ESCAPE).toList();
    assertEquals(1, escapes.size(), run.toString());
    assertEquals(38, escapes.get(0).errno());
    assertEquals(run.rootPid(), escapes.get(0).pid());
    run.assertHas(READ, dir.resolve("after.txt"));
  }

  private static final String I386_GETPID =
      """
      #include <stdio.h>
      #include <unistd.h>
      int main(void) {
        long r;
        printf("before\\n");
        fflush(stdout);
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory"); /* i386 getpid */
        printf("after %ld %d\\n", r, r == getpid());
        return 0;
      }
      """;

  @TraceTest
  void i386SyscallThroughInt80KillsTheProcessWithSigsys() throws Exception {
    assumeTrue(I386Abi.present(), I386Abi.MISSING);
    Path program = compile(dir, "int80", I386_GETPID);
    // Control: outside the sandbox the 32-bit call works on this kernel (ia32 emulation on).
    Process plain = new ProcessBuilder(program.toString()).redirectErrorStream(true).start();
    String plainOut = new String(plain.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(plain.waitFor(10, TimeUnit.SECONDS));
    assertEquals("before\nafter " + plain.pid() + " 1\n", plainOut, "int $0x80 works untraced");

    Run run = TraceHarness.trace(dir, program.toString());

    assertFalse(run.trace().rootStatus().exited(), "killed, not exited\n" + run);
    assertEquals(SIGSYS, run.trace().rootStatus().signal(), run.toString());
    assertEquals("before\n", run.stdout(), "nothing ran after the foreign-ABI call");
    assertEquals(128 + SIGSYS, run.root().exitStatus());
  }

  @TraceTest
  void i386OpenThroughInt80IsNotAnUntracedRead() throws Exception {
    assumeTrue(I386Abi.present(), I386Abi.MISSING);
    Path program =
        compile(
            dir,
            "int80open",
            """
            #include <stdio.h>
            static const char path[] = "secret.txt";
            int main(void) {
              long r;
              printf("before\\n");
              fflush(stdout);
              /* i386 open(path, O_RDONLY); -no-pie keeps the string below 4 GiB */
              __asm__ volatile("int $0x80" : "=a"(r) : "a"(5L), "b"(path), "c"(0L) : "memory");
              printf("opened %ld\\n", r);
              return 0;
            }
            """,
            "-no-pie");
    Files.writeString(dir.resolve("secret.txt"), "secret");

    Run run = TraceHarness.trace(dir, program.toString());

    assertFalse(run.trace().rootStatus().exited(), run.toString());
    assertEquals(SIGSYS, run.trace().rootStatus().signal());
    assertEquals("before\n", run.stdout());
  }

  @TraceTest
  void x32SyscallNumberKillsTheProcessWithSigsys() throws Exception {
    Path program =
        compile(
            dir,
            "x32",
            """
            #include <stdio.h>
            #include <unistd.h>
            int main(void) {
              printf("before\\n");
              fflush(stdout);
              long r = syscall(0x40000000L | 2, "secret.txt", 0); /* x32 open */
              printf("after %ld\\n", r);
              return 0;
            }
            """);

    Run run = TraceHarness.trace(dir, program.toString());

    assertFalse(run.trace().rootStatus().exited(), run.toString());
    assertEquals(SIGSYS, run.trace().rootStatus().signal());
    assertEquals("before\n", run.stdout());
  }
}
