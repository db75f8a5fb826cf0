package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The native client's framing, spoken by hand: a well-formed invocation runs like the CLI; a broken
 * one ends with a message on stderr and status 125, and the daemon goes on serving.
 */
@Timeout(60)
class CliSessionProtocolTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  private static final byte[] MAGIC = {
    (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 'A', 'L', '1'
  };

  record Frame(char type, byte[] payload) {
    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    int status() {
      return ByteBuffer.wrap(payload).getInt();
    }
  }

  @Test
  void aHandWrittenInvocationRunsLikeTheCli() throws Exception {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.write(MAGIC);
    frame(request, 'A', "--version");
    frame(request, 'E', "PATH=/usr/bin:/bin");
    frame(request, 'D', daemon.dir().toString());
    frame(request, 'T', new byte[] {0, 0, 0, 0, 80});
    frame(request, 'G', new byte[0]);

    List<Frame> reply = exchange(request.toByteArray());

    assertEquals('O', reply.get(0).type(), reply::toString);
    assertTrue(reply.get(0).text().startsWith("airlock "), reply::toString);
    Frame last = reply.get(reply.size() - 1);
    assertEquals('X', last.type(), reply::toString);
    assertEquals(0, last.status());
  }

  @Test
  void anOversizedFrameIsRefusedWithAMessageAndStatus125() throws Exception {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.write(MAGIC);
    request.write(ByteBuffer.allocate(5).putInt(2 << 20).put((byte) 'A').array());

    assertRefused(exchange(request.toByteArray()), "exceeds the limit of 1048576 bytes");
  }

  @Test
  void stdinBeforeTheInvocationEndsIsRefused() throws Exception {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.write(MAGIC);
    frame(request, 'I', "too early");

    assertRefused(exchange(request.toByteArray()), "before the invocation was complete");
  }

  @Test
  void aRelativeWorkingDirectoryIsRefused() throws Exception {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.write(MAGIC);
    frame(request, 'A', "status");
    frame(request, 'D', "relative/dir");

    assertRefused(exchange(request.toByteArray()), "the working directory is not absolute");
  }

  @Test
  void stdinBeyondWhatWasAskedForIsRefused() throws Exception {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.write(MAGIC);
    for (String arg : List.of("run", "--cache", "off", "--", "sleep", "30")) {
      frame(request, 'A', arg);
    }
    frame(request, 'D', daemon.dir().toString());
    frame(request, 'G', new byte[0]);
    // Nothing asked for stdin (no --stdin): any stdin byte breaks the flow control.
    frame(request, 'I', "unasked");

    assertRefused(exchange(request.toByteArray()), "were asked for");
    Procs.awaitEquals(
        "the action to be cancelled", Duration.ofSeconds(20), 0, CliSessionProtocolTest::running);
  }

  private static int running() {
    try {
      return daemon.client().status().getRunningActions();
    } catch (IOException e) {
      return -1;
    }
  }

  private static void assertRefused(List<Frame> frames, String reason) throws IOException {
    // Control frames (signals handled, stdin wanted) may come first from a session that started.
    List<Frame> reply = frames.stream().filter(f -> f.type() != 'H' && f.type() != 'N').toList();
    assertEquals(2, reply.size(), frames::toString);
    assertEquals('R', reply.get(0).type());
    assertTrue(
        reply.get(0).text().startsWith("airlock: bad request from the client: "),
        reply.get(0).text());
    assertTrue(reply.get(0).text().contains(reason), reply.get(0).text());
    assertEquals('X', reply.get(1).type());
    assertEquals(125, reply.get(1).status());
    // And the daemon still serves.
    assertTrue(daemon.client().status().getPid() > 0);
  }

  private static void frame(ByteArrayOutputStream out, char type, String payload)
      throws IOException {
    frame(out, type, payload.getBytes(StandardCharsets.UTF_8));
  }

  private static void frame(ByteArrayOutputStream out, char type, byte[] payload)
      throws IOException {
    out.write(ByteBuffer.allocate(5).putInt(payload.length).put((byte) type).array());
    out.write(payload);
  }

  /** Sends the bytes and reads frames until the daemon closes the connection. */
  private static List<Frame> exchange(byte[] request) throws IOException {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(daemon.socket()));
      ByteBuffer buffer = ByteBuffer.wrap(request);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      DataInputStream in = new DataInputStream(Channels.newInputStream(channel));
      List<Frame> frames = new ArrayList<>();
      while (true) {
        int length;
        try {
          length = in.readInt();
        } catch (EOFException e) {
          return frames;
        }
        char type = (char) in.readUnsignedByte();
        byte[] payload = new byte[length];
        in.readFully(payload);
        frames.add(new Frame(type, payload));
      }
    }
  }
}
