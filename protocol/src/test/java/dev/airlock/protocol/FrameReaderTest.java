package dev.airlock.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FrameReaderTest {
  private static byte[] frames(ClientMessage... messages) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ClientMessage m : messages) {
      m.writeDelimitedTo(out);
    }
    return out.toByteArray();
  }

  private static FrameReader<ClientMessage> reader(byte[] bytes, int max) {
    return new FrameReader<>(new ByteArrayInputStream(bytes), ClientMessage.parser(), max);
  }

  @Test
  void readsConsecutiveFramesThenNullAtACleanEnd() throws Exception {
    ClientMessage status =
        ClientMessage.newBuilder()
            .setProtocolVersion(1)
            .setStatus(StatusRequest.getDefaultInstance())
            .build();
    ClientMessage cancel =
        ClientMessage.newBuilder()
            .setProtocolVersion(1)
            .setCancel(CancelRequest.newBuilder().setSignal(2))
            .build();
    FrameReader<ClientMessage> reader = reader(frames(status, cancel), 1024);
    assertEquals(status, reader.read());
    assertEquals(cancel, reader.read());
    assertNull(reader.read());
  }

  @Test
  void refusesAFrameLargerThanTheLimitBeforeReadingIt() throws Exception {
    ClientMessage big =
        ClientMessage.newBuilder()
            .setExecute(ExecuteRequest.newBuilder().addArgv(PathBytes.toWire("x".repeat(2000))))
            .build();
    assertThrows(InvalidProtocolBufferException.class, () -> reader(frames(big), 1000).read());
  }

  @Test
  void aStreamEndingInsideAFrameIsAnError() throws Exception {
    byte[] whole =
        frames(
            ClientMessage.newBuilder()
                .setExecute(ExecuteRequest.newBuilder().addArgv(PathBytes.toWire("true")))
                .build());
    assertThrows(
        EOFException.class, () -> reader(Arrays.copyOf(whole, whole.length - 1), 1024).read());
  }

  @Test
  void aLengthPrefixThatIsNotAVarintIsAnError() {
    byte[] garbage = new byte[10];
    Arrays.fill(garbage, (byte) 0xff);
    assertThrows(InvalidProtocolBufferException.class, () -> reader(garbage, 1024).read());
  }
}
