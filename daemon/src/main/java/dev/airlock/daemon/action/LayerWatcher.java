package dev.airlock.daemon.action;

import static dev.airlock.protocol.Signals.SIGKILL;

import dev.airlock.daemon.commit.LayerMeter;
import dev.airlock.daemon.commit.LayerMeter.Usage;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps a running action's copy-on-write layer within its {@link DiskQuota}: a thread of its own
 * measures the upper dirs (allocated blocks and entries) and checks the free space of their
 * filesystems, and stops the action with SIGKILL the moment either goes over. Walks back off: the
 * next starts {@value #BACKOFF}× the last one's duration after it, so however many files the action
 * makes the watcher costs it at most a fifth of one core; free space, one statfs, is checked every
 * {@value #TICK_MS} ms. Closing, once the action's processes are gone, measures the layer a last
 * time: an action that went over between two walks is not committed either.
 */
final class LayerWatcher implements AutoCloseable {
  private static final Logger log = Logger.getLogger(LayerWatcher.class.getName());

  static final long TICK_MS = 100;
  static final int BACKOFF = 4;

  private final Action action;
  private final DiskQuota quota;
  private final List<Path> uppers;
  private final List<Store> stores;
  private final Thread thread;
  private volatile boolean closed;
  private volatile Usage last = Usage.NONE;

  /** A filesystem the layer is on, and the free space the action must leave on it. */
  private record Store(Path dir, FileStore store, long reserve) {}

  private LayerWatcher(Action action, DiskQuota quota, List<Path> uppers, List<Store> stores) {
    this.action = action;
    this.quota = quota;
    this.uppers = List.copyOf(uppers);
    this.stores = List.copyOf(stores);
    boolean bounded = quota.bytes() > 0 || quota.files() > 0 || !stores.isEmpty();
    if (uppers.isEmpty() || !bounded) {
      this.thread = null;
    } else {
      this.thread = new Thread(this::watch, "airlock-quota-" + action.id());
      thread.setDaemon(true);
    }
  }

  /** Starts watching {@code uppers}, the upper dirs of the action's overlays (maybe none). */
  static LayerWatcher start(Action action, DiskQuota quota, List<Path> uppers) {
    List<Store> stores = new ArrayList<>();
    for (Path upper : uppers) {
      try {
        FileStore store = Files.getFileStore(upper);
        if (stores.stream().noneMatch(s -> s.store().equals(store))) {
          long reserve = quota.reserveOn(store.getTotalSpace());
          if (reserve > 0) {
            stores.add(new Store(upper, store, reserve));
          }
        }
      } catch (IOException e) {
        log.log(Level.WARNING, "action " + action.id() + ": cannot statfs its layer", e);
      }
    }
    LayerWatcher watcher = new LayerWatcher(action, quota, uppers, stores);
    if (watcher.thread != null) {
      watcher.thread.start();
    }
    return watcher;
  }

  private void watch() {
    long nextWalk = 0;
    while (!closed) {
      long now = System.nanoTime();
      if (now - nextWalk >= 0) {
        Usage usage = LayerMeter.measure(uppers, quota.bytes(), quota.files(), () -> closed);
        long took = System.nanoTime() - now;
        if (closed) {
          return;
        }
        last = usage;
        String limit = quota.exceeded(usage);
        if (limit != null) {
          stop(limit, quota.overMessage(limit, usage), true);
          return;
        }
        nextWalk =
            System.nanoTime() + Math.max(TimeUnit.MILLISECONDS.toNanos(TICK_MS), BACKOFF * took);
      }
      if (belowReserve(true)) {
        return;
      }
      synchronized (this) {
        if (!closed) {
          try {
            wait(TICK_MS);
          } catch (InterruptedException e) {
            return;
          }
        }
      }
    }
  }

  /** Stops the action when a filesystem of the layer has less free than its reserve. */
  private boolean belowReserve(boolean running) {
    for (Store s : stores) {
      long free;
      try {
        free = s.store().getUsableSpace();
      } catch (IOException e) {
        continue;
      }
      if (free < s.reserve() && LayerMeter.anyWritten(uppers)) {
        String root = PathBytes.display(PathBytes.of(s.dir()));
        stop(RESERVE_LIMIT, DiskQuota.reserveMessage(root, free, s.reserve(), last), running);
        return true;
      }
    }
    return false;
  }

  private static final String RESERVE_LIMIT = DiskQuota.RESERVE;

  private void stop(String limit, String message, boolean running) {
    if (running) {
      action.cancel(Outcome.LIMIT_EXCEEDED, message, SIGKILL, limit);
    } else {
      action.stopped(Outcome.LIMIT_EXCEEDED, message, limit);
    }
  }

  /**
   * Stops watching (the action's processes are gone) and measures the layer a last time, so that
   * nothing over the quota is committed.
   */
  @Override
  public void close() throws InterruptedException {
    if (thread == null) {
      return;
    }
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    thread.join();
    if (action.cancellation().isPresent()) {
      return;
    }
    Usage usage = LayerMeter.measure(uppers, quota.bytes(), quota.files(), () -> false);
    last = usage;
    String limit = quota.exceeded(usage);
    if (limit != null) {
      stop(limit, quota.overMessage(limit, usage), false);
    }
  }
}
