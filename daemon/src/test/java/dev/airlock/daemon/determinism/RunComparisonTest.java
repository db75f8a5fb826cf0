package dev.airlock.daemon.determinism;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.commit.Change;
import dev.airlock.daemon.commit.ChangeSet;
import dev.airlock.daemon.commit.OverlayLayer.RootChanges;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunComparisonTest {
  private static final Path WS = Path.of("/w");
  private static final FileTime T = FileTime.fromMillis(0);

  @TempDir Path dir;

  @Test
  void runsThatLeftTheSameBytesAreDeterministicWhateverTheirUpperFilesAreCalled()
      throws IOException {
    RunOutputs first = run(List.of(file("out", "a", "same\n", 0644)), "hi\n", "0");
    RunOutputs second = run(List.of(file("out", "b", "same\n", 0644)), "hi\n", "0");

    DeterminismCheck check = RunComparison.compare(first, second);

    assertTrue(check.deterministic(), check::toString);
  }

  @Test
  void aTextFileThatDiffersIsNamedWithItsLineAndBothLines() throws IOException {
    RunOutputs first = run(List.of(file("out", "a", "1765000001\n", 0644)), "", "0");
    RunOutputs second = run(List.of(file("out", "b", "1765000002\n", 0644)), "", "0");

    DeterminismCheck check = RunComparison.compare(first, second);

    assertEquals(1, check.differences().size(), check::toString);
    Difference d = check.differences().get(0);
    assertEquals(Difference.Kind.TEXT, d.kind());
    assertEquals("/w/out differs at line 1 (\"1765000001\" vs \"1765000002\")", d.describe());
  }

  @Test
  void aBinaryFileThatDiffersIsNamedWithItsOffsetAndSizes() throws IOException {
    RunOutputs first = run(List.of(file("t.o", "a", "\0ELF 12:00:01", 0644)), "", "0");
    RunOutputs second = run(List.of(file("t.o", "b", "\0ELF 12:00:02!", 0644)), "", "0");

    Difference d = RunComparison.compare(first, second).differences().get(0);

    assertEquals(Difference.Kind.BINARY, d.kind());
    assertEquals("/w/t.o differs at byte 12 (13 vs 14 bytes)", d.describe());
  }

  @Test
  void modeLinkTargetAndPresenceDifferencesAreNamed() throws IOException {
    RunOutputs first =
        run(
            List.of(
                file("x", "a", "s", 0755),
                Change.createSymlink("l", "one"),
                Change.createDir("d", 0755, T)),
            "",
            "0");
    RunOutputs second =
        run(List.of(file("x", "b", "s", 0644), Change.createSymlink("l", "two")), "", "0");

    List<String> described =
        RunComparison.compare(first, second).differences().stream()
            .map(Difference::describe)
            .toList();

    assertEquals(
        List.of(
            "/w/d: the first run created a directory, the second left it alone",
            "/w/l links to one vs two",
            "/w/x has mode 0755 vs 0644"),
        described);
  }

  @Test
  void stdoutStderrAndExitStatusDifferencesComeAfterTheFiles() throws IOException {
    RunOutputs first =
        new RunOutputs(
            List.of(new RootChanges(WS, ChangeSet.of(List.of(Change.delete("gone"))))),
            bytes("t=1\n"),
            bytes("warn\n"),
            true,
            "0");
    RunOutputs second =
        new RunOutputs(
            List.of(new RootChanges(WS, ChangeSet.of(List.of(Change.delete("gone"))))),
            bytes("t=2\n"),
            bytes("warn\n"),
            true,
            "1");

    List<String> described =
        RunComparison.compare(first, second).differences().stream()
            .map(Difference::describe)
            .toList();

    assertEquals(
        List.of("stdout differs at line 1 (\"t=1\" vs \"t=2\")", "exit status differs (0 vs 1)"),
        described);
  }

  @Test
  void outputTooLargeToKeepIsLeftOutAndSaidSo() throws IOException {
    RunOutputs first = new RunOutputs(List.of(), bytes(""), bytes(""), false, "0");
    RunOutputs second = new RunOutputs(List.of(), bytes("x"), bytes(""), true, "0");

    DeterminismCheck check = RunComparison.compare(first, second);

    assertTrue(check.deterministic());
    assertEquals("stdout and stderr were not compared: they were too large to keep", check.note());
  }

  private RunOutputs run(List<Change> changes, String stdout, String status) {
    return new RunOutputs(
        List.of(new RootChanges(WS, ChangeSet.of(changes))),
        bytes(stdout),
        bytes(""),
        true,
        status);
  }

  private Change file(String path, String upperName, String content, int mode) throws IOException {
    Path source = Files.createDirectories(dir.resolve(upperName)).resolve(path);
    Files.writeString(source, content, StandardCharsets.ISO_8859_1);
    return Change.createFile(path, source, mode, content.length(), T);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
