package dev.airlock.daemon.commit;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The per-action {@code upper} and {@code work} dirs of overlays, placed on the workspace's
 * filesystem when possible so that committing an output is a rename, not a copy.
 *
 * <p>Every action has an entry {@code <stateDir>/overlays/<actionId>}: the directory itself when
 * the state dir shares the workspace's filesystem, else a symlink to {@code
 * <top>/.airlock-overlays/<actionId>}, where {@code <top>} is the root of the workspace's
 * filesystem. The symlinks let {@link #collectLeftovers} find every action's dirs in one place.
 */
public final class OverlayDirs {
  /** Where one action's overlay dirs are; {@code upper} and {@code work} share a filesystem. */
  public record ActionDirs(String actionId, Path root, Path upper, Path work) {}

  static final String REMOTE_DIR = ".airlock-overlays";
  private static final Pattern ACTION_ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}");

  private final Path overlays;

  /** Keeps the overlay dirs (or links to them) under {@code stateDir/overlays}. */
  public OverlayDirs(Path stateDir) {
    this.overlays = stateDir.resolve("overlays");
  }

  /**
   * Creates empty {@code upper} and {@code work} dirs (mode 0700) for {@code actionId}.
   *
   * @throws java.nio.file.FileAlreadyExistsException when the action already has dirs
   */
  public ActionDirs create(String actionId, Path workspace) throws IOException {
    Path entry = entry(actionId);
    createPrivate(overlays);
    Path remote = remoteRoot(workspace.toRealPath());
    Path root = entry;
    if (remote != null) {
      // The link first: a crash before the mkdir then leaves a dangling link, which is found.
      root = remote.resolve(actionId);
      Files.createSymbolicLink(entry, root);
    }
    Files.createDirectory(root);
    createPrivate(root);
    return new ActionDirs(
        actionId, root, createPrivate(root.resolve("upper")), createPrivate(root.resolve("work")));
  }

  /** Removes the dirs of {@code actionId}, after its commit or discard; absent ones are fine. */
  public void remove(String actionId) throws IOException {
    Path entry = entry(actionId);
    if (Files.isSymbolicLink(entry)) {
      PosixFiles.deleteTree(Files.readSymbolicLink(entry));
    }
    PosixFiles.deleteTree(entry);
  }

  /** Removes the dirs of every action not in {@code running}; returns how many it removed. */
  public int collectLeftovers(Set<String> running) throws IOException {
    if (!Files.isDirectory(overlays)) {
      return 0;
    }
    int removed = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(overlays)) {
      for (Path entry : entries) {
        String actionId = entry.getFileName().toString();
        if (!running.contains(actionId) && ACTION_ID.matcher(actionId).matches()) {
          remove(actionId);
          removed++;
        }
      }
    }
    return removed;
  }

  /**
   * {@code <top>/.airlock-overlays} when the state dir is on another filesystem than the workspace
   * and that directory can be made; null to use the state dir. Never a dir inside the workspace: an
   * upper dir inside the overlay's own lower makes the mount fail.
   */
  private Path remoteRoot(Path workspace) throws IOException {
    long device = device(workspace);
    if (device == device(overlays)) {
      return null;
    }
    Path top = workspace;
    while (top.getParent() != null && device(top.getParent()) == device) {
      top = top.getParent();
    }
    if (top.equals(workspace)) {
      return null;
    }
    Path remote = top.resolve(REMOTE_DIR);
    try {
      return createPrivate(remote);
    } catch (IOException e) {
      // Read-only or not ours: the state dir still works, with copies instead of renames.
      return null;
    }
  }

  private Path entry(String actionId) {
    if (!ACTION_ID.matcher(Objects.requireNonNull(actionId)).matches()) {
      throw new IllegalArgumentException("bad action id for an overlay dir: " + actionId);
    }
    return overlays.resolve(actionId);
  }

  private static long device(Path path) throws IOException {
    return PosixFiles.lstat(path).dev();
  }

  private static Path createPrivate(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    return dir;
  }
}
