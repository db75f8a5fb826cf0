package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.CacheStores;
import dev.airlock.daemon.cache.CachedResult;
import dev.airlock.daemon.cache.Determinism;
import dev.airlock.daemon.cache.Digest;
import dev.airlock.daemon.cache.ObservationKind;
import dev.airlock.daemon.cache.ObservedPath;
import dev.airlock.daemon.cache.Output;
import dev.airlock.daemon.cache.PathSet;
import dev.airlock.daemon.cache.PathState;
import dev.airlock.daemon.cache.PortablePaths;
import dev.airlock.daemon.commit.Change;
import dev.airlock.daemon.commit.OverlayLayer.RootChanges;
import dev.airlock.protocol.PathBytes;
import dev.airlock.sandbox.linux.trace.Access;
import dev.airlock.sandbox.linux.trace.TraceResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Computes a run's cache entry before its commit: the path set and the state each path has now (as
 * the action saw it), the outputs stored in the content store (from the upper dirs), and the output
 * streams.
 */
final class CacheEntryBuilder {
  /** Why an entry could not be made, for the cache report. */
  static final class NotCacheable extends Exception {
    private static final long serialVersionUID = 1L;

    NotCacheable(String why) {
      super(why);
    }
  }

  /** Where an output file's content goes: into the content store, or only hashed. */
  @FunctionalInterface
  interface Blobs {
    Digest put(Path file) throws IOException;
  }

  private final CacheStores stores;
  private final Blobs blobs;

  CacheEntryBuilder(CacheStores stores) {
    this(stores, stores.cas()::put);
  }

  CacheEntryBuilder(CacheStores stores, Blobs blobs) {
    this.stores = stores;
    this.blobs = blobs;
  }

  /**
   * The entry of a run whose writes are {@code changes}, which exited with {@code exitCode}, and
   * whose determinism check (if it had one) found {@code determinism}.
   */
  PreparedEntry build(
      Action action,
      TraceResult trace,
      List<RootChanges> changes,
      OutputCapture output,
      int exitCode,
      Determinism determinism)
      throws IOException, NotCacheable {
    // Keys and records name the workspace's paths relative to it (PortablePaths).
    PortablePaths portable = CacheKeys.portable(action);
    PathSet pathSet =
        portable.portable(
            PathSet.fromAccesses(
                    trace.accesses(),
                    CacheKeys.ignoredRoots(),
                    action.request().declaredOutputs().stream().map(PathBytes::of).toList())
                // The launcher entered the working directory before tracing began: its existence
                // is an input (a request naming a missing one must run, and fail, not hit).
                .with(
                    new ObservedPath(
                        PathBytes.of(action.spec().cwd()), ObservationKind.EXISTENCE)));
    Set<String> contentInputs = new HashSet<>();
    for (ObservedPath p : pathSet.paths()) {
      if (p.kind() == ObservationKind.CONTENT) {
        contentInputs.add(p.path());
      }
    }
    Map<String, Output> outputs = outputs(action, trace, changes, contentInputs);
    List<PathState> states = stores.reader().in(portable).readAll(pathSet.paths());
    Digest out = stores.cas().put(output.stdout());
    Digest err = stores.cas().put(output.stderr());
    CachedResult result =
        CachedResult.of(exitCode, out, err, outputs, action.id(), Instant.now())
            .withDeterminism(determinism)
            .withRequest(action.request());
    return new PreparedEntry(pathSet, states, result);
  }

  /**
   * What the run left at each path it wrote, keyed as the entry keys it, each file's content put
   * through {@code blobs}.
   *
   * @param contentInputs paths whose content the run read (keyed so): changing one is not cacheable
   */
  Map<String, Output> outputs(
      Action action, TraceResult trace, List<RootChanges> changes, Set<String> contentInputs)
      throws IOException, NotCacheable {
    PortablePaths portable = CacheKeys.portable(action);
    Map<String, Output> outputs = new TreeMap<>();
    long bytes = 0;
    if (changes.stream().mapToLong(rc -> rc.changes().changes().size()).sum()
        > Cacheability.MAX_CACHED_OUTPUTS) {
      throw new NotCacheable(
          String.format(
              java.util.Locale.ROOT,
              "it made more than %,d changes",
              Cacheability.MAX_CACHED_OUTPUTS));
    }
    for (RootChanges rc : changes) {
      for (Change c : rc.changes().changes()) {
        String path = rc.absolute(c);
        if (contentInputs.contains(portable.portable(path))) {
          throw new NotCacheable("it changed " + PathBytes.display(path) + ", which it had read");
        }
        bytes += c.size();
        if (bytes > Cacheability.MAX_CACHED_OUTPUT_BYTES) {
          throw new NotCacheable(
              "its outputs exceed " + (Cacheability.MAX_CACHED_OUTPUT_BYTES >> 20) + " MiB");
        }
        outputs.put(portable.portable(path), output(rc.root(), c, portable));
      }
    }
    // A file it wrote with the content it already had is no net change, but it is an output:
    // a replay must restore it even if it differs by then.
    for (Access a : trace.accesses()) {
      if (!PathSet.isWrite(a.kind())
          || a.errno() != 0
          || outputs.containsKey(portable.portable(a.path()))) {
        continue;
      }
      for (RootChanges rc : changes) {
        Path p = PathBytes.toPath(a.path());
        if (p.startsWith(rc.root()) && !p.equals(rc.root())) {
          outputs.put(portable.portable(a.path()), unchanged(p, portable));
          break;
        }
      }
    }
    return outputs;
  }

  /** What an output the action left as it was is now. */
  private Output unchanged(Path p, PortablePaths portable) throws IOException {
    if (Files.isSymbolicLink(p)) {
      return new Output.Symlink(portable.portable(PathBytes.of(Files.readSymbolicLink(p))));
    }
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return new Output.Deleted();
    }
    int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      return new Output.Directory(mode);
    }
    return new Output.RegularFile(blobs.put(p), mode);
  }

  private Output output(Path root, Change c, PortablePaths portable) throws IOException {
    return switch (c.kind()) {
      case CREATE_FILE, REPLACE_FILE ->
          new Output.RegularFile(blobs.put(c.source()), c.mode() & 07777);
      case CREATE_DIR -> new Output.Directory(c.mode() & 07777);
      case CREATE_SYMLINK -> new Output.Symlink(portable.portable(c.linkTarget()));
      case DELETE -> new Output.Deleted();
      // A mode change alone: the file as it is, with its new mode.
      case CHMOD -> new Output.RegularFile(blobs.put(PathBytes.resolve(root, c.path())), c.mode());
    };
  }
}
