package dev.airlock.sandbox.linux.trace;

import static dev.airlock.sandbox.linux.trace.AccessKind.CREATE;
import static dev.airlock.sandbox.linux.trace.AccessKind.DELETE;
import static dev.airlock.sandbox.linux.trace.AccessKind.ENUMERATE;
import static dev.airlock.sandbox.linux.trace.AccessKind.EXEC;
import static dev.airlock.sandbox.linux.trace.AccessKind.LINK;
import static dev.airlock.sandbox.linux.trace.AccessKind.READ;
import static dev.airlock.sandbox.linux.trace.AccessKind.RENAME_FROM;
import static dev.airlock.sandbox.linux.trace.AccessKind.RENAME_TO;
import static dev.airlock.sandbox.linux.trace.AccessKind.SYMLINK;
import static dev.airlock.sandbox.linux.trace.AccessKind.TRUNCATE;
import static dev.airlock.sandbox.linux.trace.AccessKind.WRITE;
import static dev.airlock.sandbox.linux.trace.TraceHarness.real;
import static dev.airlock.sandbox.linux.trace.TraceHarness.sh;
import static dev.airlock.sandbox.linux.trace.TraceHarness.which;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.sandbox.linux.LaunchSpec;
import dev.airlock.sandbox.linux.trace.TraceHarness.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Shell commands and the coreutils they run, traced for real. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ShellTraceTest {
  @TempDir Path dir;

  @TraceTest
  void pipelineAndRedirectionsRecordReadsCreatesWritesAndExecsOfEachStage() throws Exception {
    Files.writeString(dir.resolve("in.txt"), "hello world\nsecond line\n");
    Files.writeString(dir.resolve("log.txt"), "log start\n");

    Run run = sh(dir, "cat in.txt | tr a-z A-Z > out.txt; wc -l < out.txt >> log.txt");

    run.assertExitedWith(0);
    assertEquals("HELLO WORLD\nSECOND LINE\n", Files.readString(dir.resolve("out.txt")));
    assertEquals("log start\n2\n", Files.readString(dir.resolve("log.txt")));

    TracedProcess cat = run.onlyWithArgv(List.of("cat", "in.txt"));
    TracedProcess tr = run.onlyWithArgv(List.of("tr", "a-z", "A-Z"));
    TracedProcess wc = run.onlyWithArgv(List.of("wc", "-l"));
    for (TracedProcess p : List.of(cat, tr, wc)) {
      assertTrue(run.descendsFromRoot(p), p + " descends from the root\n" + run);
      assertEquals(0, p.exitStatus(), p + " exit status");
    }

    assertEquals(cat.pid(), run.get(READ, dir.resolve("in.txt")).pid(), "cat read in.txt");
    Path out = dir.resolve("out.txt");
    run.assertHas(CREATE, out);
    run.assertHas(WRITE, out);
    run.assertHas(READ, out); // wc's stdin
    assertTrue(
        run.indexOf(CREATE, real(out)) < run.indexOf(READ, real(out)),
        "out.txt is created before it is read back\n" + run);

    // >> of an existing file: a write, neither a creation nor a truncation.
    Path log = dir.resolve("log.txt");
    run.assertHas(WRITE, log);
    run.assertHasNo(CREATE, log);
    run.assertHasNo(TRUNCATE, log);

    assertEquals(cat.pid(), run.get(EXEC, which("cat")).pid());
    assertEquals(tr.pid(), run.get(EXEC, which("tr")).pid());
    assertEquals(wc.pid(), run.get(EXEC, which("wc")).pid());
    run.assertCompleteRecord();
  }

  @TraceTest
  void shebangScriptRecordsTheScriptExecAndReadsOfBothInterpreters() throws Exception {
    Files.writeString(dir.resolve("data.txt"), "from the script\n");
    Path script = dir.resolve("script.sh");
    Files.writeString(script, "#!/bin/sh\ncat data.txt\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));

    Run run = TraceHarness.trace(dir, script.toString());

    run.assertExitedWith(0);
    assertEquals("from the script\n", run.stdout());
    assertEquals(run.rootPid(), run.get(EXEC, script).pid());
    assertEquals(List.of("/bin/sh", script.toString()), run.root().argv(), "kernel's argv");

    // The #! interpreter, resolved (/bin/sh -> dash; /bin is a symlink on merged-/usr).
    run.assertHas(READ, Path.of("/bin/sh"));
    if (Files.isSymbolicLink(Path.of("/bin/sh"))) {
      run.assertHas(READ, "/bin/sh".replaceFirst("^/bin", real(Path.of("/bin"))));
    }
    if (Files.isSymbolicLink(Path.of("/bin"))) {
      run.assertHas(READ, "/bin");
    }
    // The ELF interpreter the kernel loaded for dash (the x86_64 ABI's fixed loader path).
    Path loader = Path.of("/lib64/ld-linux-x86-64.so.2");
    run.assertHas(READ, loader);
    if (Files.isSymbolicLink(Path.of("/lib64"))) {
      run.assertHas(READ, "/lib64");
    }
    run.assertHas(READ, dir.resolve("data.txt"));
    run.assertHas(EXEC, which("cat"));
  }

  @TraceTest
  void renameLinkSymlinkUnlinkAndRmdirChainsAreRecordedInOrder() throws Exception {
    Path exchange =
        TraceHarness.compile(
            dir,
            "exchange",
            """
            #define _GNU_SOURCE
            #include <fcntl.h>
            #include <stdio.h>
            #include <sys/syscall.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
              if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], 2 /* EXCHANGE */)) {
                perror("renameat2");
                return 1;
              }
              return 0;
            }
            """);
    Files.writeString(dir.resolve("x"), "X");
    Files.writeString(dir.resolve("y"), "Y");

    Run run =
        sh(
            dir,
            "set -e; mkdir d; echo hi > d/a; mv d/a d/b; ln d/b d/c; ln -s b d/s; cat d/s;"
                + " rm d/b; mkdir e; rmdir e; "
                + exchange
                + " x y");

    run.assertExitedWith(0);
    assertEquals("hi\n", run.stdout());
    assertEquals("Y", Files.readString(dir.resolve("x")));
    assertEquals("X", Files.readString(dir.resolve("y")));
    String d = real(dir) + "/d";

    List<Integer> order = new ArrayList<>();
    for (var expected :
        List.of(
            new Object[] {CREATE, d},
            new Object[] {CREATE, d + "/a"},
            new Object[] {WRITE, d + "/a"},
            new Object[] {RENAME_FROM, d + "/a"},
            new Object[] {RENAME_TO, d + "/b"},
            new Object[] {LINK, d + "/c"},
            new Object[] {SYMLINK, d + "/s"},
            new Object[] {READ, d + "/s"},
            new Object[] {READ, d + "/b"},
            new Object[] {DELETE, d + "/b"})) {
      AccessKind kind = (AccessKind) expected[0];
      String path = (String) expected[1];
      run.assertHas(kind, path);
      order.add(run.indexOf(kind, path));
    }
    List<Integer> sorted = new ArrayList<>(order);
    sorted.sort(null);
    assertEquals(sorted, order, "accesses in the order the script made them\n" + run);

    run.assertHasNo(DELETE, d + "/c");
    run.assertHasNo(DELETE, d + "/s");
    run.assertHas(CREATE, real(dir) + "/e");
    run.assertHas(DELETE, real(dir) + "/e");
    assertTrue(
        run.indexOf(CREATE, real(dir) + "/e") < run.indexOf(DELETE, real(dir) + "/e"),
        "mkdir before rmdir\n" + run);

    // RENAME_EXCHANGE moves both names: each is a source and a destination.
    String x = real(dir.resolve("x"));
    String y = real(dir.resolve("y"));
    run.assertHas(RENAME_FROM, x);
    run.assertHas(RENAME_TO, y);
    run.assertHas(RENAME_FROM, y);
    run.assertHas(RENAME_TO, x);
    run.assertCompleteRecord();
  }

  @TraceTest
  void lsEnumeratesTheListedDirectoryOnly() throws Exception {
    Path listed = Files.createDirectory(dir.resolve("listed"));
    Files.writeString(listed.resolve("a"), "");
    Files.writeString(listed.resolve("b"), "");
    Path other = Files.createDirectory(dir.resolve("other"));
    Files.writeString(other.resolve("c"), "");
    Files.createSymbolicLink(dir.resolve("via"), Path.of("other"));

    Run run = TraceHarness.trace(dir, "ls", "listed", "via/");

    run.assertExitedWith(0);
    assertEquals("listed:\na\nb\n\nvia/:\nc\n", run.stdout());
    run.assertHas(ENUMERATE, listed);
    run.assertHas(ENUMERATE, other); // through the symlink: the directory itself
    run.assertHas(READ, dir.resolve("via").toString()); // the symlink was followed
    run.assertHasNo(ENUMERATE, dir);
  }

  @TraceTest
  void twoHundredConcurrentProcessesAreAllTracedWithoutHanging() throws Exception {
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= 200; i++) {
      Files.writeString(dir.resolve("f" + i), "line " + i + "\n");
      expected.add("line " + i);
    }

    Run run =
        TraceHarness.trace(
            new LaunchSpec(
                List.of("sh", "-c", "for i in $(seq 200); do cat f$i & done; wait"),
                TraceHarness.ENV,
                dir,
                false),
            Duration.ofSeconds(20),
            null);

    run.assertExitedWith(0);
    List<String> lines = new ArrayList<>(run.stdout().lines().toList());
    lines.sort(null);
    expected.sort(null);
    assertEquals(expected, lines, "every cat printed its file");
    for (int i = 1; i <= 200; i++) {
      Access read = run.get(READ, dir.resolve("f" + i));
      TracedProcess cat = run.onlyWithArgv(List.of("cat", "f" + i));
      assertEquals(cat.pid(), read.pid(), "f" + i + " read by its cat");
      assertEquals(0, cat.exitStatus(), "cat f" + i);
      assertTrue(run.descendsFromRoot(cat), cat + " descends from the root");
    }
    assertTrue(run.processes().size() >= 201, "root + 200 cats\n" + run);
    assertFalse(
        run.processes().stream().anyMatch(p -> p.exitStatus() == -1),
        "every process reported its end\n" + run);
    assertTrue(run.elapsed().compareTo(Duration.ofSeconds(20)) < 0, "took " + run.elapsed());
    run.assertCompleteRecord();
  }
}
