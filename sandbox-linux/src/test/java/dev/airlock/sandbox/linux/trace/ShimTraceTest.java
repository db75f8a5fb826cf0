package dev.airlock.sandbox.linux.trace;

import static dev.airlock.sandbox.linux.trace.AccessKind.ABSENT_PROBE;
import static dev.airlock.sandbox.linux.trace.AccessKind.ENUMERATE;
import static dev.airlock.sandbox.linux.trace.AccessKind.READ;
import static dev.airlock.sandbox.linux.trace.AccessKind.STAT_PROBE;
import static dev.airlock.sandbox.linux.trace.TraceHarness.compile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.sandbox.linux.trace.TraceHarness.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calls the shim serves, with real programs: each runs in strict mode and then with the fast path,
 * and both must record the same (kind, path, errno) set; the fast run must really have been served
 * by the shim. The fallbacks are in {@link ShimFallbackTraceTest}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ShimTraceTest {
  @TempDir Path dir;

  /**
   * Runs {@code action} strict, then fast, and fails unless both recorded the same; returns the
   * fast run. The action must leave nothing behind that changes its second run.
   */
  static Run both(Callable<Run> action) throws Exception {
    Run strict;
    Run fast;
    try {
      TraceHarness.mode = TraceMode.STRICT;
      strict = action.call();
      TraceHarness.mode = TraceMode.FAST;
      fast = action.call();
    } finally {
      TraceHarness.mode = TraceMode.STRICT;
      TraceHarness.ringSlots = FastPath.DEFAULT_SLOTS;
    }
    assertEquals(TraceMode.FAST, fast.mode());
    SortedSet<String> onlyStrict = new TreeSet<>(TraceHarness.comparable(strict.trace()));
    onlyStrict.removeAll(TraceHarness.comparable(fast.trace()));
    SortedSet<String> onlyFast = new TreeSet<>(TraceHarness.comparable(fast.trace()));
    onlyFast.removeAll(TraceHarness.comparable(strict.trace()));
    assertEquals(
        "",
        (onlyStrict.isEmpty() ? "" : "only strict: " + onlyStrict + "\n")
            + (onlyFast.isEmpty() ? "" : "only fast: " + onlyFast),
        "both modes recorded the same\nstrict: " + strict + "\nfast: " + fast);
    return fast;
  }

  @Test
  void aRawSyscallStopsWhileLibcsReadlinkIsServed() throws Exception {
    Path program =
        compile(
            dir,
            "raw",
            """
            #include <sys/syscall.h>
            #include <unistd.h>
            int main(void) {
              char buf[256];
              long raw = syscall(SYS_readlink, "raw-link", buf, sizeof buf);
              ssize_t served = readlink("libc-link", buf, sizeof buf);
              return raw > 0 && served > 0 ? 0 : 1;
            }
            """);
    Files.writeString(dir.resolve("target"), "t");
    Files.createSymbolicLink(dir.resolve("raw-link"), Path.of("target"));
    Files.createSymbolicLink(dir.resolve("libc-link"), Path.of("target"));

    Run run = both(() -> TraceHarness.trace(dir, program.toString()));

    run.assertExitedWith(0);
    run.assertHas(READ, dir.resolve("raw-link").toString());
    run.assertHas(READ, dir.resolve("libc-link").toString());
    assertEquals(1L, run.stats().stopsBySyscall().get("readlink"), "only the raw one stopped");
    assertTrue(run.stats().records() >= 1, run.toString());
  }

  @Test
  void realpathFopenOpendirAndNftwAreServedAndRecordedAsInStrictMode() throws Exception {
    Path program =
        compile(
            dir,
            "walk",
            """
            #define _GNU_SOURCE
            #include <dirent.h>
            #include <ftw.h>
            #include <limits.h>
            #include <stdio.h>
            #include <stdlib.h>
            static int visit(const char *p, const struct stat *st, int flag, struct FTW *f) {
              (void)p; (void)st; (void)flag; (void)f;
              return 0;
            }
            int main(void) {
              char out[PATH_MAX];
              if (realpath("tree/link/leaf.txt", out) == NULL) return 1;
              if (realpath("tree/nowhere/x", out) != NULL) return 2;
              FILE *f = fopen("tree/a/file.txt", "r");
              if (f == NULL) return 3;
              fclose(f);
              DIR *d = opendir("tree");
              if (d == NULL) return 4;
              while (readdir(d) != NULL) {}
              closedir(d);
              if (nftw("tree", visit, 8, FTW_PHYS) != 0) return 5;
              if (nftw("tree", visit, 8, FTW_PHYS | FTW_CHDIR) != 0) return 6;
              return 0;
            }
            """);
    Files.createDirectories(dir.resolve("tree/a/b"));
    Files.writeString(dir.resolve("tree/a/file.txt"), "f");
    Files.writeString(dir.resolve("tree/a/b/leaf.txt"), "l");
    Files.createSymbolicLink(dir.resolve("tree/link"), Path.of("a/b"));

    Run run = both(() -> TraceHarness.trace(dir, program.toString()));

    run.assertExitedWith(0);
    run.assertHas(READ, dir.resolve("tree/link").toString()); // realpath's readlink
    run.assertHas(STAT_PROBE, dir.resolve("tree/a/b/leaf.txt"));
    run.assertHas(ABSENT_PROBE, dir.resolve("tree/nowhere").toString());
    run.assertHas(READ, dir.resolve("tree/a/file.txt"));
    run.assertHas(ENUMERATE, dir.resolve("tree"));
    run.assertHas(ENUMERATE, dir.resolve("tree/a"));
    run.assertHas(ENUMERATE, dir.resolve("tree/a/b"));
    assertTrue(run.stats().records() >= 10, run.toString());
    assertEquals(List.of(), run.stats().unpatched());
  }

  @Test
  void threadsAreServedConcurrently() throws Exception {
    Path program =
        compile(
            dir,
            "threads",
            """
            #include <fcntl.h>
            #include <pthread.h>
            #include <stdio.h>
            #include <sys/stat.h>
            #include <unistd.h>
            static void *worker(void *arg) {
              long n = (long)arg;
              char name[64];
              struct stat st;
              for (int i = 0; i < 300; i++) {
                snprintf(name, sizeof name, "t%ld-%d", n, i % 30);
                stat(name, &st);
                int fd = open("shared.txt", O_RDONLY);
                if (fd >= 0) close(fd);
              }
              return NULL;
            }
            int main(void) {
              pthread_t t[8];
              for (long i = 0; i < 8; i++) pthread_create(&t[i], NULL, worker, (void *)i);
              for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
              return 0;
            }
            """);
    Files.writeString(dir.resolve("shared.txt"), "s");
    for (int i = 0; i < 30; i += 2) {
      Files.writeString(dir.resolve("t3-" + i), "x");
    }

    Run run = both(() -> TraceHarness.trace(dir, program.toString()));

    run.assertExitedWith(0);
    run.assertHas(READ, dir.resolve("shared.txt"));
    run.assertHas(STAT_PROBE, dir.resolve("t3-0"));
    run.assertHas(ABSENT_PROBE, dir.resolve("t3-1"));
    run.assertHas(ABSENT_PROBE, dir.resolve("t7-29"));
    assertTrue(run.stats().records() >= 8 * 300, run.toString());
  }

  @Test
  void vforkAndPosixSpawnChildrenChangeDirectoryAndOpenRelativePaths() throws Exception {
    Path program =
        compile(
            dir,
            "spawns",
            """
            #define _GNU_SOURCE
            #include <fcntl.h>
            #include <spawn.h>
            #include <sys/wait.h>
            #include <unistd.h>
            extern char **environ;
            int main(void) {
              pid_t p = vfork();
              if (p == 0) {
                if (chdir("sub") != 0) _exit(10);
                _exit(open("in-sub.txt", O_RDONLY) >= 0 ? 0 : 11);
              }
              int st;
              waitpid(p, &st, 0);
              if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return 1;
              posix_spawn_file_actions_t fa;
              posix_spawn_file_actions_init(&fa);
              posix_spawn_file_actions_addchdir_np(&fa, "sub2");
              posix_spawn_file_actions_addopen(&fa, 0, "spawn-in.txt", O_RDONLY, 0);
              char *args[] = {"cat", "-", "in-sub2.txt", NULL};
              if (posix_spawnp(&p, "cat", &fa, NULL, args, environ) != 0) return 2;
              waitpid(p, &st, 0);
              return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 3;
            }
            """);
    Files.createDirectory(dir.resolve("sub"));
    Files.createDirectory(dir.resolve("sub2"));
    Files.writeString(dir.resolve("sub/in-sub.txt"), "a");
    Files.writeString(dir.resolve("sub2/spawn-in.txt"), "b");
    Files.writeString(dir.resolve("sub2/in-sub2.txt"), "c");

    Run run = both(() -> TraceHarness.trace(dir, program.toString()));

    run.assertExitedWith(0);
    assertEquals("bc", run.stdout());
    run.assertHas(READ, dir.resolve("sub/in-sub.txt"));
    run.assertHas(READ, dir.resolve("sub2/spawn-in.txt"));
    run.assertHas(READ, dir.resolve("sub2/in-sub2.txt"));
    run.assertHasNo(READ, dir.resolve("in-sub.txt"));
    assertTrue(run.stats().records() >= 3, run.toString());
  }

  @Test
  void callsFromASignalHandlerInterruptingTheShimAreServedToo() throws Exception {
    Path program =
        compile(
            dir,
            "handler",
            """
            #include <fcntl.h>
            #include <signal.h>
            #include <stdio.h>
            #include <sys/stat.h>
            #include <sys/time.h>
            #include <unistd.h>
            static volatile sig_atomic_t hits;
            static void on_alarm(int sig) {
              (void)sig;
              int fd = open("from-handler.txt", O_RDONLY);
              if (fd >= 0) close(fd);
              struct stat st;
              stat("handler-missing", &st);
              hits++;
            }
            int main(void) {
              struct sigaction sa = {0};
              sa.sa_handler = on_alarm;
              sigaction(SIGALRM, &sa, NULL);
              struct itimerval every = {{0, 500}, {0, 500}};
              setitimer(ITIMER_REAL, &every, NULL);
              struct stat st;
              long loops = 0;
              while (hits < 100) {
                stat("main-loop.txt", &st);
                loops++;
              }
              struct itimerval off = {{0, 0}, {0, 0}};
              setitimer(ITIMER_REAL, &off, NULL);
              return loops > 0 ? 0 : 1;
            }
            """);
    Files.writeString(dir.resolve("from-handler.txt"), "h");
    Files.writeString(dir.resolve("main-loop.txt"), "m");

    Run run = both(() -> TraceHarness.trace(dir, program.toString()));

    run.assertExitedWith(0);
    run.assertHas(READ, dir.resolve("from-handler.txt"));
    run.assertHas(ABSENT_PROBE, dir.resolve("handler-missing"));
    run.assertHas(STAT_PROBE, dir.resolve("main-loop.txt"));
    assertTrue(run.stats().records() >= 200, run.toString());
  }

  /**
   * The guard against a silent regression (a glibc whose functions the shim no longer recognizes):
   * one {@code gcc -c} of a plain file stops at most ~80 times (the dynamic loader's calls, the
   * execs, creates and unlinks); some 1,400 without the shim.
   */
  @Test
  void aGccCompileStopsAtMostEightyTimes() throws Exception {
    Files.writeString(
        dir.resolve("plain.c"),
        """
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <errno.h>
        int main(int argc, char **argv) {
          if (argc > 1) printf("%s %d\\n", strerror(errno), atoi(argv[1]));
          return 0;
        }
        """);

    Run run =
        both(
            () -> {
              Files.deleteIfExists(dir.resolve("plain.o"));
              return TraceHarness.sh(dir, "gcc -O1 -c plain.c -o plain.o");
            });

    run.assertExitedWith(0);
    TraceStats stats = run.stats();
    assertTrue(
        stats.seccompStops() <= 80,
        "one gcc -c made "
            + stats.seccompStops()
            + " stops (at most 80 expected); functions left to ptrace: "
            + (stats.unpatched().isEmpty() ? "none" : stats.unpatched())
            + "; stops by syscall: "
            + stats.stopsBySyscall());
    assertEquals(List.of(), stats.unpatched(), "glibc functions left to ptrace");
    assertTrue(stats.records() > 1000, stats.toString());
  }
}
