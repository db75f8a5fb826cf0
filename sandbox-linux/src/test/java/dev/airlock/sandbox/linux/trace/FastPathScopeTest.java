package dev.airlock.sandbox.linux.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.airlock.sandbox.linux.trace.FastPathScope.Entry;
import dev.airlock.sandbox.linux.trace.FastPathScope.Reach;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class FastPathScopeTest {
  private static final FastPathScope SCOPE =
      FastPathScope.of(
          List.of(
              new Entry("/", Reach.PROBES),
              new Entry("/", Reach.ALL),
              new Entry("/home/u/.ssh", Reach.NONE),
              new Entry("/home/u/.ssh", Reach.ALL),
              new Entry("/srv", Reach.PROBES)));

  @Test
  void theLongestEntryDecidesNoneWinsATieElseTheWidest() {
    assertEquals(Reach.ALL, SCOPE.reach("/usr/include/stdio.h"), "'+/' beats '?/'");
    assertEquals(Reach.NONE, SCOPE.reach("/home/u/.ssh"), "'-' beats '+' for the same path");
    assertEquals(Reach.NONE, SCOPE.reach("/home/u/.ssh/id"));
    assertEquals(Reach.ALL, SCOPE.reach("/home/u/.sshd"), "components, not prefixes");
    assertEquals(Reach.PROBES, SCOPE.reach("/srv/x"));
    assertEquals(Reach.NONE, FastPathScope.NONE.reach("/x"));
  }

  @Test
  void withoutTreesDropsWhatLayBelowThem() {
    FastPathScope s =
        FastPathScope.of(List.of(new Entry("/", Reach.ALL), new Entry("/dev/null", Reach.ALL)))
            .withoutTrees("/proc", "/dev");
    assertEquals(Reach.NONE, s.reach("/dev/null"));
    assertEquals(Reach.NONE, s.reach("/proc/self/maps"));
    assertEquals(Reach.ALL, s.reach("/device"));
  }

  @Test
  void encodesAsTheShimReadsIt() {
    byte[] encoded =
        FastPathScope.of(List.of(new Entry("/", Reach.PROBES), new Entry("/a", Reach.NONE)))
            .encode();
    assertEquals("?/\0-/a\0\0", new String(encoded, StandardCharsets.UTF_8));
  }

  @Test
  void entriesMustBeNormalizedAbsolutePaths() {
    for (String bad : List.of("a", "/a/", "/a//b", "/a/../b", "/./a")) {
      assertThrows(IllegalArgumentException.class, () -> new Entry(bad, Reach.ALL), bad);
    }
  }
}
