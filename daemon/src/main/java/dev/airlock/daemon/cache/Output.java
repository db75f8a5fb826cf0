package dev.airlock.daemon.cache;

import java.util.Objects;

/** What a cached action left at one output path. */
public sealed interface Output {
  /** A regular file with this content and permission bits. */
  record RegularFile(Digest digest, int mode) implements Output {
    public RegularFile {
      Objects.requireNonNull(digest);
    }
  }

  /** A symbolic link to this target. */
  record Symlink(String target) implements Output {
    public Symlink {
      Objects.requireNonNull(target);
    }
  }

  /** A directory with these permission bits. */
  record Directory(int mode) implements Output {}

  /** The action deleted what was there. */
  record Deleted() implements Output {}
}
