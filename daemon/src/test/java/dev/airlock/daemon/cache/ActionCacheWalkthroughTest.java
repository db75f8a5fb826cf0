package dev.airlock.daemon.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.store.StateDatabase;
import dev.airlock.sandbox.linux.trace.Access;
import dev.airlock.sandbox.linux.trace.AccessKind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the action runner uses the cache, from a first miss to a replayed hit; read it as a guide.
 */
class ActionCacheWalkthroughTest {
  @TempDir Path stateDir;
  @TempDir Path workspace;

  @Test
  void missRunRecordCommitThenHitAndReplay() throws Exception {
    Path in = Files.writeString(workspace.resolve("in.txt"), "hello");
    Path out = workspace.resolve("out.txt");

    // The daemon owns one of each; they close in reverse order of opening.
    try (StateDatabase db = StateDatabase.open(stateDir.resolve("db"))) {
      ContentStore cas = ContentStore.open(stateDir);
      PathStateReader reader =
          new PathStateReader(new StatCache(db, StatCache.DEFAULT_GRANULARITY));
      try (ActionCache cache = new LmdbActionCache(db, cas)) {

        // 1. Before running: fingerprint what the request says, and look up.
        WeakFingerprint weak =
            WeakFingerprint.builder()
                .argv(List.of("sh", "-c", "tr a-z A-Z < in.txt > out.txt"))
                .environment(Map.of("PATH", "/usr/bin:/bin"))
                .cwd(workspace.toString())
                .policy("the effective policy, serialized".getBytes(StandardCharsets.UTF_8))
                .platform(PlatformKey.current())
                .build();
        assertTrue(cache.lookup(weak, reader).isEmpty(), "never run: a miss");

        // 2. Miss: the action runs traced; these are the accesses the tracer reports.
        List<Access> accesses =
            List.of(
                new Access(AccessKind.READ, in.toString(), 0, 10),
                new Access(AccessKind.CREATE, out.toString(), 0, 10),
                new Access(AccessKind.WRITE, out.toString(), 0, 10));
        byte[] produced = "HELLO".getBytes(StandardCharsets.UTF_8);

        // 3. It succeeded: store outputs and stdio, read the inputs' states while the workspace
        //    still shows what the action saw (before the change set is applied), and record.
        assertTrue(PathSet.uncacheableReason(accesses).isEmpty());
        PathSet pathSet = PathSet.fromAccesses(accesses, PathSet.DEFAULT_IGNORED_ROOTS);
        List<PathState> seen = reader.readAll(pathSet.paths());
        CachedResult result =
            CachedResult.of(
                0,
                cas.put(new byte[0]),
                cas.put(new byte[0]),
                Map.of("out.txt", new Output.RegularFile(cas.put(produced), 0644)),
                "action-1",
                Instant.now());
        cache.record(weak, pathSet, seen, result);
        assertEquals(
            List.of(new ObservedPath(in.toString(), ObservationKind.CONTENT)), pathSet.paths());

        // 4. The commit engine applies the change set.
        Files.write(out, produced);

        // 5. The same request later, even after the output is gone: a hit, replayed from the CAS.
        Files.delete(out);
        CacheHit hit = cache.lookup(weak, reader).orElseThrow();
        for (Map.Entry<String, Output> o : hit.result().outputs().entrySet()) {
          if (o.getValue() instanceof Output.RegularFile file) {
            cas.materialize(file.digest(), workspace.resolve(o.getKey()), file.mode());
          }
        }
        assertEquals("HELLO", Files.readString(out));

        // 6. An input changes: a miss, and explain() says which path and how.
        Files.writeString(in, "world");
        assertTrue(cache.lookup(weak, reader).isEmpty());
        Explanation.Difference why =
            cache.explain(weak, reader).orElseThrow().firstDifference().orElseThrow();
        assertEquals(in.toString(), why.path().path());
        assertEquals(new PathState.FileContent(Digest.sha256(bytes("world"))), why.now());

        CacheStats stats = cache.stats();
        assertEquals(1, stats.hits());
        assertEquals(2, stats.misses());
        assertEquals(1, stats.entries());
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
