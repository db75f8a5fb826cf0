package dev.airlock.daemon.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Logger;
import org.lmdbjava.ByteArrayProxy;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.LmdbException;
import org.lmdbjava.LmdbNativeException;
import org.lmdbjava.Txn;

/**
 * The daemon's one LMDB environment ({@code <state-dir>/db}): a named database per {@link Table},
 * an explicit map size that doubles when a write transaction hits {@code MDB_MAP_FULL}, and a
 * bounded reader table.
 *
 * <p>Keys and values are byte arrays ({@link ByteArrayProxy#PROXY_BA}), which needs no {@code
 * --add-opens}. Every write commits durably (LMDB's default sync), which the commit journal relies
 * on. Read and write views must not escape the function they are passed to.
 */
public final class StateDatabase implements AutoCloseable {
  private static final Logger log = Logger.getLogger(StateDatabase.class.getName());

  /** The named databases. */
  public enum Table {
    /** (device, inode, size, mtime, ctime) of a path → content digest. */
    STAT_CACHE("stat-cache"),
    /** weak fingerprint → recorded path sets. */
    PATH_SETS("path-sets"),
    /** strong fingerprint → action result. */
    ACTION_RESULTS("action-results"),
    /** open commits, by commit id. */
    COMMIT_JOURNAL("commit-journal"),
    /** counters and bookkeeping (hits, misses, last use). */
    META("meta");

    private final String dbiName;

    Table(String dbiName) {
      this.dbiName = dbiName;
    }

    public String dbiName() {
      return dbiName;
    }
  }

  static final long INITIAL_MAP_BYTES = 64L << 20;
  static final long MAX_MAP_BYTES = 64L << 30;
  private static final int MAX_READERS = 126;

  private final Env<byte[]> env;
  private final Map<Table, Dbi<byte[]>> tables = new EnumMap<>(Table.class);
  private final Object writeLock = new Object();
  private long mapBytes;

  private StateDatabase(Env<byte[]> env, long mapBytes) {
    this.env = env;
    this.mapBytes = mapBytes;
    for (Table table : Table.values()) {
      tables.put(table, env.openDbi(table.dbiName(), DbiFlags.MDB_CREATE));
    }
  }

  /** Opens (creating if needed) the environment in {@code directory}. */
  public static StateDatabase open(Path directory) throws IOException {
    return open(directory, INITIAL_MAP_BYTES);
  }

  static StateDatabase open(Path directory, long initialMapBytes) throws IOException {
    Files.createDirectories(directory);
    Optional<String> problem = LmdbFileCheck.problem(directory.resolve("data.mdb"));
    if (problem.isPresent()) {
      setAside(directory, problem.get());
    }
    try {
      return openChecked(directory, initialMapBytes);
    } catch (Env.FileInvalidException
        | LmdbNativeException.PageCorruptedException
        | LmdbNativeException.PageNotFoundException
        | LmdbNativeException.PanicException e) {
      // Broken in a way the header check cannot see: set it aside too, once.
      setAside(directory, "LMDB says: " + e.getMessage());
      return openChecked(directory, initialMapBytes);
    }
  }

  private static StateDatabase openChecked(Path directory, long initialMapBytes)
      throws IOException {
    long existing =
        Files.exists(directory.resolve("data.mdb")) ? Files.size(directory.resolve("data.mdb")) : 0;
    long mapBytes = Math.max(initialMapBytes, roundUp(existing));
    Env<byte[]> env = null;
    try {
      env =
          Env.create(ByteArrayProxy.PROXY_BA)
              .setMapSize(mapBytes)
              .setMaxDbs(Table.values().length)
              .setMaxReaders(MAX_READERS)
              .open(directory.toFile(), EnvFlags.MDB_NOTLS);
      // Readers left by a killed daemon would pin old pages forever.
      env.readerCheck();
      return new StateDatabase(env, mapBytes);
    } catch (Env.FileInvalidException
        | LmdbNativeException.PageCorruptedException
        | LmdbNativeException.PageNotFoundException
        | LmdbNativeException.PanicException e) {
      if (env != null) {
        env.close();
      }
      throw e;
    } catch (LmdbException e) {
      throw new IOException(
          "cannot open the state database in " + directory + ": " + e.getMessage(), e);
    }
  }

  /**
   * Moves a broken environment out of the way, into a sibling directory kept for inspection, so
   * that the daemon starts with an empty one: the action cache's entries (the content store's blobs
   * stay and are reused) and the journal of commits in flight are lost, which the log says.
   */
  private static void setAside(Path directory, String problem) throws IOException {
    Path broken =
        directory.resolveSibling(directory.getFileName() + ".broken-" + System.currentTimeMillis());
    Files.createDirectories(broken);
    for (String name : new String[] {"data.mdb", "lock.mdb"}) {
      Path file = directory.resolve(name);
      if (Files.exists(file)) {
        Files.move(file, broken.resolve(name));
      }
    }
    log.warning(
        "the state database in "
            + directory
            + " is broken ("
            + problem
            + "): moved to "
            + broken
            + "; starting with an empty one (cached results and the journal of commits in flight"
            + " are lost; check workspaces a commit may have been writing to)");
  }

  private static long roundUp(long bytes) {
    long size = INITIAL_MAP_BYTES;
    while (size < bytes * 2 && size < MAX_MAP_BYTES) {
      size *= 2;
    }
    return size;
  }

  /** Runs {@code body} in a read transaction. */
  public <T> T read(Function<ReadView, T> body) {
    try (Txn<byte[]> txn = env.txnRead()) {
      return body.apply(new ReadView(txn));
    }
  }

  /**
   * Runs {@code body} in a write transaction and commits it. Writes are serialised. When the map is
   * full the transaction is aborted, the map doubled and {@code body} run again, so it must have no
   * side effects outside the view.
   */
  public <T> T write(Function<WriteView, T> body) {
    synchronized (writeLock) {
      while (true) {
        try (Txn<byte[]> txn = env.txnWrite()) {
          T result = body.apply(new WriteView(txn));
          txn.commit();
          return result;
        } catch (Env.MapFullException e) {
          grow();
        }
      }
    }
  }

  private void grow() {
    if (mapBytes >= MAX_MAP_BYTES) {
      throw new StateDatabaseFullException(
          "the state database reached its "
              + (MAX_MAP_BYTES >> 30)
              + " GiB limit; run `airlock cache gc`");
    }
    mapBytes *= 2;
    env.setMapSize(mapBytes);
  }

  /** The current map size in bytes. */
  public long mapBytes() {
    synchronized (writeLock) {
      return mapBytes;
    }
  }

  /** Number of entries in {@code table}. */
  public long count(Table table) {
    return read(view -> view.count(table));
  }

  @Override
  public void close() {
    synchronized (writeLock) {
      if (!env.isClosed()) {
        env.close();
      }
    }
  }

  /** Read access inside one transaction. */
  public class ReadView {
    final Txn<byte[]> txn;

    ReadView(Txn<byte[]> txn) {
      this.txn = txn;
    }

    /** The value stored under {@code key}, or null. */
    public byte[] get(Table table, byte[] key) {
      return tables.get(table).get(txn, Objects.requireNonNull(key));
    }

    /** Calls {@code visitor} for each entry whose key starts with {@code prefix}, in key order. */
    public void scan(Table table, byte[] prefix, EntryVisitor visitor) {
      try (var cursor = tables.get(table).openCursor(txn)) {
        boolean found =
            prefix.length == 0
                ? cursor.first()
                : cursor.get(prefix, org.lmdbjava.GetOp.MDB_SET_RANGE);
        while (found) {
          byte[] key = cursor.key();
          if (!startsWith(key, prefix) || !visitor.visit(key, cursor.val())) {
            return;
          }
          found = cursor.next();
        }
      }
    }

    public long count(Table table) {
      return tables.get(table).stat(txn).entries;
    }
  }

  /** Read and write access inside one write transaction. */
  public final class WriteView extends ReadView {
    WriteView(Txn<byte[]> txn) {
      super(txn);
    }

    public void put(Table table, byte[] key, byte[] value) {
      tables.get(table).put(txn, key, value);
    }

    /** Deletes {@code key}; returns whether it was there. */
    public boolean delete(Table table, byte[] key) {
      return tables.get(table).delete(txn, key);
    }
  }

  /** Receives entries of a scan; returns false to stop. */
  @FunctionalInterface
  public interface EntryVisitor {
    boolean visit(byte[] key, byte[] value);
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    if (key.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (key[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
