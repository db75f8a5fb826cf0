package dev.airlock.daemon.commit;

import dev.airlock.protocol.PathBytes;
import dev.airlock.sandbox.linux.Confinement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One action's copy-on-write layer: an overlay per writable root while it runs, then its change
 * sets, committed as a unit per root (conflict-checked against commits made meanwhile) or
 * discarded. Closing removes the upper dirs, whatever happened.
 */
public final class OverlayLayer implements AutoCloseable {
  private static final Logger log = Logger.getLogger(OverlayLayer.class.getName());

  /** One overlaid root: where it is, its dirs, and the commit sequence it started from. */
  record Root(Path path, OverlayDirs.ActionDirs dirs, long startSequence) {}

  /** What the action changed under one root. */
  public record RootChanges(Path root, ChangeSet changes) {
    /** The absolute name of a change's path (see {@link PathBytes}). */
    public String absolute(Change change) {
      return PathBytes.of(PathBytes.resolve(root, change.path()));
    }
  }

  private final WriteTransactions owner;
  private final List<Root> roots;
  private boolean closed;

  OverlayLayer(WriteTransactions owner, List<Root> roots) {
    this.owner = owner;
    this.roots = List.copyOf(roots);
  }

  /** The overlays the launcher mounts for this action. */
  public List<Confinement.Overlay> overlays() {
    return roots.stream().map(r -> new Confinement.Overlay(r.path(), r.dirs().root())).toList();
  }

  /** The roots whose writes are captured. */
  public List<Path> roots() {
    return roots.stream().map(Root::path).toList();
  }

  /** The upper dir of {@code root}: where content staged for it must be placed. */
  public Path upper(Path root) {
    return root(root).dirs().upper();
  }

  /** Reads the net changes under every root; call once the action's mount namespace is gone. */
  public List<RootChanges> collect() throws IOException {
    List<RootChanges> all = new ArrayList<>();
    for (Root r : roots) {
      all.add(new RootChanges(r.path(), ChangeSetReader.read(r.dirs().upper(), r.path())));
    }
    return all;
  }

  /**
   * Commits the changes, root by root: each under its workspace's commit lock, after checking that
   * no commit since the action started wrote a path it read ({@code readPaths}, absolute) or wrote.
   *
   * @throws CommitConflictException naming the paths, before anything of that root is committed
   * @throws CommitException when the commit itself failed (the root is unchanged)
   */
  public void commit(List<RootChanges> changes, Set<String> readPaths) throws IOException {
    WorkspaceVersions versions = owner.versions();
    for (RootChanges rc : changes) {
      Root r = root(rc.root());
      try (WorkspaceVersions.Hold hold = versions.lock(r.path())) {
        Set<String> written = rc.changes().paths();
        Set<String> read = relativeTo(r.path(), readPaths);
        List<String> conflicts = new ArrayList<>();
        for (String p : versions.validate(r.path(), r.startSequence(), read, written)) {
          if (read.contains(p) || !alreadyThere(r.path(), rc.changes(), p)) {
            conflicts.add(p);
          }
        }
        if (!conflicts.isEmpty()) {
          throw new CommitConflictException(r.path(), conflicts);
        }
        if (!rc.changes().isEmpty()) {
          owner.committer().commit(r.path(), rc.changes());
          versions.record(r.path(), written);
        }
      }
    }
  }

  /**
   * Materialises the changes in {@code dir} instead of the workspace (for inspection of a failed
   * action): files and links by their root-relative paths, deletions listed in {@code dir/DELETED}.
   * The copy is made beside {@code dir} and renamed onto it, which rename(2) does only when {@code
   * dir} is missing or empty: each keep gets a directory of its own, never one mixed with an
   * earlier run's files.
   *
   * @throws IOException when {@code dir} is not empty (nothing is changed then)
   */
  public Path keep(List<RootChanges> changes, Path dir) throws IOException {
    Files.createDirectories(dir.getParent());
    Path copy =
        Files.createDirectory(
            dir.resolveSibling(
                "." + dir.getFileName() + ".airlock-keep-" + Long.toHexString(System.nanoTime())));
    try {
      materialise(changes, copy);
      Files.move(copy, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      PosixFiles.deleteTree(copy);
      if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && !isEmpty(dir)) {
        throw new IOException(
            dir + " is not empty (changes are kept only in a new or empty directory)", e);
      }
      throw e;
    }
    return dir;
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (var entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }

  private static void materialise(List<RootChanges> changes, Path dir) throws IOException {
    List<String> deleted = new ArrayList<>();
    for (RootChanges rc : changes) {
      Path base =
          changes.size() == 1 ? dir : PathBytes.resolve(dir, PathBytes.of(rc.root()).substring(1));
      for (Change c : rc.changes().changes()) {
        Path target = PathBytes.resolve(base, c.path());
        switch (c.kind()) {
          case DELETE -> deleted.add(rc.absolute(c));
          case CREATE_DIR -> Files.createDirectories(target);
          case CREATE_FILE, REPLACE_FILE -> {
            Files.createDirectories(target.getParent());
            Files.copy(c.source(), target, StandardCopyOption.REPLACE_EXISTING);
          }
          case CREATE_SYMLINK -> {
            Files.createDirectories(target.getParent());
            Files.deleteIfExists(target);
            Files.createSymbolicLink(target, PathBytes.toPath(c.linkTarget()));
          }
          case CHMOD -> {}
        }
      }
    }
    if (!deleted.isEmpty()) {
      // One name per line, as the bytes it is (a name need not be UTF-8).
      java.io.ByteArrayOutputStream list = new java.io.ByteArrayOutputStream();
      for (String name : deleted) {
        list.writeBytes(PathBytes.encode(name));
        list.write('\n');
      }
      Files.write(dir.resolve("DELETED"), list.toByteArray());
    }
  }

  /**
   * Whether the workspace already holds, at {@code path}, the very file this change set writes
   * there. A later commit that wrote the same bytes to a file the action never read does not
   * conflict: committed in either order, the two leave the same workspace, so identical actions
   * running at once (and cache replays of them) do not refuse each other.
   */
  static boolean alreadyThere(Path root, ChangeSet changes, String path) throws IOException {
    for (Change c : changes.changes()) {
      if (!c.path().equals(path)) {
        continue;
      }
      // Files only: a rename replaces a file, but not a directory that gained entries meanwhile.
      if (c.kind() != Change.Kind.CREATE_FILE && c.kind() != Change.Kind.REPLACE_FILE) {
        return false;
      }
      Path target = PathBytes.resolve(root, path);
      return Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
          && ((Integer) Files.getAttribute(target, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777)
              == c.mode()
          && Files.size(target) == c.size()
          && Files.mismatch(target, c.source()) == -1;
    }
    return false;
  }

  private Root root(Path path) {
    for (Root r : roots) {
      if (r.path().equals(path)) {
        return r;
      }
    }
    throw new IllegalArgumentException("not a root of this layer: " + path);
  }

  /** The paths under {@code root}, relative to it ("" for the root itself). */
  static Set<String> relativeTo(Path root, Set<String> absolute) {
    String name = PathBytes.of(root);
    String prefix = name.equals("/") ? "/" : name + "/";
    Set<String> relative = new HashSet<>();
    for (String p : absolute) {
      if (p.startsWith(prefix)) {
        relative.add(p.substring(prefix.length()));
      } else if (p.equals(name)) {
        relative.add("");
      }
    }
    return relative;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Root r : roots) {
      try {
        owner.versions().end(r.path(), r.startSequence());
      } catch (IOException | RuntimeException e) {
        log.log(Level.WARNING, "cannot end the write layer of " + r.path(), e);
      }
      // Off the action's critical path: nothing reads the dirs again, and a crash before they
      // are gone leaves them for collectLeftovers at the next start.
      owner.removeLater(r.dirs());
    }
  }
}
