package dev.airlock.daemon.reapi;

import build.bazel.remote.execution.v2.ExecuteResponse;
import build.bazel.remote.execution.v2.ExecutionStage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One Execute call's long-running operation: its name, the stage it is at (queued, executing,
 * completed) and, once completed, its response. Watchers (the Execute stream, WaitExecution
 * streams) see every change; when the last one goes away before the action completed, the action is
 * cancelled, since nobody waits for it any more.
 */
public final class ExecuteOperation {
  /** What a watcher sees. */
  public record Snapshot(
      String name, BlobId action, ExecutionStage.Value stage, Optional<ExecuteResponse> response) {
    public boolean done() {
      return response.isPresent();
    }
  }

  /** Receives each change of the operation, the current state first. */
  @FunctionalInterface
  public interface Watcher {
    void changed(Snapshot snapshot);
  }

  private final String name;
  private final BlobId action;
  private final List<Watcher> watchers = new ArrayList<>();
  private ExecutionStage.Value stage = ExecutionStage.Value.CACHE_CHECK;
  private ExecuteResponse response;
  private Runnable canceller = () -> {};
  private long doneNanos;

  ExecuteOperation(String name, BlobId action) {
    this.name = name;
    this.action = action;
  }

  /** An operation answered at once (a cache hit). */
  static ExecuteOperation completed(String name, BlobId action, ExecuteResponse response) {
    ExecuteOperation op = new ExecuteOperation(name, action);
    op.complete(response);
    return op;
  }

  public String name() {
    return name;
  }

  public synchronized Snapshot snapshot() {
    return new Snapshot(name, action, stage, Optional.ofNullable(response));
  }

  /** Adds a watcher and shows it the current state. */
  public void watch(Watcher watcher) {
    Snapshot now;
    synchronized (this) {
      watchers.add(watcher);
      now = snapshot();
    }
    watcher.changed(now);
  }

  /** Removes a watcher; the last one leaving an unfinished operation cancels its action. */
  public void unwatch(Watcher watcher) {
    Runnable cancel = null;
    synchronized (this) {
      if (watchers.remove(watcher) && watchers.isEmpty() && response == null) {
        cancel = canceller;
      }
    }
    if (cancel != null) {
      cancel.run();
    }
  }

  synchronized void onCancel(Runnable cancel) {
    this.canceller = cancel;
  }

  void advance(ExecutionStage.Value next) {
    synchronized (this) {
      if (response != null || next.getNumber() <= stage.getNumber()) {
        return;
      }
      stage = next;
    }
    publish();
  }

  void complete(ExecuteResponse done) {
    synchronized (this) {
      if (response != null) {
        return;
      }
      stage = ExecutionStage.Value.COMPLETED;
      response = done;
      doneNanos = System.nanoTime();
    }
    publish();
  }

  /** Nanos since completion, or -1 while it runs. */
  synchronized long completedAgoNanos(long now) {
    return response == null ? -1 : now - doneNanos;
  }

  private void publish() {
    List<Watcher> now;
    Snapshot s;
    synchronized (this) {
      now = List.copyOf(watchers);
      s = snapshot();
    }
    for (Watcher w : now) {
      w.changed(s);
    }
  }
}
