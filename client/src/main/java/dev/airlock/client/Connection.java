package dev.airlock.client;

import dev.airlock.protocol.ClientMessage;
import dev.airlock.protocol.DaemonMessage;
import dev.airlock.protocol.FrameReader;
import dev.airlock.protocol.Protocol;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * One connection to airlockd: delimited protobuf frames over a JDK Unix domain socket. Sending and
 * receiving may happen on different threads (a Cancel while the events are being read).
 */
final class Connection implements Closeable {
  private final SocketChannel channel;
  private final FrameReader<DaemonMessage> reader;
  private volatile boolean receiving;

  private Connection(SocketChannel channel) {
    this.channel = channel;
    // Reads go straight to the channel: Channels.newInputStream would hold the channel's
    // blocking lock while waiting, and on JDK 17 that blocks concurrent writes.
    this.reader =
        new FrameReader<>(
            new BufferedInputStream(new ChannelInput(channel), 64 * 1024),
            DaemonMessage.parser(),
            Protocol.MAX_FRAME_BYTES);
  }

  static Connection open(Path socket) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      channel.close();
      throw new DaemonUnavailableException(
          "airlockd is not running (no listener on " + socket + ")", e);
    }
    return new Connection(channel);
  }

  /** Sends one frame; if the daemon already closed with an error, throws that error. */
  void send(ClientMessage message) throws IOException {
    ByteArrayOutputStream framed = new ByteArrayOutputStream(message.getSerializedSize() + 5);
    message.writeDelimitedTo(framed);
    ByteBuffer buffer = ByteBuffer.wrap(framed.toByteArray());
    try {
      synchronized (this) {
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      }
    } catch (IOException e) {
      // The daemon may have refused the connection before reading (e.g. another uid). Only
      // before anyone reads the replies: a send from another thread (stdin, a cancel) that fails
      // because the action ended must not take the reader's frames (its Finished) from under it.
      if (!receiving) {
        DaemonMessage pending = tryReceive();
        if (pending != null && pending.hasError()) {
          throw new DaemonErrorException(
              pending.getError().getCode(), pending.getError().getMessage());
        }
      }
      throw e;
    }
  }

  /** The next frame, or null when the daemon closed the connection. */
  DaemonMessage receive() throws IOException {
    receiving = true;
    return reader.read();
  }

  /** Closes the sending side only: the daemon sees end-of-input, results still arrive. */
  void shutdownOutput() throws IOException {
    channel.shutdownOutput();
  }

  private DaemonMessage tryReceive() {
    try {
      return receive();
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  private static final class ChannelInput extends InputStream {
    private final SocketChannel channel;

    ChannelInput(SocketChannel channel) {
      this.channel = channel;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      int n = channel.read(ByteBuffer.wrap(b, off, len));
      return n;
    }
  }
}
