package dev.airlock.daemon.cache;

import dev.airlock.daemon.cache.CacheRecords.StoredResult;
import dev.airlock.daemon.store.StateDatabase;
import dev.airlock.daemon.store.StateDatabase.Table;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One garbage collection of the action cache: drops unreachable entries, then least recently used
 * ones until the blobs fit, and deletes blobs no remaining entry needs.
 *
 * <p>Entries go first, in one transaction, and blobs after it commits, so a crash in between leaves
 * only orphans. An unreferenced blob stored after {@code graceStartMillis} is spared: it may belong
 * to a result whose blobs are stored but which is not recorded yet.
 */
final class CacheCollector {
  private final StateDatabase db;
  private final ContentStore cas;
  private final long graceStartMillis;

  CacheCollector(StateDatabase db, ContentStore cas, long graceStartMillis) {
    this.db = db;
    this.cas = cas;
    this.graceStartMillis = graceStartMillis;
  }

  private record Entry(Digest strong, byte[] value, Optional<StoredResult> stored, long lastUse) {}

  GcReport collect(long maxBytes) throws IOException {
    List<Entry> entries = new ArrayList<>();
    // ByteBuffer compares by content, which byte[] does not.
    Map<ByteBuffer, byte[]> pathSets = new HashMap<>();
    db.read(
        r -> {
          r.scan(
              Table.ACTION_RESULTS,
              new byte[0],
              (k, v) -> {
                Digest strong = Digest.of(k);
                long lastUse = CacheCounters.lastUse(r, strong);
                return entries.add(new Entry(strong, v, LmdbActionCache.decodeResult(v), lastUse));
              });
          r.scan(
              Table.PATH_SETS, new byte[0], (k, v) -> pathSets.put(ByteBuffer.wrap(k), v) == null);
          return null;
        });

    List<Entry> evict = new ArrayList<>();
    List<Entry> live = new ArrayList<>();
    for (Entry e : entries) {
      // Unreadable, or its path set was pruned: no lookup can reach it.
      boolean reachable = e.stored().isPresent() && pathSets.containsKey(pathSetKeyOf(e));
      (reachable ? live : evict).add(e);
    }

    Map<Digest, Long> sizes = new HashMap<>();
    long before = 0;
    for (Digest blob : cas.digests()) {
      try {
        long size = cas.sizeOf(blob);
        sizes.put(blob, size);
        before += size;
      } catch (NoSuchFileException gone) {
        // Deleted meanwhile.
      }
    }
    Map<Digest, Integer> refs = new HashMap<>();
    for (Entry e : live) {
      for (Digest blob : e.stored().orElseThrow().result().blobs()) {
        refs.merge(blob, 1, Integer::sum);
      }
    }
    long projected = before;
    for (Map.Entry<Digest, Long> blob : sizes.entrySet()) {
      if (!refs.containsKey(blob.getKey())) {
        projected -= blob.getValue();
      }
    }
    // Least recently used first; the fingerprint breaks ties so the order is stable.
    live.sort(Comparator.comparingLong(Entry::lastUse).thenComparing(Entry::strong));
    int lru = 0;
    while (projected > maxBytes && lru < live.size()) {
      Entry e = live.get(lru++);
      evict.add(e);
      for (Digest blob : e.stored().orElseThrow().result().blobs()) {
        if (refs.merge(blob, -1, Integer::sum) == 0) {
          refs.remove(blob);
          projected -= sizes.getOrDefault(blob, 0L);
        }
      }
    }

    Set<ByteBuffer> stillUsedPathSets = new HashSet<>();
    for (Entry e : live.subList(lru, live.size())) {
      stillUsedPathSets.add(pathSetKeyOf(e));
    }
    // Only what is unchanged since the scan: a concurrent record may have renewed it.
    db.write(
        w -> {
          for (Entry e : evict) {
            if (Arrays.equals(e.value(), w.get(Table.ACTION_RESULTS, e.strong().bytes()))) {
              w.delete(Table.ACTION_RESULTS, e.strong().bytes());
              CacheCounters.forget(w, e.strong());
            }
          }
          // Path sets with no entry left would only cost lookups a state computation.
          for (Map.Entry<ByteBuffer, byte[]> p : pathSets.entrySet()) {
            byte[] key = p.getKey().array();
            if (!stillUsedPathSets.contains(p.getKey())
                && Arrays.equals(p.getValue(), w.get(Table.PATH_SETS, key))) {
              w.delete(Table.PATH_SETS, key);
            }
          }
          return null;
        });

    int blobsRemoved = 0;
    long after = before;
    for (Map.Entry<Digest, Long> blob : sizes.entrySet()) {
      if (!refs.containsKey(blob.getKey()) && deletable(blob.getKey())) {
        cas.delete(blob.getKey());
        blobsRemoved++;
        after -= blob.getValue();
      }
    }
    return new GcReport(evict.size(), blobsRemoved, before, after);
  }

  private boolean deletable(Digest blob) throws IOException {
    try {
      return cas.lastStored(blob).toMillis() < graceStartMillis;
    } catch (NoSuchFileException gone) {
      return false;
    }
  }

  private static ByteBuffer pathSetKeyOf(Entry e) {
    StoredResult s = e.stored().orElseThrow();
    return ByteBuffer.wrap(LmdbActionCache.pathSetKey(s.weak(), s.pathSetIdentity()));
  }
}
