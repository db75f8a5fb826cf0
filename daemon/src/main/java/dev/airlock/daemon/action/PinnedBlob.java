package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.Digest;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A pinned output and the content store's blob for it: found by a lookup, or verified after a run.
 *
 * @param mode the permission bits it was last produced with (0644 when only the blob is known)
 * @param sourceAction the action that recorded it, when an entry says
 * @param fromRemote fetched from the remote cache by this lookup
 */
record PinnedBlob(
    Path path, Digest digest, int mode, Optional<String> sourceAction, boolean fromRemote) {
  /** The mode a pinned output gets when no run recorded one. */
  static final int DEFAULT_MODE = 0644;
}
