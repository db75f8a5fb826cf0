package dev.airlock.daemon.cache;

import java.util.List;
import java.util.Objects;

/**
 * Names an action together with the state of every path it observed: equal strong fingerprints mean
 * a rerun would see exactly what the recorded run saw.
 */
public record StrongFingerprint(Digest digest) {
  public StrongFingerprint {
    Objects.requireNonNull(digest);
  }

  /** H(weak, path set identity, each path's state in path set order). */
  public static StrongFingerprint of(
      WeakFingerprint weak, PathSet pathSet, List<PathState> states) {
    if (states.size() != pathSet.size()) {
      throw new IllegalArgumentException(
          pathSet.size() + " observed paths but " + states.size() + " states");
    }
    HashWriter w =
        new HashWriter("airlock.strong")
            .digest(weak.digest())
            .digest(pathSet.identity())
            .int32(states.size());
    for (PathState s : states) {
      write(w, s);
    }
    return new StrongFingerprint(w.finish());
  }

  private static void write(HashWriter w, PathState state) {
    if (state instanceof PathState.Absent) {
      w.int32(0);
    } else if (state instanceof PathState.FileContent f) {
      w.int32(1).digest(f.digest());
    } else if (state instanceof PathState.DirectoryListing l) {
      w.int32(2).digest(l.digest());
    } else if (state instanceof PathState.Symlink s) {
      w.int32(3).string(s.target());
    } else if (state instanceof PathState.Exists e) {
      w.int32(4).int32(e.type().ordinal());
    } else {
      throw new AssertionError("unknown state " + state);
    }
  }
}
