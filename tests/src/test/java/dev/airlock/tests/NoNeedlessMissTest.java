package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An action replayed over its own outputs hits again: a declared output's prior state, and the
 * prior existence of a path the action only probed before replacing it, are not inputs; what it
 * read before writing stays one.
 */
@Timeout(120)
class NoNeedlessMissTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  private static final List<String> COMPILE = List.of("gcc", "-c", "x.c", "-o", "x.o");

  /** Sources of one test: the name in a comment keeps identical workspaces from sharing entries. */
  private static Path sources(String name) throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve(name));
    Files.writeString(ws.resolve("x.c"), "/* " + name + " */\nint f(void) { return 1; }\n");
    return ws;
  }

  @Test
  void aCompileHitsAgainOverItsOwnOutputAndAfterATouch() throws Exception {
    Path ws = sources("undeclared");
    CachedRun.launch(daemon.fixture(), ws, List.of(), COMPILE)
        .await()
        .assertExit(0)
        .assertRecorded();
    byte[] object = Files.readAllBytes(ws.resolve("x.o"));

    // x.o now exists, where the first run found nothing: gcc only stats it before replacing it.
    CachedRun again =
        CachedRun.launch(daemon.fixture(), ws, List.of(), COMPILE).await().assertExit(0);
    again.assertHit();
    assertTrue(again.report().contains("\"path_set_size\": "), again::toString);

    Files.setLastModifiedTime(ws.resolve("x.c"), FileTime.from(Instant.now().plusSeconds(5)));
    CachedRun.launch(daemon.fixture(), ws, List.of(), COMPILE).await().assertExit(0).assertHit();
    assertEquals(object.length, Files.readAllBytes(ws.resolve("x.o")).length);
  }

  @Test
  void aDeclaredOutputsPriorStateIsNoInput() throws Exception {
    Path ws = sources("declared");
    List<String> options = List.of("--outputs", "x.o");
    CachedRun.launch(daemon.fixture(), ws, options, COMPILE).await().assertExit(0).assertRecorded();
    Files.writeString(ws.resolve("x.o"), "garbage\n");
    CachedRun.launch(daemon.fixture(), ws, options, COMPILE).await().assertExit(0).assertHit();
    assertTrue(
        Files.readString(ws.resolve("x.o"), java.nio.charset.StandardCharsets.ISO_8859_1)
            .startsWith("\u007fELF"),
        "the replay restored the object");
  }

  @Test
  void aPathReadBeforeItIsRewrittenStaysAnInput() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("sed"));
    Files.writeString(ws.resolve("count"), "1\n");
    List<String> bump = List.of("sh", "-c", "n=$(cat count); echo $((n + 1)) > count");
    CachedRun first = CachedRun.launch(daemon.fixture(), ws, List.of(), bump).await().assertExit(0);
    assertEquals("2\n", Files.readString(ws.resolve("count")));
    // Its input changed under it (it rewrote what it read): it is not cached, and it runs again.
    assertTrue(!"hit".equals(first.status()), first::toString);
    CachedRun second =
        CachedRun.launch(daemon.fixture(), ws, List.of(), bump).await().assertExit(0);
    assertTrue(!"hit".equals(second.status()), second::toString);
    assertEquals("3\n", Files.readString(ws.resolve("count")));
  }

  @Test
  void explainOnAHitNamesTheRecordedAction() throws Exception {
    Path ws = sources("explain");
    CachedRun recorded =
        CachedRun.launch(daemon.fixture(), ws, List.of(), COMPILE)
            .await()
            .assertExit(0)
            .assertRecorded();
    String[] explain = {"cache", "explain", "--no-start", "--cwd", ws.toString(), "--"};
    List<String> all = new java.util.ArrayList<>(List.of(explain));
    all.addAll(COMPILE);
    CliProcess.Result r = daemon.runCli(Duration.ofSeconds(60), all.toArray(String[]::new));
    assertEquals(0, r.status(), r::toString);
    assertTrue(r.stdout().contains("it would be replayed from action "), r::toString);
    assertTrue(recorded.report().contains("\"status\": \"stored\""), recorded::toString);
  }
}
