package dev.airlock.daemon.action;

import dev.airlock.protocol.ActionEvent;

/** Where the events of one action go, in order: accepted, started, output..., finished. */
public interface ActionListener {
  /**
   * Delivers one event. May block while the receiver cannot take more (backpressure: a client that
   * does not read its output must slow the command down, not grow the daemon's memory). Returns at
   * once, dropping the event, once the receiver is gone.
   */
  void deliver(ActionEvent event);
}
