package dev.airlock.daemon.commit;

import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Optimistic concurrency for workspaces: actions run without locks, and at commit time an action is
 * refused if a commit made since it started wrote a path it read or wrote.
 *
 * <p>Workspaces nest (each working directory is one, so actions in {@code ws} and {@code ws/sub}
 * share {@code ws/sub}), so what is kept is daemon-wide, by canonical absolute path: one commit
 * sequence, the paths each recent commit wrote, and the start sequences of running actions; history
 * older than the oldest running action is dropped. {@link #lock} serialises the commits to a
 * workspace and to every workspace that contains it or lies inside it; {@link #validate}, the
 * commit itself and {@link #record} belong under one hold of it. Nothing here is persistent: after
 * a restart no action is running, so no history is needed.
 */
public final class WorkspaceVersions {
  /** The commit lock of each workspace (by canonical path) that an action began on or locked. */
  private final Map<Path, ReentrantLock> locks = new ConcurrentHashMap<>();

  // Guarded by this.
  private long sequence;
  private final TreeMap<Long, NavigableSet<String>> history = new TreeMap<>();
  private final TreeMap<Long, Integer> running = new TreeMap<>();

  /**
   * The held commit locks of a workspace and its overlaps; closing (once or more) releases them.
   */
  public interface Hold extends AutoCloseable {
    @Override
    void close();
  }

  /** Registers an action starting on {@code workspace}; returns its start sequence. */
  public long begin(Path workspace) throws IOException {
    lockOf(canonical(workspace));
    synchronized (this) {
      running.merge(sequence, 1, Integer::sum);
      return sequence;
    }
  }

  /** Unregisters an action (committed, discarded or failed) that began at {@code startSequence}. */
  public void end(Path workspace, long startSequence) throws IOException {
    synchronized (this) {
      running.computeIfPresent(startSequence, (k, n) -> n == 1 ? null : n - 1);
      trim();
    }
  }

  /**
   * Takes the commit lock of {@code workspace} and of every known workspace that contains it or
   * lies inside it, waiting for commits in progress there.
   */
  public Hold lock(Path workspace) throws IOException {
    Path root = canonical(workspace);
    lockOf(root);
    // In path order, so that two commits never each hold a lock the other waits for. A workspace
    // registered after this snapshot takes its locks later, so it waits for this one's.
    List<ReentrantLock> held = new ArrayList<>();
    for (Map.Entry<Path, ReentrantLock> e : new TreeMap<>(locks).entrySet()) {
      if (e.getKey().startsWith(root) || root.startsWith(e.getKey())) {
        e.getValue().lock();
        held.add(e.getValue());
      }
    }
    return new Hold() {
      private boolean open = true;

      @Override
      public void close() {
        if (open) {
          open = false;
          for (int i = held.size() - 1; i >= 0; i--) {
            held.get(i).unlock();
          }
        }
      }
    };
  }

  /**
   * The paths by which an action that began at {@code startSequence} conflicts with later commits,
   * sorted: a path it read that a later commit wrote, or a path both wrote. A write of a directory
   * (deleting or replacing it) also covers everything below it.
   */
  public List<String> validate(
      Path workspace, long startSequence, Set<String> readPaths, Set<String> writtenPaths)
      throws IOException {
    Path root = canonical(workspace);
    requireHeld(root);
    NavigableSet<String> conflicts = new TreeSet<>();
    synchronized (this) {
      if (!running.containsKey(startSequence)) {
        throw new IllegalStateException("no action began at " + startSequence + " on " + workspace);
      }
      for (NavigableSet<String> written : history.tailMap(startSequence, false).values()) {
        for (String path : readPaths) {
          String absolute = absolute(root, path);
          if (written.contains(absolute) || hasAncestorIn(absolute, written)) {
            conflicts.add(path);
          }
        }
        for (String path : writtenPaths) {
          String absolute = absolute(root, path);
          if (written.contains(absolute)
              || hasAncestorIn(absolute, written)
              || hasDescendantIn(absolute, written)) {
            conflicts.add(path);
          }
        }
      }
    }
    return List.copyOf(conflicts);
  }

  /** Like {@link #validate}, but throws when there is a conflict. */
  public void check(
      Path workspace, long startSequence, Set<String> readPaths, Set<String> writtenPaths)
      throws IOException {
    List<String> conflicts = validate(workspace, startSequence, readPaths, writtenPaths);
    if (!conflicts.isEmpty()) {
      throw new CommitConflictException(workspace, conflicts);
    }
  }

  /** Records a successful commit that wrote {@code writtenPaths}; returns its sequence. */
  public long record(Path workspace, Set<String> writtenPaths) throws IOException {
    Path root = canonical(workspace);
    requireHeld(root);
    NavigableSet<String> written = new TreeSet<>();
    for (String path : writtenPaths) {
      written.add(absolute(root, path));
    }
    synchronized (this) {
      sequence++;
      history.put(sequence, written);
      trim();
      return sequence;
    }
  }

  /** The sequence of the last commit, to any workspace (0 before any). */
  public synchronized long sequence() {
    return sequence;
  }

  /** How many commits' path sets are kept. */
  synchronized int historySize() {
    return history.size();
  }

  private synchronized void trim() {
    long floor = running.isEmpty() ? sequence : running.firstKey();
    history.headMap(floor, true).clear();
  }

  private ReentrantLock lockOf(Path root) {
    return locks.computeIfAbsent(root, k -> new ReentrantLock());
  }

  private static Path canonical(Path workspace) throws IOException {
    // Two spellings of one directory (a symlink, "..") must share one lock and one history.
    return workspace.toRealPath();
  }

  private static String absolute(Path root, String relative) {
    return relative.isEmpty()
        ? PathBytes.of(root)
        : PathBytes.of(PathBytes.resolve(root, relative));
  }

  private void requireHeld(Path root) {
    ReentrantLock lock = locks.get(root);
    if (lock == null || !lock.isHeldByCurrentThread()) {
      throw new IllegalStateException("the commit lock of " + root + " is not held");
    }
  }

  private static boolean hasAncestorIn(String path, Set<String> paths) {
    for (String dir = Change.parentOf(path); !dir.isEmpty(); dir = Change.parentOf(dir)) {
      if (paths.contains(dir)) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasDescendantIn(String path, NavigableSet<String> paths) {
    // Everything below "a" sorts between "a/" and "a0" ('0' follows '/').
    return !paths.subSet(path + "/", true, path + "0", false).isEmpty();
  }
}
