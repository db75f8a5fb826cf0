package dev.airlock.daemon.cache;

import dev.airlock.daemon.store.StateDatabase;
import dev.airlock.daemon.store.StateDatabase.Table;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hit and miss counters and each entry's last use, kept in the {@code META} table. Lookups only
 * count in memory: a durable LMDB commit per hit would cost more than the lookup, so the counts are
 * written with the next write transaction, or every {@link #FLUSH_EVERY} events.
 */
final class CacheCounters {
  static final int FLUSH_EVERY = 256;
  private static final byte[] HITS = bytes("counter/hits");
  private static final byte[] MISSES = bytes("counter/misses");
  private static final byte[] LAST_USE = bytes("last-use/");

  private final AtomicLong pendingHits = new AtomicLong();
  private final AtomicLong pendingMisses = new AtomicLong();
  private final Map<Digest, Long> pendingLastUse = new ConcurrentHashMap<>();
  private final AtomicLong pendingEvents = new AtomicLong();

  /** Whether a flush is due. */
  boolean hit(StrongFingerprint strong, long nowMillis) {
    pendingHits.incrementAndGet();
    pendingLastUse.merge(strong.digest(), nowMillis, Math::max);
    return pendingEvents.incrementAndGet() >= FLUSH_EVERY;
  }

  /** Whether a flush is due. */
  boolean miss() {
    pendingMisses.incrementAndGet();
    return pendingEvents.incrementAndGet() >= FLUSH_EVERY;
  }

  /** Counts taken out of memory, to be written by one transaction. */
  record Pending(long hits, long misses, Map<Digest, Long> lastUse) {
    /** Writes the counts; safe to repeat when LMDB reruns a transaction after growing the map. */
    void writeTo(StateDatabase.WriteView w) {
      add(w, HITS, hits);
      add(w, MISSES, misses);
      lastUse.forEach((strong, millis) -> setLastUse(w, strong, millis));
    }
  }

  /** Writes what is pending in its own transaction. */
  void flush(StateDatabase db) {
    Pending pending = take();
    db.write(
        w -> {
          pending.writeTo(w);
          return null;
        });
  }

  /**
   * Takes what is pending out of memory. If the transaction that was to write it fails, the counts
   * are lost: they are statistics, and losing a few is cheaper than holding a lock over LMDB.
   */
  Pending take() {
    pendingEvents.set(0);
    Map<Digest, Long> lastUse = new HashMap<>();
    for (Map.Entry<Digest, Long> e : pendingLastUse.entrySet()) {
      if (pendingLastUse.remove(e.getKey(), e.getValue())) {
        lastUse.put(e.getKey(), e.getValue());
      }
    }
    return new Pending(pendingHits.getAndSet(0), pendingMisses.getAndSet(0), Map.copyOf(lastUse));
  }

  static void setLastUse(StateDatabase.WriteView w, Digest strong, long millis) {
    w.put(Table.META, lastUseKey(strong), ByteBuffer.allocate(Long.BYTES).putLong(millis).array());
  }

  /** When the entry was last recorded or hit; 0 if never noted. */
  static long lastUse(StateDatabase.ReadView r, Digest strong) {
    byte[] v = r.get(Table.META, lastUseKey(strong));
    return v == null ? 0 : ByteBuffer.wrap(v).getLong();
  }

  static void forget(StateDatabase.WriteView w, Digest strong) {
    w.delete(Table.META, lastUseKey(strong));
  }

  /** Hits and misses as stored plus those pending. */
  long hits(StateDatabase.ReadView r) {
    return read(r, HITS) + pendingHits.get();
  }

  long misses(StateDatabase.ReadView r) {
    return read(r, MISSES) + pendingMisses.get();
  }

  private static byte[] lastUseKey(Digest strong) {
    return ByteBuffer.allocate(LAST_USE.length + Digest.LENGTH)
        .put(LAST_USE)
        .put(strong.bytes())
        .array();
  }

  private static void add(StateDatabase.WriteView w, byte[] key, long delta) {
    if (delta != 0) {
      w.put(Table.META, key, ByteBuffer.allocate(Long.BYTES).putLong(read(w, key) + delta).array());
    }
  }

  private static long read(StateDatabase.ReadView r, byte[] key) {
    byte[] v = r.get(Table.META, key);
    return v == null ? 0 : ByteBuffer.wrap(v).getLong();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
