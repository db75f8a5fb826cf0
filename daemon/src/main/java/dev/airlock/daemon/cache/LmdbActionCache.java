package dev.airlock.daemon.cache;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.airlock.daemon.cache.CacheRecords.StoredPathSet;
import dev.airlock.daemon.cache.CacheRecords.StoredResult;
import dev.airlock.daemon.store.StateDatabase;
import dev.airlock.daemon.store.StateDatabase.Table;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The action cache in the daemon's LMDB environment: {@code PATH_SETS} maps weak fingerprint ++
 * path set identity to the path set (and the states last seen), {@code ACTION_RESULTS} maps strong
 * fingerprints to results, {@code META} holds counters and last use. Blobs live in the {@link
 * ContentStore}. Safe for concurrent use; LMDB serialises the writes.
 */
public final class LmdbActionCache implements ActionCache {
  /** How many path sets a lookup tries, most recently recorded first. */
  public static final int MAX_PATH_SETS_TRIED = 8;

  /** How many path sets are kept per weak fingerprint; older ones are dropped on record. */
  public static final int MAX_PATH_SETS_KEPT = 16;

  /** Unreferenced blobs younger than this may belong to a result about to be recorded. */
  public static final Duration ORPHAN_GRACE = Duration.ofMinutes(15);

  private static final int MAX_DIFFERENCES = 20;
  private static final int DECODED_PATH_SETS = 128;

  private final StateDatabase db;
  private final ContentStore cas;
  private final Clock clock;
  private final CacheCounters counters = new CacheCounters();
  private final AtomicBoolean closed = new AtomicBoolean();

  // A path set's paths never change under its identity (the identity is their hash), so hot
  // actions skip parsing theirs on every lookup; access order makes this an LRU.
  private final Map<Digest, PathSet> decodedPathSets =
      Collections.synchronizedMap(
          new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Digest, PathSet> eldest) {
              return size() > DECODED_PATH_SETS;
            }
          });

  /** A stored path set not yet parsed: its identity (from the key) and its value. */
  private record RawPathSet(Digest identity, byte[] value) {}

  /** A cache over {@code db} and {@code cas}, which stay owned (and closed) by the caller. */
  public LmdbActionCache(StateDatabase db, ContentStore cas) {
    this(db, cas, Clock.systemUTC());
  }

  LmdbActionCache(StateDatabase db, ContentStore cas, Clock clock) {
    this.db = db;
    this.cas = cas;
    this.clock = clock;
  }

  @Override
  public Optional<CacheHit> lookup(WeakFingerprint weak, PathStateReader reader)
      throws IOException {
    Map<ObservedPath, PathState> memo = new HashMap<>();
    for (RawPathSet raw : pathSetsOf(weak, MAX_PATH_SETS_TRIED)) {
      Optional<PathSet> decoded = pathSetOf(raw);
      if (decoded.isEmpty()) {
        continue;
      }
      PathSet set = decoded.get();
      StrongFingerprint strong = StrongFingerprint.of(weak, set, statesNow(set, reader, memo));
      byte[] key = strong.digest().bytes();
      byte[] found = db.read(r -> r.get(Table.ACTION_RESULTS, key));
      if (found == null) {
        continue;
      }
      Optional<CachedResult> result = decodeResult(found).map(StoredResult::result);
      if (result.isEmpty() || !allBlobsPresent(result.get())) {
        dropUnservable(strong);
        continue;
      }
      if (counters.hit(strong, clock.millis())) {
        counters.flush(db);
      }
      return Optional.of(new CacheHit(strong, set, result.get()));
    }
    if (counters.miss()) {
      counters.flush(db);
    }
    return Optional.empty();
  }

  @Override
  public void record(
      WeakFingerprint weak, PathSet pathSet, List<PathState> states, CachedResult result)
      throws IOException {
    StrongFingerprint strong = StrongFingerprint.of(weak, pathSet, states);
    for (Digest blob : result.blobs()) {
      // An entry must never point at a blob that is not there.
      if (!cas.contains(blob)) {
        throw new IllegalArgumentException(
            "blob " + blob.hex() + " of " + result.actionId() + " is not in the content store");
      }
    }
    long now = clock.millis();
    byte[] pathSetKey = pathSetKey(weak, pathSet.identity());
    byte[] pathSetValue = CacheRecords.encodePathSet(now, pathSet, states);
    byte[] resultValue = CacheRecords.encodeResult(result, weak, pathSet);
    CacheCounters.Pending pending = counters.take();
    db.write(
        w -> {
          w.put(Table.PATH_SETS, pathSetKey, pathSetValue);
          w.put(Table.ACTION_RESULTS, strong.digest().bytes(), resultValue);
          CacheCounters.setLastUse(w, strong.digest(), now);
          pruneOldPathSets(w, weak);
          pending.writeTo(w);
          return null;
        });
  }

  @Override
  public CacheStats stats() throws IOException {
    counters.flush(db);
    long casBytes = cas.totalBytes();
    return db.read(
        r ->
            new CacheStats(
                r.count(Table.ACTION_RESULTS),
                r.count(Table.PATH_SETS),
                casBytes,
                counters.hits(r),
                counters.misses(r)));
  }

  @Override
  public GcReport gc(long maxBytes) throws IOException {
    counters.flush(db);
    return new CacheCollector(db, cas, clock.millis() - ORPHAN_GRACE.toMillis()).collect(maxBytes);
  }

  @Override
  public Optional<Explanation> explain(WeakFingerprint weak, PathStateReader reader)
      throws IOException {
    List<RawPathSet> values = pathSetsOf(weak, Integer.MAX_VALUE);
    Map<ObservedPath, PathState> memo = new HashMap<>();
    Explanation best = null;
    for (RawPathSet raw : values) {
      Optional<StoredPathSet> stored = decodePathSet(raw);
      if (stored.isEmpty()) {
        continue;
      }
      PathSet set = stored.get().pathSet();
      List<PathState> now = statesNow(set, reader, memo);
      List<Explanation.Difference> differences = new ArrayList<>();
      int matching = 0;
      for (int i = 0; i < set.size(); i++) {
        PathState then = stored.get().states().get(i);
        if (then.equals(now.get(i))) {
          matching++;
        } else if (differences.size() < MAX_DIFFERENCES) {
          differences.add(new Explanation.Difference(set.paths().get(i), then, now.get(i)));
        }
      }
      // Strictly more: on a tie the more recent path set (seen first) wins.
      if (best == null || matching > best.pathsMatching()) {
        Optional<CachedResult> match =
            matching == set.size()
                ? servable(StrongFingerprint.of(weak, set, now))
                : Optional.empty();
        best = new Explanation(values.size(), set, matching, differences, match);
      }
    }
    return Optional.ofNullable(best);
  }

  @Override
  public List<RecordedEntry> entries() {
    List<RecordedEntry> entries = new ArrayList<>();
    db.read(
        r -> {
          r.scan(
              Table.ACTION_RESULTS,
              new byte[0],
              (k, v) -> {
                decodeResult(v)
                    .ifPresent(
                        stored ->
                            entries.add(
                                new RecordedEntry(
                                    new StrongFingerprint(Digest.of(k)),
                                    stored.weak(),
                                    stored.pathSetIdentity(),
                                    stored.result())));
                return true;
              });
          return null;
        });
    return entries;
  }

  @Override
  public boolean current(RecordedEntry entry, WeakFingerprint weak, PathStateReader reader)
      throws IOException {
    if (!weak.digest().equals(entry.weak())) {
      return false;
    }
    byte[] key = pathSetKey(weak, entry.pathSetIdentity());
    byte[] value = db.read(r -> r.get(Table.PATH_SETS, key));
    if (value == null) {
      return false;
    }
    Optional<PathSet> set = pathSetOf(new RawPathSet(entry.pathSetIdentity(), value));
    return set.isPresent()
        && StrongFingerprint.of(weak, set.get(), reader.readAll(set.get().paths()))
            .equals(entry.key());
  }

  /** The recorded result of {@code strong} if it can be served (its blobs are there), uncounted. */
  private Optional<CachedResult> servable(StrongFingerprint strong) {
    byte[] found = db.read(r -> r.get(Table.ACTION_RESULTS, strong.digest().bytes()));
    if (found == null) {
      return Optional.empty();
    }
    Optional<CachedResult> result = decodeResult(found).map(StoredResult::result);
    return result.isPresent() && allBlobsPresent(result.get()) ? result : Optional.empty();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      counters.flush(db);
    }
  }

  /** The stored path sets of {@code weak}, most recently recorded first, at most {@code limit}. */
  private List<RawPathSet> pathSetsOf(WeakFingerprint weak, int limit) {
    byte[] prefix = weak.digest().bytes();
    List<RawPathSet> values =
        db.read(
            r -> {
              List<RawPathSet> found = new ArrayList<>();
              r.scan(
                  Table.PATH_SETS,
                  prefix,
                  (k, v) ->
                      found.add(
                          new RawPathSet(
                              Digest.of(Arrays.copyOfRange(k, Digest.LENGTH, k.length)), v)));
              return found;
            });
    values.sort(
        Comparator.comparingLong((RawPathSet p) -> CacheRecords.recordedAtMillis(p.value()))
            .reversed());
    return values.size() > limit ? values.subList(0, limit) : values;
  }

  private Optional<PathSet> pathSetOf(RawPathSet raw) {
    PathSet known = decodedPathSets.get(raw.identity());
    if (known != null) {
      return Optional.of(known);
    }
    Optional<PathSet> decoded = decodePathSet(raw).map(StoredPathSet::pathSet);
    decoded.ifPresent(set -> decodedPathSets.put(raw.identity(), set));
    return decoded;
  }

  private static List<PathState> statesNow(
      PathSet set, PathStateReader reader, Map<ObservedPath, PathState> memo) throws IOException {
    // Path sets of one action overlap; each path is read once per lookup.
    List<ObservedPath> unread = new ArrayList<>();
    for (ObservedPath p : set.paths()) {
      if (!memo.containsKey(p)) {
        unread.add(p);
      }
    }
    List<PathState> read = reader.readAll(unread);
    for (int i = 0; i < unread.size(); i++) {
      memo.put(unread.get(i), read.get(i));
    }
    List<PathState> states = new ArrayList<>(set.size());
    for (ObservedPath p : set.paths()) {
      states.add(memo.get(p));
    }
    return states;
  }

  private boolean allBlobsPresent(CachedResult result) {
    for (Digest blob : result.blobs()) {
      if (!cas.contains(blob)) {
        return false;
      }
    }
    return true;
  }

  /** Removes an entry that cannot be replayed, unless a concurrent record has just repaired it. */
  private void dropUnservable(StrongFingerprint strong) {
    byte[] key = strong.digest().bytes();
    db.write(
        w -> {
          byte[] value = w.get(Table.ACTION_RESULTS, key);
          Optional<StoredResult> current = value == null ? Optional.empty() : decodeResult(value);
          if (value != null && (current.isEmpty() || !allBlobsPresent(current.get().result()))) {
            w.delete(Table.ACTION_RESULTS, key);
            CacheCounters.forget(w, strong.digest());
          }
          return null;
        });
  }

  private static void pruneOldPathSets(StateDatabase.WriteView w, WeakFingerprint weak) {
    List<byte[][]> entries = new ArrayList<>();
    w.scan(Table.PATH_SETS, weak.digest().bytes(), (k, v) -> entries.add(new byte[][] {k, v}));
    if (entries.size() <= MAX_PATH_SETS_KEPT) {
      return;
    }
    // Their results become unreachable; gc removes them.
    entries.sort(Comparator.comparingLong(e -> CacheRecords.recordedAtMillis(e[1])));
    for (byte[][] e : entries.subList(0, entries.size() - MAX_PATH_SETS_KEPT)) {
      w.delete(Table.PATH_SETS, e[0]);
    }
  }

  static byte[] pathSetKey(WeakFingerprint weak, Digest identity) {
    return pathSetKey(weak.digest(), identity);
  }

  static byte[] pathSetKey(Digest weak, Digest identity) {
    return ByteBuffer.allocate(2 * Digest.LENGTH).put(weak.bytes()).put(identity.bytes()).array();
  }

  // An unreadable record (a newer or damaged format, or one that does not match its key) is
  // skipped as if absent, never served.
  private static Optional<StoredPathSet> decodePathSet(RawPathSet raw) {
    try {
      StoredPathSet stored = CacheRecords.decodePathSet(raw.value());
      return stored.pathSet().identity().equals(raw.identity())
          ? Optional.of(stored)
          : Optional.empty();
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      return Optional.empty();
    }
  }

  static Optional<StoredResult> decodeResult(byte[] value) {
    try {
      return Optional.of(CacheRecords.decodeResult(value));
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
