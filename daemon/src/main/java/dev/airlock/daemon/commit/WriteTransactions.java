package dev.airlock.daemon.commit;

import dev.airlock.daemon.store.StateDatabase;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The daemon's side of copy-on-write writes: it finishes the commits a crash left open, hands each
 * action its overlay dirs, and commits or discards what the action wrote.
 */
public final class WriteTransactions implements AutoCloseable {
  private static final Logger log = Logger.getLogger(WriteTransactions.class.getName());

  private final OverlayDirs upperDirs;
  private final WorkspaceVersions versions = new WorkspaceVersions();
  private final WorkspaceCommitter committer;
  private final boolean overlaysWork;
  private final AtomicLong layers = new AtomicLong();
  private final ExecutorService cleanup =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "airlock-overlay-cleanup");
            t.setDaemon(true);
            return t;
          });

  private WriteTransactions(
      OverlayDirs upperDirs, WorkspaceCommitter committer, boolean overlaysWork) {
    this.upperDirs = upperDirs;
    this.committer = committer;
    this.overlaysWork = overlaysWork;
  }

  /**
   * Recovers every commit a killed daemon left open (wholly old or wholly new) and removes overlay
   * dirs of actions that no longer run. Call once at start, before any action.
   *
   * @param overlaysWork whether the launcher can mount overlayfs here (probed at start)
   * @param observer told of each commit step (tests pause or kill the daemon there)
   */
  public static WriteTransactions open(
      StateDatabase db, Path stateDir, boolean overlaysWork, CommitObserver observer)
      throws IOException {
    int recovered = WorkspaceCommitter.recover(db);
    if (recovered > 0) {
      log.warning("finished or rolled back " + recovered + " commit(s) left open by a crash");
    }
    OverlayDirs dirs = new OverlayDirs(stateDir);
    int removed = dirs.collectLeftovers(Set.of());
    if (removed > 0) {
      log.info("removed the overlay dirs of " + removed + " action(s) that ended with a crash");
    }
    return new WriteTransactions(dirs, new WorkspaceCommitter(db, observer), overlaysWork);
  }

  /** Whether actions get copy-on-write layers on this machine. */
  public boolean overlaysWork() {
    return overlaysWork;
  }

  /**
   * Opens the write layer of one action over {@code roots} (existing directories, none inside
   * another): empty upper dirs, and the commit sequence each root is at.
   */
  public OverlayLayer begin(String actionId, List<Path> roots) throws IOException {
    if (!overlaysWork && !roots.isEmpty()) {
      throw new IllegalStateException("no overlays on this machine");
    }
    List<OverlayLayer.Root> opened = new ArrayList<>();
    try {
      for (int i = 0; i < roots.size(); i++) {
        Path root = roots.get(i);
        // Unique per layer: an action may open several (a replay that fell back, a retry), and
        // the dirs of a closed one are removed in the background.
        String id = actionId + "." + layers.incrementAndGet() + (roots.size() == 1 ? "" : "." + i);
        OverlayDirs.ActionDirs dirs = upperDirs.create(id, root);
        opened.add(new OverlayLayer.Root(root, dirs, versions.begin(root)));
      }
    } catch (IOException | RuntimeException e) {
      new OverlayLayer(this, opened).close();
      throw e;
    }
    return new OverlayLayer(this, opened);
  }

  /** Removes an action's overlay dirs on the cleanup thread. */
  void removeLater(OverlayDirs.ActionDirs dirs) {
    cleanup.execute(
        () -> {
          try {
            upperDirs.remove(dirs.actionId());
          } catch (IOException | RuntimeException e) {
            log.log(
                Level.WARNING, "cannot remove " + dirs.root() + " (collected at next start)", e);
          }
        });
  }

  /** Waits for pending removals (at shutdown); idempotent. */
  @Override
  public void close() {
    cleanup.shutdown();
    try {
      cleanup.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      // Leftover dirs are collected at the next start.
      Thread.currentThread().interrupt();
    }
  }

  WorkspaceVersions versions() {
    return versions;
  }

  WorkspaceCommitter committer() {
    return committer;
  }

  OverlayDirs upperDirs() {
    return upperDirs;
  }
}
