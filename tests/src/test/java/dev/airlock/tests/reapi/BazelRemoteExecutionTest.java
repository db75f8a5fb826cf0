package dev.airlock.tests.reapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.tests.Outside;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Bazel (Debian's bazel-bootstrap) delegating every action to a real airlockd over REAPI:
 * {@code bazel test --remote_executor} builds and tests a workspace with every spawn executed by
 * Airlock, the outputs equal a local build's, a clean rebuild is served from Airlock's action
 * cache, a genrule reading past its inputs shows in its access record and one writing past its
 * outputs fails. Bazel runs with {@code --batch} under the test's own output root, so no server
 * lingers.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BazelRemoteExecutionTest {
  @TempDir static Path dir;
  static ReapiDaemon daemon;
  static Path bazel;
  static Path workspace;
  static Path outside;

  /** Bazel's summary: "24 processes: 13 remote cache hit, 11 internal." */
  private static final Pattern PROCESSES = Pattern.compile("INFO: (\\d+) processes?: ([^.]*)\\.");

  @BeforeAll
  static void start() throws Exception {
    bazel = BazelTool.bazel();
    daemon = ReapiDaemon.start(Files.createDirectories(dir.resolve("daemon")));
    outside = Outside.file("bazel-leak", "read past the declared inputs\n");
    workspace = dir.resolve("ws");
    BazelWorkspace.write(
        workspace,
        Map.of(
            "leaks/BUILD",
            """
            genrule(
                name = "reads_outside",
                outs = ["leak.txt"],
                cmd = "cat %s > $@",
                exec_properties = {"airlock-policy": "build"},
                tags = ["manual"],
            )

            genrule(
                name = "writes_outside",
                outs = ["w.txt"],
                cmd = "echo out > $@ && echo stray > stray-write.txt",
                tags = ["manual"],
            )
            """
                .formatted(outside)));
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  @Test
  @Order(1)
  void everyActionRunsInAirlockAndTheOutputsEqualALocalBuild() throws Exception {
    Run remote = bazel("remote", "test", remote(), "//...");
    assertEquals(0, remote.status, remote.output);
    assertTrue(remote.output.contains("2 tests pass"), remote.output);
    Map<String, Integer> kinds = remote.processes();
    assertTrue(kinds.getOrDefault("remote", 0) >= 10, remote.output);
    assertEquals(List.of("internal", "remote"), List.copyOf(kinds.keySet()), remote.output);
    // Each remote spawn is one action in the daemon's log.
    long executed =
        daemon.log().lines().filter(l -> l.contains("RemoteFrontEnd: reapi action")).count();
    assertTrue(executed >= kinds.get("remote"), daemon.log());

    Run local = bazel("local", "build", List.of(), "//...");
    assertEquals(0, local.status, local.output);
    assertFalse(local.processes().containsKey("remote"), local.output);
    Map<String, String> want = outputs("local");
    Map<String, String> got = outputs("remote");
    assertTrue(
        want.keySet().containsAll(List.of("hello", "libgreet.a", "out.txt", "gen.h")),
        want.toString());
    for (Map.Entry<String, String> e : want.entrySet()) {
      assertEquals(e.getValue(), got.get(e.getKey()), "bazel-bin/" + e.getKey());
    }
  }

  @Test
  @Order(2)
  void aCleanRebuildIsServedFromAirlocksActionCache() throws Exception {
    long before = daemon.log().lines().filter(l -> l.contains("accepted:")).count();
    Run clean = bazel("remote", "clean", List.of());
    assertEquals(0, clean.status, clean.output);
    Run again = bazel("remote", "test", remote(), "//...");
    assertEquals(0, again.status, again.output);
    Map<String, Integer> kinds = again.processes();
    String notCached =
        daemon
            .log()
            .lines()
            .filter(l -> l.contains("not cached"))
            .collect(Collectors.joining("\n"));
    assertTrue(
        kinds.getOrDefault("remote cache hit", 0) >= 10,
        again.output + "\nwhat the daemon did not cache:\n" + notCached);
    assertEquals(
        List.of("internal", "remote cache hit"), List.copyOf(kinds.keySet()), again.output);
    long after = daemon.log().lines().filter(l -> l.contains("accepted:")).count();
    assertEquals(before, after, "the daemon ran actions for a cached rebuild:\n" + daemon.log());
  }

  @Test
  @Order(3)
  void aGenruleReadingPastItsInputsIsInItsAccessRecord() throws Exception {
    Run run = bazel("remote", "build", remote(), "//leaks:reads_outside");
    assertEquals(0, run.status, run.output);
    // The daemon's line for that action: the airlock action id ties the argv to the summary.
    String log = daemon.log();
    Matcher accepted =
        Pattern.compile("action (\\S+) accepted: .*cat " + Pattern.quote(outside.toString()))
            .matcher(log);
    assertTrue(accepted.find(), log);
    String id = accepted.group(1);
    String summary =
        log.lines()
            .filter(l -> l.contains("(airlock action " + id + ","))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no access summary for " + id + ":\n" + log));
    assertTrue(summary.contains("policy build"), summary);
    assertTrue(summary.contains("reads outside the input root: " + outside), summary);
  }

  @Test
  @Order(4)
  void aGenruleWritingPastItsOutputsFails() throws Exception {
    Run run = bazel("remote", "build", remote(), "//leaks:writes_outside");
    assertNotEquals(0, run.status, run.output);
    assertTrue(run.output.contains("stray-write.txt"), run.output);
    assertTrue(run.output.contains("denied"), run.output);
  }

  private static List<String> remote() {
    return List.of(
        "--remote_executor=grpc://127.0.0.1:" + daemon.port(),
        // No local fallback: a spawn Airlock does not run fails the build.
        "--spawn_strategy=remote",
        "--remote_local_fallback=false");
  }

  /** sha256 of every regular file under bazel-bin of that output base (runfiles trees aside). */
  private static Map<String, String> outputs(String base) throws Exception {
    Path out = dir.resolve("bazel/" + base + "/execroot/bazeltest/bazel-out");
    Path bin;
    try (Stream<Path> configs = Files.list(out)) {
      bin =
          configs
              .map(c -> c.resolve("bin"))
              .filter(b -> Files.isDirectory(b.resolve("_objs")))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no bazel-bin under " + out));
    }
    Map<String, String> sums = new TreeMap<>();
    try (Stream<Path> files = Files.walk(bin)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = bin.relativize(f).toString();
        if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)
            && !name.contains(".runfiles")
            && !name.endsWith(".params")
            && !name.endsWith("_manifest")) {
          sums.put(
              name,
              HexFormat.of()
                  .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f))));
        }
      }
    }
    return sums;
  }

  private record Run(int status, String output) {
    /** The process kinds of Bazel's last summary line, with their counts, sorted by kind. */
    Map<String, Integer> processes() {
      Matcher m = PROCESSES.matcher(output);
      String last = null;
      while (m.find()) {
        last = m.group(2);
      }
      assertTrue(last != null, "no process summary:\n" + output);
      Map<String, Integer> kinds = new TreeMap<>();
      for (String part : last.split(", ")) {
        int space = part.indexOf(' ');
        kinds.put(part.substring(space + 1), Integer.parseInt(part.substring(0, space)));
      }
      return kinds;
    }
  }

  /** One Bazel command in batch mode, with its own output base, output captured. */
  private static Run bazel(String base, String command, List<String> flags, String... targets)
      throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>();
    argv.add(bazel.toString());
    argv.add("--batch");
    argv.add("--output_user_root=" + dir.resolve("bazel-root"));
    argv.add("--output_base=" + dir.resolve("bazel/" + base));
    argv.add(command);
    if (!command.equals("clean")) {
      // No convenience symlinks: they would point into one output base while another builds.
      argv.add("--symlink_prefix=/");
      argv.add("--color=no");
      argv.add("--curses=no");
    }
    argv.addAll(flags);
    argv.addAll(List.of(targets));
    Path log = dir.resolve("bazel-" + base + "-" + command + ".log");
    Process p =
        new ProcessBuilder(argv)
            .directory(workspace.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(new File("/dev/null"))
            .start();
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError(
          String.join(" ", argv) + " did not finish in 3 minutes:\n" + Files.readString(log));
    }
    return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }
}
