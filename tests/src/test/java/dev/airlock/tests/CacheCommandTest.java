package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code ./airlock cache}: what explain and gc tell a person. */
@Timeout(90)
class CacheCommandTest {
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  @Test
  void explainSaysInWordsWhatAChangedInputWasAndIsAndExits1() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("explain"));
    Files.writeString(ws.resolve("in.txt"), "one\n");
    String[] command = {"--cwd", ws.toString(), "--", "cat", "in.txt"};
    CliProcess.Result run = daemon.runCli(CLIENT_TIMEOUT, concat("run", command));
    assertEquals(0, run.status(), run::toString);
    Files.writeString(ws.resolve("in.txt"), "two\n");

    CliProcess.Result miss = daemon.runCli(CLIENT_TIMEOUT, concat("cache", "explain", command));

    assertEquals(1, miss.status(), miss::toString);
    assertTrue(
        Pattern.compile(
                "miss: nearest of 1 recorded path set: \\d+ of \\d+ paths match; first difference: "
                    + Pattern.quote(ws.resolve("in.txt").toString())
                    + " \\(its content was read\\) was a file with content sha256:[0-9a-f]{12}\\.\\.\\.,"
                    + " is now a file with content sha256:[0-9a-f]{12}\\.\\.\\.\n")
            .matcher(miss.stdout())
            .matches(),
        miss::toString);
    assertFalse(miss.stdout().contains("FileContent["), miss::toString);
  }

  @Test
  void gcSaysHowRecentBlobsAreKept() throws Exception {
    CliProcess.Result gc = daemon.runCli(CLIENT_TIMEOUT, "cache", "gc", "--max-size", "10G");

    assertEquals(0, gc.status(), gc::toString);
    assertTrue(
        gc.stdout()
            .contains(
                "kept: blobs stored in the last 15 minutes, even those no entry needs (an action"
                    + " may still be recording them)\n"),
        gc::toString);
  }

  @Test
  void gcRefusesANegativeSizeAndRemovesNothing() throws Exception {
    CliProcess.Result gc = daemon.runCli(CLIENT_TIMEOUT, "cache", "gc", "--max-size", "-5");

    assertEquals(125, gc.status(), gc::toString);
    assertEquals(
        "airlock: --max-size: not a size: '-5' (a size is 0 or more bytes: 10G, 500M, 64K or"
            + " plain bytes)\n",
        gc.stderr());
  }

  private static String[] concat(String first, String... rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  private static String[] concat(String first, String second, String... rest) {
    return concat(first, concat(second, rest));
  }
}
