package dev.airlock.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.airlock.fuzz.Fuzz;
import dev.airlock.fuzz.Gen;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes {@link FrameReader} with random bytes, truncated frames, huge length prefixes and valid
 * prefixes around garbage payloads: it returns messages, null at a clean end, or throws an {@link
 * IOException} with a message, and never reads (so never buffers) a frame it refuses.
 */
class FrameReaderFuzzTest {
  private static final int MAX = 4096;

  @Test
  void randomBytesGiveMessagesOrAnIoErrorWithAMessage() {
    Fuzz.forAll(
        2000,
        r -> {
          byte[] bytes = r.nextBoolean() ? Gen.bytes(r, 300) : Gen.mutate(r, validStream(r));
          FrameReader<ClientMessage> reader =
              new FrameReader<>(
                  new ByteArrayInputStream(bytes), ClientMessage.parser(), r.nextInt(600));
          try {
            for (int frames = 0; reader.read() != null; frames++) {
              assertTrue(frames < bytes.length, "more frames than bytes");
            }
          } catch (IOException e) {
            assertNotNull(e.getMessage());
          }
        });
  }

  @Test
  void aLengthPrefixOverTheLimitIsRefusedBeforeItsFrameIsRead() {
    Fuzz.forAll(
        2000,
        r -> {
          long declared =
              switch (r.nextInt(3)) {
                case 0 -> MAX + 1 + r.nextInt(Integer.MAX_VALUE - MAX);
                case 1 -> ((1L + r.nextInt(1 << 20)) << 32) + r.nextInt(MAX); // low bits small
                default -> r.nextLong() | (1L << 62);
              };
          byte[] prefix = varint(declared);
          CountingStream in = new CountingStream(concat(prefix, Gen.bytes(r, 64)));
          FrameReader<ClientMessage> reader = new FrameReader<>(in, ClientMessage.parser(), MAX);
          InvalidProtocolBufferException e =
              assertThrows(InvalidProtocolBufferException.class, reader::read, "" + declared);
          assertNotNull(e.getMessage());
          assertTrue(
              in.count <= prefix.length,
              "read " + in.count + " bytes of a refused frame whose prefix has " + prefix.length);
        });
  }

  @Test
  void aValidPrefixAroundGarbageGivesAMessageOrAProtocolError() {
    Fuzz.forAll(
        2000,
        r -> {
          byte[] payload = r.nextBoolean() ? Gen.bytes(r, 512) : Gen.mutate(r, message(r));
          FrameReader<ClientMessage> reader =
              new FrameReader<>(
                  new ByteArrayInputStream(concat(varint(payload.length), payload)),
                  ClientMessage.parser(),
                  MAX);
          try {
            assertNotNull(reader.read());
          } catch (InvalidProtocolBufferException e) {
            assertNotNull(e.getMessage());
            return;
          }
          assertNull(reader.read());
        });
  }

  @Test
  void aTruncatedStreamGivesEveryWholeFrameThenAnEndOrAnError() {
    Fuzz.forAll(
        2000,
        r -> {
          List<ClientMessage> messages = new ArrayList<>();
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          List<Integer> ends = new ArrayList<>();
          for (int i = r.nextInt(5); i > 0; i--) {
            ClientMessage m = ClientMessage.parseFrom(message(r));
            messages.add(m);
            m.writeDelimitedTo(out);
            ends.add(out.size());
          }
          byte[] whole = out.toByteArray();
          int cut = r.nextInt(whole.length + 1);
          FrameReader<ClientMessage> reader =
              new FrameReader<>(
                  new ByteArrayInputStream(Arrays.copyOf(whole, cut)), ClientMessage.parser(), MAX);
          int complete = 0;
          while (complete < ends.size() && ends.get(complete) <= cut) {
            assertEquals(messages.get(complete), reader.read());
            complete++;
          }
          if (cut == 0 || ends.contains(cut)) {
            assertNull(reader.read());
          } else {
            IOException e = assertThrows(IOException.class, reader::read);
            assertNotNull(e.getMessage());
          }
        });
  }

  /**
   * Found by {@link #aLengthPrefixOverTheLimitIsRefusedBeforeItsFrameIsRead}: protobuf's
   * readRawVarint32 keeps only the low 32 bits of a longer varint, so a prefix of 2^32 + 2 read as
   * a 2-byte frame and the stream was parsed out of step.
   */
  @Test
  void aLengthPrefixOver32BitsIsRefusedNotTruncated() throws IOException {
    byte[] stream = concat(varint((1L << 32) + 2), new byte[] {0x08, 0x01});
    FrameReader<ClientMessage> reader =
        new FrameReader<>(new ByteArrayInputStream(stream), ClientMessage.parser(), MAX);
    assertThrows(InvalidProtocolBufferException.class, reader::read);
  }

  /** A serialized ClientMessage: an execute request with random argv bytes, or a cancel. */
  static byte[] message(Random r) {
    ClientMessage.Builder m = ClientMessage.newBuilder().setProtocolVersion(1);
    if (r.nextBoolean()) {
      ExecuteRequest.Builder request = ExecuteRequest.newBuilder();
      for (int i = r.nextInt(4); i > 0; i--) {
        request.addArgv(ByteString.copyFrom(Gen.bytes(r, 200)));
      }
      m.setExecute(request);
    } else {
      m.setCancel(CancelRequest.newBuilder().setSignal(r.nextInt(65)));
    }
    return m.build().toByteArray();
  }

  private static byte[] validStream(Random r) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = r.nextInt(4); i > 0; i--) {
      ClientMessage.parseFrom(message(r)).writeDelimitedTo(out);
    }
    return out.toByteArray();
  }

  static byte[] varint(long value) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeUInt64NoTag(value);
    out.flush();
    return bytes.toByteArray();
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Counts the bytes the reader took: a refused frame must not have been read. */
  private static final class CountingStream extends FilterInputStream {
    long count;

    CountingStream(byte[] bytes) {
      super(new ByteArrayInputStream(bytes));
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
