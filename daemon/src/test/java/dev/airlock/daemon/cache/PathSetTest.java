package dev.airlock.daemon.cache;

import static dev.airlock.daemon.cache.ObservationKind.CONTENT;
import static dev.airlock.daemon.cache.ObservationKind.EXISTENCE;
import static dev.airlock.daemon.cache.ObservationKind.LISTING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.sandbox.linux.trace.Access;
import dev.airlock.sandbox.linux.trace.AccessKind;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PathSetTest {
  @Test
  void sortedDeduplicatedAndOrderIndependent() {
    PathSet a =
        PathSet.of(
            List.of(
                new ObservedPath("/w/b", CONTENT),
                new ObservedPath("/w/a", EXISTENCE),
                new ObservedPath("/w/b", CONTENT)));
    PathSet b =
        PathSet.of(List.of(new ObservedPath("/w/a", EXISTENCE), new ObservedPath("/w/b", CONTENT)));
    assertEquals(
        List.of(new ObservedPath("/w/a", EXISTENCE), new ObservedPath("/w/b", CONTENT)), a.paths());
    assertEquals(a, b);
    assertEquals(a.identity(), b.identity());
  }

  @Test
  void existenceIsSubsumedByContentOrListing() {
    PathSet set =
        PathSet.of(
            List.of(
                new ObservedPath("/w/f", EXISTENCE),
                new ObservedPath("/w/f", CONTENT),
                new ObservedPath("/w/d", EXISTENCE),
                new ObservedPath("/w/d", LISTING),
                new ObservedPath("/w/gone", EXISTENCE)));
    assertEquals(
        List.of(
            new ObservedPath("/w/d", LISTING),
            new ObservedPath("/w/f", CONTENT),
            new ObservedPath("/w/gone", EXISTENCE)),
        set.paths());
  }

  @Test
  void theKindIsPartOfTheIdentity() {
    assertNotEquals(
        PathSet.of(List.of(new ObservedPath("/w/f", CONTENT))).identity(),
        PathSet.of(List.of(new ObservedPath("/w/f", EXISTENCE))).identity());
  }

  @Test
  void fromAccessesLeavesOutWhatTheActionWroteFirst() {
    List<Access> accesses =
        List.of(
            access(AccessKind.READ, "/w/src.c"),
            access(AccessKind.ABSENT_PROBE, "/w/inc/x.h"),
            access(AccessKind.CREATE, "/w/out.o"),
            access(AccessKind.READ, "/w/out.o"),
            access(AccessKind.READ, "/w/config"),
            access(AccessKind.WRITE, "/w/config"),
            access(AccessKind.ENUMERATE, "/w/inc"),
            access(AccessKind.EXEC, "/usr/bin/cc"),
            access(AccessKind.READ, "/proc/self/maps"),
            access(AccessKind.STAT_PROBE, "/tmp/scratch"),
            access(AccessKind.CONNECT, "unix:/run/x.sock"));
    PathSet set = PathSet.fromAccesses(accesses, List.of("/proc", "/sys", "/dev", "/tmp"));
    assertEquals(
        List.of(
            new ObservedPath("/usr/bin/cc", CONTENT),
            new ObservedPath("/w/config", CONTENT),
            new ObservedPath("/w/inc", LISTING),
            new ObservedPath("/w/inc/x.h", EXISTENCE),
            new ObservedPath("/w/src.c", CONTENT)),
        set.paths(),
        "out.o was written before it was read; config was read before it was rewritten");
  }

  @Test
  void aFailedReadObservesOnlyExistence() {
    PathSet set =
        PathSet.fromAccesses(List.of(new Access(AccessKind.READ, "/w/secret", 13, 1)), List.of());
    assertEquals(List.of(new ObservedPath("/w/secret", EXISTENCE)), set.paths());
  }

  @Test
  void escapesAndConnectsAreUncacheable() {
    assertEquals(
        Optional.empty(), PathSet.uncacheableReason(List.of(access(AccessKind.READ, "/w/a"))));
    assertTrue(PathSet.uncacheableReason(List.of(access(AccessKind.ESCAPE, "mount"))).isPresent());
    assertTrue(
        PathSet.uncacheableReason(List.of(access(AccessKind.CONNECT, "inet:1.2.3.4:80")))
            .orElseThrow()
            .contains("inet:1.2.3.4:80"));
  }

  @Test
  void relativePathsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new ObservedPath("rel", CONTENT));
  }

  private static Access access(AccessKind kind, String path) {
    return new Access(kind, path, 0, 1);
  }
}
