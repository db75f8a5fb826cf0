package dev.airlock.tests;

import dev.airlock.protocol.ClientMessage;
import dev.airlock.protocol.DaemonMessage;
import dev.airlock.protocol.FrameReader;
import dev.airlock.protocol.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A bare Unix socket to the daemon, for sending arbitrary bytes and reading raw frames. */
final class RawConnection implements AutoCloseable {
  private final SocketChannel channel;
  private final InputStream in;
  private final FrameReader<DaemonMessage> frames;

  private RawConnection(SocketChannel channel) {
    this.channel = channel;
    this.in = Channels.newInputStream(channel);
    this.frames = new FrameReader<>(in, DaemonMessage.parser(), Protocol.MAX_FRAME_BYTES);
  }

  static RawConnection open(Path socket) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(socket));
    return new RawConnection(channel);
  }

  void send(byte[] bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** Sends a message as one length-delimited frame. */
  void send(ClientMessage message) throws IOException {
    send(frame(message));
  }

  static byte[] frame(ClientMessage message) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    message.writeDelimitedTo(bytes);
    return bytes.toByteArray();
  }

  /** A protobuf varint, as used for frame lengths. */
  static byte[] varint(long value) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    while ((value & ~0x7FL) != 0) {
      bytes.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    bytes.write((int) value);
    return bytes.toByteArray();
  }

  void shutdownOutput() throws IOException {
    channel.shutdownOutput();
  }

  /** The next frame, or null when the daemon closed the connection between frames. */
  DaemonMessage read() throws IOException {
    return frames.read();
  }

  /** Every frame until the daemon closes the connection. */
  List<DaemonMessage> readUntilClosed() throws IOException {
    List<DaemonMessage> all = new ArrayList<>();
    DaemonMessage m;
    while ((m = read()) != null) {
      all.add(m);
    }
    return all;
  }

  /**
   * True when the daemon has closed the connection: the next read sees end-of-file, or a reset
   * (Linux reports a close with unread data in the closing socket as ECONNRESET to the peer).
   */
  boolean isClosedByPeer() throws IOException {
    try {
      return in.read() < 0;
    } catch (IOException e) {
      if (String.valueOf(e.getMessage()).contains("reset")) {
        return true;
      }
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
