package dev.airlock.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.airlock.protocol.ClientMessage;
import dev.airlock.protocol.ErrorCode;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.StatusRequest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {
  private static byte[] framed(ClientMessage message) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    message.writeDelimitedTo(out);
    return out.toByteArray();
  }

  private static ErrorCode codeOf(DecoderException e) {
    return ((FrameException) e.getCause()).code();
  }

  @Test
  void reassemblesAFrameSplitAcrossReads() throws Exception {
    ClientMessage message =
        ClientMessage.newBuilder()
            .setProtocolVersion(1)
            .setExecute(
                ExecuteRequest.newBuilder()
                    .addArgv(PathBytes.toWire("x".repeat(300)))
                    .setCwd(PathBytes.toWire("/")))
            .build();
    byte[] bytes = framed(message);
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(1 << 20));
    // The two-byte length prefix itself is split.
    channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(bytes, 0, 1)));
    channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(bytes, 1, 100)));
    assertNull(channel.readInbound());
    channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(bytes, 100, bytes.length)));
    assertEquals(message, channel.readInbound());
  }

  @Test
  void decodesSeveralFramesFromOneRead() throws Exception {
    ClientMessage status =
        ClientMessage.newBuilder()
            .setProtocolVersion(1)
            .setStatus(StatusRequest.getDefaultInstance())
            .build();
    byte[] one = framed(status);
    byte[] two = new byte[one.length * 2];
    System.arraycopy(one, 0, two, 0, one.length);
    System.arraycopy(one, 0, two, one.length, one.length);
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(1 << 20));
    channel.writeInbound(Unpooled.wrappedBuffer(two));
    assertEquals(status, channel.readInbound());
    assertEquals(status, channel.readInbound());
  }

  @Test
  void oversizedLengthIsRefusedBeforeTheBodyArrives() {
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(1000));
    // varint 100,000,000 = 0x80 0xC2 0xD7 0x2F
    DecoderException e =
        assertThrows(
            DecoderException.class,
            () ->
                channel.writeInbound(
                    Unpooled.wrappedBuffer(
                        new byte[] {(byte) 0x80, (byte) 0xc2, (byte) 0xd7, 0x2f})));
    assertEquals(ErrorCode.FRAME_TOO_LARGE, codeOf(e));
  }

  @Test
  void lengthPrefixLongerThanAVarint32IsMalformed() {
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(1000));
    byte[] garbage = new byte[10];
    Arrays.fill(garbage, (byte) 0xff);
    DecoderException e =
        assertThrows(
            DecoderException.class, () -> channel.writeInbound(Unpooled.wrappedBuffer(garbage)));
    assertEquals(ErrorCode.MALFORMED_FRAME, codeOf(e));
  }

  @Test
  void bodyThatIsNotAClientMessageIsMalformedAndLaterBytesAreIgnored() {
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(1000));
    // Length 3, then field 1 with wire type 7 (invalid).
    DecoderException e =
        assertThrows(
            DecoderException.class,
            () -> channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {3, 0x0f, 1, 2})));
    assertEquals(ErrorCode.MALFORMED_FRAME, codeOf(e));
    channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {2, 8, 1}));
    assertNull(channel.readInbound());
  }
}
