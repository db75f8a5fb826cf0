package dev.airlock.daemon.cache;

import dev.airlock.daemon.store.StateDatabase;
import dev.airlock.daemon.store.StateDatabase.Table;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Remembers the digest of each file (its content) and directory (its listing) against the lstat
 * fields that would change with it, in the {@code STAT_CACHE} table, so unchanged inputs are not
 * read again.
 *
 * <p>An entry is trusted only when the device, inode, type, size, mtime and ctime all match, and
 * neither timestamp lies within {@code granularity} of when the entry was recorded. That last rule
 * is git's "racy clean" check: a file rewritten in the same timestamp tick as it was hashed keeps
 * its mtime and ctime, so such an entry is rehashed until it is old enough to tell changes apart.
 */
public final class StatCache {
  /**
   * The default window: Linux stamps files from a clock that advances once per jiffy (10 ms at
   * HZ=100, the coarsest), while recording times come from the fine clock; 100 ms leaves margin.
   */
  public static final Duration DEFAULT_GRANULARITY = Duration.ofMillis(100);

  // LMDB keys are at most 511 bytes; longer paths are keyed by their hash.
  private static final int MAX_RAW_KEY = 480;
  private static final byte FORMAT = 1;
  private static final int VALUE_BYTES = 2 + 6 * Long.BYTES + Digest.LENGTH;

  private final StateDatabase db;
  private final long granularityNanos;
  private final Clock clock;
  private final AtomicLong hashed = new AtomicLong();

  /** A stat cache over {@code db} trusting timestamps older than {@code granularity}. */
  public StatCache(StateDatabase db, Duration granularity) {
    this(db, granularity, Clock.systemUTC());
  }

  /**
   * As {@link #StatCache(StateDatabase, Duration)}, with {@code clock} giving the recording times:
   * it must run with the clock the kernel stamps files from (tests move it forward instead of
   * sleeping out the racy window).
   */
  StatCache(StateDatabase db, Duration granularity, Clock clock) {
    this.db = db;
    this.granularityNanos = granularity.toNanos();
    this.clock = clock;
  }

  /**
   * The digest of a regular file's content or of a directory's listing at the absolute {@code
   * path}.
   *
   * @throws NoSuchFileException when nothing is there
   * @throws IllegalArgumentException when it is neither a regular file nor a directory
   */
  public Digest digestOf(Path path) throws IOException {
    requireAbsolute(path);
    Optional<StatFingerprint> stat = StatFingerprint.read(path);
    if (stat.isEmpty()) {
      throw new NoSuchFileException(path.toString());
    }
    return digests(List.of(path), List.of(stat.get())).get(0);
  }

  /** How many files and listings were read and hashed (cache misses and racy entries). */
  public long hashedCount() {
    return hashed.get();
  }

  /**
   * Digests for many paths at once, {@code stats} being their lstat fields just read: one read
   * transaction to look them up and one write transaction for whatever had to be hashed.
   */
  List<Digest> digests(List<Path> paths, List<StatFingerprint> stats) throws IOException {
    List<byte[]> keys = new ArrayList<>(paths.size());
    for (Path p : paths) {
      keys.add(keyOf(p));
    }
    List<byte[]> values =
        db.read(
            r -> {
              List<byte[]> found = new ArrayList<>(keys.size());
              for (byte[] k : keys) {
                found.add(r.get(Table.STAT_CACHE, k));
              }
              return found;
            });
    List<Digest> digests = new ArrayList<>(paths.size());
    List<byte[]> updateKeys = new ArrayList<>();
    List<byte[]> updateValues = new ArrayList<>();
    for (int i = 0; i < paths.size(); i++) {
      StatFingerprint stat = stats.get(i);
      Optional<Digest> cached = trusted(values.get(i), stat);
      if (cached.isPresent()) {
        digests.add(cached.get());
        continue;
      }
      // Taken before reading the content: a change after this instant lands on or after it.
      long recordedAt = nowNanos();
      Digest digest = hash(paths.get(i), stat.type());
      hashed.incrementAndGet();
      digests.add(digest);
      // A file that changed while it was read gives a torn digest; return it, never record it.
      if (StatFingerprint.read(paths.get(i)).equals(Optional.of(stat))) {
        updateKeys.add(keys.get(i));
        updateValues.add(encode(stat, recordedAt, digest));
      }
    }
    if (!updateKeys.isEmpty()) {
      db.write(
          w -> {
            for (int i = 0; i < updateKeys.size(); i++) {
              w.put(Table.STAT_CACHE, updateKeys.get(i), updateValues.get(i));
            }
            return null;
          });
    }
    return digests;
  }

  private Optional<Digest> trusted(byte[] value, StatFingerprint now) {
    if (value == null || value.length != VALUE_BYTES || value[0] != FORMAT) {
      return Optional.empty();
    }
    ByteBuffer in = ByteBuffer.wrap(value, 1, VALUE_BYTES - 1);
    StatFingerprint then =
        new StatFingerprint(
            FileType.values()[in.get()],
            in.getLong(),
            in.getLong(),
            in.getLong(),
            in.getLong(),
            in.getLong());
    long recordedAt = in.getLong();
    if (!then.equals(now) || isRacy(then, recordedAt, granularityNanos)) {
      return Optional.empty();
    }
    byte[] digest = new byte[Digest.LENGTH];
    in.get(digest);
    return Optional.of(Digest.of(digest));
  }

  /** Whether a change within the same timestamp tick as the recording could have gone unseen. */
  static boolean isRacy(StatFingerprint stat, long recordedAtNanos, long granularityNanos) {
    long horizon = recordedAtNanos - granularityNanos;
    return stat.mtimeNanos() >= horizon || stat.ctimeNanos() >= horizon;
  }

  private static byte[] encode(StatFingerprint s, long recordedAt, Digest digest) {
    return ByteBuffer.allocate(VALUE_BYTES)
        .put(FORMAT)
        .put((byte) s.type().ordinal())
        .putLong(s.dev())
        .putLong(s.ino())
        .putLong(s.size())
        .putLong(s.mtimeNanos())
        .putLong(s.ctimeNanos())
        .putLong(recordedAt)
        .put(digest.bytes())
        .array();
  }

  // A relative path would be resolved against the daemon's cwd, not the action's.
  private static void requireAbsolute(Path path) {
    if (!path.isAbsolute()) {
      throw new IllegalArgumentException("the stat cache keys absolute paths, not " + path);
    }
  }

  static byte[] keyOf(Path path) {
    requireAbsolute(path);
    byte[] raw = PathBytes.encode(PathBytes.of(path));
    if (raw.length <= MAX_RAW_KEY) {
      return raw;
    }
    // Absolute paths start with '/', so '#' + hash never equals a raw key.
    byte[] key = new byte[1 + Digest.LENGTH];
    key[0] = '#';
    System.arraycopy(Digest.sha256(raw).bytes(), 0, key, 1, Digest.LENGTH);
    return key;
  }

  private long nowNanos() {
    Instant now = clock.instant();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  private static Digest hash(Path path, FileType type) throws IOException {
    return switch (type) {
      case FILE -> contentDigest(path);
      case DIRECTORY -> listingDigest(path);
      default -> throw new IllegalArgumentException(path + " is a " + type + ", not a file");
    };
  }

  private static Digest contentDigest(Path path) throws IOException {
    MessageDigest hasher = Digest.newHasher();
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(path)) {
      for (int n; (n = in.read(buffer)) != -1; ) {
        hasher.update(buffer, 0, n);
      }
    }
    return Digest.finish(hasher);
  }

  /** The digest of a directory's sorted entry names, each with its type. */
  static Digest listingDigest(Path dir) throws IOException {
    TreeMap<String, FileType> entries = new TreeMap<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path entry : stream) {
        Optional<StatFingerprint> stat = StatFingerprint.read(entry);
        // An entry removed since the listing was read is simply not listed.
        stat.ifPresent(s -> entries.put(PathBytes.of(entry.getFileName()), s.type()));
      }
    }
    HashWriter w = new HashWriter("airlock.listing.v1").int32(entries.size());
    entries.forEach((name, type) -> w.string(name).int32(type.ordinal()));
    return w.finish();
  }
}
