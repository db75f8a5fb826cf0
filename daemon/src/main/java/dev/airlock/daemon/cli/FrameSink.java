package dev.airlock.daemon.cli;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import java.io.IOException;

/** Frames to the native client over its connection. */
final class FrameSink {
  private final Channel channel;

  FrameSink(Channel channel) {
    this.channel = channel;
  }

  /**
   * Sends a frame and waits until the socket took it, so a client that reads slowly slows the
   * writer (never from the event loop).
   *
   * @throws IOException when the client is gone
   */
  void send(byte type, byte[] bytes, int offset, int length) throws IOException {
    ChannelFuture written = channel.writeAndFlush(frame(type, bytes, offset, length));
    written.awaitUninterruptibly();
    if (!written.isSuccess()) {
      throw new IOException("the client went away", written.cause());
    }
  }

  /** Sends a control frame without waiting (from any thread, the event loop included). */
  void sendLater(byte type, byte[] bytes) {
    channel.writeAndFlush(frame(type, bytes, 0, bytes.length));
  }

  /** Sends the last frame, then closes the connection. */
  void sendLast(byte type, byte[] bytes) {
    channel
        .writeAndFlush(frame(type, bytes, 0, bytes.length))
        .addListener(ChannelFutureListener.CLOSE);
  }

  boolean isOpen() {
    return channel.isActive();
  }

  private ByteBuf frame(byte type, byte[] bytes, int offset, int length) {
    ByteBuf buf = channel.alloc().buffer(CliFrames.HEADER_BYTES + length);
    buf.writeInt(length).writeByte(type).writeBytes(bytes, offset, length);
    return buf;
  }

  static byte[] int32(int value) {
    return new byte[] {
      (byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value
    };
  }
}
