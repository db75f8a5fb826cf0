package dev.airlock.daemon.action;

import dev.airlock.protocol.Outcome;

/** How messages say what became of an action: "it timed out", never "timed_out". */
final class OutcomeWords {
  private OutcomeWords() {}

  /** A verb phrase to follow "it" or "the action": "violated its policy", "was cancelled". */
  static String of(Outcome outcome) {
    return switch (outcome) {
      case COMPLETED -> "completed";
      case EXEC_FAILED -> "could not be executed";
      case CANCELLED -> "was cancelled";
      case TIMED_OUT -> "timed out";
      case SANDBOX_ERROR -> "failed in the sandbox";
      case POLICY_VIOLATION -> "violated its policy";
      case COMMIT_CONFLICT -> "conflicted with another commit";
      case LIMIT_EXCEEDED -> "went over a limit of its policy";
      case OUTPUT_HASH_MISMATCH -> "did not produce its pinned outputs";
      case OUTCOME_UNSPECIFIED, UNRECOGNIZED -> "ended without an outcome";
    };
  }
}
