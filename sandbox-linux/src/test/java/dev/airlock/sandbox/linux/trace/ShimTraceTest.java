package dev.airlock.sandbox.linux.trace;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.sandbox.linux.trace.TraceHarness.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The fast path with real programs: what it serves, and every way back to the slow path. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ShimTraceTest {
  @TempDir Path dir;

  @Test
  void gccProbe() throws Exception {
    Files.writeString(
        dir.resolve("f.c"),
        "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint main(void){puts(\"x\");return 0;}\n");
    java.util.List<java.util.SortedSet<String>> sets = new java.util.ArrayList<>();
    for (TraceMode m : TraceMode.values()) {
      TraceHarness.mode = m;
      try {
        Run run = TraceHarness.sh(dir, "gcc -c f.c -o f.o");
        run.assertExitedWith(0);
        sets.add(TraceHarness.comparable(run.trace()));
        System.err.println(
            m
                + " "
                + run.elapsed().toMillis()
                + " ms "
                + run.stats()
                + " accesses="
                + run.accesses().size());
      } finally {
        TraceHarness.mode = TraceMode.STRICT;
      }
    }
    java.util.SortedSet<String> a = new java.util.TreeSet<>(sets.get(0));
    a.removeAll(sets.get(1));
    java.util.SortedSet<String> b = new java.util.TreeSet<>(sets.get(1));
    b.removeAll(sets.get(0));
    System.err.println("only strict " + a + "\nonly fast " + b);
  }

  @Test
  void aShellPipelineIsServedByTheShim() throws Exception {
    Files.writeString(dir.resolve("in.txt"), "x\n");
    TraceHarness.mode = TraceMode.FAST;
    try {
      Run run =
          TraceHarness.sh(
              dir, "cat in.txt; ls >/dev/null; test -r in.txt && stat in.txt >/dev/null");
      System.err.println(run);
      run.assertExitedWith(0);
      assertTrue(run.stats().records() > 0);
    } finally {
      TraceHarness.mode = TraceMode.STRICT;
    }
  }
}
