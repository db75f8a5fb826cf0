package dev.airlock.daemon.cache;

import dev.airlock.sandbox.linux.trace.AccessKind;
import java.util.Optional;

/** What an action learned about a path, and so what part of its state the cache compares. */
public enum ObservationKind {
  // Ordinals are hashed into path set identities: append only.

  /**
   * Read or executed: a file's bytes, or a symlink's target (the tracer reports links followed).
   */
  CONTENT,
  /**
   * Stat'ed or probed: only whether something is there and its type. Size and mtime are left out on
   * purpose: an action that only stat'ed a file cannot depend on bytes it never read, so a touch or
   * an edit must not force a rerun; mtime-comparing tools (make) are not hermetic anyway.
   */
  EXISTENCE,
  /** Enumerated: the directory's entry names and their types. */
  LISTING;

  /**
   * The observation an access makes; empty for writes, connects and escapes, which are not inputs.
   * A read that failed observed only that something (unreadable) is there.
   */
  public static Optional<ObservationKind> of(AccessKind kind, int errno) {
    return switch (kind) {
      case READ, EXEC -> Optional.of(errno == 0 ? CONTENT : EXISTENCE);
      case STAT_PROBE, ABSENT_PROBE -> Optional.of(EXISTENCE);
      case ENUMERATE -> Optional.of(errno == 0 ? LISTING : EXISTENCE);
      default -> Optional.empty();
    };
  }
}
