package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.CacheStores;
import dev.airlock.daemon.cache.CachedResult;
import dev.airlock.daemon.cache.Digest;
import dev.airlock.daemon.cache.FixedOutputEntries;
import dev.airlock.daemon.cache.Output;
import dev.airlock.daemon.cache.PortablePaths;
import dev.airlock.daemon.cache.RecordedEntry;
import dev.airlock.daemon.cache.WeakFingerprint;
import dev.airlock.daemon.request.ActionRequest;
import dev.airlock.policies.PolicyException;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CacheReply;
import dev.airlock.protocol.CacheVerifyRequest;
import dev.airlock.protocol.DeterminismReport;
import dev.airlock.protocol.OutputDifference;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.VerifiedEntry;
import dev.airlock.protocol.VerifyVerdict;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

/**
 * Answers {@code airlock cache verify}: checks each entry's blobs against their digests, and runs
 * each entry whose recorded inputs are unchanged again, as an ordinary action on a fresh
 * copy-on-write layer that is then discarded, comparing what it produces with what the entry
 * records. The workspace never changes.
 */
final class CacheVerifier {
  private final ActionService actions;
  private final SharedState state;

  CacheVerifier(ActionService actions, SharedState state) {
    this.actions = actions;
    this.state = state;
  }

  /** Verifies every entry, or {@code request.sample} of them picked at random. */
  CacheReply verify(CacheVerifyRequest request) throws IOException, InterruptedException {
    List<RecordedEntry> entries = new ArrayList<>(state.cache().cache().entries());
    if (request.getSample() > 0 && request.getSample() < entries.size()) {
      Collections.shuffle(entries);
      entries = entries.subList(0, request.getSample());
    }
    CacheReply.Builder reply = CacheReply.newBuilder();
    for (RecordedEntry entry : entries) {
      reply.addVerified(verify(entry));
    }
    return reply.build();
  }

  private VerifiedEntry verify(RecordedEntry entry) throws IOException, InterruptedException {
    CachedResult recorded = entry.result();
    VerifiedEntry.Builder verified = VerifiedEntry.newBuilder().setActionId(recorded.actionId());
    recorded.request().ifPresent(r -> verified.addAllArgv(PathBytes.toWire(r.argv())));
    Optional<String> corrupt = corruptBlob(recorded);
    if (corrupt.isPresent()) {
      return verified
          .setVerdict(VerifyVerdict.VERIFY_CORRUPT_BLOB)
          .setDetail(corrupt.get())
          .build();
    }
    if (FixedOutputEntries.isFixedOutput(recorded)) {
      // Keyed by its content alone: the intact blob is all there is to verify.
      return skipped(verified, "a fixed-output entry: its blob is intact, nothing to run again");
    }
    if (recorded.request().isEmpty()) {
      return skipped(verified, "recorded without its request, so it cannot be run again");
    }
    ActionRequest rerun =
        recorded.request().get().asDiscardedRerun("cache verify of " + recorded.actionId());
    FrontEnd discarding =
        new WorkspaceFrontEnd(
            state,
            List.of(
                new CollectChanges(),
                new CompareWithEntry(recorded, state.cache()),
                new CommitChanges()));
    Action probe;
    try {
      probe = actions.unscheduled("verify", rerun, discarding);
    } catch (PolicyException | ActionRejectedException e) {
      return skipped(verified, "its request no longer resolves: " + e.getMessage());
    }
    CacheStores stores = state.cache();
    WeakFingerprint weak = CacheKeys.weak(probe, stores.statCache());
    if (!stores.cache().current(entry, weak, stores.reader().in(CacheKeys.portable(probe)))) {
      return skipped(
          verified,
          "its inputs changed since it was recorded (cache explain names the first that differs)");
    }
    ActionResult fresh;
    try {
      fresh = run(rerun, discarding);
    } catch (ActionRejectedException e) {
      return skipped(verified, "the daemon could not run it: " + e.getMessage());
    }
    DeterminismReport compared = fresh.getDeterminism();
    if (!fresh.hasDeterminism() || !compared.getChecked()) {
      return skipped(
          verified,
          "its fresh run could not be compared: "
              + (compared.getReason().isEmpty() ? fresh.getMessage() : compared.getReason()));
    }
    if (compared.getDeterministic()) {
      return verified
          .setVerdict(VerifyVerdict.VERIFY_CONSISTENT)
          .setDetail("a fresh run produced exactly what it records")
          .build();
    }
    return verified
        .setVerdict(VerifyVerdict.VERIFY_NONDETERMINISTIC)
        .setDetail(
            compared.getDifferencesList().stream()
                .map(OutputDifference::getDescription)
                .collect(Collectors.joining("; ")))
        .addAllDifferences(compared.getDifferencesList())
        .build();
  }

  /** The first blob the entry needs that is missing or no longer matches its digest, in words. */
  private Optional<String> corruptBlob(CachedResult recorded) throws IOException {
    Map<Digest, String> uses = new java.util.TreeMap<>();
    uses.put(recorded.stderr(), "stderr");
    uses.put(recorded.stdout(), "stdout");
    PortablePaths portable =
        recorded
            .request()
            .map(r -> new PortablePaths(PathBytes.of(r.workspace())))
            .orElse(PortablePaths.NONE);
    recorded
        .outputs()
        .forEach(
            (path, output) -> {
              if (output instanceof Output.RegularFile f) {
                uses.put(f.digest(), portable.absolute(path));
              }
            });
    for (Map.Entry<Digest, String> use : uses.entrySet()) {
      String blob = "blob sha256:" + use.getKey().hex().substring(0, 12) + "... (";
      String of = PathBytes.display(use.getValue()) + ")";
      if (!state.cache().cas().contains(use.getKey())) {
        return Optional.of(blob + of + " is missing from the content store");
      }
      if (!state.cache().cas().intact(use.getKey())) {
        return Optional.of(blob + of + " no longer matches its digest");
      }
    }
    return Optional.empty();
  }

  private static VerifiedEntry skipped(VerifiedEntry.Builder verified, String why) {
    return verified.setVerdict(VerifyVerdict.VERIFY_SKIPPED).setDetail(why).build();
  }

  /** Runs the action through the scheduler like any other and waits for its result. */
  private ActionResult run(ActionRequest request, FrontEnd frontEnd)
      throws ActionRejectedException, InterruptedException {
    CompletableFuture<ActionResult> result = new CompletableFuture<>();
    actions.submit(
        request,
        frontEnd,
        event -> {
          if (event.hasFinished()) {
            result.complete(event.getFinished().getResult());
          }
        });
    try {
      return result.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("a verification run failed", e.getCause());
    }
  }
}
