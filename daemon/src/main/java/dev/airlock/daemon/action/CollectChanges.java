package dev.airlock.daemon.action;

import dev.airlock.daemon.commit.OverlayLayer;
import dev.airlock.protocol.CommitOutcome;
import dev.airlock.protocol.Outcome;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reads what the action changed from its copy-on-write layer (its mount namespace is gone by now).
 * Without a layer there is nothing to read: the action wrote nowhere, or in place when its request
 * allowed direct writes.
 */
final class CollectChanges implements FinishingStep {
  private static final Logger log = Logger.getLogger(CollectChanges.class.getName());

  @Override
  public void apply(Finishing run) {
    run.writes.startClock();
    if (run.layer().isEmpty()) {
      boolean direct = run.action().request().unsafeDirectWrites();
      run.writes.decide(direct ? CommitOutcome.DIRECT : CommitOutcome.NO_CHANGES, "");
      return;
    }
    OverlayLayer layer = run.layer().get();
    if (run.outcome() == Outcome.LIMIT_EXCEEDED) {
      // Over its disk quota: nothing of it is committed or kept, so its layer (maybe millions of
      // files) is not even read; closing the layer removes it.
      run.writes.decide(CommitOutcome.DISCARDED, run.message());
      return;
    }
    try {
      run.changes = layer.collect();
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "action " + run.action().id() + ": cannot read its changes", e);
      // ENAMETOOLONG names a path of thousands of bytes; say what it means instead.
      boolean tooLong =
          e instanceof FileSystemException f && "File name too long".equals(f.getReason());
      CommitChanges.failed(
          run,
          tooLong
              ? new IOException(
                  "it created a path longer than PATH_MAX (4096 bytes), which cannot be committed")
              : e);
    }
  }
}
