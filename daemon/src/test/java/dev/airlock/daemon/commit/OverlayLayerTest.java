package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.airlock.daemon.store.StateDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Conflicts between two write layers on one workspace, both begun, and their changes collected,
 * before either commits. Their upper dirs are filled directly, as an overlay would leave them: no
 * mount is needed.
 */
@Timeout(30)
class WriteLayerTest {
  @TempDir Path stateDir;
  @TempDir Path workspace;
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
  void twoLayersWritingTheSameBytesToAFileNeitherReadBothCommit() throws Exception {
    try (OverlayLayer a = writes.begin("a", List.of(workspace));
        OverlayLayer b = writes.begin("b", List.of(workspace))) {
      write(a, "out.txt", "same\n");
      write(b, "out.txt", "same\n");
      List<OverlayLayer.RootChanges> changesOfB = b.collect();

      a.commit(a.collect(), Set.of());
      b.commit(changesOfB, Set.of());
    }
    assertEquals("same\n", Files.readString(workspace.resolve("out.txt")));
  }

  @Test
  void twoLayersWritingDifferentBytesConflict() throws Exception {
    try (OverlayLayer a = writes.begin("a", List.of(workspace));
        OverlayLayer b = writes.begin("b", List.of(workspace))) {
      write(a, "out.txt", "from a\n");
      write(b, "out.txt", "from b\n");
      List<OverlayLayer.RootChanges> changesOfB = b.collect();

      a.commit(a.collect(), Set.of());
      CommitConflictException e =
          assertThrows(CommitConflictException.class, () -> b.commit(changesOfB, Set.of()));
      assertEquals(List.of("out.txt"), e.paths());
    }
    assertEquals("from a\n", Files.readString(workspace.resolve("out.txt")));
  }

  @Test
  void theSameBytesStillConflictWhenTheLaterLayerHadReadTheFile() throws Exception {
    try (OverlayLayer a = writes.begin("a", List.of(workspace));
        OverlayLayer b = writes.begin("b", List.of(workspace))) {
      write(a, "out.txt", "same\n");
      write(b, "out.txt", "same\n");
      List<OverlayLayer.RootChanges> changesOfB = b.collect();

      a.commit(a.collect(), Set.of());
      // b looked at out.txt (found it absent, say) before writing it: what it saw is stale.
      Set<String> readByB = Set.of(workspace.resolve("out.txt").toString());
      CommitConflictException e =
          assertThrows(CommitConflictException.class, () -> b.commit(changesOfB, readByB));
      assertEquals(List.of("out.txt"), e.paths());
    }
  }

  @Test
  void theSameBytesWithAnotherModeConflict() throws Exception {
    try (OverlayLayer a = writes.begin("a", List.of(workspace));
        OverlayLayer b = writes.begin("b", List.of(workspace))) {
      write(a, "tool", "#!/bin/sh\n");
      Path ofB = write(b, "tool", "#!/bin/sh\n");
      Files.setPosixFilePermissions(
          ofB, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
      List<OverlayLayer.RootChanges> changesOfB = b.collect();

      a.commit(a.collect(), Set.of());
      assertThrows(CommitConflictException.class, () -> b.commit(changesOfB, Set.of()));
    }
  }

  private Path write(OverlayLayer layer, String path, String content) throws Exception {
    Path file = layer.upper(workspace).resolve(path);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    return file;
  }
}
