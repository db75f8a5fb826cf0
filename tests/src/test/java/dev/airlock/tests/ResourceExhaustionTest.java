package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Inputs at the edge of what Linux allows: file names with newlines, quotes, control bytes and
 * bytes that are not UTF-8; paths of 255-byte names close to PATH_MAX, very deep trees, and names
 * and paths past the limits; an action that never reads its stdin, and one that never stops writing
 * its stdout. Each ends cleanly, with a valid report, and the daemon keeps answering.
 */
@Timeout(180)
class ResourceExhaustionTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();
  private final ReportedRuns runs = new ReportedRuns(daemon.fixture(), daemon.dir());

  private static final int NAME_MAX = 255;
  private static final int PATH_MAX = 4096;

  @Test
  void namesWithNewlinesQuotesControlBytesAndInvalidUtf8KeepTheReportValidJson() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("odd-names"));
    // printf escapes: newline, quote, backslash, ESC, SOH, tab, and bytes that are not UTF-8.
    List<String> printfNames =
        List.of("new\\nline", "q\\042b\\134s", "esc\\033[31m", "\\001ctl\\tx", "bad\\377\\376");
    StringBuilder script = new StringBuilder();
    for (String name : printfNames) {
      script.append("n=\"$(printf '").append(name).append("_')\"; echo x > \"${n%_}\"; ");
    }
    script.append("n=\"$(printf 'new\\nline_')\"; cat \"${n%_}\" \"$(printf 'bad\\377\\376')\"");

    CliProcess.Result r = runs.run(ws, "odd", "--", "sh", "-c", script.toString());

    assertEquals(0, r.status(), r::toString);
    Set<String> expected =
        new TreeSet<>(
            List.of(
                "new\nline",
                "q\"b\\s",
                "esc\u001b[31m",
                "\u0001ctl\tx",
                PathBytes.decode(new byte[] {'b', 'a', 'd', (byte) 0xff, (byte) 0xfe})));
    assertEquals(expected, names(ws), "the workspace has the exact names");
    JsonObject report = strictJson(Files.readString(daemon.dir().resolve("odd.json")));
    Set<String> committed = new TreeSet<>();
    for (JsonElement file : report.getAsJsonObject("changes").getAsJsonArray("files")) {
      String path = file.getAsJsonObject().get("path").getAsString();
      committed.add(path.substring(ws.toString().length() + 1));
    }
    assertEquals(expected, committed, "the report's paths round-trip to the names' bytes");
    Set<String> read = new TreeSet<>();
    for (JsonElement access : report.getAsJsonArray("accesses")) {
      JsonObject a = access.getAsJsonObject();
      if (a.get("kind").getAsString().equals("read")) {
        read.add(a.get("path").getAsString());
      }
    }
    assertEquals("x\nx\n", r.stdout(), r::toString);
    assertTrue(
        read.contains(PathBytes.of(PathBytes.resolve(ws, "bad\uDCFF\uDCFE"))),
        "the access record has the read of the non-UTF-8 name: " + read);
    assertTrue(read.contains(ws + "/new\nline"), "and of the name with a newline: " + read);
  }

  @Test
  void pathsOf255ByteNamesCloseToPathMaxAreTracedCommittedAndReported() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("long"));
    String name = "n".repeat(NAME_MAX - 3);
    // Components of 255 bytes (the last one's final 3 bytes tell them apart) while the absolute
    // path of the file below them stays under PATH_MAX with its NUL.
    List<String> parts = new ArrayList<>();
    int length = ws.toString().length();
    for (int i = 0; length + 1 + NAME_MAX + 1 + NAME_MAX < PATH_MAX; i++) {
      parts.add(name + String.format("%03d", i));
      length += 1 + NAME_MAX;
    }
    String dir = String.join("/", parts);
    String file = "f".repeat(NAME_MAX);
    String relative = dir + "/" + file;
    int absolute = ws.toString().length() + 1 + relative.length();
    assertTrue(absolute < PATH_MAX && absolute > PATH_MAX - 2 * NAME_MAX, "" + absolute);

    CliProcess.Result r =
        runs.run(
            ws,
            "long",
            "--",
            "sh",
            "-c",
            "mkdir -p \"$1\" && echo deep > \"$1/$2\" && cat \"$1/$2\"",
            "sh",
            dir,
            file);

    assertEquals(0, r.status(), r::toString);
    assertEquals("deep\n", r.stdout());
    assertEquals("deep\n", Files.readString(ws.resolve(relative)));
    JsonObject report = strictJson(Files.readString(daemon.dir().resolve("long.json")));
    assertEquals("committed", report.getAsJsonObject("changes").get("outcome").getAsString());
    Set<String> reported = new TreeSet<>();
    for (JsonElement f : report.getAsJsonObject("changes").getAsJsonArray("files")) {
      reported.add(f.getAsJsonObject().get("path").getAsString());
    }
    assertTrue(reported.contains(ws + "/" + relative), "the file is reported: " + reported);
    assertTrue(
        accessPaths(report, "create").contains(ws + "/" + relative),
        "the tracer recorded the create under the full path");
  }

  @Test
  void aNameOver255BytesFailsInTheActionAndNothingElse() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("too-long-name"));

    CliProcess.Result r =
        runs.run(
            ws,
            "too-long-name",
            "--",
            "sh",
            "-c",
            "touch \"$1\" 2>/dev/null && exit 10; echo ok > ok.txt",
            "sh",
            "x".repeat(NAME_MAX + 1));

    assertEquals(0, r.status(), r::toString);
    assertEquals(Set.of("ok.txt"), names(ws));
    JsonObject report = strictJson(Files.readString(daemon.dir().resolve("too-long-name.json")));
    assertEquals("committed", report.getAsJsonObject("changes").get("outcome").getAsString());
  }

  @Test
  void aTreeBeyondPathMaxIsRefusedCleanlyAndTheWorkspaceIsUnchanged() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("beyond"));
    // mkdir -p walks down with relative names, so the kernel lets it nest past PATH_MAX.
    String dir = "d/".repeat(PATH_MAX / 2 + 50) + "d";

    CliProcess.Result r =
        runs.run(ws, "beyond", "--", "sh", "-c", "mkdir -p \"$1\" && echo made", "sh", dir);

    JsonObject report = strictJson(Files.readString(daemon.dir().resolve("beyond.json")));
    assertEquals("made\n", r.stdout(), r::toString);
    assertEquals(125, r.status(), r::toString);
    String why = "it created a path longer than PATH_MAX (4096 bytes), which cannot be committed";
    assertTrue(r.stderr().contains(why), r::toString);
    JsonObject changes = report.getAsJsonObject("changes");
    assertEquals("commit_failed", changes.get("outcome").getAsString());
    assertEquals(why, changes.get("reason").getAsString());
    assertEquals(Set.of(), names(ws), "nothing of the tree reached the workspace");
    assertEquals(0, daemon.runCli(Duration.ofSeconds(30), "status").status(), "the daemon answers");
    Procs.await(
        "the action's overlay dir to be removed",
        Duration.ofSeconds(30),
        () -> {
          try (var left = Files.list(daemon.stateDir().resolve("overlays"))) {
            return left.findAny().isEmpty();
          } catch (IOException e) {
            return false;
          }
        });
  }

  @Test
  void aVeryDeepTreeIsCommittedAndReported() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("deep"));
    int depth = 1500;
    String dir = "d/".repeat(depth - 1) + "d";

    CliProcess.Result r =
        runs.run(
            ws, "deep", "--", "sh", "-c", "mkdir -p \"$1\" && echo bottom > \"$1/f\"", "sh", dir);

    assertEquals(0, r.status(), r::toString);
    assertEquals("bottom\n", Files.readString(ws.resolve(dir + "/f")));
    JsonObject report = strictJson(Files.readString(daemon.dir().resolve("deep.json")));
    assertEquals("committed", report.getAsJsonObject("changes").get("outcome").getAsString());
    assertEquals(
        depth + 1,
        report.getAsJsonObject("changes").getAsJsonArray("files").size(),
        "every directory and the file");
  }

  @Test
  void anActionThatNeverReadsItsStdinEndsCleanly() throws Exception {
    byte[] input = new byte[8 << 20]; // far more than a pipe holds (64 KiB)
    Arrays.fill(input, (byte) 'i');

    CliProcess.Result sleeper =
        daemon
            .cli(input, "run", "--stdin", "--", "sh", "-c", "sleep 1; echo done")
            .await(Duration.ofSeconds(60));
    CliProcess.Result exits =
        daemon.cli(input, "run", "--stdin", "--", "true").await(Duration.ofSeconds(60));
    CliProcess.Result partial =
        daemon.cli(input, "run", "--stdin", "--", "head", "-c", "5").await(Duration.ofSeconds(60));

    assertEquals(0, sleeper.status(), sleeper::toString);
    assertEquals("done\n", sleeper.stdout());
    assertEquals(0, exits.status(), exits::toString);
    assertEquals(0, partial.status(), partial::toString);
    assertEquals("iiiii", partial.stdout());
    assertEquals(0, daemon.runCli(Duration.ofSeconds(30), "status").status(), "the daemon answers");
  }

  @Test
  void anActionThatNeverStopsWritingIsKilledByItsTimeoutWithTheDaemonResponsive() throws Exception {
    long rssBefore = Procs.rssBytes(daemon.pid());
    String airlock =
        DaemonFixture.AIRLOCK
            + " --socket "
            + daemon.socket()
            + " --state-dir "
            + daemon.stateDir();
    // The client's stdout is a pipe nobody reads for 8 s: the daemon must hold the action back,
    // not buffer what it writes. Then the reader drains and counts.
    String script =
        airlock
            + " run --timeout 4s -- yes | { sleep 8; wc -c; };"
            + " echo \"airlock exited ${PIPESTATUS[0]}\" >&2";
    CliProcess flood =
        CliProcess.start(
            List.of("bash", "-c", script), DaemonFixture.cliEnvironment(), daemon.dir(), null);
    AtomicLong peak = new AtomicLong(rssBefore);
    long start = System.nanoTime();
    while (flood.isAlive() && System.nanoTime() - start < Duration.ofSeconds(6).toNanos()) {
      peak.accumulateAndGet(Procs.rssBytes(daemon.pid()), Math::max);
      long asked = System.nanoTime();
      daemon.client().status();
      assertTrue(
          System.nanoTime() - asked < Duration.ofSeconds(2).toNanos(),
          "a status request took more than 2 s during the flood");
      Thread.sleep(200);
    }
    CliProcess.Result r = flood.await(Duration.ofSeconds(60));

    assertTrue(r.stderr().endsWith("airlock exited 124\n"), r::toString);
    long drained = Long.parseLong(r.stdout().trim());
    assertTrue(drained > 0, r::toString);
    long growth = peak.get() - rssBefore;
    assertTrue(
        growth < 256L << 20,
        "the daemon's RSS grew by " + (growth >> 20) + " MiB while the client did not read");
    // And read as fast as it comes: the timeout still ends it.
    CliProcess.Result fast =
        CliProcess.start(
                List.of("bash", "-c", airlock + " run --timeout 2s -- yes > /dev/null"),
                DaemonFixture.cliEnvironment(),
                daemon.dir(),
                null)
            .await(Duration.ofSeconds(60));
    assertEquals(124, fast.status(), fast::toString);
    assertEquals(0, daemon.runCli(Duration.ofSeconds(30), "status").status(), "the daemon answers");
  }

  private static JsonObject strictJson(String text) throws IOException {
    JsonReader reader = new JsonReader(new StringReader(text));
    reader.setStrictness(Strictness.STRICT);
    return JsonParser.parseReader(reader).getAsJsonObject();
  }

  private static Set<String> accessPaths(JsonObject report, String kind) {
    Set<String> paths = new TreeSet<>();
    for (JsonElement access : report.getAsJsonArray("accesses")) {
      JsonObject a = access.getAsJsonObject();
      if (a.get("kind").getAsString().equals(kind)) {
        paths.add(a.get("path").getAsString());
      }
    }
    return paths;
  }

  private static Set<String> names(Path dir) throws IOException {
    Set<String> names = new TreeSet<>();
    try (var entries = Files.list(dir)) {
      entries.forEach(p -> names.add(PathBytes.of(p.getFileName())));
    }
    return names;
  }
}
