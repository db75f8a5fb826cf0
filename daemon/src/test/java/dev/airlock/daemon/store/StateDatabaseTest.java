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
