package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.CacheHit;
import dev.airlock.daemon.commit.OverlayLayer;
import dev.airlock.daemon.policy.ConfinementPlanner;
import dev.airlock.daemon.policy.EffectivePolicy;
import dev.airlock.daemon.request.PinnedOutput;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.PathBytes;
import dev.airlock.sandbox.linux.Confinement;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The front end of {@code airlock run} and the Java client: the action works in the workspace
 * through copy-on-write overlays of its writable roots, is replayed from the action cache when an
 * earlier run saw the same inputs, and its changes are committed to the workspace when it succeeds.
 */
final class WorkspaceFrontEnd implements FrontEnd {
  /** After the run, in this order. */
  private static final List<FinishingStep> STEPS =
      List.of(
          new CollectChanges(),
          new CompareRuns(),
          new CheckDeclaredOutputs(),
          new VerifyPinnedOutputs(),
          new DecideCacheable(),
          new StoreOutputs(),
          new CommitChanges(),
          new RecordInCache());

  /** After a determinism check's second run: its changes are read, never committed. */
  private static final List<FinishingStep> AGAIN_STEPS = List.of(new CollectChanges());

  private final SharedState state;
  private final List<FinishingStep> steps;

  WorkspaceFrontEnd(SharedState state) {
    this(state, STEPS);
  }

  /**
   * A front end whose runs finish with {@code steps} instead (a verification compares with a cache
   * entry and discards).
   */
  WorkspaceFrontEnd(SharedState state, List<FinishingStep> steps) {
    this.state = state;
    this.steps = List.copyOf(steps);
  }

  @Override
  public Attempt begin(Action action) {
    CacheTrail cache = new CacheTrail(state.cache(), action);
    EffectivePolicy policy = action.policy();
    ConfinementPlanner.WriteRoots roots = ConfinementPlanner.writeRoots(policy, action.workspace());
    List<Path> copyOnWrite = roots.copyOnWrite();
    boolean overlays = !copyOnWrite.isEmpty() && state.writes().overlaysWork();
    // Never write in place silently: a failed action must leave the workspace as it was.
    if (!action.request().unsafeDirectWrites()) {
      if (!copyOnWrite.isEmpty() && !overlays) {
        return refused(
            action,
            cache,
            "this machine cannot give the action a copy-on-write layer (no user namespaces or"
                + " no overlayfs), so its writes to "
                + PathBytes.display(copyOnWrite.toString())
                + " could not be undone; pass --unsafe-direct-writes to let it write in place");
      }
      if (!roots.uncovered().isEmpty()) {
        return refused(action, cache, uncoveredMessage(roots.uncovered()));
      }
    }
    Optional<Path> inPlace = outsideLayer(action, copyOnWrite);
    if (inPlace.isPresent()) {
      return refused(action, cache, inPlaceMessage(action, inPlace.get()));
    }
    OverlayLayer layer = null;
    try {
      layer = overlays ? state.writes().begin(action.id(), copyOnWrite) : null;
      // After the layer began: a commit landing from now on is caught by the replay's
      // conflict check on the hit's path set.
      if (action.request().fixedOutput()) {
        Optional<List<PinnedBlob>> pinned = cache.lookupFixed();
        if (pinned.isPresent()) {
          Optional<ActionResult.Builder> served =
              FixedOutputReplay.replay(action, pinned.get(), Optional.ofNullable(layer), cache);
          if (served.isPresent()) {
            return new WorkspaceAttempt(action, layer, cache, served, steps, state);
          }
          if (layer != null) {
            layer.close();
            layer = state.writes().begin(action.id(), copyOnWrite);
          }
        }
        return new WorkspaceAttempt(action, layer, cache, Optional.empty(), steps, state);
      }
      Optional<CacheHit> hit = cache.lookup();
      if (hit.isPresent()) {
        Optional<ActionResult.Builder> replayed =
            CacheReplay.replay(action, hit.get(), Optional.ofNullable(layer), cache);
        if (replayed.isPresent()) {
          return new WorkspaceAttempt(action, layer, cache, replayed, steps, state);
        }
        if (layer != null) {
          // The replay may have staged content in the upper dirs: run on empty ones.
          layer.close();
          layer = state.writes().begin(action.id(), copyOnWrite);
        }
      }
      return new WorkspaceAttempt(action, layer, cache, Optional.empty(), steps, state);
    } catch (IOException e) {
      if (layer != null) {
        layer.close();
      }
      return refused(
          action, cache, "cannot prepare the action's copy-on-write layer: " + e.getMessage());
    }
  }

  private Attempt refused(Action action, CacheTrail cache, String message) {
    return new WorkspaceAttempt(
        action, null, cache, Optional.of(ResultAssembler.refused(action, message)), steps, null);
  }

  /**
   * A pinned output the copy-on-write layer does not cover (the audit policy writes outside the
   * workspace in place): its content could not be checked before it lands.
   */
  private static Optional<Path> outsideLayer(Action action, List<Path> copyOnWrite) {
    return action.request().pinnedOutputs().stream()
        .map(PinnedOutput::path)
        .filter(p -> copyOnWrite.stream().noneMatch(root -> p.startsWith(root) && !p.equals(root)))
        .findFirst();
  }

  static String inPlaceMessage(Action action, Path pinned) {
    return "the pinned output "
        + PathBytes.display(PathBytes.of(pinned))
        + " lies outside the action's copy-on-write layer (policy '"
        + action.policy().name()
        + "' writes there in place), so wrong content there could not be undone; pin a path in"
        + " the workspace, or use a policy that grants it as an output (build, provision)";
  }

  /** Why writable roots directly on / are refused, and what to do instead. */
  static String uncoveredMessage(List<Path> uncovered) {
    Path first = uncovered.get(0);
    boolean workspace = first.getNameCount() == 0;
    return (workspace
            ? "the workspace is /, which"
            : PathBytes.display(PathBytes.of(first)) + " would be created directly in /, which")
        + " cannot get a copy-on-write layer (/ holds every other mount), so the action's writes"
        + " there could not be undone; "
        + (workspace
            ? "run it from a project directory or name one with --workspace DIR, "
            : "create its parent directory first, ")
        + "or pass --unsafe-direct-writes to let it write in place";
  }

  /**
   * One attempt in the workspace: its layer (if it writes), its cache trail, maybe a result, and
   * the steps after its run (a determinism check's second attempt only collects its changes).
   *
   * @param state where a second attempt gets its layer; null for an attempt that can have none (a
   *     refused one, or a second attempt itself)
   */
  private record WorkspaceAttempt(
      Action action,
      OverlayLayer layer,
      CacheTrail cache,
      Optional<ActionResult.Builder> result,
      List<FinishingStep> steps,
      SharedState state)
      implements Attempt {
    @Override
    public List<Confinement.Overlay> overlays() {
      return layer == null ? List.of() : layer.overlays();
    }

    @Override
    public Finishing finishing(RunRecord run) {
      return new Finishing(action, run, Optional.ofNullable(layer), cache);
    }

    @Override
    public Optional<Attempt> again() {
      if (state == null || result.isPresent()) {
        return Optional.empty();
      }
      // Its own trail, never consulted: the second run is neither looked up nor recorded.
      CacheTrail unused = new CacheTrail(state.cache(), action);
      if (layer == null) {
        // Without a layer the second run would write in place (--unsafe-direct-writes).
        return Optional.of(
            action.request().unsafeDirectWrites()
                ? refusedAgain(unused, "the action writes in place, so a second run would too")
                : new WorkspaceAttempt(action, null, unused, Optional.empty(), AGAIN_STEPS, null));
      }
      try {
        OverlayLayer fresh = state.writes().begin(action.id(), layer.roots());
        return Optional.of(
            new WorkspaceAttempt(action, fresh, unused, Optional.empty(), AGAIN_STEPS, null));
      } catch (IOException e) {
        return Optional.of(
            refusedAgain(unused, "cannot prepare a second copy-on-write layer: " + e.getMessage()));
      }
    }

    private Attempt refusedAgain(CacheTrail unused, String why) {
      return new WorkspaceAttempt(
          action,
          null,
          unused,
          Optional.of(ResultAssembler.refused(action, why)),
          AGAIN_STEPS,
          null);
    }

    @Override
    public void close() {
      if (layer != null) {
        layer.close();
      }
    }
  }
}
