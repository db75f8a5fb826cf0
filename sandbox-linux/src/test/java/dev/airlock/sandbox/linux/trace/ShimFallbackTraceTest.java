package dev.airlock.sandbox.linux.trace;

import static dev.airlock.sandbox.linux.trace.AccessKind.ABSENT_PROBE;
import static dev.airlock.sandbox.linux.trace.AccessKind.ESCAPE;
import static dev.airlock.sandbox.linux.trace.AccessKind.READ;
import static dev.airlock.sandbox.linux.trace.AccessKind.STAT_PROBE;
import static dev.airlock.sandbox.linux.trace.ShimTraceTest.both;
import static dev.airlock.sandbox.linux.trace.TraceHarness.compile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.airlock.sandbox.linux.Confinement;
import dev.airlock.sandbox.linux.LaunchSpec;
import dev.airlock.sandbox.linux.trace.TraceHarness.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way back from the fast path to ptrace, with real programs: what the shim cannot serve still
 * stops and is recorded as in strict mode, and nothing a process does to the shim's page or ring
 * loses a record or wedges the tracer.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ShimFallbackTraceTest {
  @TempDir Path dir;

  private static final String STATS_LOOP =
      """
      #include <stdio.h>
      #include <sys/stat.h>
      int main(int argc, char **argv) {
        int n = argc > 1 ? atoi(argv[1]) : 300;
        char name[64];
        struct stat st;
        int found = 0;
        for (int i = 0; i < n; i++) {
          snprintf(name, sizeof name, "f%03d", i);
          if (stat(name, &st) == 0) found++;
        }
        printf("%d\\n", found);
        return 0;
      }
      """;

  @Test
  void theCommandSeesItsOwnEnvironmentAndEnvDashIChildrenKeepTheShim() throws Exception {
    Files.writeString(dir.resolve("in.txt"), "in");

    Run run = both(() -> TraceHarness.sh(dir, "env; env -i /bin/sh -c 'env; cat in.txt'"));

    run.assertExitedWith(0);
    // The shim's variables are taken out at start and put back on exec: invisible to programs.
    assertTrue(run.stdout().startsWith("PATH=/usr/bin:/bin\n"), run.stdout());
    assertFalse(run.stdout().contains("AIRLOCK_SHIM"), run.stdout());
    assertFalse(run.stdout().contains("LD_PRELOAD"), run.stdout());
    assertTrue(run.stdout().endsWith("\nin"), run.stdout());
    run.assertHas(READ, dir.resolve("in.txt"));
    assertEquals(
        6, run.stats().shimProcesses(), "sh, env, env -i, the sh it runs, env, cat\n" + run);
  }

  @Test
  void aRawExecveWithAnEmptyEnvironmentDropsTheShimSoItsProgramStops() throws Exception {
    Path program =
        compile(
            dir,
            "rawexec",
            """
            #include <sys/syscall.h>
            #include <unistd.h>
            int main(void) {
              char *argv[] = {"cat", "in.txt", 0};
              char *none[] = {0};
              syscall(SYS_execve, "/bin/cat", argv, none);
              return 1;
            }
            """);
    Files.writeString(dir.resolve("in.txt"), "in");

    Run run = both(() -> TraceHarness.trace(dir, program.toString()));

    run.assertExitedWith(0);
    run.assertHas(READ, dir.resolve("in.txt"));
    assertEquals(1, run.stats().shimProcesses(), "cat runs without it\n" + run);
  }

  @Test
  void aProcessThatClosesTheRingLeavesItsChildrenOnTheSlowPath() throws Exception {
    Path program = closeAndExec();
    Run run = both(() -> TraceHarness.trace(dir, program.toString()));

    run.assertExitedWith(0);
    assertEquals("", run.stderr(), "the loader found the shim (no warning)");
    run.assertHas(STAT_PROBE, dir.resolve("before.txt"));
    run.assertHas(READ, dir.resolve("child-reads.txt"));
    assertEquals(1, run.stats().shimProcesses(), "the child has the shim but no ring\n" + run);
  }

  @Test
  void inAPidNamespaceTheChildrenReopenTheRingThroughTheInit() throws Exception {
    assumeTrue(TraceHarness.launcher().pidNamespaceWorks(), "no user and pid namespaces here");
    Path program = closeAndExec();
    Confinement pidns = Confinement.namespacesOnly(Confinement.Network.HOST).withPidNamespace(true);

    Run run =
        both(
            () ->
                TraceHarness.trace(
                    new LaunchSpec(List.of(program.toString()), TraceHarness.ENV, dir, false),
                    Duration.ofSeconds(20),
                    null,
                    AccessGuard.ALLOW_ALL,
                    pidns));

    run.assertExitedWith(0);
    assertEquals("", run.stderr());
    run.assertHas(READ, dir.resolve("child-reads.txt"));
    assertEquals(2, run.stats().shimProcesses(), run.toString());
  }

  /** A program that closes every inherited fd (as closefrom does), then execs cat. */
  private Path closeAndExec() throws Exception {
    Files.writeString(dir.resolve("before.txt"), "b");
    Files.writeString(dir.resolve("child-reads.txt"), "");
    return compile(
        dir,
        "closer",
        """
        #define _GNU_SOURCE
        #include <sys/stat.h>
        #include <sys/syscall.h>
        #include <unistd.h>
        int main(void) {
          struct stat st;
          if (stat("before.txt", &st) != 0) return 1;
          syscall(SYS_close_range, 3U, ~0U, 0);
          execl("/bin/cat", "cat", "child-reads.txt", (char *)0);
          return 2;
        }
        """);
  }

  @Test
  void changingTheShimsPageIsRefusedAndRecordedWhileOtherMappingsNearItRun() throws Exception {
    Path program =
        compile(
            dir,
            "page",
            """
            #define _GNU_SOURCE
            #include <errno.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <sys/mman.h>
            #include <sys/stat.h>
            int main(void) {
              /* The shim's page: the one executable page in the 16-80 TiB region. */
              FILE *maps = fopen("/proc/self/maps", "r");
              char line[512];
              void *page = NULL;
              while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
                unsigned long from = strtoul(line, NULL, 16);
                if (from >= 0x100000000000UL && from < 0x500000000000UL && strstr(line, "r-xp"))
                  page = (void *)from;
              }
              if (page == NULL) return 1;
              if (getenv("AIRLOCK_SHIM") != NULL) return 2; /* hidden from the program */
              int a = mprotect(page, 4096, PROT_READ | PROT_WRITE);
              int ea = errno;
              int b = munmap(page, 4096);
              int eb = errno;
              void *c = mmap(page, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
              int ec = errno;
              int d = madvise((char *)page - 4096, 8192, MADV_DONTNEED);
              int ed = errno;
              int e = mprotect(page, 4096, PROT_READ | PROT_EXEC);
              void *f = mmap((char *)page + 8192, 4096, PROT_READ,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
              struct stat st;
              int g = stat("still-served.txt", &st);
              printf("%d %d %d %d %d %d %d %d %d %d %d\\n", a, ea, b, eb, c == MAP_FAILED, ec, d, ed,
                     e, f != MAP_FAILED, g);
              return 0;
            }
            """);
    Files.writeString(dir.resolve("still-served.txt"), "s");
    TraceHarness.mode = TraceMode.FAST;
    Run run;
    try {
      run = TraceHarness.trace(dir, program.toString());
    } finally {
      TraceHarness.mode = TraceMode.STRICT;
    }

    run.assertExitedWith(0);
    assertEquals("-1 1 -1 1 1 1 -1 1 0 1 0", run.stdout().trim(), run.toString());
    run.assertHas(ESCAPE, "(mprotect of the shim's page)");
    run.assertHas(ESCAPE, "(munmap of the shim's page)");
    run.assertHas(ESCAPE, "(mmap of the shim's page)");
    run.assertHas(ESCAPE, "(madvise of the shim's page)");
    run.assertHas(STAT_PROBE, dir.resolve("still-served.txt"));
    assertTrue(run.stats().records() >= 1, "the shim still serves\n" + run);
  }

  @Test
  void aFullRingSendsCallsTheSlowWayAndLosesNone() throws Exception {
    Path program = compile(dir, "stats", "#include <stdlib.h>\n" + STATS_LOOP);
    for (int i = 0; i < 300; i += 3) {
      Files.writeString(dir.resolve(String.format("f%03d", i)), "");
    }

    Run run =
        both(
            () -> {
              TraceHarness.ringSlots = 4;
              return TraceHarness.trace(dir, program.toString(), "300");
            });

    run.assertExitedWith(0);
    assertEquals("100", run.stdout().trim());
    for (int i = 0; i < 300; i++) {
      run.assertHas(i % 3 == 0 ? STAT_PROBE : ABSENT_PROBE, dir.resolve(String.format("f%03d", i)));
    }
    assertTrue(run.stats().ringFull() > 0, run.toString());
    assertTrue(run.stats().records() > 0, run.toString());
  }

  @Test
  void aWriterKilledBetweenClaimAndPublishDoesNotWedgeTheReader() throws Exception {
    Path program =
        compile(
            dir,
            "killed",
            "#include <stdlib.h>\n"
                + """
                #include <fcntl.h>
                #include <signal.h>
                #include <stdio.h>
                #include <string.h>
                #include <sys/stat.h>
                #include <sys/wait.h>
                #include <unistd.h>
                /* Whether the process is blocked in openat (the shim's call, its slot claimed). */
                static int in_open(pid_t pid) {
                  char path[64], text[64] = "";
                  snprintf(path, sizeof path, "/proc/%d/syscall", pid);
                  FILE *f = fopen(path, "r");
                  if (f == NULL) return 0;
                  fgets(text, sizeof text, f);
                  fclose(f);
                  return strncmp(text, "257 ", 4) == 0;
                }
                int main(void) {
                  pid_t child = fork();
                  if (child == 0) {
                    open("fifo", O_RDONLY); /* no writer: blocks with its record claimed */
                    _exit(1);
                  }
                  for (int i = 0; i < 5000 && !in_open(child); i++) usleep(1000);
                  if (!in_open(child)) return 3;
                  kill(child, SIGKILL);
                  waitpid(child, NULL, 0);
                  char name[16];
                  struct stat st;
                  int found = 0;
                  for (int i = 0; i < 64; i++) {
                    snprintf(name, sizeof name, "f%03d", i);
                    if (stat(name, &st) == 0) found++;
                  }
                  printf("%d\\n", found);
                  return 0;
                }
                """);
    Process mkfifo = new ProcessBuilder("mkfifo", dir.resolve("fifo").toString()).start();
    assertEquals(0, mkfifo.waitFor());
    for (int i = 0; i < 64; i += 2) {
      Files.writeString(dir.resolve(String.format("f%03d", i)), "");
    }

    Run run =
        both(
            () -> {
              TraceHarness.ringSlots = 8;
              return TraceHarness.trace(dir, program.toString());
            });

    run.assertExitedWith(0);
    assertEquals("32", run.stdout().trim());
    for (int i = 0; i < 64; i++) {
      run.assertHas(i % 2 == 0 ? STAT_PROBE : ABSENT_PROBE, dir.resolve(String.format("f%03d", i)));
    }
    assertEquals(1, run.stats().stuck(), "the killed writer's slot stays claimed\n" + run);
  }

  @Test
  void aStaticBinaryRunsWithoutTheShimAndRecordsTheSame() throws Exception {
    Path program = compile(dir, "static", "#include <stdlib.h>\n" + STATS_LOOP, "-static");
    Files.writeString(dir.resolve("f001"), "");

    Run run = both(() -> TraceHarness.sh(dir, program + " 5"));

    run.assertExitedWith(0);
    run.assertHas(STAT_PROBE, dir.resolve("f001"));
    run.assertHas(ABSENT_PROBE, dir.resolve("f002"));
    assertEquals(1, run.stats().shimProcesses(), "only the shell\n" + run);
    assertEquals(0, run.stats().records(), "the shell's builtins made no calls to serve\n" + run);
    assertTrue(run.stats().stopsBySyscall().get("newfstatat") >= 5, "every stat stopped\n" + run);
  }

  @Test
  void aSetuidBinaryUnderNoNewPrivsGainsNothingAndKeepsTheShim() throws Exception {
    Path program =
        compile(
            dir,
            "setuid",
            """
            #include <stdio.h>
            #include <sys/stat.h>
            #include <unistd.h>
            int main(void) {
              struct stat st;
              int r = stat("probe.txt", &st);
              printf("%d %d\\n", (int)geteuid() == (int)getuid(), r);
              return 0;
            }
            """);
    Files.writeString(dir.resolve("probe.txt"), "p");
    if (TraceHarness.Libc.getuid() == 0) {
      // Owned by someone else: the setuid bit would change the effective uid without
      // no_new_privs.
      assertEquals(0, new ProcessBuilder("chown", "65534", program.toString()).start().waitFor());
    }
    assertEquals(0, new ProcessBuilder("chmod", "4755", program.toString()).start().waitFor());

    Run run = both(() -> TraceHarness.trace(dir, program.toString()));

    run.assertExitedWith(0);
    assertEquals("1 0", run.stdout().trim(), "no privilege gained");
    run.assertHas(STAT_PROBE, dir.resolve("probe.txt"));
    assertEquals(1, run.stats().shimProcesses(), "the loader honoured LD_PRELOAD\n" + run);
  }
}
