package dev.airlock.client.cli;

import dev.airlock.client.ActionCall;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;

/**
 * Forwards Ctrl-C, SIGTERM and SIGHUP to the running action as a Cancel carrying the same signal
 * (so a command interrupted by Ctrl-C dies of SIGINT, as it would in the shell). A second Ctrl-C
 * exits at once; the daemon then cancels the action because its client went away.
 */
@SuppressWarnings("sunapi")
final class SignalForwarder {
  private SignalForwarder() {}

  static void install(ActionCall call) {
    AtomicInteger received = new AtomicInteger();
    for (String name : new String[] {"INT", "TERM", "HUP"}) {
      Signal.handle(
          new Signal(name),
          signal -> {
            if (received.incrementAndGet() > 1) {
              Runtime.getRuntime().halt(128 + signal.getNumber());
            }
            try {
              call.cancel(signal.getNumber());
            } catch (IOException e) {
              Runtime.getRuntime().halt(128 + signal.getNumber());
            }
          });
    }
  }
}
