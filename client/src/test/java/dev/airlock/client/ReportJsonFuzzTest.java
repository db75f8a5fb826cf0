package dev.airlock.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.protobuf.ByteString;
import dev.airlock.fuzz.Fuzz;
import dev.airlock.fuzz.Gen;
import dev.airlock.protocol.Access;
import dev.airlock.protocol.AccessKind;
import dev.airlock.protocol.AccessReport;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CacheReport;
import dev.airlock.protocol.ChangeReport;
import dev.airlock.protocol.FileChange;
import dev.airlock.protocol.FileChangeKind;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.ProcessInfo;
import dev.airlock.protocol.Violation;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes {@link ReportJson} with random results whose paths are arbitrary bytes (newlines, quotes,
 * control bytes, invalid UTF-8): the report parses as strict JSON, every path in it encodes back to
 * its bytes through {@link PathBytes}, and every number reads back as the value it reports.
 */
class ReportJsonFuzzTest {
  @Test
  void aReportParsesAsJsonAndItsPathsAndNumbersRoundTrip() {
    Fuzz.forAll(
        2000,
        r -> {
          List<byte[]> argv = list(r, 3);
          byte[] cwd = path(r);
          AccessReport.Builder report = AccessReport.newBuilder().setTraced(r.nextBoolean());
          List<byte[]> accessPaths = list(r, 5);
          for (byte[] p : accessPaths) {
            report.addAccesses(
                Access.newBuilder()
                    .setKind(AccessKind.READ)
                    .setPath(ByteString.copyFrom(p))
                    .setErrno(r.nextInt(200))
                    .setPid(r.nextLong()));
          }
          List<byte[]> violationPaths = list(r, 3);
          for (byte[] p : violationPaths) {
            report.addViolations(
                Violation.newBuilder().setKind(AccessKind.WRITE).setPath(ByteString.copyFrom(p)));
          }
          List<byte[]> processArgv = list(r, 3);
          report.addProcesses(
              ProcessInfo.newBuilder()
                  .setPid(r.nextInt())
                  .addAllArgv(processArgv.stream().map(ByteString::copyFrom).toList()));
          int count = r.nextInt();
          report.putCounts(
              new String(Gen.bytes(r, 10), java.nio.charset.StandardCharsets.UTF_8), count);
          List<byte[]> changed = list(r, 4);
          long size = r.nextLong();
          ChangeReport.Builder changes = ChangeReport.newBuilder().setKeptAt(wire(path(r)));
          for (byte[] p : changed) {
            changes.addChanges(
                FileChange.newBuilder()
                    .setKind(FileChangeKind.CREATED)
                    .setPath(ByteString.copyFrom(p))
                    .setSize(size)
                    .setMode(r.nextInt(010000))
                    .setLinkTarget(wire(path(r))));
          }
          ActionResult result =
              ActionResult.newBuilder()
                  .setOutcome(Outcome.COMPLETED)
                  .setExitCode(r.nextInt(256))
                  .setWallTimeUs(r.nextLong())
                  .setAccessReport(report)
                  .setChanges(changes)
                  .setCache(
                      CacheReport.newBuilder()
                          .setReason(PathBytes.decode(Gen.bytes(r, 40)))
                          .setPathSetSize(r.nextInt()))
                  .build();

          String json =
              ReportJson.format(
                  PathBytes.decode(Gen.bytes(r, 10)),
                  decode(argv),
                  PathBytes.decode(cwd),
                  PathBytes.decode(cwd),
                  result);

          JsonReader reader = new JsonReader(new StringReader(json));
          reader.setStrictness(Strictness.STRICT);
          JsonObject doc = JsonParser.parseReader(reader).getAsJsonObject();
          assertPaths(argv, doc.getAsJsonArray("argv"), null);
          assertEquals(PathBytes.decode(cwd), doc.get("cwd").getAsString());
          assertPaths(accessPaths, doc.getAsJsonArray("accesses"), "path");
          assertPaths(violationPaths, doc.getAsJsonArray("violations"), "path");
          JsonObject process = doc.getAsJsonArray("processes").get(0).getAsJsonObject();
          assertPaths(processArgv, process.getAsJsonArray("argv"), null);
          JsonObject files = doc.getAsJsonObject("changes");
          assertPaths(changed, files.getAsJsonArray("files"), "path");
          for (JsonElement file : files.getAsJsonArray("files")) {
            assertEquals(
                Long.toUnsignedString(size),
                file.getAsJsonObject().get("size").getAsBigInteger().toString(),
                "size");
          }
          JsonElement counted =
              doc.getAsJsonObject("counts").entrySet().iterator().next().getValue();
          assertEquals(
              Integer.toUnsignedString(count), counted.getAsBigInteger().toString(), "count");
        });
  }

  /** Found by the fuzzer: unsigned protocol counters printed as Java's signed values. */
  @Test
  void unsignedCountersPrintUnsigned() {
    ActionResult result =
        ActionResult.newBuilder()
            .setWallTimeUs(-1L)
            .setAccessReport(AccessReport.newBuilder().putCounts("read", -1))
            .setChanges(
                ChangeReport.newBuilder()
                    .addChanges(
                        FileChange.newBuilder()
                            .setKind(FileChangeKind.CREATED)
                            .setPath(PathBytes.toWire("big"))
                            .setSize(-2L)))
            .build();
    JsonObject doc =
        JsonParser.parseString(ReportJson.format("a-1", List.of("x"), "/w", "/w", result))
            .getAsJsonObject();
    assertEquals(
        "18446744073709551.615", doc.get("wall_time_ms").getAsBigDecimal().toPlainString());
    assertEquals("4294967295", doc.getAsJsonObject("counts").get("read").getAsString());
    assertEquals(
        "18446744073709551614",
        doc.getAsJsonObject("changes")
            .getAsJsonArray("files")
            .get(0)
            .getAsJsonObject()
            .get("size")
            .getAsString());
    assertEquals(
        "0.000",
        ReportJson.format("a", List.of(), "/", "/", ActionResult.getDefaultInstance())
            .lines()
            .filter(l -> l.contains("wall_time_ms"))
            .findFirst()
            .orElseThrow()
            .replaceAll(".*: ([0-9.]+),?", "$1"));
  }

  private static void assertPaths(List<byte[]> expected, JsonArray actual, String field) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      JsonElement e = actual.get(i);
      String s = field == null ? e.getAsString() : e.getAsJsonObject().get(field).getAsString();
      assertEquals(
          PathBytes.display(PathBytes.decode(expected.get(i))),
          PathBytes.display(s),
          "a path did not round-trip");
      assertEquals(ByteString.copyFrom(expected.get(i)), ByteString.copyFrom(PathBytes.encode(s)));
    }
  }

  private static byte[] path(Random r) {
    return Gen.bytes(r, 60);
  }

  private static List<byte[]> list(Random r, int max) {
    List<byte[]> out = new ArrayList<>();
    for (int i = r.nextInt(max + 1); i > 0; i--) {
      out.add(path(r));
    }
    return out;
  }

  private static List<String> decode(List<byte[]> values) {
    return values.stream().map(PathBytes::decode).toList();
  }

  private static ByteString wire(byte[] bytes) {
    return ByteString.copyFrom(bytes);
  }
}
