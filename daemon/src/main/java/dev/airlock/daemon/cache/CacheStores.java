package dev.airlock.daemon.cache;

import dev.airlock.daemon.cache.remote.RemoteCacheConfig;
import dev.airlock.daemon.cache.remote.RemoteTier;
import dev.airlock.daemon.store.StateDatabase;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The daemon's action cache and what it is made of: the content store, the stat cache and the path
 * state reader over it, the LMDB-backed cache of results, and the remote tier behind it when the
 * daemon shares its cache ({@code --remote-cache}).
 */
public record CacheStores(
    ActionCache cache,
    ContentStore cas,
    StatCache statCache,
    PathStateReader reader,
    Optional<RemoteTier> remote)
    implements AutoCloseable {

  /** Opens the cache over the daemon's state database and a CAS under {@code stateDir}. */
  public static CacheStores open(StateDatabase db, Path stateDir) throws IOException {
    return open(db, stateDir, Optional.empty());
  }

  /** As {@link #open(StateDatabase, Path)}, sharing it through {@code remote} when given. */
  public static CacheStores open(
      StateDatabase db, Path stateDir, Optional<RemoteCacheConfig> remote) throws IOException {
    ContentStore cas = ContentStore.open(stateDir);
    StatCache stats = new StatCache(db, StatCache.DEFAULT_GRANULARITY);
    LmdbActionCache cache = new LmdbActionCache(db, cas);
    return new CacheStores(
        cache,
        cas,
        stats,
        new PathStateReader(stats),
        remote.map(config -> RemoteTier.open(config, cache, cas)));
  }

  /**
   * Saves what the cache keeps in memory (hit and miss counts, last-use times, which gc orders
   * entries by) and closes the remote tier's channel; idempotent. The database stays open: its
   * owner closes it afterwards.
   */
  @Override
  public void close() {
    try {
      cache.close();
    } finally {
      remote.ifPresent(RemoteTier::close);
    }
  }
}
