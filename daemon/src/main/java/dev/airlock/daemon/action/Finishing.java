package dev.airlock.daemon.action;

import dev.airlock.daemon.commit.OverlayLayer;
import dev.airlock.daemon.commit.OverlayLayer.RootChanges;
import dev.airlock.daemon.determinism.DeterminismCheck;
import dev.airlock.daemon.policy.EffectivePolicy;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Signals;
import dev.airlock.sandbox.linux.trace.TraceResult;
import dev.airlock.sandbox.linux.trace.Violation;
import java.util.List;
import java.util.Optional;

/**
 * One run of an action on its way to a result: what the run produced, how the action stands
 * (outcome and message, which later steps may change: an undeclared write, a lost commit), and what
 * each finishing step found. The steps run in order; {@link ResultAssembler} builds the result from
 * the end state.
 */
public final class Finishing {
  /** Appended when a message lists only the first few of many paths. */
  static final String MORE_IN_THE_REPORT = " more; --report FILE lists them all)";

  private final Action action;
  private final RunRecord run;
  private final Optional<OverlayLayer> layer;
  private final boolean succeeded;
  private Outcome outcome;
  private String message = "";
  private String limit = "";

  /** The change sets read from the layer, once collected. */
  List<RootChanges> changes = List.of();

  /** What became of the writes (owned by the commit steps). */
  final ChangeSummary writes = new ChangeSummary();

  /** How the cache served or recorded the action (owned by the cache steps). */
  final CacheTrail cache;

  /** With a determinism check: the second run, its changes collected; empty if it did not run. */
  private Optional<Finishing> repeat = Optional.empty();

  /** Why the second run did not run, when the runner knows (a refused second layer). */
  private String notRepeated = "";

  /** A fixed-output run's pinned outputs, once verified (owned by {@link VerifyPinnedOutputs}). */
  List<PinnedBlob> pinned = List.of();

  /** The determinism verdict (owned by {@link CompareRuns}); empty when none was asked for. */
  Optional<DeterminismCheck> determinism = Optional.empty();

  /**
   * The finishing state of a run in a front end without the workspace's overlays and path-set cache
   * (it keeps its outputs, and its cache, its own way).
   */
  public static Finishing of(Action action, RunRecord run, SharedState state) {
    CacheTrail cache = new CacheTrail(state.cache(), action);
    cache.notRecorded("its front end keeps its own cache");
    return new Finishing(action, run, Optional.empty(), cache);
  }

  Finishing(Action action, RunRecord run, Optional<OverlayLayer> layer, CacheTrail cache) {
    this.action = action;
    this.run = run;
    this.layer = layer;
    this.cache = cache;
    boolean fileTooLarge =
        run.trace().map(TraceResult::fileSizeSignals).orElse(0) > 0
            && action.policy().limits().getDiskBytes() > 0;
    // The layer's last measure (after the run, signal 0) says less than the kernel's own stop.
    Optional<Action.Cancellation> cancellation =
        action.cancellation().filter(c -> !fileTooLarge || c.signal() != 0);
    if (cancellation.isPresent()) {
      fail(cancellation.get().outcome(), cancellation.get().reason());
      limit = cancellation.get().limit();
    } else if (run.launchFailure().isPresent()) {
      fail(Outcome.EXEC_FAILED, run.launchFailure().get().message());
    } else {
      outcome = Outcome.COMPLETED;
      List<Violation> denied =
          run.trace().map(TraceResult::violations).orElse(List.of()).stream()
              .filter(Violation::failsAction)
              .toList();
      if (!denied.isEmpty() && action.policy().enforcing()) {
        fail(Outcome.POLICY_VIOLATION, deniedMessage(action.policy(), denied));
      } else if (fileTooLarge) {
        // The kernel stopped a write past RLIMIT_FSIZE: one file wanted more than the quota.
        DiskQuota quota = DiskQuota.of(action.policy().limits());
        fail(Outcome.LIMIT_EXCEEDED, quota.fileSizeMessage(fileSizeVictim(run)));
        limit = DiskQuota.BYTES;
      }
    }
    // What decides whether writes commit and failures are cached: the run as it ended, before
    // anything happens to its writes.
    this.succeeded =
        outcome == Outcome.COMPLETED && run.status().exited() && run.status().exitCode() == 0;
  }

  public Action action() {
    return action;
  }

  public RunRecord run() {
    return run;
  }

  /** The tracer's record; empty when the launcher failed before it was seized. */
  public Optional<TraceResult> trace() {
    return run.trace();
  }

  Optional<OverlayLayer> layer() {
    return layer;
  }

  /** Records the determinism check's second run, or why it did not run ({@code why}). */
  void repeated(Optional<Finishing> second, String why) {
    this.repeat = second;
    this.notRepeated = why;
  }

  /** The second run of a determinism check, once it ran. */
  Optional<Finishing> repeat() {
    return repeat;
  }

  /** Why the second run of a determinism check did not run, when the runner said. */
  String notRepeated() {
    return notRepeated;
  }

  /** Whether the command ran to exit status 0 without refusal or cancellation. */
  public boolean succeeded() {
    return succeeded;
  }

  public Outcome outcome() {
    return outcome;
  }

  public String message() {
    return message;
  }

  /** The policy limit the action went over (with LIMIT_EXCEEDED), else empty. */
  String limit() {
    return limit;
  }

  /** The command line of a process SIGXFSZ killed, or empty when none died of it. */
  private static String fileSizeVictim(RunRecord run) {
    return run.trace().stream()
        .flatMap(t -> t.processes().stream())
        .filter(p -> p.exitStatus() == 128 + Signals.SIGXFSZ)
        .map(p -> PathBytes.display(String.join(" ", p.argv())))
        .findFirst()
        .orElse("");
  }

  /** The action ends as {@code newOutcome}, for {@code why}. */
  public void fail(Outcome newOutcome, String why) {
    this.outcome = newOutcome;
    this.message = why;
  }

  /** "policy 'hermetic' denied: read /etc/passwd, write /home/u/x (and 3 more; ...)". */
  static String deniedMessage(EffectivePolicy policy, List<Violation> denied) {
    StringBuilder text = new StringBuilder("policy '" + policy.name() + "' denied: ");
    int shown = Math.min(denied.size(), 5);
    for (int i = 0; i < shown; i++) {
      Violation v = denied.get(i);
      text.append(i == 0 ? "" : ", ")
          .append(v.kind().label())
          .append(' ')
          .append(PathBytes.display(v.path()));
    }
    if (denied.size() > shown) {
      text.append(" (and ").append(denied.size() - shown).append(MORE_IN_THE_REPORT);
    }
    return text.toString();
  }

  /** How the run ended, for a change report's reason ("the command exited with status 1"). */
  String failureReason() {
    if (outcome != Outcome.COMPLETED) {
      return "the action " + OutcomeWords.of(outcome);
    }
    return run.status().exited()
        ? "the command exited with status " + run.status().exitCode()
        : "the command was killed by signal " + run.status().signal();
  }
}
