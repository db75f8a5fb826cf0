package dev.airlock.daemon.cache;

import dev.airlock.daemon.store.StateDatabase;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The daemon's action cache and what it is made of: the content store, the stat cache and the path
 * state reader over it, and the LMDB-backed cache of results.
 */
public record CacheStores(
    ActionCache cache, ContentStore cas, StatCache statCache, PathStateReader reader)
    implements AutoCloseable {

  /** Opens the cache over the daemon's state database and a CAS under {@code stateDir}. */
  public static CacheStores open(StateDatabase db, Path stateDir) throws IOException {
    ContentStore cas = ContentStore.open(stateDir);
    StatCache stats = new StatCache(db, StatCache.DEFAULT_GRANULARITY);
    return new CacheStores(new LmdbActionCache(db, cas), cas, stats, new PathStateReader(stats));
  }

  /**
   * Saves what the cache keeps in memory (hit and miss counts, last-use times, which gc orders
   * entries by); idempotent. The database stays open: its owner closes it afterwards.
   */
  @Override
  public void close() {
    cache.close();
  }
}
