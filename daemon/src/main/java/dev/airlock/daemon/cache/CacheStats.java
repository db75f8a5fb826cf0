package dev.airlock.daemon.cache;

/** How big the cache is and how well it does: entries, path sets, CAS bytes, hits and misses. */
public record CacheStats(long entries, long pathSets, long casBytes, long hits, long misses) {
  /** Hits over lookups, 0 before the first lookup. */
  public double hitRate() {
    long lookups = hits + misses;
    return lookups == 0 ? 0 : (double) hits / lookups;
  }
}
