package dev.airlock.daemon.server;

import dev.airlock.protocol.StatusReply;
import java.util.concurrent.CompletableFuture;

/** What a connection may ask of the daemon as a whole. */
public interface DaemonControl {
  StatusReply status();

  /**
   * Starts a graceful shutdown (idempotent): the future completes with the number of cancelled
   * actions once every action has finished. The caller replies, then calls {@link #stopServing}.
   */
  CompletableFuture<Integer> shutdown();

  /** Closes the listening socket and lets the daemon process exit. */
  void stopServing();
}
