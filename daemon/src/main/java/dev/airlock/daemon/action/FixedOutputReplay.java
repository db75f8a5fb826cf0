package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.CacheStores;
import dev.airlock.daemon.cache.Output;
import dev.airlock.daemon.cache.PortablePaths;
import dev.airlock.daemon.commit.CommitConflictException;
import dev.airlock.daemon.commit.OverlayLayer;
import dev.airlock.daemon.commit.OverlayLayer.RootChanges;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CommitMode;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Started;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Serves a fixed-output action from the content store: its pinned outputs, and nothing else, are
 * committed through the same path as a run's changes (atomic; conflict-checked on what it writes,
 * since it read nothing). No output stream is replayed.
 */
final class FixedOutputReplay {
  private static final Logger log = Logger.getLogger(FixedOutputReplay.class.getName());

  /** The mode of a directory made to hold a pinned output. */
  private static final int DIRECTORY_MODE = 0755;

  private FixedOutputReplay() {}

  /** The result of serving {@code blobs}, or empty when they cannot be (the action runs). */
  static Optional<ActionResult.Builder> replay(
      Action action, List<PinnedBlob> blobs, Optional<OverlayLayer> layer, CacheTrail cache) {
    if (layer.isEmpty()) {
      return Optional.empty();
    }
    CacheStores stores = cache.stores();
    PortablePaths portable = CacheKeys.portable(action);
    Map<String, Output> outputs = new TreeMap<>();
    for (PinnedBlob blob : blobs) {
      // The directories a run would have made to hold it.
      for (Path dir = blob.path().getParent();
          dir != null && !Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
          dir = dir.getParent()) {
        outputs.put(portable.portable(PathBytes.of(dir)), new Output.Directory(DIRECTORY_MODE));
      }
      outputs.put(
          portable.portable(PathBytes.of(blob.path())),
          new Output.RegularFile(blob.digest(), blob.mode()));
    }
    try {
      Optional<List<RootChanges>> changes =
          CacheReplay.changes(outputs, layer.get(), stores, portable);
      if (changes.isEmpty()) {
        cache.replayFailed("a pinned output lies outside the action's writable roots; ran instead");
        return Optional.empty();
      }
      boolean dryRun = action.request().commitMode() == CommitMode.DISCARD;
      if (!dryRun) {
        layer.get().commit(changes.get(), Set.of());
      }
      action
          .listener()
          .deliver(
              ActionEvent.newBuilder()
                  .setActionId(action.id())
                  .setStarted(Started.newBuilder().setPid(0))
                  .build());
      cache.fixedHit(blobs);
      return Optional.of(
          ResultAssembler.fixedOutput(action, blobs.size(), changes.get(), dryRun, cache));
    } catch (CommitConflictException e) {
      log.info("action " + action.id() + ": its fixed-output hit conflicts; running it");
      cache.replayFailed("the hit conflicted with a commit; ran instead");
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      log.log(
          Level.WARNING,
          "action " + action.id() + ": cannot serve its pinned outputs; running it",
          e);
      cache.replayFailed("replay failed: " + e.getMessage());
      return Optional.empty();
    }
  }
}
