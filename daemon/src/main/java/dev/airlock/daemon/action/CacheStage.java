package dev.airlock.daemon.action;

import com.google.protobuf.ByteString;
import dev.airlock.daemon.cache.CacheHit;
import dev.airlock.daemon.cache.CacheStores;
import dev.airlock.daemon.cache.CachedResult;
import dev.airlock.daemon.cache.Digest;
import dev.airlock.daemon.cache.ObservationKind;
import dev.airlock.daemon.cache.ObservedPath;
import dev.airlock.daemon.cache.Output;
import dev.airlock.daemon.cache.PathSet;
import dev.airlock.daemon.cache.PathState;
import dev.airlock.daemon.cache.WeakFingerprint;
import dev.airlock.daemon.commit.Change;
import dev.airlock.daemon.commit.OverlayLayer.RootChanges;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CacheReport;
import dev.airlock.protocol.CacheStatus;
import dev.airlock.protocol.CommitOutcome;
import dev.airlock.protocol.OutputChunk;
import dev.airlock.protocol.OutputStream;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Protocol;
import dev.airlock.sandbox.linux.trace.Access;
import dev.airlock.sandbox.linux.trace.TraceResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The action cache's part in an action's life: the lookup before it runs, and after a traced run
 * the decision whether it can be cached, the path set with the states its paths had, and the
 * outputs stored in the content store before the commit moves them into the workspace.
 */
final class CacheStage {
  private static final Logger log = Logger.getLogger(CacheStage.class.getName());

  /** Output kept in memory for the cache; more makes the action uncacheable. */
  static final long MAX_CAPTURED_OUTPUT = 16L << 20;

  /** File bytes an action may write and still be cached. */
  static final long MAX_CACHED_OUTPUT_BYTES = 512L << 20;

  private final CacheStores caching;
  private final Action action;
  private final CacheReport.Builder report = CacheReport.newBuilder();
  private WeakFingerprint weak;

  CacheStage(CacheStores caching, Action action) {
    this.caching = caching;
    this.action = action;
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
      weak = CacheKeys.weak(action, caching.statCache());
      if (!CacheKeys.reads(action.request().cacheMode())) {
        return Optional.empty();
      }
      Optional<CacheHit> hit = caching.cache().lookup(weak, caching.reader());
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

  CacheReport.Builder report() {
    return report;
  }

  /** Marks a hit and says where it came from. */
  void hit(CacheHit hit) {
    report
        .setStatus(CacheStatus.CACHE_HIT)
        .setSourceAction(hit.result().actionId())
        .setSourceTimeMs(hit.result().producedAt().toEpochMilli());
  }

  /** Sends recorded output to the client, in protocol-sized chunks. */
  void send(byte[] data, OutputStream stream) {
    for (int at = 0; at < data.length; at += Protocol.MAX_OUTPUT_CHUNK_BYTES) {
      int n = Math.min(Protocol.MAX_OUTPUT_CHUNK_BYTES, data.length - at);
      action
          .listener()
          .deliver(
              ActionEvent.newBuilder()
                  .setActionId(action.id())
                  .setOutput(
                      OutputChunk.newBuilder()
                          .setStream(stream)
                          .setData(ByteString.copyFrom(data, at, n)))
                  .build());
    }
  }

  /**
   * Why this traced run must not be recorded, or empty when it may be. Called before the commit,
   * while the change set is still in the upper dirs.
   */
  Optional<String> uncacheable(
      TraceResult trace, ActionResult.Builder result, OutputCapture output, boolean succeeded) {
    if (weak == null && !report.getReason().isEmpty()) {
      return Optional.of(report.getReason());
    }
    if (weak == null || !CacheKeys.writes(action.request().cacheMode())) {
      return Optional.of("the request does not write to the cache");
    }
    if (result.getOutcome() != dev.airlock.protocol.Outcome.COMPLETED) {
      return Optional.of("it " + OutcomeWords.of(result.getOutcome()));
    }
    if (!succeeded && !action.request().cacheFailures()) {
      return Optional.of("it failed (--cache-failures records failures too)");
    }
    // A hidden path looked absent to the action: it could not depend on what is there.
    if (trace.violations().stream().anyMatch(v -> !v.hidden()) && action.policy().enforcing()) {
      return Optional.of("it violated its policy");
    }
    if (!trace.observationGaps().isEmpty()) {
      return Optional.of(
          "the tracer could not observe all of it: " + trace.observationGaps().get(0));
    }
    Optional<String> escapedOrNetworked =
        PathSet.uncacheableReason(trace.accesses(), action.request().networkCacheable());
    if (escapedOrNetworked.isPresent()) {
      return escapedOrNetworked;
    }
    if (output.overflowed()) {
      return Optional.of("its output exceeded " + (MAX_CAPTURED_OUTPUT >> 20) + " MiB");
    }
    return Optional.empty();
  }

  /** What {@link #prepare} computed, recorded once the commit succeeded. */
  record Pending(PathSet pathSet, List<PathState> states, CachedResult result) {}

  /**
   * Computes the path set and the states its paths have now (before the commit changes them), and
   * stores the outputs and the output streams in the content store. Empty (with the reason in the
   * report) when the action turns out not to be cacheable after all.
   */
  Optional<Pending> prepare(
      TraceResult trace, List<RootChanges> changes, OutputCapture output, int exitCode) {
    try {
      PathSet pathSet = PathSet.fromAccesses(trace.accesses(), CacheKeys.ignoredRoots());
      Set<String> contentInputs = new HashSet<>();
      for (ObservedPath p : pathSet.paths()) {
        if (p.kind() == ObservationKind.CONTENT) {
          contentInputs.add(p.path());
        }
      }
      Map<String, Output> outputs = new TreeMap<>();
      long bytes = 0;
      for (RootChanges rc : changes) {
        for (Change c : rc.changes().changes()) {
          String path = rc.absolute(c);
          if (contentInputs.contains(path)) {
            return skip("it changed " + PathBytes.display(path) + ", which it had read");
          }
          bytes += c.size();
          if (bytes > MAX_CACHED_OUTPUT_BYTES) {
            return skip("its outputs exceed " + (MAX_CACHED_OUTPUT_BYTES >> 20) + " MiB");
          }
          outputs.put(path, output(rc.root(), c));
        }
      }
      // A file it wrote with the content it already had is no net change, but it is an output:
      // a replay must restore it even if it differs by then.
      for (Access a : trace.accesses()) {
        if (!PathSet.isWrite(a.kind()) || a.errno() != 0 || outputs.containsKey(a.path())) {
          continue;
        }
        for (RootChanges rc : changes) {
          Path p = PathBytes.toPath(a.path());
          if (p.startsWith(rc.root()) && !p.equals(rc.root())) {
            outputs.put(a.path(), unchanged(p));
            break;
          }
        }
      }
      List<PathState> states = caching.reader().readAll(pathSet.paths());
      Digest out = caching.cas().put(output.stdout());
      Digest err = caching.cas().put(output.stderr());
      return Optional.of(
          new Pending(
              pathSet,
              states,
              CachedResult.of(exitCode, out, err, outputs, action.id(), Instant.now())));
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "action " + action.id() + ": cannot prepare its cache entry", e);
      return skip("storing it failed: " + e.getMessage());
    }
  }

  /** What an output the action left as it was is now. */
  private Output unchanged(Path p) throws IOException {
    if (Files.isSymbolicLink(p)) {
      return new Output.Symlink(PathBytes.of(Files.readSymbolicLink(p)));
    }
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return new Output.Deleted();
    }
    int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      return new Output.Directory(mode);
    }
    return new Output.RegularFile(caching.cas().put(p), mode);
  }

  private Output output(Path root, Change c) throws IOException {
    return switch (c.kind()) {
      case CREATE_FILE, REPLACE_FILE ->
          new Output.RegularFile(caching.cas().put(c.source()), c.mode() & 07777);
      case CREATE_DIR -> new Output.Directory(c.mode() & 07777);
      case CREATE_SYMLINK -> new Output.Symlink(c.linkTarget());
      case DELETE -> new Output.Deleted();
      // A mode change alone: the file as it is, with its new mode.
      case CHMOD ->
          new Output.RegularFile(caching.cas().put(PathBytes.resolve(root, c.path())), c.mode());
    };
  }

  private Optional<Pending> skip(String why) {
    report.setStatus(CacheStatus.CACHE_SKIPPED).setReason(why);
    return Optional.empty();
  }

  /**
   * After the commit stage: records what was prepared if the changes landed, records a failure
   * (--cache-failures) with its status and output only, or says why nothing was recorded.
   */
  void afterCommit(
      ActionResult.Builder result,
      TraceResult trace,
      OutputCapture capture,
      boolean succeeded,
      Optional<String> uncacheable,
      List<Pending> pending) {
    CommitOutcome committed = result.getChanges().getOutcome();
    if (uncacheable.isPresent()) {
      notRecorded(uncacheable.get());
    } else if (!succeeded) {
      // --cache-failures: no outputs (they were discarded), the status and output replayed.
      if (result.getTerminationCase() == ActionResult.TerminationCase.EXIT_CODE) {
        prepare(trace, List.of(), capture, result.getExitCode()).ifPresent(this::record);
      } else {
        notRecorded("it was killed by a signal");
      }
    } else if (!pending.isEmpty()
        && (committed == CommitOutcome.COMMITTED || committed == CommitOutcome.NO_CHANGES)) {
      record(pending.get(0));
    } else if (pending.isEmpty() && report.getReason().isEmpty()) {
      notRecorded("its changes were not committed");
    }
  }

  /** Records a prepared entry (after its commit landed). */
  void record(Pending pending) {
    try {
      caching.cache().record(weak, pending.pathSet(), pending.states(), pending.result());
      report.setStatus(CacheStatus.CACHE_STORED).setPathSetSize(pending.pathSet().size());
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "action " + action.id() + ": cannot record it in the cache", e);
      report.setStatus(CacheStatus.CACHE_SKIPPED).setReason("recording failed: " + e.getMessage());
    }
  }

  /** Marks the action as not recorded, for {@code why}. */
  void notRecorded(String why) {
    if (report.getStatus() != CacheStatus.CACHE_DISABLED) {
      report.setStatus(CacheStatus.CACHE_SKIPPED).setReason(why);
    }
  }
}
