package dev.airlock.daemon.action;

/**
 * One step after an action's run, in a front end's fixed order (for {@code airlock run}: collect
 * the changes, check them against the declared outputs, decide whether the run can be cached, store
 * its outputs, commit, record in the cache). A step reads what earlier steps found and adds its
 * own; a step that finds nothing to do does nothing.
 */
public interface FinishingStep {
  /** Does this step's part, reading and adding to {@code run}. */
  void apply(Finishing run);
}
