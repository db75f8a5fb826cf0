package dev.airlock.daemon.cache.remote;

import build.bazel.remote.execution.v2.ActionResult;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.airlock.daemon.cache.ActionCache;
import dev.airlock.daemon.cache.CacheHit;
import dev.airlock.daemon.cache.CachedResult;
import dev.airlock.daemon.cache.ContentStore;
import dev.airlock.daemon.cache.Digest;
import dev.airlock.daemon.cache.ObservedPath;
import dev.airlock.daemon.cache.PathSet;
import dev.airlock.daemon.cache.PathState;
import dev.airlock.daemon.cache.PathStateReader;
import dev.airlock.daemon.cache.StrongFingerprint;
import dev.airlock.daemon.cache.WeakFingerprint;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The daemon's cache shared through any REAPI cache, behind its local one. On a local miss it
 * fetches the weak fingerprint's index, reads each listed path set's paths here, and asks for the
 * matching result; a result found is downloaded (every blob verified) and recorded locally before
 * it is served. An entry stored locally is uploaded: blobs first, then the result, then the index,
 * so whoever sees an index entry finds what it points at. Two daemons updating one index at once
 * may lose one path set from it: that costs a miss, never a wrong hit, since a result is only ever
 * found under the strong fingerprint of the states read here.
 */
public final class RemoteTier implements AutoCloseable {
  private static final Logger log = Logger.getLogger(RemoteTier.class.getName());

  /** How many path sets an index lists (the local cache tries as many). */
  public static final int INDEX_SIZE = 8;

  private final CasClient client;
  private final RemoteCacheConfig config;
  private final ActionCache local;
  private final ContentStore cas;
  private final RemoteHealth health;

  private RemoteTier(
      CasClient client,
      RemoteCacheConfig config,
      ActionCache local,
      ContentStore cas,
      Clock clock) {
    this.client = client;
    this.config = config;
    this.local = local;
    this.cas = cas;
    this.health = new RemoteHealth(config.address().toString(), clock);
  }

  /** The tier over {@code config}'s remote, filling {@code local} and {@code cas}. */
  public static RemoteTier open(RemoteCacheConfig config, ActionCache local, ContentStore cas) {
    return new RemoteTier(
        CasClient.connect(config.address(), config.timeout()),
        config,
        local,
        cas,
        Clock.systemUTC());
  }

  public RemoteCacheConfig config() {
    return config;
  }

  /**
   * The remote's result for {@code weak} whose path set is in the same state here, now also in the
   * local cache; empty when the remote has none.
   *
   * @throws RemoteCacheException when the remote cannot answer (or is backed off), or what it holds
   *     is corrupt: the caller treats it as a miss and says why
   */
  public Optional<CacheHit> lookup(WeakFingerprint weak, PathStateReader reader)
      throws RemoteCacheException, IOException {
    health.check();
    try {
      Optional<CacheHit> hit = find(weak, reader);
      health.succeeded();
      return hit;
    } catch (RemoteCacheException e) {
      health.failed(e);
      throw e;
    }
  }

  private Optional<CacheHit> find(WeakFingerprint weak, PathStateReader reader)
      throws RemoteCacheException, IOException {
    Optional<ActionResult> index = client.getActionResult(RemoteKeys.index(weak).action());
    if (index.isEmpty()) {
      return Optional.empty();
    }
    Map<ObservedPath, PathState> memo = new HashMap<>();
    List<BlobRef> pathSets = RemoteEntries.pathSetsOf(index.get());
    for (BlobRef ref : pathSets.subList(0, Math.min(INDEX_SIZE, pathSets.size()))) {
      PathSet set;
      try {
        set = RemoteEntries.pathSetOf(client.readBytes(ref));
      } catch (InvalidProtocolBufferException e) {
        log.fine(() -> "remote path set " + ref + " is unreadable: " + e.getMessage());
        continue;
      }
      List<PathState> states = statesNow(set, reader, memo);
      StrongFingerprint strong = StrongFingerprint.of(weak, set, states);
      Optional<ActionResult> entry =
          client.getActionResult(RemoteKeys.result(weak, strong).action());
      if (entry.isEmpty()) {
        continue;
      }
      RemoteEntries.Fetched fetched;
      try {
        fetched = RemoteEntries.resultOf(entry.get(), weak, set);
      } catch (InvalidProtocolBufferException e) {
        throw new RemoteCacheException(
            "the remote entry for " + strong.digest().hex() + " is unreadable: " + e.getMessage(),
            false);
      }
      List<BlobRef> absent = new ArrayList<>();
      for (BlobRef blob : fetched.blobs()) {
        if (!cas.contains(blob.digest())) {
          absent.add(blob);
        }
      }
      client.download(absent, cas);
      local.record(weak, set, states, fetched.result());
      return Optional.of(new CacheHit(strong, set, fetched.result()));
    }
    return Optional.empty();
  }

  private static List<PathState> statesNow(
      PathSet set, PathStateReader reader, Map<ObservedPath, PathState> memo) throws IOException {
    List<PathState> states = new ArrayList<>(set.size());
    for (ObservedPath p : set.paths()) {
      PathState s = memo.get(p);
      if (s == null) {
        s = reader.read(p);
        memo.put(p, s);
      }
      states.add(s);
    }
    return states;
  }

  /**
   * Uploads an entry the local cache just recorded, unless this daemon only reads the remote.
   *
   * @return whether it was uploaded
   * @throws RemoteCacheException when the remote cannot take it (or is backed off)
   */
  public boolean upload(
      WeakFingerprint weak, PathSet set, List<PathState> states, CachedResult result)
      throws RemoteCacheException, IOException {
    if (!config.upload()) {
      return false;
    }
    health.check();
    try {
      store(weak, set, states, result);
      health.succeeded();
      return true;
    } catch (RemoteCacheException e) {
      health.failed(e);
      throw e;
    }
  }

  private void store(WeakFingerprint weak, PathSet set, List<PathState> states, CachedResult result)
      throws RemoteCacheException, IOException {
    StrongFingerprint strong = StrongFingerprint.of(weak, set, states);
    RemoteKeys.Key index = RemoteKeys.index(weak);
    RemoteKeys.Key resultKey = RemoteKeys.result(weak, strong);
    byte[] pathSetBlob = RemoteEntries.pathSetBlob(set);
    BlobRef pathSet = BlobRef.of(pathSetBlob);

    // Every blob the entries need, with where its bytes are.
    Map<BlobRef, CasClient.Content> blobs = new LinkedHashMap<>();
    Map<Digest, Long> sizes = new HashMap<>();
    for (Digest d : result.blobs()) {
      BlobRef ref = new BlobRef(d, cas.sizeOf(d));
      sizes.put(d, ref.size());
      blobs.put(ref, () -> cas.open(d));
    }
    blobs.put(pathSet, () -> new ByteArrayInputStream(pathSetBlob));
    for (RemoteKeys.Key key : List.of(index, resultKey)) {
      blobs.put(key.action(), () -> new ByteArrayInputStream(key.actionBytes()));
      blobs.put(key.command(), () -> new ByteArrayInputStream(key.commandBytes()));
    }
    List<BlobRef> missing = new ArrayList<>(client.findMissing(blobs.keySet()));
    client.upload(missing, blobs::get);
    client.updateActionResult(
        resultKey.action(), RemoteEntries.resultEntry(result, weak, set, sizes));

    List<BlobRef> listed =
        client.getActionResult(index.action()).map(RemoteEntries::pathSetsOf).orElse(List.of());
    List<BlobRef> updated = new ArrayList<>();
    updated.add(pathSet);
    for (BlobRef other : listed) {
      if (updated.size() < INDEX_SIZE && !other.equals(pathSet)) {
        updated.add(other);
      }
    }
    if (!updated.equals(listed)) {
      client.updateActionResult(index.action(), RemoteEntries.indexEntry(updated));
    }
    log.log(
        Level.FINE,
        () ->
            "uploaded "
                + strong.digest().hex()
                + " ("
                + missing.size()
                + " of "
                + blobs.size()
                + " blobs were missing)");
  }

  @Override
  public void close() {
    client.close();
  }
}
