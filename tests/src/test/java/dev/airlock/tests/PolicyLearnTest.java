package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code airlock policy learn}: a policy learned from a real build is enough to rebuild under it,
 * and refuses what the build did not do (a header outside what it read, a write outside what it
 * wrote).
 */
@Timeout(300)
class PolicyLearnTest {
  @RegisterExtension final DaemonExtension daemon = DaemonExtension.started();

  private CliProcess.Result airlock(String... args) throws Exception {
    try (CliProcess cli = daemon.cli(args)) {
      return cli.await(Duration.ofSeconds(240));
    }
  }

  /** A small C project: three sources, a header, objects in obj/ made by the build. */
  private Path cProject() throws IOException {
    Path ws = Files.createDirectories(daemon.dir().resolve("proj"));
    Files.createDirectories(ws.resolve("src"));
    Files.createDirectories(ws.resolve("include"));
    Files.writeString(ws.resolve("include/util.h"), "int twice(int);\nint more(int);\n");
    Files.writeString(
        ws.resolve("src/main.c"),
        "#include <stdio.h>\n#include \"util.h\"\n"
            + "int main(void) { printf(\"%d\\n\", more(twice(20))); return 0; }\n");
    Files.writeString(
        ws.resolve("src/util.c"), "#include \"util.h\"\nint twice(int x) { return 2 * x; }\n");
    Files.writeString(
        ws.resolve("src/more.c"), "#include \"util.h\"\nint more(int x) { return x + 2; }\n");
    Files.writeString(
        ws.resolve("Makefile"),
        """
        OBJ = obj/main.o obj/util.o obj/more.o
        app: $(OBJ)
        \tcc -o app $(OBJ)
        obj/%.o: src/%.c include/util.h
        \t@mkdir -p obj
        \tcc -O1 -Iinclude -c $< -o $@
        clean:
        \trm -rf obj app
        """);
    return ws;
  }

  private static Map<String, byte[]> outputs(Path ws) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    for (String name : List.of("app", "obj/main.o", "obj/util.o", "obj/more.o")) {
      out.put(name, Files.readAllBytes(ws.resolve(name)));
    }
    return out;
  }

  private static void makeClean(Path ws) throws Exception {
    Process p = new ProcessBuilder("make", "-s", "clean").directory(ws.toFile()).start();
    assertEquals(0, p.waitFor());
    assertFalse(Files.exists(ws.resolve("obj")));
  }

  @Test
  void aPolicyLearnedFromABuildRebuildsItAndRefusesWhatTheBuildDidNotDo() throws Exception {
    Path ws = cProject();
    Path policy = daemon.dir().resolve("learned.textproto");

    CliProcess.Result learn =
        airlock(
            "policy", "learn", "-o", policy.toString(), "--cwd", ws.toString(), "--", "make", "-s");
    assertEquals(0, learn.status(), learn::toString);
    assertTrue(
        learn.stderr().contains("airlock: learned " + policy + " from 1 run"), learn::toString);
    String text = Files.readString(policy);
    assertTrue(text.contains("extends: \"hermetic\""), text);
    assertTrue(text.contains("readable: \"${workspace}\"  # "), text);
    assertTrue(text.contains("writable: \"${workspace}/obj\"  # "), text);
    assertTrue(text.contains("writable: \"${workspace}/app\"  # "), text);
    assertFalse(text.contains("network:"), "the build used no network: " + text);
    assertFalse(
        text.contains(ws.toString()), "workspace paths are written as ${workspace}: " + text);
    Map<String, byte[]> learned = outputs(ws);

    makeClean(ws);
    CliProcess.Result enforced =
        airlock("run", "--policy", policy.toString(), "--cwd", ws.toString(), "--", "make", "-s");
    assertEquals(0, enforced.status(), enforced::toString);
    Map<String, byte[]> rebuilt = outputs(ws);
    assertEquals(learned.keySet(), rebuilt.keySet());
    for (String name : learned.keySet()) {
      assertArrayEquals(learned.get(name), rebuilt.get(name), name + " differs after the rebuild");
    }

    // A header outside everything the build read before. Not under /tmp: the learned policy's
    // /tmp is private, where a host file is absent rather than refused.
    Path outside = Outside.directory("learn-outside");
    Files.writeString(outside.resolve("extra.h"), "#define EXTRA 1\n");
    outside.resolve("extra.h").toFile().deleteOnExit();
    Files.writeString(
        ws.resolve("src/more.c"),
        "#include \"util.h\"\n#include \""
            + outside.resolve("extra.h")
            + "\"\n"
            + "int more(int x) { return x + EXTRA; }\n");
    CliProcess.Result include =
        airlock("run", "--policy", policy.toString(), "--cwd", ws.toString(), "--", "make", "-s");
    assertEquals(126, include.status(), include::toString);
    assertTrue(include.stderr().contains(outside.resolve("extra.h").toString()), include::toString);

    // A write outside everything the build wrote before.
    Files.writeString(
        ws.resolve("src/more.c"), "#include \"util.h\"\nint more(int x) { return x + 2; }\n");
    Files.writeString(
        ws.resolve("Makefile"),
        Files.readString(ws.resolve("Makefile"))
            .replace(
                "\tcc -o app $(OBJ)\n",
                "\tcc -o app $(OBJ)\n\techo built > " + outside.resolve("log") + "\n"));
    makeClean(ws);
    CliProcess.Result write =
        airlock("run", "--policy", policy.toString(), "--cwd", ws.toString(), "--", "make", "-s");
    assertEquals(126, write.status(), write::toString);
    assertTrue(write.stderr().contains(outside.resolve("log").toString()), write::toString);
    assertFalse(Files.exists(outside.resolve("log")), "a refused write must not happen");
  }

  @Test
  void learningFromAReportAndThenFromACommandMergesBothRuns() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("data-ws"));
    Files.createDirectories(ws.resolve("data"));
    Files.writeString(ws.resolve("data/a.txt"), "a\n");
    Files.writeString(ws.resolve("data/b.txt"), "b\n");
    Path report = daemon.dir().resolve("run.json");
    Path policy = daemon.dir().resolve("data.textproto");

    CliProcess.Result run =
        airlock(
            "run",
            "--report",
            report.toString(),
            "--cwd",
            ws.toString(),
            "--",
            "cat",
            "data/a.txt");
    assertEquals(0, run.status(), run::toString);
    CliProcess.Result fromReport =
        airlock("policy", "learn", "-o", policy.toString(), "--from-report", report.toString());
    assertEquals(0, fromReport.status(), fromReport::toString);
    assertTrue(
        Files.readString(policy).contains("readable: \"${workspace}/data/a.txt\"  # 1 read"));

    CliProcess.Result again =
        airlock(
            "policy",
            "learn",
            "-o",
            policy.toString(),
            "--cwd",
            ws.toString(),
            "--",
            "cat",
            "data/b.txt");
    assertEquals(0, again.status(), again::toString);
    String text = Files.readString(policy);
    assertTrue(text.contains("# runs: 2"), text);
    assertTrue(text.contains("readable: \"${workspace}/data/a.txt\""), text);
    assertTrue(text.contains("readable: \"${workspace}/data/b.txt\""), text);

    CliProcess.Result enforced =
        airlock(
            "run",
            "--policy",
            policy.toString(),
            "--cwd",
            ws.toString(),
            "--",
            "cat",
            "data/a.txt",
            "data/b.txt");
    assertEquals(0, enforced.status(), enforced::toString);
    assertEquals("a\nb\n", enforced.stdout());
  }

  @Test
  void aFailedCommandTeachesNothingAndAHandWrittenPolicyIsNotMergedInto() throws Exception {
    Path policy = daemon.dir().resolve("failed.textproto");
    CliProcess.Result failed =
        airlock(
            "policy",
            "learn",
            "-o",
            policy.toString(),
            "--",
            "sh",
            "-c",
            "cat /etc/hostname; exit 3");
    assertEquals(3, failed.status(), failed::toString);
    assertTrue(
        failed.stderr().contains("airlock: nothing learned: the command did not succeed"),
        failed::toString);
    assertFalse(Files.exists(policy));

    Path handWritten = daemon.dir().resolve("mine.textproto");
    Files.writeString(handWritten, "extends: \"build\"\n");
    CliProcess.Result refused =
        airlock("policy", "learn", "-o", handWritten.toString(), "--", "true");
    assertEquals(125, refused.status(), refused::toString);
    assertTrue(refused.stderr().contains("will not merge into " + handWritten), refused::toString);
    assertEquals("extends: \"build\"\n", Files.readString(handWritten));

    List<String> none = new ArrayList<>(List.of("policy", "learn", "-o", policy.toString()));
    CliProcess.Result nothing = airlock(none.toArray(String[]::new));
    assertEquals(125, nothing.status(), nothing::toString);
    assertTrue(nothing.stderr().contains("nothing to learn from"), nothing::toString);
  }
}
