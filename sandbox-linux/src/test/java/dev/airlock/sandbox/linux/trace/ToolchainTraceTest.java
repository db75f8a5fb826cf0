package dev.airlock.sandbox.linux.trace;

import static dev.airlock.sandbox.linux.trace.AccessKind.ABSENT_PROBE;
import static dev.airlock.sandbox.linux.trace.AccessKind.CREATE;
import static dev.airlock.sandbox.linux.trace.AccessKind.DELETE;
import static dev.airlock.sandbox.linux.trace.AccessKind.ENUMERATE;
import static dev.airlock.sandbox.linux.trace.AccessKind.EXEC;
import static dev.airlock.sandbox.linux.trace.AccessKind.READ;
import static dev.airlock.sandbox.linux.trace.AccessKind.WRITE;
import static dev.airlock.sandbox.linux.trace.TraceHarness.real;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.sandbox.linux.LaunchSpec;
import dev.airlock.sandbox.linux.trace.TraceHarness.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real toolchains whose own dependency knowledge the trace must match. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ToolchainTraceTest {
  private static final Pattern GCC_TEMP = Pattern.compile("/tmp/cc[A-Za-z0-9]{6}\\.s");

  @TempDir Path dir;

  @TraceTest
  void gccCompileReadsEveryHeaderOfItsDepfileAndProbesIncludePathMisses() throws Exception {
    Path src = Files.createDirectory(dir.resolve("src"));
    Path inc = Files.createDirectory(dir.resolve("inc"));
    Path realDir = Files.createDirectory(dir.resolve("real"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("real"));
    Files.writeString(src.resolve("local.h"), "#define LOCAL 1\n");
    Files.writeString(inc.resolve("inc.h"), "#define INC 2\n");
    Files.writeString(realDir.resolve("linked.h"), "#define LINKED 3\n");
    Files.writeString(
        src.resolve("main.c"),
        """
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include "local.h"
        #include "inc.h"
        #include "linked.h"
        int main(void) {
          char b[8];
          strcpy(b, "x");
          printf("%s %d\\n", b, LOCAL + INC + LINKED);
          return EXIT_SUCCESS;
        }
        """);

    Run run =
        TraceHarness.trace(
            new LaunchSpec(
                List.of(
                    "gcc", "-c", "main.c", "-o", "main.o", "-I", "../inc", "-I", "../link", "-MD",
                    "-MF", "deps.d"),
                TraceHarness.ENV,
                src,
                false),
            Duration.ofSeconds(30),
            null);

    run.assertExitedWith(0);
    List<Path> deps = depfile(src, src.resolve("deps.d"));
    assertTrue(deps.size() > 10, "system headers are listed: " + deps);
    for (String header : List.of("stdio.h", "stdlib.h", "string.h", "local.h", "inc.h")) {
      assertTrue(
          deps.stream().anyMatch(p -> p.getFileName().toString().equals(header)),
          header + " in " + deps);
    }
    for (Path dep : deps) {
      run.assertHas(READ, dep); // realpath both sides
    }
    run.assertHas(READ, realDir.resolve("linked.h"));
    run.assertHas(READ, link.toString()); // the symlinked include dir was traversed

    run.assertHas(CREATE, src.resolve("main.o"));
    run.assertHas(WRITE, src.resolve("main.o"));
    run.assertHas(CREATE, src.resolve("deps.d"));
    run.assertHas(WRITE, src.resolve("deps.d"));

    // gcc's temporary assembly file: created, written by cc1, read by as, deleted.
    List<String> temps =
        run.accesses().stream()
            .filter(a -> a.kind() == CREATE && GCC_TEMP.matcher(a.path()).matches())
            .map(Access::path)
            .toList();
    assertEquals(1, temps.size(), "one /tmp/cc*.s\n" + run);
    String temp = temps.get(0);
    run.assertHas(WRITE, temp);
    run.assertHas(READ, temp);
    run.assertHas(DELETE, temp);
    assertFalse(Files.exists(Path.of(temp)), "gcc removed its temporary file");

    // Include-path misses before each hit: negative dependencies.
    assertEquals(2, run.get(ABSENT_PROBE, inc.resolve("stdio.h")).errno());
    assertEquals(2, run.get(ABSENT_PROBE, realDir.resolve("stdio.h")).errno()); // via link
    assertEquals(2, run.get(ABSENT_PROBE, src.resolve("inc.h")).errno()); // quote dir first
    assertEquals(2, run.get(ABSENT_PROBE, src.resolve("linked.h")).errno());
    assertEquals(2, run.get(ABSENT_PROBE, inc.resolve("linked.h")).errno());
    assertTrue(
        run.indexOf(ABSENT_PROBE, real(inc.resolve("linked.h")))
            < run.indexOf(READ, real(realDir.resolve("linked.h"))),
        "the miss comes before the hit\n" + run);

    // The driver ran the compiler proper and the assembler as its descendants.
    TracedProcess cc1 = onlyWithProgram(run, "cc1");
    TracedProcess as = onlyWithProgram(run, "as");
    assertTrue(run.descendsFromRoot(cc1));
    assertTrue(run.descendsFromRoot(as));
    assertEquals(cc1.pid(), run.get(READ, src.resolve("main.c")).pid());
    assertEquals(as.pid(), run.get(EXEC, TraceHarness.which("as")).pid());
    run.assertCompleteRecord();
  }

  private static TracedProcess onlyWithProgram(Run run, String name) {
    List<TracedProcess> found =
        run.processes().stream()
            .filter(p -> !p.argv().isEmpty())
            .filter(p -> Path.of(p.argv().get(0)).getFileName().toString().equals(name))
            .toList();
    assertEquals(1, found.size(), "one " + name + "\n" + run);
    return found.get(0);
  }

  /** The dependencies of a make-style depfile, resolved against {@code cwd}. */
  private static List<Path> depfile(Path cwd, Path depfile) throws Exception {
    String text = Files.readString(depfile).replace("\\\n", " ");
    int colon = text.indexOf(": ");
    List<Path> deps = new ArrayList<>();
    for (String token : text.substring(colon + 1).trim().split("\\s+")) {
      if (!token.isEmpty()) {
        deps.add(cwd.resolve(token));
      }
    }
    return deps;
  }

  @TraceTest
  void pythonImportProbesSysPathAndReadsThePackageSource() throws Exception {
    Path python = Path.of("/usr/bin/python3");
    String interpreter = Files.isExecutable(python) ? python.toString() : "python3";
    Files.createDirectory(dir.resolve("json")); // a namespace-package candidate before stdlib
    Path prefix = Files.createDirectory(dir.resolve("pycache"));
    Map<String, String> env = new HashMap<>(TraceHarness.ENV);
    // An empty pycache prefix and no bytecode writing: the source itself must be read.
    env.put("PYTHONPYCACHEPREFIX", prefix.toString());
    env.put("PYTHONDONTWRITEBYTECODE", "1");

    Run run =
        TraceHarness.trace(
            new LaunchSpec(
                List.of(
                    interpreter,
                    "-c",
                    "import json, sys; print(json.__file__); print('\\n'.join(sys.path))"),
                env,
                dir,
                false),
            Duration.ofSeconds(30),
            null);

    run.assertExitedWith(0);
    List<String> lines = run.stdout().lines().toList();
    Path jsonInit = Path.of(lines.get(0));
    assertEquals("__init__.py", jsonInit.getFileName().toString(), run.stdout());
    assertFalse(jsonInit.startsWith(dir), "stdlib's json, not the empty directory");

    Access read = run.get(READ, jsonInit);
    assertEquals(run.rootPid(), read.pid());
    // The empty json/ in the working directory (first on sys.path) was looked into first.
    String local = real(dir) + "/json/__init__.py";
    assertEquals(2, run.get(ABSENT_PROBE, local).errno());
    assertTrue(
        run.indexOf(ABSENT_PROBE, local) < run.indexOf(READ, real(jsonInit)),
        "probed before the stdlib's json was read\n" + run);
    run.assertHas(ENUMERATE, dir); // the import system lists each sys.path directory
    // Nothing cached under the prefix: the bytecode lookup there was a miss.
    assertTrue(
        run.accesses().stream()
            .anyMatch(
                a ->
                    a.kind() == ABSENT_PROBE
                        && a.path().startsWith(real(prefix) + "/")
                        && a.path().contains("/json/__init__.")),
        "bytecode probe under the pycache prefix\n" + run);
    // Every sys.path entry that does not exist (e.g. pythonNN.zip) is an absent probe.
    List<String> missing =
        Arrays.stream(lines.subList(1, lines.size()).toArray(String[]::new))
            .filter(e -> !e.isEmpty() && !Files.exists(Path.of(e)))
            .toList();
    assertFalse(missing.isEmpty(), "a missing sys.path entry such as the stdlib zip");
    for (String entry : missing) {
      run.assertHas(ABSENT_PROBE, Path.of(entry));
    }
    run.assertCompleteRecord();
  }
}
