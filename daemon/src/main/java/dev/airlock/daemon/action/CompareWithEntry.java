package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.CacheStores;
import dev.airlock.daemon.cache.CachedResult;
import dev.airlock.daemon.cache.Digest;
import dev.airlock.daemon.cache.Output;
import dev.airlock.daemon.determinism.DeterminismCheck;
import dev.airlock.daemon.determinism.EntryComparison;
import dev.airlock.daemon.determinism.EntryComparison.FreshOutput;
import dev.airlock.protocol.CommitOutcome;
import dev.airlock.protocol.Outcome;
import dev.airlock.sandbox.linux.ExitStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * For {@code airlock cache verify}: compares a fresh run of a recorded action with what its entry
 * recorded, before the fresh run's layer is discarded. The fresh outputs are hashed, never stored.
 */
final class CompareWithEntry implements FinishingStep {
  private static final Logger log = Logger.getLogger(CompareWithEntry.class.getName());

  private final CachedResult recorded;
  private final CacheStores stores;

  CompareWithEntry(CachedResult recorded, CacheStores stores) {
    this.recorded = recorded;
    this.stores = stores;
  }

  @Override
  public void apply(Finishing run) {
    run.determinism = Optional.of(verdict(run));
  }

  /** What the fresh run left at each path it wrote, hashed, keyed as the entry keys it. */
  private Map<String, FreshOutput> freshOutputs(Finishing run)
      throws IOException, CacheEntryBuilder.NotCacheable {
    // Which file each hashed output came from, to show where it differs.
    Map<Digest, Path> hashed = new HashMap<>();
    CacheEntryBuilder.Blobs hashOnly =
        file -> {
          Digest d = Digest.sha256(file);
          hashed.putIfAbsent(d, file);
          return d;
        };
    Map<String, Output> outputs =
        new CacheEntryBuilder(stores, hashOnly)
            .outputs(run.action(), run.trace().get(), run.changes, Set.of());
    Map<String, FreshOutput> fresh = new TreeMap<>();
    outputs.forEach(
        (path, output) ->
            fresh.put(
                path,
                new FreshOutput(
                    output,
                    output instanceof Output.RegularFile f
                        ? Optional.of(hashed.get(f.digest()))
                        : Optional.empty())));
    return fresh;
  }

  private DeterminismCheck verdict(Finishing run) {
    if (run.outcome() != Outcome.COMPLETED) {
      return DeterminismCheck.notChecked("the fresh run " + OutcomeWords.of(run.outcome()));
    }
    if (run.trace().isEmpty()
        || run.writes.decided() && run.writes.outcome() == CommitOutcome.COMMIT_FAILED) {
      return DeterminismCheck.notChecked("the fresh run's changes could not be read");
    }
    if (run.run().output().overflowed()) {
      return DeterminismCheck.notChecked("the fresh run's output was too large to keep");
    }
    try {
      // A recorded failure (--cache-failures) kept no outputs, only its status and streams.
      Map<String, FreshOutput> fresh = recorded.exitCode() == 0 ? freshOutputs(run) : Map.of();
      ExitStatus status = run.run().status();
      return EntryComparison.compare(
          recorded,
          fresh,
          run.run().output().stdout(),
          run.run().output().stderr(),
          status.exited() ? status.exitCode() : -1,
          stores.cas(),
          CacheKeys.portable(run.action()));
    } catch (CacheEntryBuilder.NotCacheable e) {
      return DeterminismCheck.notChecked(e.getMessage());
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "action " + run.action().id() + ": cannot compare with its entry", e);
      return DeterminismCheck.notChecked("comparing with the entry failed: " + e.getMessage());
    }
  }
}
