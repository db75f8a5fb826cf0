package dev.airlock.sandbox.linux.trace;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The accesses of one action, deduplicated by kind and path, in order of first access. */
public final class AccessLog {
  private record Key(AccessKind kind, String path) {}

  private final LinkedHashMap<Key, Access> accesses = new LinkedHashMap<>();
  private final LinkedHashMap<Key, Violation> violations = new LinkedHashMap<>();

  /** Records an access outside the policy (first attempt per kind and path). */
  public void violation(AccessKind kind, String path, int pid, boolean denied) {
    violations.putIfAbsent(new Key(kind, path), new Violation(kind, path, pid, denied));
  }

  /** Records an attempt on a hidden path, refused by making it look absent. */
  public void hidden(AccessKind kind, String path, int pid) {
    violations.putIfAbsent(new Key(kind, path), new Violation(kind, path, pid, true, true));
  }

  public List<Violation> violations() {
    return List.copyOf(new ArrayList<>(violations.values()));
  }

  /** Records an access unless the same kind on the same path was already recorded. */
  public void record(AccessKind kind, String path, int errno, int pid) {
    accesses.putIfAbsent(new Key(kind, path), new Access(kind, path, errno, pid));
  }

  public List<Access> accesses() {
    return List.copyOf(new ArrayList<>(accesses.values()));
  }

  /** How many distinct accesses of each kind. */
  public Map<AccessKind, Integer> countsByKind() {
    Map<AccessKind, Integer> counts = new EnumMap<>(AccessKind.class);
    for (Access a : accesses.values()) {
      counts.merge(a.kind(), 1, Integer::sum);
    }
    return counts;
  }
}
