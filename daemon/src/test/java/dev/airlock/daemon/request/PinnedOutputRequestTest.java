package dev.airlock.daemon.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.PathBytes;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pinned outputs as the daemon decodes and checks them. */
class PinnedOutputRequestTest {
  private static final String HEX = "ab".repeat(32);

  private static ExecuteRequest.Builder request() {
    return ExecuteRequest.newBuilder()
        .addArgv(PathBytes.toWire("true"))
        .setCwd(PathBytes.toWire("/w"));
  }

  private static dev.airlock.protocol.PinnedOutput pin(String path, String sha) {
    return dev.airlock.protocol.PinnedOutput.newBuilder()
        .setPath(PathBytes.toWire(path))
        .setSha256(sha)
        .build();
  }

  @Test
  void pinnedPathsAreResolvedAgainstTheWorkingDirectoryAndCountAsOutputs() {
    ActionRequest r =
        ActionRequest.from(
            request()
                .addDeclaredOutputs(PathBytes.toWire("out"))
                .addPinnedOutputs(pin("dl/../dl/x.tgz", "SHA256:" + HEX.toUpperCase()))
                .build());

    assertTrue(r.fixedOutput());
    assertEquals(List.of(new PinnedOutput(Path.of("/w/dl/x.tgz"), HEX)), r.pinnedOutputs());
    assertEquals(List.of(Path.of("/w/out"), Path.of("/w/dl/x.tgz")), r.outputs());
    assertEquals(List.of(Path.of("/w/out")), r.declaredOutputs());
  }

  @Test
  void aDigestThatIsNoSha256IsRefusedNamingThePath() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ActionRequest.from(request().addPinnedOutputs(pin("x.tgz", "abc")).build()));
    assertTrue(e.getMessage().contains("/w/x.tgz"), e.getMessage());
    assertTrue(e.getMessage().contains("64 hex digits"), e.getMessage());
  }

  @Test
  void onePathPinnedToTwoDigestsIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ActionRequest.from(
                    request()
                        .addPinnedOutputs(pin("x", HEX))
                        .addPinnedOutputs(pin("/w/x", "cd".repeat(32)))
                        .build()));
    assertTrue(e.getMessage().contains("two digests"), e.getMessage());
  }

  @Test
  void pinsCannotGoWithDirectWrites() {
    ActionRequest r =
        ActionRequest.from(
            request().addPinnedOutputs(pin("x", HEX)).setUnsafeDirectWrites(true).build());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RequestChecks.check(r));
    assertTrue(e.getMessage().contains("direct writes"), e.getMessage());
  }

  @Test
  void aRequestWithoutPinsIsNoFixedOutputAction() {
    ActionRequest r = ActionRequest.from(request().build());
    assertFalse(r.fixedOutput());
    assertEquals(List.of(), r.outputs());
  }
}
