package dev.airlock.daemon.commit;

import java.io.IOException;
import java.nio.file.Path;
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
 * <p>Per workspace (by canonical path) this keeps a commit sequence, the paths each recent commit
 * wrote, and the start sequences of running actions; history older than the oldest running action
 * is dropped. Commits to one workspace are serialised by {@link #lock}; {@link #validate}, the
 * commit itself and {@link #record} belong under one hold of it. Nothing here is persistent: after
 * a restart no action is running, so no history is needed.
 */
public final class WorkspaceVersions {
  private final Map<Path, Workspace> workspaces = new ConcurrentHashMap<>();

  /** A held commit lock of one workspace; closing it (once or more) releases it. */
  public interface Hold extends AutoCloseable {
    @Override
    void close();
  }

  private static final class Workspace {
    final ReentrantLock commitLock = new ReentrantLock();
    long sequence;
    final TreeMap<Long, NavigableSet<String>> history = new TreeMap<>();
    final TreeMap<Long, Integer> running = new TreeMap<>();

    synchronized void trim() {
      long floor = running.isEmpty() ? sequence : running.firstKey();
      history.headMap(floor, true).clear();
    }
  }

  /** Registers an action starting on {@code workspace}; returns its start sequence. */
  public long begin(Path workspace) throws IOException {
    Workspace state = state(workspace);
    synchronized (state) {
      state.running.merge(state.sequence, 1, Integer::sum);
      return state.sequence;
    }
  }

  /** Unregisters an action (committed, discarded or failed) that began at {@code startSequence}. */
  public void end(Path workspace, long startSequence) throws IOException {
    Workspace state = state(workspace);
    synchronized (state) {
      state.running.computeIfPresent(startSequence, (k, n) -> n == 1 ? null : n - 1);
      state.trim();
    }
  }

  /** Takes the commit lock of {@code workspace}, waiting for a commit in progress. */
  public Hold lock(Path workspace) throws IOException {
    ReentrantLock lock = state(workspace).commitLock;
    lock.lock();
    return new Hold() {
      private boolean held = true;

      @Override
      public void close() {
        if (held) {
          held = false;
          lock.unlock();
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
    Workspace state = state(workspace);
    requireHeld(state, workspace);
    NavigableSet<String> conflicts = new TreeSet<>();
    synchronized (state) {
      if (!state.running.containsKey(startSequence)) {
        throw new IllegalStateException("no action began at " + startSequence + " on " + workspace);
      }
      for (NavigableSet<String> written : state.history.tailMap(startSequence, false).values()) {
        for (String path : readPaths) {
          if (written.contains(path) || hasAncestorIn(path, written)) {
            conflicts.add(path);
          }
        }
        for (String path : writtenPaths) {
          if (written.contains(path)
              || hasAncestorIn(path, written)
              || hasDescendantIn(path, written)) {
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
    Workspace state = state(workspace);
    requireHeld(state, workspace);
    synchronized (state) {
      state.sequence++;
      state.history.put(state.sequence, new TreeSet<>(writtenPaths));
      state.trim();
      return state.sequence;
    }
  }

  /** The sequence of the last commit to {@code workspace} (0 before any). */
  public long sequence(Path workspace) throws IOException {
    Workspace state = state(workspace);
    synchronized (state) {
      return state.sequence;
    }
  }

  /** How many commits' path sets are kept for {@code workspace}. */
  int historySize(Path workspace) throws IOException {
    Workspace state = state(workspace);
    synchronized (state) {
      return state.history.size();
    }
  }

  private Workspace state(Path workspace) throws IOException {
    // Two spellings of one directory (a symlink, "..") must share one lock and one history.
    return workspaces.computeIfAbsent(workspace.toRealPath(), k -> new Workspace());
  }

  private static void requireHeld(Workspace state, Path workspace) {
    if (!state.commitLock.isHeldByCurrentThread()) {
      throw new IllegalStateException("the commit lock of " + workspace + " is not held");
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
