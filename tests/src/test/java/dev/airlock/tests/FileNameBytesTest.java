package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.protocol.PathBytes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Linux file names are bytes: names that are not UTF-8 go through the tracer, the commit, the cache
 * and the report unchanged.
 */
@Timeout(120)
class FileNameBytesTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();
  private final ReportedRuns runs = new ReportedRuns(daemon.fixture(), daemon.dir());

  /** The exact byte names in a directory, as PathBytes strings, sorted. */
  private static TreeSet<String> names(Path ws) throws Exception {
    TreeSet<String> names = new TreeSet<>();
    try (Stream<Path> entries = Files.list(ws)) {
      entries.forEach(p -> names.add(PathBytes.of(p.getFileName())));
    }
    return names;
  }

  @Test
  void createdEditedAndDeletedNamesThatAreNotUtf8CommitUnderTheirOwnBytes() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("commit"));
    Files.writeString(PathBytes.resolve(ws, "mod\uDCFF.txt"), "old\n");
    Files.writeString(PathBytes.resolve(ws, "pre\uDCFF.txt"), "doomed\n");

    CliProcess.Result r =
        runs.run(
            ws,
            "commit",
            "--",
            "sh",
            "-c",
            "echo new > \"$(printf 'mod\\377.txt')\"; rm \"$(printf 'pre\\377.txt')\";"
                + " echo x > \"$(printf 'bad\\377.txt')\"; mkdir \"$(printf 'd\\376')\";"
                + " ln -s \"$(printf 'bad\\377.txt')\" \"$(printf 'l\\375')\"");

    assertEquals(0, r.status(), r::toString);
    assertEquals(
        new TreeSet<>(List.of("bad\uDCFF.txt", "d\uDCFE", "l\uDCFD", "mod\uDCFF.txt")), names(ws));
    assertEquals("x\n", Files.readString(PathBytes.resolve(ws, "bad\uDCFF.txt")));
    assertEquals("new\n", Files.readString(PathBytes.resolve(ws, "mod\uDCFF.txt")));
    assertEquals(
        "bad\uDCFF.txt",
        PathBytes.of(Files.readSymbolicLink(PathBytes.resolve(ws, "l\uDCFD"))),
        "a link's target keeps its bytes too");

    String report = Files.readString(daemon.dir().resolve("commit.json"), StandardCharsets.UTF_8);
    ReportChanges changes = ReportChanges.parse(report);
    assertEquals("committed", changes.outcome(), changes::toString);
    // Each byte that is not UTF-8 is the JSON escape \\udcXX (Python: os.fsencode gives it back).
    assertEquals(
        List.of(
            "created bad\\udcff.txt",
            "deleted pre\\udcff.txt",
            "directory-created d\\udcfe",
            "modified mod\\udcff.txt",
            "symlink-created l\\udcfd"),
        changes.sortedFilesRelativeTo(ws));
    assertTrue(
        report.contains("\"kind\": \"create\", \"path\": \"" + ws + "/bad\\udcff.txt\""),
        "the access record has the exact name too:\n" + report);
    assertFalse(report.contains("\uFFFD"), "no replacement characters:\n" + report);
  }

  @Test
  void aCachedOutputWithSuchANameIsReplayedUnderItsOwnBytes() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("cache"));
    List<String> command = List.of("sh", "-c", "printf 'out\\n' > \"$(printf 'o\\351u\\377')\"");

    CachedRun.launch(daemon.fixture(), ws, List.of(), command)
        .await()
        .assertExit(0)
        .assertRecorded();
    Path output = PathBytes.resolve(ws, "o\uDCE9u\uDCFF");
    assertArrayEquals("out\n".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(output));
    Files.delete(output);

    CachedRun.launch(daemon.fixture(), ws, List.of(), command).await().assertExit(0).assertHit();
    assertEquals(new TreeSet<>(List.of("o\uDCE9u\uDCFF")), names(ws));
    assertEquals("out\n", Files.readString(output));
  }
}
