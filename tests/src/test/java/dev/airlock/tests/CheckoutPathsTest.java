package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cache keys name the workspace's paths relative to it: two checkouts of one project at different
 * places share entries, absolute paths in the command line included, and a replay writes the
 * outputs (and symlinks into the workspace) where this checkout has them.
 */
@Timeout(120)
class CheckoutPathsTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  private static Path checkout(String where) throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve(where));
    Files.writeString(ws.resolve("x.c"), "int f(void) { return 2; }\n");
    return ws;
  }

  /** gcc with absolute paths into the checkout, and a link to the object by absolute path. */
  private static List<String> build(Path ws) {
    return List.of(
        "sh",
        "-c",
        "gcc -c " + ws + "/x.c -o " + ws + "/x.o && ln -sf " + ws + "/x.o " + ws + "/latest");
  }

  @Test
  void aSecondCheckoutElsewhereHitsAndGetsItsOwnPaths() throws Exception {
    Path first = checkout("home/a/src/p");
    Path second = checkout("build/ws-17");

    CachedRun.launch(daemon.fixture(), first, List.of(), build(first))
        .await()
        .assertExit(0)
        .assertRecorded();
    CachedRun hit =
        CachedRun.launch(daemon.fixture(), second, List.of(), build(second)).await().assertExit(0);
    hit.assertHit();

    assertArrayEquals(
        Files.readAllBytes(first.resolve("x.o")), Files.readAllBytes(second.resolve("x.o")));
    assertEquals(second.resolve("x.o"), Files.readSymbolicLink(second.resolve("latest")));
  }

  @Test
  void aWorkspaceWhoseNameOnlyStartsTheSameIsNotConfused() throws Exception {
    Path ws = checkout("prefix/p");
    Path sibling = checkout("prefix/p2");
    List<String> readSibling = List.of("cat", sibling + "/x.c");
    CachedRun.launch(daemon.fixture(), ws, List.of(), readSibling)
        .await()
        .assertExit(0)
        .assertRecorded();
    Files.writeString(sibling.resolve("x.c"), "changed\n");
    CachedRun again =
        CachedRun.launch(daemon.fixture(), ws, List.of(), readSibling).await().assertExit(0);
    assertFalse("hit".equals(again.status()), "p2/x.c is outside the workspace p: " + again);
    assertEquals("changed\n", again.cli().stdout());
  }
}
