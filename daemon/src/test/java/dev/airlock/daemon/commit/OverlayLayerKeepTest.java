package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.store.StateDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * --keep-failed: a failed action's changes go to a directory of their own, never mixed with an
 * earlier run's. Upper dirs are filled directly, as an overlay would leave them.
 */
@Timeout(30)
class OverlayLayerKeepTest {
  @TempDir Path stateDir;
  @TempDir Path workspace;
  @TempDir Path keeps;
  private StateDatabase db;
  private WriteTransactions writes;

  @BeforeEach
  void open() throws Exception {
    db = StateDatabase.open(stateDir.resolve("db"));
    writes = WriteTransactions.open(db, stateDir, true, CommitObserver.NONE);
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void keepingIntoAMissingOrEmptyDirectoryLeavesExactlyTheChanges() throws Exception {
    Path missing = keeps.resolve("new/kept");
    Path empty = Files.createDirectories(keeps.resolve("empty"));

    assertEquals(missing, keep("a", "first.txt", "first\n", missing));
    assertEquals(empty, keep("b", "second.txt", "second\n", empty));

    assertEquals(List.of("first.txt"), names(missing));
    assertEquals("first\n", Files.readString(missing.resolve("first.txt")));
    assertEquals(List.of("second.txt"), names(empty));
    assertEquals(List.of("empty", "new"), names(keeps), "no staging copy is left beside them");
  }

  @Test
  void aSecondKeepIntoTheSameDirectoryIsRefusedAndChangesNothing() throws Exception {
    Path kept = keeps.resolve("kept");
    keep("a", "first.txt", "first\n", kept);

    IOException e = assertThrows(IOException.class, () -> keep("b", "second.txt", "x\n", kept));

    assertTrue(e.getMessage().startsWith(kept + " is not empty"), e.getMessage());
    assertEquals(List.of("first.txt"), names(kept));
    assertEquals(List.of("kept"), names(keeps), "no staging copy is left beside it");
  }

  private Path keep(String id, String name, String content, Path dir) throws Exception {
    try (OverlayLayer layer = writes.begin(id, List.of(workspace))) {
      Files.writeString(layer.upper(workspace).resolve(name), content);
      return layer.keep(layer.collect(), dir);
    }
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
