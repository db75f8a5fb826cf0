package dev.airlock.daemon.commit;

import dev.airlock.daemon.commit.Change.Kind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The net changes of one action, in an order in which they can be applied one by one: a parent
 * before its children, and at one path a deletion before a creation before a mode change.
 */
public final class ChangeSet {
  /** Orders paths so that a directory comes right before everything below it. */
  static final Comparator<String> PATH_ORDER = ChangeSet::comparePaths;

  private static final Comparator<Change> ORDER =
      Comparator.comparing(Change::path, PATH_ORDER).thenComparing(ChangeSet::rank);

  private static final ChangeSet EMPTY = new ChangeSet(List.of());

  private final List<Change> changes;
  private final Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
  private final long bytes;

  private ChangeSet(List<Change> ordered) {
    this.changes = ordered;
    long total = 0;
    for (Change change : ordered) {
      counts.merge(change.kind(), 1, Integer::sum);
      total += change.size();
    }
    this.bytes = total;
  }

  /** The empty change set. */
  public static ChangeSet empty() {
    return EMPTY;
  }

  /**
   * Orders {@code changes} and checks they make sense together.
   *
   * @throws IllegalArgumentException when a path has two creations, two deletions, a mode change
   *     beside another change, or an entry below a path deleted and not re-created as a directory
   */
  public static ChangeSet of(Collection<Change> changes) {
    List<Change> ordered = new ArrayList<>(changes);
    ordered.sort(ORDER);
    Map<String, Change> created = new HashMap<>();
    Map<String, Change> deleted = new HashMap<>();
    for (int i = 0; i < ordered.size(); i++) {
      Change change = ordered.get(i);
      if (i > 0 && ordered.get(i - 1).path().equals(change.path())) {
        Change previous = ordered.get(i - 1);
        if (rank(previous) == rank(change) || change.kind() == Kind.CHMOD) {
          throw new IllegalArgumentException(
              "conflicting changes at "
                  + change.path()
                  + ": "
                  + previous.kind()
                  + ", "
                  + change.kind());
        }
      }
      checkAncestors(change, created, deleted);
      (change.kind() == Kind.DELETE ? deleted : created).put(change.path(), change);
    }
    return new ChangeSet(Collections.unmodifiableList(ordered));
  }

  // An entry below a deleted path needs that path re-created as a directory; below a created
  // path, that creation must be a directory.
  private static void checkAncestors(
      Change change, Map<String, Change> created, Map<String, Change> deleted) {
    for (String dir = change.parent(); !dir.isEmpty(); dir = Change.parentOf(dir)) {
      Change ancestor = created.get(dir);
      if (ancestor != null) {
        if (ancestor.kind() == Kind.CREATE_DIR) {
          return;
        }
        if (ancestor.kind() != Kind.CHMOD) {
          throw new IllegalArgumentException(
              change.path() + " is below " + dir + ", which becomes a " + ancestor.kind());
        }
      }
      if (deleted.containsKey(dir)) {
        throw new IllegalArgumentException(change.path() + " is below deleted " + dir);
      }
    }
  }

  /** The changes, in application order. */
  public List<Change> changes() {
    return changes;
  }

  public boolean isEmpty() {
    return changes.isEmpty();
  }

  public int size() {
    return changes.size();
  }

  /** How many changes are of {@code kind}. */
  public int count(Kind kind) {
    return counts.getOrDefault(kind, 0);
  }

  /** Total size of the new file contents. */
  public long bytes() {
    return bytes;
  }

  /** The paths this change set writes (creates, replaces, deletes or chmods), in order. */
  public Set<String> paths() {
    Set<String> paths = new LinkedHashSet<>();
    for (Change change : changes) {
      paths.add(change.path());
    }
    return Collections.unmodifiableSet(paths);
  }

  private static int rank(Change change) {
    return change.kind() == Kind.DELETE ? 0 : change.kind() == Kind.CHMOD ? 2 : 1;
  }

  private static int comparePaths(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char x = a.charAt(i);
      char y = b.charAt(i);
      if (x != y) {
        // '/' sorts before every other character, so "a/b" < "a.b" and a subtree is contiguous.
        return x == '/' ? -1 : y == '/' ? 1 : Character.compare(x, y);
      }
    }
    return Integer.compare(a.length(), b.length());
  }

  @Override
  public String toString() {
    return "ChangeSet" + counts + " " + bytes + " bytes";
  }
}
