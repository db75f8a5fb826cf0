package dev.airlock.sandbox.linux.trace;

/** An access outside the policy: what was attempted where, by whom, and whether it was refused. */
public record Violation(AccessKind kind, String path, int pid, boolean denied) {}
