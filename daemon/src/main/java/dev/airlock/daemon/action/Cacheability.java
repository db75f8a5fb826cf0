package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.PathSet;
import dev.airlock.daemon.request.ActionRequest;
import dev.airlock.protocol.Outcome;
import dev.airlock.sandbox.linux.trace.TraceResult;
import java.util.Optional;

/**
 * Whether a traced run may be recorded in a cache: only a completed, observed, self-contained run
 * is. Shared by every front end (the trace decides soundness, whatever cache records it).
 */
public final class Cacheability {
  /** Output kept in memory for the cache; more makes the action uncacheable. */
  static final long MAX_CAPTURED_OUTPUT = 16L << 20;

  /** File bytes an action may write and still be cached. */
  static final long MAX_CACHED_OUTPUT_BYTES = 512L << 20;

  /**
   * Changes an action may make and still be cached: each output is a blob put (and fsynced) in the
   * content store, which made a 100,000-file action spend minutes after it ended.
   */
  static final int MAX_CACHED_OUTPUTS = 10_000;

  private Cacheability() {}

  /** Why the run must not be recorded, or empty when the trace allows it. */
  public static Optional<String> reason(Finishing run) {
    ActionRequest request = run.action().request();
    if (run.outcome() != Outcome.COMPLETED) {
      return Optional.of("it " + OutcomeWords.of(run.outcome()));
    }
    if (!run.succeeded() && !request.cacheFailures()) {
      return Optional.of("it failed (--cache-failures records failures too)");
    }
    if (run.trace().isEmpty()) {
      return Optional.of("it was not traced");
    }
    TraceResult trace = run.trace().get();
    // A hidden path looked absent to the action: it could not depend on what is there.
    if (trace.violations().stream().anyMatch(v -> !v.hidden())
        && run.action().policy().enforcing()) {
      return Optional.of("it violated its policy");
    }
    if (!trace.observationGaps().isEmpty()) {
      return Optional.of(
          "the tracer could not observe all of it: " + trace.observationGaps().get(0));
    }
    Optional<String> escapedOrNetworked =
        PathSet.uncacheableReason(trace.accesses(), request.networkCacheable());
    if (escapedOrNetworked.isPresent()) {
      return escapedOrNetworked;
    }
    if (run.run().output().overflowed()) {
      return Optional.of("its output exceeded " + (MAX_CAPTURED_OUTPUT >> 20) + " MiB");
    }
    return Optional.empty();
  }

  /**
   * Why a fixed-output run's pinned outputs must not be kept, or empty when they may: what else it
   * did (the network, an observation gap, other outputs) does not matter, its pinned outputs are
   * the contract and were verified.
   */
  static Optional<String> fixedOutputReason(Finishing run) {
    ActionRequest request = run.action().request();
    if (!CacheKeys.writes(request.cacheMode())) {
      return Optional.of(
          run.cache.lookupReason().orElse("the request does not write to the cache"));
    }
    if (run.outcome() != Outcome.COMPLETED) {
      return Optional.of("it " + OutcomeWords.of(run.outcome()));
    }
    if (!run.succeeded()) {
      return Optional.of("it failed");
    }
    if (run.pinned.size() != request.pinnedOutputs().size()) {
      return Optional.of("its pinned outputs were not verified");
    }
    return Optional.empty();
  }
}
