package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.google.protobuf.ByteString;
import dev.airlock.client.ActionCall;
import dev.airlock.client.DaemonErrorException;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CancelRequest;
import dev.airlock.protocol.ClientMessage;
import dev.airlock.protocol.DaemonMessage;
import dev.airlock.protocol.ErrorCode;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Protocol;
import dev.airlock.protocol.StatusRequest;
import dev.airlock.protocol.StdinChunk;
import dev.airlock.protocol.StdinMode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Raw bytes on the socket: every bad frame gets an Error frame with the right code and the
 * connection closes; half-closed connections behave; the daemon and its other clients carry on. One
 * daemon serves the whole class, and after each test it must still answer.
 */
@Timeout(60)
class ProtocolRobustnessTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  @AfterEach
  void theDaemonStillAnswers() throws Exception {
    assertTrue(daemon.process().isAlive(), "airlockd died");
    assertEquals(daemon.pid(), daemon.client().status().getPid());
  }

  private static ClientMessage.Builder message() {
    return ClientMessage.newBuilder().setProtocolVersion(Protocol.VERSION);
  }

  private static ClientMessage status(int version) {
    return ClientMessage.newBuilder()
        .setProtocolVersion(version)
        .setStatus(StatusRequest.getDefaultInstance())
        .build();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      all.writeBytes(p);
    }
    return all.toByteArray();
  }

  /**
   * Sends {@code bytes} on a fresh connection and expects one Error frame of {@code code}, then
   * close.
   */
  private static String assertRefused(byte[] bytes, ErrorCode code) throws Exception {
    try (RawConnection raw = RawConnection.open(daemon.socket())) {
      raw.send(bytes);
      DaemonMessage reply = raw.read();
      assertNotNull(reply, "the daemon closed without an Error frame");
      assertTrue(reply.hasError(), "expected an Error frame, got " + reply);
      assertEquals(code, reply.getError().getCode(), reply::toString);
      assertFalse(reply.getError().getMessage().isBlank(), "the error should say why");
      assertEquals(Protocol.VERSION, reply.getProtocolVersion());
      assertTrue(raw.isClosedByPeer(), "the daemon should close the connection after the error");
      return reply.getError().getMessage();
    }
  }

  @Test
  void aHugeLengthPrefixGetsFrameTooLargeThenClose() throws Exception {
    String message = assertRefused(RawConnection.varint(100_000_000), ErrorCode.FRAME_TOO_LARGE);

    assertTrue(message.contains("100000000"), message);
  }

  /** Bad first frames, and the error each gets before the daemon closes the connection. */
  static Stream<Arguments> badFrames() throws IOException {
    byte[] garbage = new byte[10];
    Arrays.fill(garbage, (byte) 0xFF);
    // Field 1 with wire type 7, which does not exist.
    byte[] unparseable = {0x0F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
    return Stream.of(
        arguments("garbage bytes", garbage, ErrorCode.MALFORMED_FRAME),
        arguments(
            "a length prefix just over the limit",
            RawConnection.varint(Protocol.MAX_FRAME_BYTES + 1L),
            ErrorCode.FRAME_TOO_LARGE),
        arguments(
            "a valid length with an unparseable body",
            concat(RawConnection.varint(unparseable.length), unparseable),
            ErrorCode.MALFORMED_FRAME),
        arguments(
            "a newer protocol version",
            RawConnection.frame(status(Protocol.VERSION + 1)),
            ErrorCode.UNSUPPORTED_VERSION),
        arguments(
            "protocol version 0", RawConnection.frame(status(0)), ErrorCode.UNSUPPORTED_VERSION),
        arguments(
            "a frame without a body",
            RawConnection.frame(message().build()),
            ErrorCode.INVALID_REQUEST),
        arguments(
            "a cancel before any execute",
            RawConnection.frame(message().setCancel(CancelRequest.getDefaultInstance()).build()),
            ErrorCode.INVALID_REQUEST));
  }

  @ParameterizedTest(name = "{0} gets {2}, then close")
  @MethodSource("badFrames")
  void aBadFrameGetsAnErrorOfItsKindThenClose(String what, byte[] frame, ErrorCode code)
      throws Exception {
    assertRefused(frame, code);
  }

  @Test
  void aRelativeWorkingDirectoryIsRefused() throws Exception {
    DaemonErrorException e =
        assertThrows(
            DaemonErrorException.class,
            () -> {
              try (ActionCall call =
                  daemon
                      .client()
                      .execute(
                          daemon
                              .request("true")
                              .setCwd(PathBytes.toWire("relative/dir"))
                              .build())) {
                call.nextEvent();
              }
            });
    assertEquals(ErrorCode.INVALID_REQUEST, e.code());
    assertTrue(e.getMessage().contains("relative/dir"), e.getMessage());
  }

  @Test
  void aFrameTrickledOneByteAtATimeIsStillUnderstood() throws Exception {
    try (RawConnection raw = RawConnection.open(daemon.socket())) {
      for (byte b : RawConnection.frame(status(Protocol.VERSION))) {
        raw.send(new byte[] {b});
      }
      DaemonMessage reply = raw.read();

      assertTrue(reply.hasStatus(), reply::toString);
      assertEquals(daemon.pid(), reply.getStatus().getPid());
    }
  }

  @Test
  void badFramesDoNotDisturbAnActionOfAnotherClient() throws Exception {
    // Outside the workspace, which the action sees through a copy-on-write overlay.
    Path release = Files.createTempDirectory("airlock-bystander-").resolve("release");
    ExecuteRequest request =
        daemon
            .request(
                "sh",
                "-c",
                "echo before; while [ ! -e \"$1\" ]; do sleep 0.02; done; echo after",
                "sh",
                release.toString())
            .build();
    try (ActionCall bystander = daemon.client().execute(request)) {
      ActionEvent event;
      do {
        event = bystander.nextEvent();
      } while (!event.hasOutput());
      assertEquals("before\n", event.getOutput().getData().toStringUtf8());

      byte[] garbage = new byte[10];
      Arrays.fill(garbage, (byte) 0xFF);
      assertRefused(garbage, ErrorCode.MALFORMED_FRAME);
      assertRefused(RawConnection.varint(100_000_000), ErrorCode.FRAME_TOO_LARGE);
      assertRefused(
          concat(RawConnection.varint(4), new byte[] {0x0F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}),
          ErrorCode.MALFORMED_FRAME);
      assertRefused(RawConnection.frame(status(7)), ErrorCode.UNSUPPORTED_VERSION);
      try (RawConnection halfClosed = RawConnection.open(daemon.socket())) {
        halfClosed.shutdownOutput();
        assertTrue(halfClosed.isClosedByPeer());
      }

      Files.createFile(release);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ActionResult result = bystander.awaitResult(out, new ByteArrayOutputStream());
      assertEquals(Outcome.COMPLETED, result.getOutcome(), result::toString);
      assertEquals(0, result.getExitCode());
      assertEquals("after\n", out.toString(StandardCharsets.UTF_8));
    }
  }

  @Test
  void aConnectionHalfClosedWithoutARequestIsClosedByTheDaemon() throws Exception {
    try (RawConnection raw = RawConnection.open(daemon.socket())) {
      raw.shutdownOutput();

      assertTrue(raw.isClosedByPeer());
    }
  }

  @Test
  void aClientThatHalfClosesAfterExecuteStillGetsTheWholeResult() throws Exception {
    ExecuteRequest request =
        daemon.request("sh", "-c", "sleep 0.3; echo out; echo err >&2; exit 5").build();
    try (RawConnection raw = RawConnection.open(daemon.socket())) {
      raw.send(message().setExecute(request).build());
      raw.shutdownOutput();

      List<DaemonMessage> frames = raw.readUntilClosed();

      assertTrue(frames.size() >= 4, frames::toString);
      assertTrue(frames.get(0).getEvent().hasAccepted(), frames::toString);
      assertTrue(frames.get(1).getEvent().hasStarted(), frames::toString);
      StringBuilder out = new StringBuilder();
      StringBuilder err = new StringBuilder();
      for (DaemonMessage m : frames.subList(2, frames.size() - 1)) {
        assertTrue(m.hasEvent(), m::toString);
        assertFalse(m.getEvent().hasFinished() || m.getEvent().hasStarted(), m::toString);
        if (m.getEvent().hasOutput()) {
          (m.getEvent().getOutput().getStream() == dev.airlock.protocol.OutputStream.STDERR
                  ? err
                  : out)
              .append(m.getEvent().getOutput().getData().toStringUtf8());
        }
      }
      assertEquals("out\n", out.toString());
      assertEquals("err\n", err.toString());
      ActionResult result = frames.get(frames.size() - 1).getEvent().getFinished().getResult();
      assertEquals(Outcome.COMPLETED, result.getOutcome(), result::toString);
      assertEquals(5, result.getExitCode());
    }
  }

  @Test
  void halfClosingAfterStreamedStdinEndsTheCommandsInput() throws Exception {
    ExecuteRequest request =
        daemon.request("wc", "-c").setStdinMode(StdinMode.STDIN_STREAM).build();
    try (RawConnection raw = RawConnection.open(daemon.socket())) {
      raw.send(message().setExecute(request).build());
      raw.send(
          message()
              .setStdin(StdinChunk.newBuilder().setData(ByteString.copyFromUtf8("hello")))
              .build());
      raw.shutdownOutput();

      StringBuilder out = new StringBuilder();
      ActionResult result = null;
      for (DaemonMessage m : raw.readUntilClosed()) {
        if (m.getEvent().hasOutput()) {
          out.append(m.getEvent().getOutput().getData().toStringUtf8());
        } else if (m.getEvent().hasFinished()) {
          result = m.getEvent().getFinished().getResult();
        }
      }
      assertNotNull(result, "no Finished event");
      assertEquals(Outcome.COMPLETED, result.getOutcome(), result::toString);
      assertEquals("5", out.toString().trim());
    }
  }

  @Test
  void aSecondExecuteOnTheSameConnectionGetsInvalidRequest() throws Exception {
    ExecuteRequest request = daemon.request("sleep", "300").build();
    try (RawConnection raw = RawConnection.open(daemon.socket())) {
      raw.send(message().setExecute(request).build());
      assertTrue(raw.read().getEvent().hasAccepted());
      assertTrue(raw.read().getEvent().hasStarted());

      raw.send(message().setExecute(request).build());

      DaemonMessage reply = raw.read();
      assertTrue(reply.hasError(), reply::toString);
      assertEquals(ErrorCode.INVALID_REQUEST, reply.getError().getCode());
      assertTrue(raw.isClosedByPeer());
    }
    Procs.await(
        "the first action to be cancelled with its connection",
        Duration.ofSeconds(10),
        () -> {
          try {
            return daemon.client().status().getRunningActions() == 0;
          } catch (java.io.IOException e) {
            return false;
          }
        });
  }
}
