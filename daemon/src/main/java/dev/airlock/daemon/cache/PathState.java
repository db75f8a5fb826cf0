package dev.airlock.daemon.cache;

import java.util.Objects;

/** What is at a path now, to the extent an {@link ObservationKind} looks at it. */
public sealed interface PathState {
  /** Nothing is there (or a parent is not a directory). */
  Absent ABSENT = new Absent();

  /** The state in words, for `airlock cache explain`: "a file with content sha256:ab12...". */
  String describe();

  /** A regular file with this content. */
  record FileContent(Digest digest) implements PathState {
    public FileContent {
      Objects.requireNonNull(digest);
    }

    @Override
    public String describe() {
      return "a file with content " + abbreviated(digest);
    }
  }

  /** Nothing is there. */
  record Absent() implements PathState {
    @Override
    public String describe() {
      return "absent";
    }
  }

  /** A directory whose sorted entry names and types hash to this. */
  record DirectoryListing(Digest digest) implements PathState {
    public DirectoryListing {
      Objects.requireNonNull(digest);
    }

    @Override
    public String describe() {
      return "a directory whose listing hashes to " + abbreviated(digest);
    }
  }

  /** A symbolic link to this target (not followed). */
  record Symlink(String target) implements PathState {
    public Symlink {
      Objects.requireNonNull(target);
    }

    @Override
    public String describe() {
      return "a symlink to '" + target + "'";
    }
  }

  /** Something of this type, whose content was not observed. */
  record Exists(FileType type) implements PathState {
    public Exists {
      Objects.requireNonNull(type);
    }

    @Override
    public String describe() {
      return switch (type) {
        case FILE -> "a file";
        case DIRECTORY -> "a directory";
        case SYMLINK -> "a symlink";
        case OTHER -> "a device, fifo or socket";
      };
    }
  }

  /** Enough of a digest to tell two apart by eye. */
  private static String abbreviated(Digest digest) {
    return "sha256:" + digest.hex().substring(0, 12) + "...";
  }
}
