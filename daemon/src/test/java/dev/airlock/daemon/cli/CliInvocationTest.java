package dev.airlock.daemon.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.protocol.PathBytes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CliInvocationTest {
  private static CliFrame frame(byte type, String payload) {
    return new CliFrame(type, payload.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void collectsArgumentsEnvironmentDirectoryAndTerminals() {
    CliInvocation.Builder b = new CliInvocation.Builder();
    assertTrue(b.add(frame(CliFrames.ARG, "run")));
    assertTrue(b.add(new CliFrame(CliFrames.ARG, new byte[] {'x', (byte) 0xff})));
    assertTrue(b.add(frame(CliFrames.ENV, "A=1=2")));
    assertTrue(b.add(frame(CliFrames.ENV, "A=shadowed")));
    assertTrue(b.add(frame(CliFrames.ENV, "NOT_A_VARIABLE")));
    assertTrue(b.add(frame(CliFrames.CWD, "/work/dir")));
    assertTrue(b.add(new CliFrame(CliFrames.TERMINAL, new byte[] {1, 0, 1, 0x01, 0x2c})));

    CliInvocation invocation = b.build();

    assertEquals("run", invocation.arguments().get(0));
    assertArrayEquals(
        new byte[] {'x', (byte) 0xff}, PathBytes.encode(invocation.arguments().get(1)));
    // getenv's rule: the first entry of a name wins; one without '=' is no variable.
    assertEquals(Map.of("A", "1=2"), invocation.environment());
    assertEquals(Path.of("/work/dir"), invocation.workingDirectory());
    assertArrayEquals(new boolean[] {true, false, true}, invocation.terminals());
    assertEquals(300, invocation.columns());
  }

  @Test
  void aFrameThatIsNotPartOfAnInvocationIsLeftToTheCaller() {
    assertFalse(new CliInvocation.Builder().add(frame(CliFrames.STDIN, "data")));
  }

  @Test
  void refusesWhatNoNativeClientSends() {
    assertThrows(
        CliProtocolException.class,
        () -> new CliInvocation.Builder().add(frame(CliFrames.CWD, "relative")));
    assertThrows(
        CliProtocolException.class,
        () -> new CliInvocation.Builder().add(new CliFrame(CliFrames.TERMINAL, new byte[2])));
    assertThrows(CliProtocolException.class, () -> new CliInvocation.Builder().build());
    CliInvocation.Builder huge = new CliInvocation.Builder();
    byte[] big = new byte[CliFrames.MAX_PAYLOAD_BYTES];
    CliProtocolException e =
        assertThrows(
            CliProtocolException.class,
            () -> {
              for (int i = 0; i < 20; i++) {
                huge.add(new CliFrame(CliFrames.ARG, big));
              }
            });
    assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
  }
}
