package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.CacheHit;
import dev.airlock.daemon.cache.CacheStores;
import dev.airlock.daemon.cache.Digest;
import dev.airlock.daemon.cache.FixedOutputEntries;
import dev.airlock.daemon.cache.Output;
import dev.airlock.daemon.cache.PathStateReader;
import dev.airlock.daemon.cache.WeakFingerprint;
import dev.airlock.daemon.cache.remote.RemoteCacheException;
import dev.airlock.daemon.request.PinnedOutput;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The cache of fixed-output actions: each pinned digest is a key of its own ({@link
 * FixedOutputEntries}). An action hits when every pinned digest is kept locally, is a blob of the
 * content store already, or is kept by the remote cache (then fetched, verified, and kept locally);
 * what else it would read does not matter.
 */
final class FixedOutputCache {
  private final CacheStores stores;
  private final PathStateReader reader;

  FixedOutputCache(CacheStores stores) {
    this.stores = stores;
    // A fixed-output entry's path set is empty: no state is ever read through it.
    this.reader = stores.reader();
  }

  /** Where the remote cache failed, for the report; empty when it did not. */
  private Optional<String> remoteWarning = Optional.empty();

  Optional<String> remoteWarning() {
    return remoteWarning;
  }

  /** Every pinned output's blob, or empty when one is nowhere to be found. */
  Optional<List<PinnedBlob>> lookup(List<PinnedOutput> pins) throws IOException {
    List<PinnedBlob> found = new ArrayList<>();
    for (PinnedOutput pin : pins) {
      Optional<PinnedBlob> blob = find(pin);
      if (blob.isEmpty()) {
        return Optional.empty();
      }
      found.add(blob.get());
    }
    return Optional.of(found);
  }

  private Optional<PinnedBlob> find(PinnedOutput pin) throws IOException {
    Digest digest = Digest.parse(pin.sha256());
    WeakFingerprint key = FixedOutputEntries.key(digest);
    Optional<CacheHit> hit = stores.cache().lookup(key, reader);
    boolean fromRemote = false;
    if (hit.isEmpty() && stores.cas().contains(digest)) {
      // In the store for another reason (another action's output): that is the content pinned.
      return Optional.of(
          new PinnedBlob(pin.path(), digest, PinnedBlob.DEFAULT_MODE, Optional.empty(), false));
    }
    if (hit.isEmpty() && stores.remote().isPresent() && remoteWarning.isEmpty()) {
      try {
        hit = stores.remote().get().lookup(key, reader);
        fromRemote = hit.isPresent();
      } catch (RemoteCacheException e) {
        remoteWarning = Optional.of(e.getMessage());
      }
    }
    if (hit.isEmpty()) {
      return Optional.empty();
    }
    Optional<Output.RegularFile> kept = FixedOutputEntries.kept(hit.get().result(), digest);
    if (kept.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new PinnedBlob(
            pin.path(),
            digest,
            kept.get().mode(),
            Optional.of(hit.get().result().actionId()),
            fromRemote));
  }

  /**
   * Keeps each verified blob under its digest (their content is in the store already), and shares
   * it through the remote cache when there is one.
   *
   * @return whether every entry was uploaded
   */
  boolean record(String actionId, List<PinnedBlob> blobs) throws IOException {
    Digest empty = stores.cas().put(new byte[0]);
    boolean uploaded = stores.remote().isPresent() && stores.remote().get().config().upload();
    for (PinnedBlob blob : blobs) {
      WeakFingerprint key = FixedOutputEntries.key(blob.digest());
      var entry =
          FixedOutputEntries.entry(blob.digest(), blob.mode(), empty, actionId, Instant.now());
      stores.cache().record(key, FixedOutputEntries.NO_PATHS, List.of(), entry);
      if (stores.remote().isPresent() && remoteWarning.isEmpty()) {
        try {
          uploaded &=
              stores.remote().get().upload(key, FixedOutputEntries.NO_PATHS, List.of(), entry);
        } catch (RemoteCacheException e) {
          remoteWarning = Optional.of(e.getMessage());
          uploaded = false;
        }
      } else {
        uploaded = false;
      }
    }
    return uploaded;
  }
}
