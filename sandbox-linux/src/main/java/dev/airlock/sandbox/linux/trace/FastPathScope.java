package dev.airlock.sandbox.linux.trace;

import dev.airlock.protocol.PathBytes;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the in-process fast path may serve calls without asking the tracer first: paths under which
 * every read and listing ({@link Reach#ALL}) or every probe ({@link Reach#PROBES}: stat, access,
 * readlink, O_PATH) is allowed by the action's policy without a report, and paths it must never
 * serve ({@link Reach#NONE}: hidden or refused trees). The longest entry at or above a path decides
 * (NONE wins a tie, else the widest reach); a path under no entry is not served. The tracer checks
 * a record whose resolved path leaves the scope (a symlink out of it) against the policy after the
 * fact; enforcement stays with the kernel layers either way.
 */
public final class FastPathScope {
  /** What an entry lets the fast path serve at and below its path. */
  public enum Reach {
    NONE('-'),
    PROBES('?'),
    ALL('+');

    final char sign;

    Reach(char sign) {
      this.sign = sign;
    }
  }

  /** One entry: an absolute, normalized path and what may be served below it. */
  public record Entry(String path, Reach reach) {
    public Entry {
      if (!path.startsWith("/")
          || (path.length() > 1 && path.endsWith("/"))
          || path.contains("//")
          || path.contains("\0")) {
        throw new IllegalArgumentException("not a normalized absolute path: " + path);
      }
      for (String part : path.split("/")) {
        if (part.equals(".") || part.equals("..")) {
          throw new IllegalArgumentException("not a normalized absolute path: " + path);
        }
      }
    }
  }

  /** Nothing: every call goes the slow way (the default of a guard that says nothing). */
  public static final FastPathScope NONE = new FastPathScope(List.of());

  /** Everything the fast path can serve at all (no policy restricts reads or probes). */
  public static final FastPathScope EVERYWHERE =
      new FastPathScope(List.of(new Entry("/", Reach.ALL)));

  private final List<Entry> entries;

  private FastPathScope(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  public static FastPathScope of(List<Entry> entries) {
    return new FastPathScope(entries);
  }

  public List<Entry> entries() {
    return entries;
  }

  /** This scope with each of {@code trees} excluded, whatever entries lay below them. */
  public FastPathScope withoutTrees(String... trees) {
    List<Entry> kept = new ArrayList<>();
    for (Entry e : entries) {
      boolean below = false;
      for (String tree : trees) {
        below |= under(e.path(), tree);
      }
      if (!below) {
        kept.add(e);
      }
    }
    for (String tree : trees) {
      kept.add(new Entry(tree, Reach.NONE));
    }
    return new FastPathScope(kept);
  }

  /** What may be served at {@code path} (absolute and normalized, as the tracer resolves it). */
  public Reach reach(String path) {
    Reach best = Reach.NONE;
    int bestLength = -1;
    for (Entry e : entries) {
      int length = e.path().length();
      if (length < bestLength || !under(path, e.path())) {
        continue;
      }
      // Of entries for the same path NONE wins, else the widest.
      if (length == bestLength
          && (best == Reach.NONE || (e.reach() != Reach.NONE && e.reach().compareTo(best) <= 0))) {
        continue;
      }
      best = e.reach();
      bestLength = length;
    }
    return best;
  }

  private static boolean under(String path, String root) {
    return root.equals("/")
        || path.equals(root)
        || (path.startsWith(root) && path.charAt(root.length()) == '/');
  }

  /** The entries as the ring's header carries them: a sign byte, the path's bytes, a NUL each. */
  byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Entry e : entries) {
      out.write(e.reach().sign);
      out.writeBytes(PathBytes.encode(e.path()));
      out.write(0);
    }
    out.write(0);
    return out.toByteArray();
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    for (Entry e : entries) {
      s.append(s.length() == 0 ? "" : " ").append(e.reach().sign).append(e.path());
    }
    return s.toString();
  }
}
