package dev.airlock.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.airlock.fuzz.Fuzz;
import dev.airlock.fuzz.Gen;
import dev.airlock.protocol.CancelRequest;
import dev.airlock.protocol.ClientMessage;
import dev.airlock.protocol.ErrorCode;
import dev.airlock.protocol.ExecuteRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the daemon's {@link FrameDecoder} with random bytes, mutated and truncated frame streams
 * and huge length prefixes, split into random reads: it decodes messages or fails with a {@link
 * FrameException} (a code and a message), and never buffers a frame whose prefix is over the limit.
 */
class FrameDecoderFuzzTest {
  private static final int MAX = 4096;

  @Test
  void anyByteStreamDecodesToMessagesOrOneFrameException() {
    Fuzz.forAll(
        2000,
        r -> {
          byte[] bytes =
              switch (r.nextInt(3)) {
                case 0 -> Gen.bytes(r, 300);
                case 1 -> Gen.mutate(r, stream(r, new ArrayList<>()));
                default -> concat(varint(r.nextInt(MAX)), Gen.bytes(r, 300)); // garbage payload
              };
          EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(MAX));
          try {
            for (byte[] read : split(r, bytes)) {
              channel.writeInbound(Unpooled.wrappedBuffer(read));
            }
          } catch (DecoderException e) {
            FrameException cause = assertInstanceOf(FrameException.class, e.getCause());
            assertNotNull(cause.code());
            assertNotNull(cause.getMessage());
          }
          for (Object m; (m = channel.readInbound()) != null; ) {
            assertInstanceOf(ClientMessage.class, m);
          }
          channel.finishAndReleaseAll();
        });
  }

  @Test
  void validFramesInRandomReadsDecodeToTheSameMessages() {
    Fuzz.forAll(
        2000,
        r -> {
          List<ClientMessage> sent = new ArrayList<>();
          byte[] bytes = stream(r, sent);
          EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(MAX));
          for (byte[] read : split(r, bytes)) {
            channel.writeInbound(Unpooled.wrappedBuffer(read));
          }
          List<Object> received = new ArrayList<>();
          for (Object m; (m = channel.readInbound()) != null; ) {
            received.add(m);
          }
          assertEquals(sent, received);
          channel.finishAndReleaseAll();
        });
  }

  @Test
  void aPrefixOverTheLimitFailsBeforeItsFrameArrives() {
    Fuzz.forAll(
        2000,
        r -> {
          long declared =
              r.nextBoolean()
                  ? MAX + 1 + r.nextInt(1 << 24)
                  : MAX + 1 + (r.nextLong() & ((1L << 35) - 1 - MAX - 1));
          byte[] prefix = varint(declared);
          EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(MAX));
          ByteBuf buffer = Unpooled.wrappedBuffer(prefix);
          DecoderException e =
              assertThrows(DecoderException.class, () -> channel.writeInbound(buffer));
          FrameException cause = assertInstanceOf(FrameException.class, e.getCause());
          assertEquals(ErrorCode.FRAME_TOO_LARGE, cause.code(), cause.getMessage());
          assertNull(channel.readInbound());
          channel.finishAndReleaseAll();
        });
  }

  private static byte[] stream(Random r, List<ClientMessage> sent) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = r.nextInt(5); i > 0; i--) {
      ClientMessage.Builder m = ClientMessage.newBuilder().setProtocolVersion(1);
      if (r.nextBoolean()) {
        ExecuteRequest.Builder request = ExecuteRequest.newBuilder();
        for (int a = r.nextInt(4); a > 0; a--) {
          request.addArgv(ByteString.copyFrom(Gen.bytes(r, 200)));
        }
        m.setExecute(request);
      } else {
        m.setCancel(CancelRequest.newBuilder().setSignal(r.nextInt(65)));
      }
      sent.add(m.build());
      m.build().writeDelimitedTo(out);
    }
    return out.toByteArray();
  }

  /** {@code bytes} cut into reads of random sizes, as a socket delivers them. */
  private static List<byte[]> split(Random r, byte[] bytes) {
    List<byte[]> reads = new ArrayList<>();
    int at = 0;
    while (at < bytes.length) {
      int n = 1 + r.nextInt(Math.min(bytes.length - at, r.nextBoolean() ? 3 : 400));
      reads.add(Arrays.copyOfRange(bytes, at, at + n));
      at += n;
    }
    return reads;
  }

  private static byte[] varint(long value) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeUInt64NoTag(value);
    out.flush();
    return bytes.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
