package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.CacheHit;
import dev.airlock.daemon.cache.CacheStores;
import dev.airlock.daemon.cache.Determinism;
import dev.airlock.daemon.cache.PathStateReader;
import dev.airlock.daemon.cache.PortablePaths;
import dev.airlock.daemon.cache.WeakFingerprint;
import dev.airlock.daemon.cache.remote.RemoteCacheException;
import dev.airlock.daemon.cache.remote.RemoteTier;
import dev.airlock.daemon.request.ActionRequest;
import dev.airlock.protocol.CacheReport;
import dev.airlock.protocol.CacheStatus;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The action cache's part in one attempt of an action: the lookup before it runs, and the record of
 * what the cache did (hit, miss, stored, skipped and why), which only this class and the cache
 * steps write and the result reports.
 */
final class CacheTrail {
  private static final Logger log = Logger.getLogger(CacheTrail.class.getName());

  private final CacheStores stores;
  private final Action action;
  private final CacheReport.Builder report = CacheReport.newBuilder();
  private WeakFingerprint weak;

  /** Why the run must not be recorded (decided after the run); empty when it may be. */
  Optional<String> uncacheable = Optional.empty();

  /** The entry stored before the commit, recorded once the commit landed. */
  Optional<PreparedEntry> prepared = Optional.empty();

  CacheTrail(CacheStores stores, Action action) {
    this.stores = stores;
    this.action = action;
  }

  CacheStores stores() {
    return stores;
  }

  /** Looks the action up, when its request lets the cache serve it. */
  Optional<CacheHit> lookup() {
    if (!CacheKeys.reads(action.request().cacheMode())
        && !CacheKeys.writes(action.request().cacheMode())) {
      report.setStatus(CacheStatus.CACHE_DISABLED).setReason("--cache=off");
      return Optional.empty();
    }
    if (action.request().streamStdin()) {
      // What arrives on stdin is an input no path set can see.
      report.setStatus(CacheStatus.CACHE_SKIPPED).setReason("it reads the client's stdin");
      return Optional.empty();
    }
    long start = System.nanoTime();
    try {
      weak = CacheKeys.weak(action, stores.statCache());
      // A determinism check must run the action (twice); its verdict is recorded all the same.
      if (!CacheKeys.reads(action.request().cacheMode()) || action.request().checkDeterminism()) {
        return Optional.empty();
      }
      PathStateReader reader = stores.reader().in(CacheKeys.portable(action));
      Optional<CacheHit> hit = stores.cache().lookup(weak, reader);
      if (hit.isEmpty() && stores.remote().isPresent()) {
        hit = remoteLookup(stores.remote().get(), reader);
      }
      if (hit.isPresent()
          && hit.get().result().exitCode() != 0
          && !action.request().cacheFailures()) {
        // A failure is served only to a request that asks for recorded failures.
        report.setStatus(CacheStatus.CACHE_MISS).setReason("a recorded failure; not replayed");
        return Optional.empty();
      }
      report.setStatus(hit.isPresent() ? CacheStatus.CACHE_HIT : CacheStatus.CACHE_MISS);
      return hit;
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "action " + action.id() + ": cache lookup failed; running it", e);
      report.setStatus(CacheStatus.CACHE_MISS).setReason("lookup failed: " + e.getMessage());
      return Optional.empty();
    } finally {
      report.setLookupTimeUs(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start));
    }
  }

  /**
   * Looks a fixed-output action up by its pinned digests alone, when its request lets the cache
   * serve it: every pinned output's blob, or empty to run it.
   */
  Optional<List<PinnedBlob>> lookupFixed() {
    report.setFixedOutput(true);
    ActionRequest request = action.request();
    if (!CacheKeys.reads(request.cacheMode()) && !CacheKeys.writes(request.cacheMode())) {
      report.setStatus(CacheStatus.CACHE_DISABLED).setReason("--cache=off");
      return Optional.empty();
    }
    if (!CacheKeys.reads(request.cacheMode()) || request.checkDeterminism()) {
      report.setStatus(CacheStatus.CACHE_MISS);
      return Optional.empty();
    }
    long start = System.nanoTime();
    FixedOutputCache fixed = new FixedOutputCache(stores);
    try {
      Optional<List<PinnedBlob>> found = fixed.lookup(request.pinnedOutputs());
      report.setStatus(found.isPresent() ? CacheStatus.CACHE_HIT : CacheStatus.CACHE_MISS);
      return found;
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "action " + action.id() + ": cache lookup failed; running it", e);
      report.setStatus(CacheStatus.CACHE_MISS).setReason("lookup failed: " + e.getMessage());
      return Optional.empty();
    } finally {
      fixed.remoteWarning().ifPresent(report::setRemoteWarning);
      report.setLookupTimeUs(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start));
    }
  }

  /**
   * Marks a fixed-output hit replayed, and keeps the blobs that were in the content store without
   * an entry (so gc keeps them from now on).
   */
  void fixedHit(List<PinnedBlob> replayed) {
    report
        .setStatus(CacheStatus.CACHE_HIT)
        .setFixedOutput(true)
        .setPathSetSize(0)
        .setFromRemote(replayed.stream().anyMatch(PinnedBlob::fromRemote));
    replayed.stream()
        .flatMap(b -> b.sourceAction().stream())
        .findFirst()
        .ifPresent(report::setSourceAction);
    List<PinnedBlob> unkept = replayed.stream().filter(b -> b.sourceAction().isEmpty()).toList();
    if (!unkept.isEmpty() && CacheKeys.writes(action.request().cacheMode())) {
      FixedOutputCache fixed = new FixedOutputCache(stores);
      try {
        fixed.record(action.id(), unkept);
      } catch (IOException | RuntimeException e) {
        log.log(Level.WARNING, "action " + action.id() + ": cannot keep its pinned blobs", e);
      }
      fixed.remoteWarning().ifPresent(report::setRemoteWarning);
    }
  }

  /** Keeps a fixed-output run's verified blobs (after its commit landed), and shares them. */
  void recordFixed(List<PinnedBlob> verified) {
    FixedOutputCache fixed = new FixedOutputCache(stores);
    try {
      report
          .setUploaded(fixed.record(action.id(), verified))
          .setStatus(CacheStatus.CACHE_STORED)
          .setFixedOutput(true)
          .setPathSetSize(0);
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "action " + action.id() + ": cannot record it in the cache", e);
      report.setStatus(CacheStatus.CACHE_SKIPPED).setReason("recording failed: " + e.getMessage());
    }
    fixed.remoteWarning().ifPresent(report::setRemoteWarning);
  }

  /** A local miss asks the remote tier; its failure is a miss with a warning, never an error. */
  private Optional<CacheHit> remoteLookup(RemoteTier remote, PathStateReader reader)
      throws IOException {
    try {
      Optional<CacheHit> hit = remote.lookup(weak, reader);
      report.setFromRemote(hit.isPresent());
      return hit;
    } catch (RemoteCacheException e) {
      report.setRemoteWarning(e.getMessage());
      return Optional.empty();
    }
  }

  /** The weak fingerprint, once a lookup computed it. */
  Optional<WeakFingerprint> weak() {
    return Optional.ofNullable(weak);
  }

  /** Why the cache was not even consulted (off, stdin, a failed key), or empty. */
  Optional<String> lookupReason() {
    return report.getReason().isEmpty() ? Optional.empty() : Optional.of(report.getReason());
  }

  /** Marks a hit and says where it came from. */
  void hit(CacheHit hit) {
    report
        .setStatus(CacheStatus.CACHE_HIT)
        .setSourceAction(hit.result().actionId())
        .setSourceTimeMs(hit.result().producedAt().toEpochMilli())
        .setPathSetSize(hit.pathSet().size());
    determinism(hit.result().determinism());
  }

  /** What the entry stored or replayed says of the action's determinism. */
  private void determinism(Determinism d) {
    PortablePaths portable = CacheKeys.portable(action);
    report
        .setDeterminism(d.verdict().name().toLowerCase(Locale.ROOT))
        .clearNondeterministicOutputs()
        .addAllNondeterministicOutputs(
            PathBytes.toWire(d.differing().stream().map(portable::absolute).toList()));
  }

  /** A hit could not be replayed; the action runs instead. */
  void replayFailed(String why) {
    report.setReason(why);
  }

  /** Records a prepared entry (after its commit landed). */
  void record(PreparedEntry entry) {
    try {
      stores.cache().record(weak, entry.pathSet(), entry.states(), entry.result());
      report.setStatus(CacheStatus.CACHE_STORED).setPathSetSize(entry.pathSet().size());
      determinism(entry.result().determinism());
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "action " + action.id() + ": cannot record it in the cache", e);
      report.setStatus(CacheStatus.CACHE_SKIPPED).setReason("recording failed: " + e.getMessage());
      return;
    }
    if (stores.remote().isPresent()) {
      upload(stores.remote().get(), entry);
    }
  }

  /** Shares a recorded entry; the remote's failure leaves it local, with a warning. */
  private void upload(RemoteTier remote, PreparedEntry entry) {
    try {
      report.setUploaded(remote.upload(weak, entry.pathSet(), entry.states(), entry.result()));
    } catch (RemoteCacheException e) {
      report.setRemoteWarning(e.getMessage());
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "action " + action.id() + ": cannot upload its entry", e);
      report.setRemoteWarning("upload failed: " + e.getMessage());
    }
  }

  /** Marks the action as not recorded, for {@code why} (unless the cache was off anyway). */
  void notRecorded(String why) {
    if (report.getStatus() != CacheStatus.CACHE_DISABLED) {
      report.setStatus(CacheStatus.CACHE_SKIPPED).setReason(why);
    }
  }

  /** Whether a reason is already given (a skipped store says why itself). */
  boolean explained() {
    return !report.getReason().isEmpty();
  }

  /** The report as it stands. */
  CacheReport build() {
    return report.build();
  }
}
