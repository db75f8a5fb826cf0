package dev.airlock.daemon.cache;

import java.util.Objects;

/** What is at a path now, to the extent an {@link ObservationKind} looks at it. */
public sealed interface PathState {
  /** Nothing is there (or a parent is not a directory). */
  Absent ABSENT = new Absent();

  /** A regular file with this content. */
  record FileContent(Digest digest) implements PathState {
    public FileContent {
      Objects.requireNonNull(digest);
    }
  }

  /** Nothing is there. */
  record Absent() implements PathState {}

  /** A directory whose sorted entry names and types hash to this. */
  record DirectoryListing(Digest digest) implements PathState {
    public DirectoryListing {
      Objects.requireNonNull(digest);
    }
  }

  /** A symbolic link to this target (not followed). */
  record Symlink(String target) implements PathState {
    public Symlink {
      Objects.requireNonNull(target);
    }
  }

  /** Something of this type, whose content was not observed. */
  record Exists(FileType type) implements PathState {
    public Exists {
      Objects.requireNonNull(type);
    }
  }
}
