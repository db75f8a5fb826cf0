package dev.airlock.sandbox.linux.trace;

import static dev.airlock.sandbox.linux.trace.AccessKind.EXEC;
import static dev.airlock.sandbox.linux.trace.AccessKind.READ;
import static dev.airlock.sandbox.linux.trace.TraceHarness.ENV;
import static dev.airlock.sandbox.linux.trace.TraceHarness.SIGCONT;
import static dev.airlock.sandbox.linux.trace.TraceHarness.SIGKILL;
import static dev.airlock.sandbox.linux.trace.TraceHarness.SIGUSR1;
import static dev.airlock.sandbox.linux.trace.TraceHarness.await;
import static dev.airlock.sandbox.linux.trace.TraceHarness.cmdline;
import static dev.airlock.sandbox.linux.trace.TraceHarness.compile;
import static dev.airlock.sandbox.linux.trace.TraceHarness.inSyscall;
import static dev.airlock.sandbox.linux.trace.TraceHarness.procState;
import static dev.airlock.sandbox.linux.trace.TraceHarness.which;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.sandbox.linux.LaunchSpec;
import dev.airlock.sandbox.linux.trace.TraceHarness.Libc;
import dev.airlock.sandbox.linux.trace.TraceHarness.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Threads, children, exec from threads, stops, kills and signals under the tracer. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ProcessTreeTraceTest {
  private static final int NR_NANOSLEEP = 35;
  private static final int NR_CLOCK_NANOSLEEP = 230;

  @TempDir Path dir;

  @TraceTest
  void eightThreadsOpeningFilesAreAttributedToTheirProcess() throws Exception {
    Path program =
        compile(
            dir,
            "threads",
            """
            #define _GNU_SOURCE
            #include <fcntl.h>
            #include <pthread.h>
            #include <stdio.h>
            #include <sys/syscall.h>
            #include <unistd.h>
            #define N 8
            static pthread_barrier_t barrier;
            static long tids[N];
            static void *worker(void *arg) {
              long i = (long)arg;
              char name[32], buf[32];
              snprintf(name, sizeof name, "t%ld.txt", i);
              tids[i] = syscall(SYS_gettid);
              pthread_barrier_wait(&barrier); /* all threads alive and opening at once */
              int fd = open(name, O_RDONLY);
              if (fd < 0 || read(fd, buf, sizeof buf) <= 0) return (void *)1;
              close(fd);
              return NULL;
            }
            int main(void) {
              pthread_t t[N];
              pthread_barrier_init(&barrier, NULL, N);
              for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, worker, (void *)i);
              for (int i = 0; i < N; i++) {
                void *r;
                pthread_join(t[i], &r);
                if (r != NULL) return 1;
              }
              for (int i = 0; i < N; i++) printf("%ld\\n", tids[i]);
              return 0;
            }
            """);
    for (int i = 0; i < 8; i++) {
      Files.writeString(dir.resolve("t" + i + ".txt"), "thread " + i);
    }

    Run run = TraceHarness.trace(dir, program.toString());

    run.assertExitedWith(0);
    Set<Integer> tids = new HashSet<>();
    run.stdout().lines().forEach(l -> tids.add(Integer.parseInt(l)));
    assertEquals(8, tids.size(), "eight distinct threads: " + run.stdout());
    assertFalse(tids.contains(run.rootPid()), "the opens came from non-leader threads");
    for (int i = 0; i < 8; i++) {
      Access read = run.get(READ, dir.resolve("t" + i + ".txt"));
      assertEquals(run.rootPid(), read.pid(), "attributed to the process, not the thread");
    }
    assertEquals(1, run.processes().size(), "threads are not processes\n" + run);
    assertEquals(List.of(program.toString()), run.root().argv());
    run.assertCompleteRecord();
  }

  @TraceTest
  void childrenOfPosixSpawnAndVforkAreTracedWithTheirParentLinks() throws Exception {
    Path program =
        compile(
            dir,
            "spawner",
            """
            #include <spawn.h>
            #include <stdio.h>
            #include <sys/wait.h>
            #include <unistd.h>
            extern char **environ;
            int main(int argc, char **argv) {
              int status;
              pid_t a, b;
              char *first[] = {"cat", argv[1], NULL};
              if (posix_spawn(&a, "/bin/cat", NULL, NULL, first, environ) != 0) return 10;
              if (waitpid(a, &status, 0) != a || !WIFEXITED(status) || WEXITSTATUS(status)) return 11;
              b = vfork();
              if (b == 0) {
                char *second[] = {"cat", argv[2], NULL};
                execve("/bin/cat", second, environ);
                _exit(127);
              }
              if (b < 0 || waitpid(b, &status, 0) != b || !WIFEXITED(status)) return 12;
              if (WEXITSTATUS(status)) return 13;
              printf("%d %d\\n", (int)a, (int)b);
              return 0;
            }
            """);
    Files.writeString(dir.resolve("spawned.txt"), "spawned\n");
    Files.writeString(dir.resolve("vforked.txt"), "vforked\n");

    Run run = TraceHarness.trace(dir, program.toString(), "spawned.txt", "vforked.txt");

    run.assertExitedWith(0);
    List<String> lines = run.stdout().lines().toList();
    assertEquals(List.of("spawned", "vforked"), lines.subList(0, 2), run.stdout());
    String[] pids = lines.get(2).split(" ");
    int spawned = Integer.parseInt(pids[0]);
    int vforked = Integer.parseInt(pids[1]);

    TracedProcess a = run.process(spawned);
    TracedProcess b = run.process(vforked);
    assertEquals(List.of("cat", "spawned.txt"), a.argv(), "posix_spawn child\n" + run);
    assertEquals(List.of("cat", "vforked.txt"), b.argv(), "vfork child\n" + run);
    assertEquals(run.rootPid(), a.parentPid(), "posix_spawn child's parent\n" + run);
    assertEquals(run.rootPid(), b.parentPid(), "vfork child's parent\n" + run);
    assertEquals(0, a.exitStatus());
    assertEquals(0, b.exitStatus());
    assertEquals(3, run.processes().size(), "root and two children\n" + run);

    assertEquals(spawned, run.get(READ, dir.resolve("spawned.txt")).pid());
    assertEquals(vforked, run.get(READ, dir.resolve("vforked.txt")).pid());
    assertEquals(spawned, run.get(EXEC, Path.of("/bin/cat")).pid(), "first exec of cat");
    if (Files.isSymbolicLink(Path.of("/bin"))) {
      run.assertHas(READ, "/bin"); // the symlink /bin/cat went through
    }
    run.assertCompleteRecord();
  }

  @TraceTest
  void execFromANonLeaderThreadContinuesTheActionAsTheNewProgram() throws Exception {
    Path program = threadExec();
    Files.writeString(dir.resolve("payload.txt"), "read by cat after a thread's exec\n");

    Run run = TraceHarness.trace(dir, program.toString(), "payload.txt");

    run.assertExitedWith(0);
    assertEquals("read by cat after a thread's exec\n", run.stdout());
    assertEquals(run.rootPid(), run.get(READ, dir.resolve("payload.txt")).pid());
    run.assertHas(EXEC, Path.of("/bin/cat"));
    assertEquals(List.of("cat", "payload.txt"), run.root().argv(), "the exec'd command line");
    assertEquals(0, run.root().exitStatus());
    assertEquals(1, run.processes().size(), "still one process\n" + run);
  }

  @TraceTest
  void execFromANonLeaderThreadOfAChildKeepsItsPidAndParent() throws Exception {
    Path program = threadExec();
    Files.writeString(dir.resolve("payload.txt"), "child thread exec\n");

    Run run = TraceHarness.sh(dir, program + " payload.txt; echo \"status $?\"");

    run.assertExitedWith(0);
    assertEquals("child thread exec\nstatus 0\n", run.stdout());
    TracedProcess cat = run.onlyWithArgv(List.of("cat", "payload.txt"));
    assertEquals(run.rootPid(), cat.parentPid(), run.toString());
    assertEquals(0, cat.exitStatus(), run.toString());
    assertEquals(cat.pid(), run.get(READ, dir.resolve("payload.txt")).pid());
    assertEquals(cat.pid(), run.get(EXEC, program).pid());
    assertEquals(2, run.processes().size(), "sh and the program turned cat\n" + run);
  }

  @TraceTest
  void mainThreadExitingAloneLeavesTheProcessRunningOnItsOtherThreads() throws Exception {
    Path program =
        compile(
            dir,
            "leaderexit",
            """
            #include <pthread.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <unistd.h>
            static void *worker(void *arg) {
              usleep(100 * 1000); /* well after the main thread is gone */
              FILE *f = fopen("late.txt", "r");
              printf("worker read=%d\\n", f != NULL);
              fflush(stdout);
              exit(7);
            }
            int main(void) {
              pthread_t t;
              pthread_create(&t, NULL, worker, NULL);
              pthread_exit(NULL); /* the process lives on while a thread does */
            }
            """);
    Files.writeString(dir.resolve("late.txt"), "late");

    Run run = TraceHarness.trace(dir, program.toString());

    run.assertExitedWith(7);
    assertEquals("worker read=1\n", run.stdout());
    assertEquals(run.rootPid(), run.get(READ, dir.resolve("late.txt")).pid());
    assertEquals(7, run.root().exitStatus());
  }

  private Path threadExec() throws Exception {
    return compile(
        dir,
        "threadexec",
        """
        #include <pthread.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <unistd.h>
        extern char **environ;
        static char *file;
        static void *worker(void *arg) {
          char *argv[] = {"cat", file, NULL};
          execve("/bin/cat", argv, environ);
          perror("execve");
          exit(99);
        }
        int main(int argc, char **argv) {
          pthread_t t;
          file = argv[1];
          pthread_create(&t, NULL, worker, NULL);
          pthread_join(t, NULL);
          return 98;
        }
        """);
  }

  @TraceTest
  void selfStoppedProcessStaysStoppedUntilContinued() throws Exception {
    AtomicLong stoppedNanos = new AtomicLong();
    long minimum = TimeUnit.MILLISECONDS.toNanos(300);

    Run run =
        TraceHarness.trace(
            new LaunchSpec(List.of("sh", "-c", "kill -STOP $$; echo resumed"), ENV, dir, false),
            Duration.ofSeconds(20),
            live -> {
              int pid = live.pid();
              // Stopped (T, or t under a tracer) without a break for a while: a real stop,
              // not a passing ptrace stop.
              long[] since = {0};
              await(
                  Duration.ofSeconds(10),
                  "sh to stay stopped for 300 ms",
                  v -> {
                    char state = procState(pid);
                    long now = System.nanoTime();
                    if (state != 'T' && state != 't') {
                      since[0] = 0;
                      return false;
                    }
                    if (since[0] == 0) {
                      since[0] = now;
                    }
                    return now - since[0] >= minimum;
                  });
              stoppedNanos.set(System.nanoTime() - since[0]);
              assertEquals("", live.stdoutSoFar(), "nothing ran past the stop");
              assertEquals(0, Libc.kill(pid, SIGCONT));
            });

    run.assertExitedWith(0);
    assertEquals("resumed\n", run.stdout());
    assertTrue(stoppedNanos.get() >= minimum);
    assertTrue(run.elapsed().toNanos() >= minimum, "the action waited for SIGCONT");
  }

  @TraceTest
  void traceeKilledWithSigkillEndsWith137AndTheActionCompletes() throws Exception {
    Path pidfile = dir.resolve("pidfile");
    int[] killed = {0};

    Run run =
        TraceHarness.trace(
            new LaunchSpec(
                List.of("sh", "-c", "sleep 30 & echo $! > pidfile; wait $!; echo \"wait: $?\""),
                ENV,
                dir,
                false),
            Duration.ofSeconds(20),
            live -> {
              await(
                  Duration.ofSeconds(10),
                  "pidfile",
                  v -> {
                    try {
                      return Files.readString(pidfile).endsWith("\n");
                    } catch (Exception e) {
                      return false;
                    }
                  });
              int pid = Integer.parseInt(Files.readString(pidfile).trim());
              // Asleep in clock_nanosleep: past its exec and running as sleep.
              await(
                  Duration.ofSeconds(10),
                  "the child to exec sleep and sleep",
                  v ->
                      cmdline(pid).equals(List.of("sleep", "30"))
                          && inSyscall(pid, NR_CLOCK_NANOSLEEP, NR_NANOSLEEP));
              killed[0] = pid;
              assertEquals(0, Libc.kill(pid, SIGKILL));
            });

    run.assertExitedWith(0);
    assertEquals("wait: 137\n", run.stdout(), "the shell saw the kill");
    assertTrue(run.elapsed().compareTo(Duration.ofSeconds(20)) < 0);
    TracedProcess sleep = run.process(killed[0]);
    assertEquals(List.of("sleep", "30"), sleep.argv(), run.toString());
    assertEquals(137, sleep.exitStatus(), "128 + SIGKILL\n" + run);
    assertEquals(run.rootPid(), sleep.parentPid());
    assertEquals(
        which("sleep"),
        run.accesses().stream()
            .filter(a -> a.kind() == EXEC && a.pid() == killed[0])
            .findFirst()
            .orElseThrow()
            .path());
  }

  @TraceTest
  void signalsReachTheTraceeUnchangedAndItsHandlerRuns() throws Exception {
    Path program =
        compile(
            dir,
            "signals",
            """
            #include <signal.h>
            #include <stdio.h>
            #include <string.h>
            #include <unistd.h>
            static volatile sig_atomic_t got;
            static volatile int code, sender, signo;
            static void handler(int sig, siginfo_t *si, void *context) {
              got++;
              signo = si->si_signo;
              code = si->si_code;
              sender = si->si_pid;
            }
            int main(void) {
              struct sigaction sa;
              memset(&sa, 0, sizeof sa);
              sa.sa_sigaction = handler;
              sa.sa_flags = SA_SIGINFO;
              sigaction(SIGUSR1, &sa, NULL);
              raise(SIGUSR1);
              printf("raised: got=%d signo=%d code=%d self=%d\\n", got, signo, code,
                     sender == getpid());
              sigset_t block, old;
              sigemptyset(&block);
              sigaddset(&block, SIGUSR1);
              sigprocmask(SIG_BLOCK, &block, &old);
              printf("ready\\n");
              fflush(stdout);
              while (got < 2) sigsuspend(&old);
              printf("external: got=%d signo=%d code=%d sender=%d\\n", got, signo, code, sender);
              return 0;
            }
            """);
    int jvm = Libc.getpid();

    Run run =
        TraceHarness.trace(
            new LaunchSpec(List.of(program.toString()), ENV, dir, false),
            Duration.ofSeconds(20),
            live -> {
              await(Duration.ofSeconds(10), "ready", v -> live.stdoutSoFar().contains("ready\n"));
              assertEquals(0, Libc.kill(live.pid(), SIGUSR1));
            });

    run.assertExitedWith(0);
    assertEquals(
        "raised: got=1 signo=10 code=-6 self=1\n" // SI_TKILL from raise()
            + "ready\n"
            + "external: got=2 signo=10 code=0 sender="
            + jvm
            + "\n", // SI_USER from kill()
        run.stdout());
  }

  @TraceTest
  void theLaunchersOwnExecIsNeverPartOfTheRecord() throws Exception {
    // The launcher is seized right after posix_spawn returns, which glibc lets happen as soon
    // as the child's exec has replaced its memory: possibly before the exec's own ptrace event.
    // Run often enough to hit that window.
    String launcher = TraceHarness.launcher().binary().toString();
    String trueBinary = which("true");
    for (int i = 0; i < 150; i++) {
      Run run = TraceHarness.trace(dir, "/bin/true");
      run.assertExitedWith(0);
      List<Access> execs = run.accesses().stream().filter(a -> a.kind() == EXEC).toList();
      assertEquals(1, execs.size(), "run " + i + ": only the command's exec\n" + run);
      assertEquals(trueBinary, execs.get(0).path());
      assertFalse(
          run.accesses().stream().anyMatch(a -> a.path().equals(launcher)),
          "run " + i + ": the launcher binary is not an input of the action\n" + run);
      assertEquals(List.of("/bin/true"), run.root().argv());
    }
  }

  @TraceTest
  void deathBySignalIsTheRootStatus() throws Exception {
    Run run = TraceHarness.sh(dir, "kill -TERM $$; echo survived");

    assertFalse(run.trace().rootStatus().exited(), run.toString());
    assertEquals(15, run.trace().rootStatus().signal());
    assertEquals("", run.stdout());
    assertEquals(128 + 15, run.root().exitStatus());
    assertNotEquals(-1, run.root().exitStatus());
  }
}
