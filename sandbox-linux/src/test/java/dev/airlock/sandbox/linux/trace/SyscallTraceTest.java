package dev.airlock.sandbox.linux.trace;

import static dev.airlock.sandbox.linux.trace.AccessKind.ABSENT_PROBE;
import static dev.airlock.sandbox.linux.trace.AccessKind.CREATE;
import static dev.airlock.sandbox.linux.trace.AccessKind.ENUMERATE;
import static dev.airlock.sandbox.linux.trace.AccessKind.EXEC;
import static dev.airlock.sandbox.linux.trace.AccessKind.READ;
import static dev.airlock.sandbox.linux.trace.AccessKind.STAT_PROBE;
import static dev.airlock.sandbox.linux.trace.AccessKind.WRITE;
import static dev.airlock.sandbox.linux.trace.TraceHarness.compile;
import static dev.airlock.sandbox.linux.trace.TraceHarness.real;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.airlock.sandbox.linux.trace.TraceHarness.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Path-taking syscalls made directly by small C programs, checked one by one. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SyscallTraceTest {
  private static final Path STATIC_LIBC = Path.of("/usr/lib/x86_64-linux-gnu/libc.a");

  @TempDir Path dir;

  @TraceTest
  void staticallyLinkedBinaryMakingRawSyscallsIsTraced() throws Exception {
    if (!Files.exists(STATIC_LIBC)) {
      fail(
          STATIC_LIBC
              + " is missing: this test needs the static C library (apt-get install libc6-dev)");
    }
    Path program =
        compile(
            dir,
            "stat",
            """
            #include <fcntl.h>
            #include <unistd.h>
            int main(void) {
              char buf[64];
              int in = open("in.txt", O_RDONLY);
              if (in < 0) return 1;
              ssize_t n = read(in, buf, sizeof buf);
              close(in);
              int sub = open("sub", O_RDONLY | O_DIRECTORY);
              if (sub < 0) return 2;
              int out = openat(sub, "out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
              if (out < 0 || write(out, buf, n) != n) return 3;
              close(out);
              if (openat(AT_FDCWD, "missing.txt", O_RDONLY) >= 0) return 4;
              return 0;
            }
            """,
            "-static");
    Files.writeString(dir.resolve("in.txt"), "static input\n");
    Files.createDirectory(dir.resolve("sub"));

    Run run = TraceHarness.trace(dir, program.toString());

    run.assertExitedWith(0);
    assertEquals("static input\n", Files.readString(dir.resolve("sub/out.txt")));
    run.assertHas(EXEC, program);
    run.assertHas(READ, dir.resolve("in.txt"));
    run.assertHas(STAT_PROBE, dir.resolve("sub")); // a directory open
    run.assertHas(CREATE, dir.resolve("sub/out.txt"));
    run.assertHas(WRITE, dir.resolve("sub/out.txt"));
    assertEquals(2, run.get(ABSENT_PROBE, dir.resolve("missing.txt")).errno());
    // No program interpreter and no dynamic loading once the static program runs.
    List<Access> after =
        run.accesses().subList(run.indexOf(EXEC, real(program)), run.accesses().size());
    assertFalse(
        after.stream().anyMatch(a -> a.path().contains("ld-linux")),
        "a static binary has no ELF interpreter\n" + run);
    assertFalse(
        after.stream().anyMatch(a -> a.path().equals("/etc/ld.so.cache")),
        "nor a dynamic loader looking up libraries\n" + run);
    run.assertCompleteRecord();
  }

  @TraceTest
  void relativePathsResolveAgainstCwdAfterChdirAndFchdirAndAgainstDirfds() throws Exception {
    Path program =
        compile(
            dir,
            "relative",
            """
            #define _GNU_SOURCE
            #include <fcntl.h>
            #include <unistd.h>
            static int check(int fd, int code) {
              if (fd < 0) _exit(code);
              return close(fd);
            }
            int main(int argc, char **argv) {
              if (chdir("one") != 0) return 1;
              check(open("x", O_RDONLY), 2);                  /* one/x */
              int two = open("../two", O_RDONLY | O_DIRECTORY);
              if (two < 0) return 3;
              check(openat(two, "y", O_RDONLY), 4);           /* two/y */
              check(openat(two, "lnk/../v", O_RDONLY), 5);    /* one/v: .. after a symlink */
              int three = open(argv[1], O_RDONLY | O_DIRECTORY);
              if (three < 0 || fchdir(three) != 0) return 6;
              check(open("z", O_RDONLY), 7);                  /* three/z */
              check(openat(AT_FDCWD, "../w", O_RDONLY), 8);  /* w */
              return 0;
            }
            """);
    for (String d : List.of("one", "one/deep", "two", "three")) {
      Files.createDirectory(dir.resolve(d));
    }
    for (String f : List.of("one/x", "two/y", "one/v", "two/v", "three/z", "w")) {
      Files.writeString(dir.resolve(f), f);
    }
    Files.createSymbolicLink(dir.resolve("two/lnk"), Path.of("../one/deep"));

    Run run = TraceHarness.trace(dir, program.toString(), dir.resolve("three").toString());

    run.assertExitedWith(0);
    run.assertHas(READ, dir.resolve("one/x"));
    run.assertHas(READ, dir.resolve("two/y"));
    run.assertHas(READ, dir.resolve("two/lnk").toString()); // the symlink traversed
    run.assertHas(READ, dir.resolve("one/v")); // the kernel's "..", after the symlink
    run.assertHasNo(READ, dir.resolve("two/v")); // not a lexical collapse
    run.assertHas(READ, dir.resolve("three/z"));
    run.assertHas(READ, dir.resolve("w"));
    run.assertHasNo(READ, dir.resolve("x"));
    run.assertHasNo(READ, dir.resolve("z"));
    run.assertCompleteRecord();
  }

  @TraceTest
  void oPathOpensAreStatProbesNotReads() throws Exception {
    Path program =
        compile(
            dir,
            "opath",
            """
            #define _GNU_SOURCE
            #include <fcntl.h>
            #include <sys/stat.h>
            int main(void) {
              struct stat st;
              int f = open("f", O_PATH);
              if (f < 0 || fstat(f, &st) != 0) return 1;
              if (open("lnk", O_PATH | O_NOFOLLOW) < 0) return 2;
              if (openat(AT_FDCWD, "d", O_PATH | O_DIRECTORY) < 0) return 3;
              return 0;
            }
            """);
    Files.writeString(dir.resolve("f"), "f");
    Files.writeString(dir.resolve("target"), "t");
    Files.createSymbolicLink(dir.resolve("lnk"), Path.of("target"));
    Files.createDirectory(dir.resolve("d"));

    Run run = TraceHarness.trace(dir, program.toString());

    run.assertExitedWith(0);
    run.assertHas(STAT_PROBE, dir.resolve("f"));
    run.assertHasNo(READ, dir.resolve("f"));
    String lnk = dir.resolve("lnk").toString();
    run.assertHas(STAT_PROBE, lnk); // the link itself, not followed
    run.assertHasNo(READ, lnk);
    assertFalse(
        run.accesses().stream().anyMatch(a -> a.path().equals(real(dir.resolve("target")))),
        "O_NOFOLLOW: the target is never touched\n" + run);
    run.assertHas(STAT_PROBE, dir.resolve("d"));
    run.assertHasNo(ENUMERATE, dir.resolve("d"));
    run.assertHasNo(READ, dir.resolve("d"));
  }

  @TraceTest
  void procSelfNamesTheTracedProcessNotTheTracer() throws Exception {
    Path program =
        compile(
            dir,
            "procself",
            """
            #include <fcntl.h>
            #include <stdio.h>
            #include <sys/stat.h>
            #include <unistd.h>
            int main(void) {
              char buf[4096];
              struct stat st;
              ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
              if (n <= 0) return 1;
              buf[n] = 0;
              if (stat("/proc/self/cmdline", &st) != 0) return 2;
              if (open("/proc/thread-self/comm", O_RDONLY) < 0) return 3;
              printf("%s\\n", buf);
              return 0;
            }
            """);

    Run run = TraceHarness.trace(dir, program.toString());

    run.assertExitedWith(0);
    assertEquals(program + "\n", run.stdout());
    int tracer = TraceHarness.Libc.getpid();
    assertFalse(
        run.accesses().stream()
            .anyMatch(
                a ->
                    a.path().equals("/proc/" + tracer)
                        || a.path().startsWith("/proc/" + tracer + "/")),
        "/proc/self resolved as the tracer (pid " + tracer + ") sees it\n" + run);
    String self = "/proc/" + run.rootPid();
    run.assertHas(READ, self + "/exe"); // the readlink
    run.assertHas(STAT_PROBE, self + "/cmdline");
    run.assertHas(READ, self + "/task/" + run.rootPid() + "/comm");
  }

  @TraceTest
  void devStdinOfAPipeIsNeitherTheTracersStdinNorAFile() throws Exception {
    Run run = TraceHarness.sh(dir, "echo through | cat /dev/stdin");

    run.assertExitedWith(0);
    assertEquals("through\n", run.stdout());
    run.assertHas(READ, "/dev/stdin"); // the symlink, followed
    int tracer = TraceHarness.Libc.getpid();
    assertFalse(
        run.accesses().stream().anyMatch(a -> a.path().startsWith("/proc/" + tracer + "/")),
        "/dev/stdin -> /proc/self/fd/0 resolved in the tracer (pid " + tracer + ")\n" + run);
    assertFalse(
        run.accesses().stream().anyMatch(a -> a.path().contains("pipe:[")),
        "a pipe is not a file path\n" + run);
  }

  private static final String OPENAT2 =
      """
      #define _GNU_SOURCE
      #include <errno.h>
      #include <fcntl.h>
      #include <stdio.h>
      #include <unistd.h>
      struct how { unsigned long long flags, mode, resolve; };
      #define RESOLVE_NO_SYMLINKS 0x04
      #define RESOLVE_BENEATH 0x08
      #define RESOLVE_IN_ROOT 0x10
      static void try(int dirfd, const char *path, unsigned long long resolve) {
        struct how how = {O_RDONLY, 0, resolve};
        long fd = syscall(437, dirfd, path, &how, sizeof how);
        printf("%s %ld\\n", path, fd >= 0 ? 0L : (long)errno);
      }
      """;

  @TraceTest
  void openat2SuccessIsAReadAndARefusedResolutionIsNot() throws Exception {
    Path program =
        compile(
            dir,
            "openat2",
            OPENAT2
                + """
                int main(void) {
                  int base = open("base", O_RDONLY | O_DIRECTORY);
                  try(base, "inner.txt", RESOLVE_BENEATH);
                  try(base, "../outside.txt", RESOLVE_BENEATH);
                  try(base, "plain.txt", RESOLVE_NO_SYMLINKS);
                  try(base, "link.txt", RESOLVE_NO_SYMLINKS);
                  return 0;
                }
                """);
    Path base = Files.createDirectory(dir.resolve("base"));
    Files.writeString(base.resolve("inner.txt"), "inner");
    Files.writeString(base.resolve("plain.txt"), "plain");
    Files.writeString(base.resolve("target.txt"), "target");
    Files.createSymbolicLink(base.resolve("link.txt"), Path.of("target.txt"));
    Files.writeString(dir.resolve("outside.txt"), "outside");

    Run run = TraceHarness.trace(dir, program.toString());

    run.assertExitedWith(0);
    assertEquals(
        "inner.txt 0\n../outside.txt 18\nplain.txt 0\nlink.txt 40\n", // EXDEV, ELOOP
        run.stdout());
    run.assertHas(READ, base.resolve("inner.txt"));
    run.assertHas(READ, base.resolve("plain.txt"));
    run.assertHasNo(READ, dir.resolve("outside.txt"));
    run.assertHasNo(READ, base.resolve("target.txt"));
    run.assertCompleteRecord();
  }

  @TraceTest
  void openat2InRootResolvesAbsolutePathsInsideTheDirfd() throws Exception {
    Path program =
        compile(
            dir,
            "inroot",
            OPENAT2
                + """
                int main(void) {
                  int base = open("base", O_RDONLY | O_DIRECTORY);
                  try(base, "/inroot.txt", RESOLVE_IN_ROOT);
                  try(base, "/nothere.txt", RESOLVE_IN_ROOT);
                  return 0;
                }
                """);
    Path base = Files.createDirectory(dir.resolve("base"));
    Files.writeString(base.resolve("inroot.txt"), "in root");

    Run run = TraceHarness.trace(dir, program.toString());

    run.assertExitedWith(0);
    assertEquals("/inroot.txt 0\n/nothere.txt 2\n", run.stdout());
    run.assertHas(READ, base.resolve("inroot.txt"));
    // The negative dependency is base/nothere.txt, not the machine's /nothere.txt.
    assertEquals(2, run.get(ABSENT_PROBE, base.resolve("nothere.txt")).errno());
    run.assertHasNo(ABSENT_PROBE, "/nothere.txt");
  }

  @TraceTest
  void statStatxAndAccessProbesRecordPresenceAndAbsence() throws Exception {
    Path program =
        compile(
            dir,
            "probes",
            """
            #define _GNU_SOURCE
            #include <errno.h>
            #include <fcntl.h>
            #include <stdio.h>
            #include <sys/stat.h>
            #include <sys/syscall.h>
            #include <unistd.h>
            static void report(const char *what, long r) {
              printf("%s %ld\\n", what, r == 0 ? 0L : (long)errno);
            }
            int main(void) {
              struct statx sx;
              struct stat st;
              report("statx-missing", syscall(SYS_statx, AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &sx));
              report("statx-notdir", syscall(SYS_statx, AT_FDCWD, "file/child", 0, STATX_BASIC_STATS, &sx));
              report("statx-nofollow", syscall(SYS_statx, AT_FDCWD, "lnk", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx));
              report("stat", stat("exists", &st));
              report("raw-stat", syscall(SYS_stat, "exists2", &st));
              report("access", access("exists3", R_OK));
              report("faccessat2", syscall(439, AT_FDCWD, "missing2", R_OK, AT_EACCESS));
              report("faccessat2-ok", syscall(439, AT_FDCWD, "exists4", R_OK, AT_EACCESS));
              return 0;
            }
            """);
    for (String f : List.of("file", "exists", "exists2", "exists3", "exists4", "target")) {
      Files.writeString(dir.resolve(f), f);
    }
    Files.createSymbolicLink(dir.resolve("lnk"), Path.of("target"));

    Run run = TraceHarness.trace(dir, program.toString());

    run.assertExitedWith(0);
    assertEquals(
        "statx-missing 2\nstatx-notdir 20\nstatx-nofollow 0\nstat 0\nraw-stat 0\naccess 0\n"
            + "faccessat2 2\nfaccessat2-ok 0\n",
        run.stdout());
    assertEquals(2, run.get(ABSENT_PROBE, dir.resolve("missing")).errno());
    assertEquals(20, run.get(ABSENT_PROBE, dir.resolve("file").toString() + "/child").errno());
    assertEquals(0, run.get(STAT_PROBE, dir.resolve("lnk").toString()).errno());
    run.assertHasNo(READ, dir.resolve("lnk").toString()); // not followed
    run.assertHasNo(STAT_PROBE, dir.resolve("target"));
    for (String f : List.of("exists", "exists2", "exists3", "exists4")) {
      assertEquals(0, run.get(STAT_PROBE, dir.resolve(f)).errno(), f);
      run.assertHasNo(READ, dir.resolve(f));
    }
    assertEquals(2, run.get(ABSENT_PROBE, dir.resolve("missing2")).errno());
    run.assertHasNo(STAT_PROBE, dir.resolve("missing"));
    assertTrue(run.trace().observationGaps().isEmpty());
  }
}
