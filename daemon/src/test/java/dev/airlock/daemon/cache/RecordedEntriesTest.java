package dev.airlock.daemon.cache;

import static dev.airlock.daemon.cache.CacheFixture.access;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.request.ActionRequest;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.PathBytes;
import dev.airlock.sandbox.linux.trace.Access;
import dev.airlock.sandbox.linux.trace.AccessKind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code cache verify} reads from the cache: every entry with the request that recorded it and
 * its determinism verdict, and whether a lookup would still find it.
 */
class RecordedEntriesTest {
  @TempDir Path stateDir;
  @TempDir Path work;
  private CacheFixture f;
  private final WeakFingerprint weak = CacheFixture.weak("cc", "-c", "main.c");
  private Path src;

  @BeforeEach
  void setUp() throws Exception {
    f = new CacheFixture(stateDir, StatCache.DEFAULT_GRANULARITY);
    src = Files.writeString(work.resolve("main.c"), "int main(){}\n");
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  @Test
  void anEntryKeepsItsRequestAndVerdictAcrossAReopenAndAHitReportsThem() throws Exception {
    ActionRequest request =
        ActionRequest.from(
            ExecuteRequest.newBuilder()
                .addAllArgv(PathBytes.toWire(List.of("cc", "-c", "main.c")))
                .putEnv("PATH", PathBytes.toWire("/usr/bin"))
                .setCwd(PathBytes.toWire(work.toString()))
                .setTimeoutMs(5000)
                .addDeclaredOutputs(PathBytes.toWire("main.o"))
                .setPolicyName("build")
                .setNetworkCacheable(true)
                .build());
    Determinism verdict = Determinism.nondeterministic(List.of("${workspace}/main.o", "stdout"));
    CachedResult result = record(verdict, request);

    f.reopen();

    List<RecordedEntry> entries = f.cache.entries();
    assertEquals(1, entries.size());
    assertEquals(result, entries.get(0).result());
    assertEquals(request, entries.get(0).result().request().orElseThrow());
    assertEquals(verdict, f.cache.lookup(weak, f.reader).orElseThrow().result().determinism());
  }

  @Test
  void anEntryIsCurrentUntilAPathItReadChangesOrTheRequestDiffers() throws Exception {
    record(Determinism.UNCHECKED, null);
    RecordedEntry entry = f.cache.entries().get(0);

    assertTrue(f.cache.current(entry, weak, f.reader));
    assertFalse(f.cache.current(entry, CacheFixture.weak("cc", "-O2", "main.c"), f.reader));

    Files.writeString(src, "int main(){return 1;}\n");
    assertFalse(f.cache.current(entry, weak, f.reader));
  }

  private CachedResult record(Determinism verdict, ActionRequest request) throws Exception {
    List<Access> accesses = List.of(access(AccessKind.READ, src));
    PathSet set = PathSet.fromAccesses(accesses, PathSet.DEFAULT_IGNORED_ROOTS);
    CachedResult result =
        CachedResult.of(
                0,
                f.cas.put("ok".getBytes(StandardCharsets.UTF_8)),
                f.cas.put(new byte[0]),
                Map.of(),
                "a-1",
                Instant.now())
            .withDeterminism(verdict);
    if (request != null) {
      result = result.withRequest(request);
    }
    f.cache.record(weak, set, f.reader.readAll(set.paths()), result);
    return result;
  }
}
