package dev.airlock.daemon.determinism;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.cache.CachedResult;
import dev.airlock.daemon.cache.ContentStore;
import dev.airlock.daemon.cache.Digest;
import dev.airlock.daemon.cache.Output;
import dev.airlock.daemon.cache.PortablePaths;
import dev.airlock.daemon.determinism.EntryComparison.FreshOutput;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fresh run against what a cache entry recorded: the recorded run is the first. */
class EntryComparisonTest {
  private static final PortablePaths WS = new PortablePaths("/w");

  @TempDir Path stateDir;
  @TempDir Path fresh;
  private ContentStore cas;

  @BeforeEach
  void setUp() throws Exception {
    cas = ContentStore.open(stateDir);
  }

  @Test
  void theSameOutputsStreamsAndStatusAreConsistent() throws Exception {
    CachedResult recorded = recorded(Map.of("${workspace}/out", file("same\n", 0644)), 0);

    DeterminismCheck check =
        EntryComparison.compare(
            recorded,
            Map.of("${workspace}/out", fresh("out", "same\n", 0644)),
            bytes("ok\n"),
            new byte[0],
            0,
            cas,
            WS);

    assertTrue(check.deterministic(), check::toString);
  }

  @Test
  void eachDifferenceIsNamedAtItsAbsolutePath() throws Exception {
    CachedResult recorded =
        recorded(
            Map.of(
                "${workspace}/out", file("t=1\n", 0644),
                "${workspace}/run.sh", file("#!/bin/sh\n", 0755),
                "${workspace}/gone", new Output.Deleted()),
            0);

    List<String> described =
        EntryComparison.compare(
                recorded,
                Map.of(
                    "${workspace}/out", fresh("out", "t=2\n", 0644),
                    "${workspace}/run.sh", fresh("run.sh", "#!/bin/sh\n", 0644)),
                bytes("ok\n"),
                new byte[0],
                1,
                cas,
                WS)
            .differences()
            .stream()
            .map(Difference::describe)
            .toList();

    assertEquals(
        List.of(
            "/w/gone: the first run deleted it, the second left it alone",
            "/w/out differs at line 1 (\"t=1\" vs \"t=2\")",
            "/w/run.sh has mode 0755 vs 0644",
            "exit status differs (0 vs 1)"),
        described);
  }

  @Test
  void aDifferentStdoutIsComparedWithItsRecordedBlob() throws Exception {
    CachedResult recorded = recorded(Map.of(), 0);

    List<Difference> differences =
        EntryComparison.compare(recorded, Map.of(), bytes("ok\nlater\n"), new byte[0], 0, cas, WS)
            .differences();

    assertEquals(1, differences.size());
    assertEquals(
        "stdout differs at line 2 (end of file vs \"later\")", differences.get(0).describe());
  }

  private CachedResult recorded(Map<String, Output> outputs, int exitCode) throws Exception {
    return CachedResult.of(
        exitCode, cas.put(bytes("ok\n")), cas.put(new byte[0]), outputs, "a-1", Instant.now());
  }

  private Output file(String content, int mode) throws Exception {
    return new Output.RegularFile(cas.put(bytes(content)), mode);
  }

  private FreshOutput fresh(String name, String content, int mode) throws Exception {
    Path file = Files.writeString(fresh.resolve(name), content);
    return new FreshOutput(
        new Output.RegularFile(Digest.sha256(bytes(content)), mode), Optional.of(file));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
