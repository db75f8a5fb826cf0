package dev.airlock.daemon.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.store.StateDatabase.Table;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDatabaseTest {
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void valuesSurviveReopening() throws Exception {
    try (StateDatabase db = StateDatabase.open(dir)) {
      db.write(
          w -> {
            w.put(Table.ACTION_RESULTS, b("k"), b("v"));
            return null;
          });
    }
    try (StateDatabase db = StateDatabase.open(dir)) {
      assertArrayEquals(b("v"), db.read(r -> r.get(Table.ACTION_RESULTS, b("k"))));
      assertNull(db.read(r -> r.get(Table.PATH_SETS, b("k"))), "tables are separate");
    }
  }

  /** A database with many entries, so that its file spans pages beyond the meta pages. */
  private void populate(Path db) throws Exception {
    try (StateDatabase d = StateDatabase.open(db)) {
      d.write(
          w -> {
            for (int i = 0; i < 2000; i++) {
              w.put(Table.ACTION_RESULTS, b("key-" + i), new byte[200]);
            }
            return null;
          });
    }
  }

  private List<Path> setAside() throws Exception {
    try (java.util.stream.Stream<Path> s = java.nio.file.Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("db.broken-")).toList();
    }
  }

  @Test
  void aTruncatedFileIsSetAsideAndTheDatabaseStartsEmpty() throws Exception {
    Path db = dir.resolve("db");
    populate(db);
    Path data = db.resolve("data.mdb");
    long whole = java.nio.file.Files.size(data);
    try (java.nio.channels.FileChannel c =
        java.nio.channels.FileChannel.open(data, java.nio.file.StandardOpenOption.WRITE)) {
      c.truncate(whole / 2);
    }

    // Mapping it as it is would fault (SIGBUS) on the first read past its end.
    try (StateDatabase reopened = StateDatabase.open(db)) {
      assertNull(reopened.read(r -> r.get(Table.ACTION_RESULTS, b("key-1999"))));
      reopened.write(
          w -> {
            w.put(Table.META, b("a"), b("1"));
            return null;
          });
    }
    List<Path> kept = setAside();
    assertEquals(1, kept.size(), kept::toString);
    assertEquals(whole / 2, java.nio.file.Files.size(kept.get(0).resolve("data.mdb")));
  }

  @Test
  void aFileThatIsNoLmdbIsSetAsideAndAWholeOneIsKept() throws Exception {
    Path db = dir.resolve("db");
    java.nio.file.Files.createDirectories(db);
    java.nio.file.Files.write(db.resolve("data.mdb"), new byte[64 * 1024]);
    try (StateDatabase reopened = StateDatabase.open(db)) {
      assertNull(reopened.read(r -> r.get(Table.META, b("a"))));
    }
    assertEquals(1, setAside().size());

    populate(db);
    try (StateDatabase whole = StateDatabase.open(db)) {
      assertEquals(200, whole.read(r -> r.get(Table.ACTION_RESULTS, b("key-7"))).length);
    }
    assertEquals(1, setAside().size(), "a whole database stays where it is");
  }

  @Test
  void aFailedWriteLeavesNothing() throws Exception {
    try (StateDatabase db = StateDatabase.open(dir)) {
      try {
        db.write(
            w -> {
              w.put(Table.META, b("a"), b("1"));
              throw new IllegalStateException("boom");
            });
      } catch (IllegalStateException expected) {
        // aborted
      }
      assertNull(db.read(r -> r.get(Table.META, b("a"))));
    }
  }

  @Test
  void theMapGrowsWhenFull() throws Exception {
    try (StateDatabase db = StateDatabase.open(dir, 1L << 20)) {
      byte[] value = new byte[64 * 1024];
      for (int i = 0; i < 100; i++) {
        int n = i;
        db.write(
            w -> {
              w.put(Table.STAT_CACHE, b("key-" + n), value);
              return null;
            });
      }
      assertEquals(100, db.count(Table.STAT_CACHE));
      assertTrue(db.mapBytes() > 1L << 20, "map was grown: " + db.mapBytes());
    }
  }

  @Test
  void scanVisitsOnlyThePrefixInKeyOrder() throws Exception {
    try (StateDatabase db = StateDatabase.open(dir)) {
      db.write(
          w -> {
            for (String k : List.of("b/2", "a/1", "b/1", "c/1")) {
              w.put(Table.PATH_SETS, b(k), b(k));
            }
            return null;
          });
      List<String> seen = new ArrayList<>();
      db.read(
          r -> {
            r.scan(
                Table.PATH_SETS,
                b("b/"),
                (k, v) -> seen.add(new String(k, StandardCharsets.UTF_8)));
            return null;
          });
      assertEquals(List.of("b/1", "b/2"), seen);
    }
  }
}
