package dev.airlock.daemon.action;

import dev.airlock.sandbox.linux.CpuAffinity;
import dev.airlock.sandbox.linux.ErrnoException;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Places each action (its tracer thread and, through inheritance, its whole process tree) on the
 * least busy of the daemon's CPUs, or nowhere in particular when placement is off.
 */
final class CpuPlacement {
  private static final Logger log = Logger.getLogger(CpuPlacement.class.getName());

  private final List<Integer> cpus;
  private final int[] actionsOn;
  private final boolean enabled;

  CpuPlacement(boolean enabled) {
    List<Integer> allowed;
    try {
      allowed = CpuAffinity.allowedCpus();
    } catch (ErrnoException e) {
      log.log(Level.WARNING, "cannot read the daemon's CPUs; actions are not pinned", e);
      allowed = List.of();
    }
    this.cpus = allowed;
    this.actionsOn = new int[allowed.size()];
    this.enabled = enabled && allowed.size() > 0;
  }

  /** The CPUs actions are placed on, when placement is on. */
  Optional<List<Integer>> pinnedCpus() {
    return enabled ? Optional.of(cpus) : Optional.empty();
  }

  /**
   * Pins the calling thread to the least busy CPU; returns the slot to {@link #release}, or -1 when
   * placement is off or failed (the action then runs anywhere).
   */
  int pinCurrentThread() {
    if (!enabled) {
      return -1;
    }
    int slot;
    synchronized (this) {
      slot = 0;
      for (int i = 1; i < actionsOn.length; i++) {
        if (actionsOn[i] < actionsOn[slot]) {
          slot = i;
        }
      }
      actionsOn[slot]++;
    }
    try {
      CpuAffinity.restrictCurrentThread(List.of(cpus.get(slot)));
      return slot;
    } catch (ErrnoException e) {
      log.log(Level.WARNING, "cannot pin an action to CPU " + cpus.get(slot), e);
      release(slot);
      return -1;
    }
  }

  /** Frees the slot and lets the (pooled) thread run anywhere again. */
  void release(int slot) {
    if (slot < 0) {
      return;
    }
    synchronized (this) {
      actionsOn[slot]--;
    }
    try {
      CpuAffinity.restrictCurrentThread(cpus);
    } catch (ErrnoException e) {
      log.log(Level.WARNING, "cannot unpin a runner thread", e);
    }
  }
}
