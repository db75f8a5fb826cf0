package dev.airlock.daemon.action;

import dev.airlock.protocol.ActionResult;
import dev.airlock.sandbox.linux.Confinement;
import java.util.List;
import java.util.Optional;

/**
 * How a front end provides an action's inputs and what becomes of its outputs. Everything between
 * (scheduling, spawning, tracing, streaming, cancelling) is the same for every front end: {@code
 * airlock run} overlays the workspace and commits to it ({@link WorkspaceFrontEnd}); a front end
 * that supplies an input root and wants the outputs back chooses other overlays and other finishing
 * steps.
 */
public interface FrontEnd {
  /** Sets up one attempt of {@code action}; the runner closes it when the attempt is over. */
  Attempt begin(Action action);

  /** One attempt: what it runs with and how it finishes. */
  interface Attempt extends AutoCloseable {
    /** A result without running it (refused up front, served from a cache), or empty to run. */
    Optional<ActionResult.Builder> result();

    /** The copy-on-write overlays the run gets. */
    List<Confinement.Overlay> overlays();

    /** The state the finishing steps work on, starting from what the run produced. */
    Finishing finishing(RunRecord run);

    /** The steps after the run, in order. */
    List<FinishingStep> steps();

    /**
     * A second attempt on the same inputs, for a determinism check: a fresh copy-on-write layer
     * over the workspace as this attempt saw it (nothing is committed in between), whose steps only
     * collect its changes and which never commits. Empty when this front end cannot give one.
     */
    default Optional<Attempt> again() {
      return Optional.empty();
    }

    @Override
    void close();
  }
}
