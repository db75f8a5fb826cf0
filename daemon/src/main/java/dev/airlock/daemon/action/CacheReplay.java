package dev.airlock.daemon.action;

import com.google.protobuf.ByteString;
import dev.airlock.daemon.cache.CacheHit;
import dev.airlock.daemon.cache.CacheStores;
import dev.airlock.daemon.cache.CachedResult;
import dev.airlock.daemon.cache.Output;
import dev.airlock.daemon.cache.PortablePaths;
import dev.airlock.daemon.commit.Change;
import dev.airlock.daemon.commit.ChangeSet;
import dev.airlock.daemon.commit.CommitConflictException;
import dev.airlock.daemon.commit.OverlayLayer;
import dev.airlock.daemon.commit.OverlayLayer.RootChanges;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.OutputChunk;
import dev.airlock.protocol.OutputStream;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Protocol;
import dev.airlock.protocol.Started;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Replays a cache hit: its outputs become change sets against the workspace as it is now, with the
 * content materialised from the content store into the action's upper dirs, and commit through the
 * same path (atomic, conflict-checked) as a run; then its output streams are sent.
 */
final class CacheReplay {
  private static final Logger log = Logger.getLogger(CacheReplay.class.getName());

  private CacheReplay() {}

  /**
   * The change sets that reproduce {@code hit}'s outputs under {@code layer}'s roots; empty when an
   * output lies outside every root (the action would now run with different writable roots).
   *
   * @throws IOException when a blob is missing or corrupt (the caller then runs the action)
   */
  static Optional<List<RootChanges>> changes(
      CacheHit hit, OverlayLayer layer, CacheStores caching, PortablePaths portable)
      throws IOException {
    return changes(hit.result().outputs(), layer, caching, portable);
  }

  /**
   * The change sets that reproduce {@code outputs} (keyed as entries key them) under {@code
   * layer}'s roots; empty when an output lies outside every root.
   *
   * @throws IOException when a blob is missing or corrupt
   */
  static Optional<List<RootChanges>> changes(
      Map<String, Output> outputs, OverlayLayer layer, CacheStores caching, PortablePaths portable)
      throws IOException {
    Map<Path, List<Change>> byRoot = new LinkedHashMap<>();
    for (Path root : layer.roots()) {
      byRoot.put(root, new ArrayList<>());
    }
    FileTime now = FileTime.from(java.time.Instant.now());
    Set<String> deleted = new HashSet<>();
    for (Map.Entry<String, Output> e : outputs.entrySet()) {
      Path target = PathBytes.toPath(portable.absolute(e.getKey()));
      Path root = rootOf(target, layer.roots());
      if (root == null) {
        return Optional.empty();
      }
      String rel = PathBytes.of(root.relativize(target));
      List<Change> changes = byRoot.get(root);
      boolean exists = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
      boolean isDir = Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS);
      boolean underDeleted = deleted.stream().anyMatch(d -> rel.startsWith(d + "/"));
      boolean present = exists && !underDeleted;
      Output output = e.getValue();
      if (output instanceof Output.RegularFile f) {
        Path staged = PathBytes.resolve(layer.upper(root), rel);
        Files.createDirectories(staged.getParent());
        caching.cas().materialize(f.digest(), staged, f.mode());
        long size = Files.size(staged);
        if (present && isDir) {
          changes.add(Change.delete(rel));
          deleted.add(rel);
          changes.add(Change.createFile(rel, staged, f.mode(), size, now));
        } else if (present) {
          changes.add(Change.replaceFile(rel, staged, f.mode(), size, now));
        } else {
          changes.add(Change.createFile(rel, staged, f.mode(), size, now));
        }
      } else if (output instanceof Output.Directory d) {
        if (present && !isDir) {
          changes.add(Change.delete(rel));
          deleted.add(rel);
          changes.add(Change.createDir(rel, d.mode(), now));
        } else if (!present) {
          changes.add(Change.createDir(rel, d.mode(), now));
        }
      } else if (output instanceof Output.Symlink s) {
        if (present) {
          changes.add(Change.delete(rel));
          deleted.add(rel);
        }
        changes.add(Change.createSymlink(rel, portable.absolute(s.target())));
      } else if (present) { // Output.Deleted
        changes.add(Change.delete(rel));
        deleted.add(rel);
      }
    }
    List<RootChanges> all = new ArrayList<>();
    for (Map.Entry<Path, List<Change>> e : byRoot.entrySet()) {
      all.add(new RootChanges(e.getKey(), ChangeSet.of(e.getValue())));
    }
    return Optional.of(all);
  }

  /**
   * Replays a cache hit through the commit path: its outputs committed to the workspace as the run
   * would have, then its output streams. Empty when it cannot be replayed (a blob is missing or
   * corrupt, an output lies outside today's writable roots, an input changed since the lookup), and
   * the action runs instead.
   */
  static Optional<ActionResult.Builder> replay(
      Action action, CacheHit hit, Optional<OverlayLayer> layer, CacheTrail cache) {
    CachedResult cached = hit.result();
    CacheStores stores = cache.stores();
    try {
      byte[] stdout = stores.cas().read(cached.stdout());
      byte[] stderr = stores.cas().read(cached.stderr());
      List<RootChanges> changes = List.of();
      if (layer.isEmpty() && !cached.outputs().isEmpty()) {
        return Optional.empty();
      }
      if (layer.isPresent()) {
        Optional<List<RootChanges>> planned =
            changes(hit, layer.get(), stores, CacheKeys.portable(action));
        if (planned.isEmpty()) {
          return Optional.empty();
        }
        changes = planned.get();
        Set<String> inputs = new HashSet<>();
        PortablePaths portable = CacheKeys.portable(action);
        hit.pathSet().paths().forEach(p -> inputs.add(portable.absolute(p.path())));
        layer.get().commit(changes, inputs);
      }
      action
          .listener()
          .deliver(
              ActionEvent.newBuilder()
                  .setActionId(action.id())
                  .setStarted(Started.newBuilder().setPid(0))
                  .build());
      send(action, stdout, OutputStream.STDOUT);
      send(action, stderr, OutputStream.STDERR);
      cache.hit(hit);
      return Optional.of(ResultAssembler.replayed(action, cached, changes, cache));
    } catch (CommitConflictException e) {
      // An input changed since the lookup (or a concurrent commit wrote an output): the hit is
      // not trustworthy any more, a run decides.
      log.info(
          "action "
              + action.id()
              + ": its cache hit conflicts ("
              + e.getMessage()
              + "); running it");
      cache.replayFailed("the hit conflicted with a commit; ran instead");
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      log.log(
          Level.WARNING, "action " + action.id() + ": cannot replay its cache hit; running it", e);
      cache.replayFailed("replay failed: " + e.getMessage());
      return Optional.empty();
    }
  }

  /** Sends recorded output to the client, in protocol-sized chunks. */
  static void send(Action action, byte[] data, OutputStream stream) {
    for (int at = 0; at < data.length; at += Protocol.MAX_OUTPUT_CHUNK_BYTES) {
      int n = Math.min(Protocol.MAX_OUTPUT_CHUNK_BYTES, data.length - at);
      action
          .listener()
          .deliver(
              ActionEvent.newBuilder()
                  .setActionId(action.id())
                  .setOutput(
                      OutputChunk.newBuilder()
                          .setStream(stream)
                          .setData(ByteString.copyFrom(data, at, n)))
                  .build());
    }
  }

  private static Path rootOf(Path target, List<Path> roots) {
    Path best = null;
    for (Path r : roots) {
      if (target.startsWith(r) && !target.equals(r) && (best == null || r.startsWith(best))) {
        best = r;
      }
    }
    return best;
  }
}
