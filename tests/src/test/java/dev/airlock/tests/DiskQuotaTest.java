package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The disk quota of an action's copy-on-write layer, end to end: one file past {@code disk_bytes}
 * is stopped by the kernel (RLIMIT_FSIZE), many files past {@code disk_bytes} or {@code disk_files}
 * by the daemon's watcher, and a filesystem about to drop under {@code disk_reserve_bytes} free
 * likewise; each time the action ends as LIMIT_EXCEEDED (exit 124) naming the limit, the workspace
 * is as it was and the layer is removed. An action just under the quota commits.
 */
@Timeout(180)
class DiskQuotaTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();
  private final ReportedRuns runs = new ReportedRuns(daemon.fixture(), daemon.dir());

  private static final long MIB = 1 << 20;

  /** A build policy whose layer may hold {@code limits} (textproto fields). */
  private static Path policy(String name, String limits) throws IOException {
    return Files.writeString(
        daemon.dir().resolve(name + ".textproto"),
        "extends: \"build\"\nlimits { " + limits + " }\n");
  }

  /** A workspace holding one file, which every refused action must leave as it was. */
  private static Path workspace(String name) throws IOException {
    Path ws = Files.createDirectories(daemon.dir().resolve(name));
    Files.writeString(ws.resolve("keep.txt"), "as it was\n");
    return ws;
  }

  @Test
  void oneFileFarPastTheQuotaIsStoppedByTheKernel() throws Exception {
    Path ws = workspace("one-file");
    Path policy = policy("eight-mib", "disk_bytes: 8388608");

    // The shell goes on after head dies and exits 0: the action still must not commit.
    CliProcess.Result r =
        runs.run(
            ws,
            "one-file",
            "--policy",
            policy.toString(),
            "--timeout",
            "60s",
            "--",
            "sh",
            "-c",
            "echo small > small.txt; head -c 1G /dev/zero > big; echo after");

    assertEquals(124, r.status(), r::toString);
    assertEquals("after\n", r.stdout(), "the shell went on after head was stopped");
    assertTrue(
        r.stderr()
            .contains(
                "disk quota exceeded: 'head -c 1G /dev/zero' tried to write a file past disk_bytes"
                    + " (8.0 MiB), the most one action may write; nothing was committed"),
        r::toString);
    JsonObject report = report("one-file");
    assertEquals("limit_exceeded", report.get("outcome").getAsString());
    assertEquals("disk_bytes", report.get("limit").getAsString());
    assertEquals("discarded", report.getAsJsonObject("changes").get("outcome").getAsString());
    assertUnchangedAndLayerGone(ws);
  }

  @Test
  void manyFilesPastTheByteQuotaAreStoppedByTheWatcher() throws Exception {
    Path ws = workspace("many-bytes");
    Path policy = policy("sixteen-mib", "disk_bytes: 16777216");

    // Each file is under the quota, so the kernel never stops a write; it never ends by itself.
    CliProcess.Result r =
        runs.run(
            ws,
            "many-bytes",
            "--policy",
            policy.toString(),
            "--timeout",
            "60s",
            "--",
            "sh",
            "-c",
            "i=0; while :; do head -c 1M /dev/zero > f$i; i=$((i+1)); done");

    assertEquals(124, r.status(), r::toString);
    assertTrue(
        r.stderr().contains("disk quota exceeded: it wrote ")
            && r.stderr().contains(" to its copy-on-write layer, over disk_bytes (16.0 MiB)"),
        r::toString);
    assertFalse(r.stderr().contains("timed out"), r::toString);
    JsonObject report = report("many-bytes");
    assertEquals("disk_bytes", report.get("limit").getAsString());
    assertTrue(report.get("wall_time_ms").getAsLong() < 50_000, "stopped long before the timeout");
    assertUnchangedAndLayerGone(ws);
  }

  @Test
  void filesPastTheEntryQuotaAreStoppedByTheWatcher() throws Exception {
    Path ws = workspace("many-files");
    Path policy = policy("few-files", "disk_files: 3000");

    CliProcess.Result r =
        runs.run(
            ws,
            "many-files",
            "--policy",
            policy.toString(),
            "--timeout",
            "60s",
            "--",
            "sh",
            "-c",
            "i=0; while :; do mkdir d$i && (cd d$i && seq 1 500 | xargs touch); i=$((i+1)); done");

    assertEquals(124, r.status(), r::toString);
    assertTrue(
        r.stderr().contains("disk quota exceeded: it wrote ")
            && r.stderr().contains("over disk_files (3,000)"),
        r::toString);
    assertEquals("disk_files", report("many-files").get("limit").getAsString());
    assertUnchangedAndLayerGone(ws);
  }

  @Test
  void writingUnderTheFreeSpaceReserveIsStopped() throws Exception {
    Path ws = workspace("reserve");
    // The reserve: all but 256 MiB of what is free now (the quota, 2 GiB, only a backstop).
    long free = Files.getFileStore(daemon.stateDir()).getUsableSpace();
    Path policy =
        policy(
            "reserve",
            "disk_bytes: 2147483648 disk_reserve_bytes: " + Math.max(0, free - 256 * MIB));

    CliProcess.Result r =
        runs.run(
            ws,
            "reserve",
            "--policy",
            policy.toString(),
            "--timeout",
            "60s",
            "--",
            "sh",
            "-c",
            "i=0; while :; do head -c 4M /dev/zero > f$i; i=$((i+1)); done");

    assertEquals(124, r.status(), r::toString);
    assertTrue(
        r.stderr().contains("free, under disk_reserve_bytes (")
            && r.stderr().contains("), while the action wrote "),
        r::toString);
    assertEquals("disk_reserve_bytes", report("reserve").get("limit").getAsString());
    assertUnchangedAndLayerGone(ws);
  }

  @Test
  void anActionJustUnderTheQuotaCommits() throws Exception {
    Path ws = workspace("under");
    Path policy = policy("under", "disk_bytes: 8388608 disk_files: 100");

    // 7 MiB in one file plus 90 small ones: under both bounds, with their blocks and dirs.
    CliProcess.Result r =
        runs.run(
            ws,
            "under",
            "--policy",
            policy.toString(),
            "--",
            "sh",
            "-c",
            "head -c 7M /dev/zero > big && mkdir d && cd d && seq 1 90 | xargs touch");

    assertEquals(0, r.status(), r::toString);
    assertEquals(7 * MIB, Files.size(ws.resolve("big")));
    try (var files = Files.list(ws.resolve("d"))) {
      assertEquals(90, files.count());
    }
    JsonObject report = report("under");
    assertEquals("completed", report.get("outcome").getAsString());
    assertFalse(report.has("limit"));
    assertEquals("committed", report.getAsJsonObject("changes").get("outcome").getAsString());
  }

  private static JsonObject report(String name) throws IOException {
    return JsonParser.parseString(Files.readString(daemon.dir().resolve(name + ".json")))
        .getAsJsonObject();
  }

  private static void assertUnchangedAndLayerGone(Path ws) throws Exception {
    assertEquals(Set.of("keep.txt"), names(ws), "nothing reached the workspace");
    assertEquals("as it was\n", Files.readString(ws.resolve("keep.txt")));
    Procs.await(
        "the action's layer to be removed",
        Duration.ofSeconds(60),
        () -> {
          try (var left = Files.list(daemon.stateDir().resolve("overlays"))) {
            return left.findAny().isEmpty();
          } catch (IOException e) {
            return false;
          }
        });
  }

  private static Set<String> names(Path dir) throws IOException {
    Set<String> names = new TreeSet<>();
    try (var entries = Files.list(dir)) {
      entries.forEach(p -> names.add(p.getFileName().toString()));
    }
    return names;
  }
}
