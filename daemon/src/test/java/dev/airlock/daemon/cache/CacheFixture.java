package dev.airlock.daemon.cache;

import dev.airlock.daemon.store.StateDatabase;
import dev.airlock.sandbox.linux.trace.Access;
import dev.airlock.sandbox.linux.trace.AccessKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A real LMDB environment, content store and cache in a temp directory, as the daemon has them. */
final class CacheFixture implements AutoCloseable {
  private final Path stateDir;
  private final Duration granularity;
  private final Clock statClock;
  StateDatabase db;
  ContentStore cas;
  StatCache statCache;
  PathStateReader reader;
  LmdbActionCache cache;

  CacheFixture(Path stateDir, Duration granularity) throws IOException {
    this(stateDir, granularity, Clock.systemUTC());
  }

  /** With {@code statClock} giving the stat cache's recording times. */
  CacheFixture(Path stateDir, Duration granularity, Clock statClock) throws IOException {
    this.stateDir = stateDir;
    this.granularity = granularity;
    this.statClock = statClock;
    open();
  }

  private void open() throws IOException {
    db = StateDatabase.open(stateDir.resolve("db"));
    cas = ContentStore.open(stateDir);
    statCache = new StatCache(db, granularity, statClock);
    reader = new PathStateReader(statCache);
    // A millisecond per reading: records and hits get distinct times without sleeping between them.
    cache = new LmdbActionCache(db, cas, new TickingClock());
  }

  /** Wall-clock time, one millisecond later at every reading. */
  private static final class TickingClock extends Clock {
    private final java.util.concurrent.atomic.AtomicLong last =
        new java.util.concurrent.atomic.AtomicLong();

    @Override
    public long millis() {
      return last.updateAndGet(previous -> Math.max(previous + 1, System.currentTimeMillis()));
    }

    @Override
    public java.time.Instant instant() {
      return java.time.Instant.ofEpochMilli(millis());
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  /** Closes everything in reverse order and opens it again, as a daemon restart does. */
  void reopen() throws IOException {
    close();
    open();
  }

  static WeakFingerprint weak(String... argv) {
    return WeakFingerprint.builder()
        .argv(List.of(argv))
        .environment(Map.of("PATH", "/usr/bin"))
        .cwd("/")
        .policy(new byte[0])
        .platform(PlatformKey.current())
        .build();
  }

  /**
   * Records a successful run that made {@code accesses} and printed {@code stdout}, reading the
   * observed paths' states as they are now (before any commit).
   */
  CachedResult record(WeakFingerprint weak, List<Access> accesses, String stdout)
      throws IOException {
    return record(weak, accesses, stdout, Map.of());
  }

  CachedResult record(
      WeakFingerprint weak, List<Access> accesses, String stdout, Map<String, Output> outputs)
      throws IOException {
    PathSet set = PathSet.fromAccesses(accesses, PathSet.DEFAULT_IGNORED_ROOTS);
    List<PathState> states = reader.readAll(set.paths());
    CachedResult result =
        CachedResult.of(
            0,
            cas.put(stdout.getBytes(StandardCharsets.UTF_8)),
            cas.put(new byte[0]),
            outputs,
            "action-" + stdout,
            Instant.now());
    cache.record(weak, set, states, result);
    return result;
  }

  static Access access(AccessKind kind, Path path) {
    return new Access(kind, path.toString(), 0, 100);
  }

  @Override
  public void close() {
    cache.close();
    db.close();
  }
}
