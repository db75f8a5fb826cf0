package dev.airlock.daemon.cache;

import dev.airlock.daemon.request.ActionRequest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What replaying an action must reproduce: exit code, stdout and stderr (as blobs), and its outputs
 * keyed by path; plus which action produced it, and when, what a determinism check found of it, and
 * the request that produced it (to run it again), when known.
 */
public record CachedResult(
    int exitCode,
    Digest stdout,
    Digest stderr,
    SortedMap<String, Output> outputs,
    String actionId,
    Instant producedAt,
    Determinism determinism,
    Optional<ActionRequest> request) {
  public CachedResult {
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
    Objects.requireNonNull(actionId, "actionId");
    Objects.requireNonNull(producedAt, "producedAt");
    Objects.requireNonNull(determinism, "determinism");
    Objects.requireNonNull(request, "request");
    outputs = Collections.unmodifiableSortedMap(new TreeMap<>(outputs));
    producedAt = producedAt.truncatedTo(ChronoUnit.MILLIS);
  }

  /** A result with outputs given in any order. */
  public static CachedResult of(
      int exitCode,
      Digest stdout,
      Digest stderr,
      Map<String, Output> outputs,
      String actionId,
      Instant producedAt) {
    return new CachedResult(
        exitCode,
        stdout,
        stderr,
        new TreeMap<>(outputs),
        actionId,
        producedAt,
        Determinism.UNCHECKED,
        Optional.empty());
  }

  /** This result, marked with what a determinism check found. */
  public CachedResult withDeterminism(Determinism found) {
    return new CachedResult(
        exitCode, stdout, stderr, outputs, actionId, producedAt, found, request);
  }

  /** This result, with the request that produced it. */
  public CachedResult withRequest(ActionRequest producedBy) {
    return new CachedResult(
        exitCode,
        stdout,
        stderr,
        outputs,
        actionId,
        producedAt,
        determinism,
        Optional.of(producedBy));
  }

  /** Every blob the result needs in the content store. */
  public Set<Digest> blobs() {
    Set<Digest> blobs = new HashSet<>();
    blobs.add(stdout);
    blobs.add(stderr);
    for (Output o : outputs.values()) {
      if (o instanceof Output.RegularFile f) {
        blobs.add(f.digest());
      }
    }
    return Set.copyOf(blobs);
  }
}
