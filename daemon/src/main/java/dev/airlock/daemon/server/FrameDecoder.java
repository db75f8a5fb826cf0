package dev.airlock.daemon.server;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.airlock.protocol.ClientMessage;
import dev.airlock.protocol.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.IOException;
import java.util.List;

/**
 * Splits the byte stream into varint-length-delimited frames and parses each as a {@link
 * ClientMessage}. Unlike Netty's ProtobufVarint32FrameDecoder it enforces a maximum frame size
 * before buffering, and turns a bad prefix or an unparseable frame into a {@link FrameException};
 * after the first bad frame it discards everything (the connection is being closed).
 */
final class FrameDecoder extends ByteToMessageDecoder {
  private final int maxFrameBytes;
  private boolean failed;

  FrameDecoder(int maxFrameBytes) {
    this.maxFrameBytes = maxFrameBytes;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    in.markReaderIndex();
    long length = 0;
    int shift = 0;
    while (true) {
      if (!in.isReadable()) {
        in.resetReaderIndex();
        return;
      }
      byte b = in.readByte();
      length |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        break;
      }
      shift += 7;
      if (shift >= 35) {
        throw fail(
            ErrorCode.MALFORMED_FRAME, "malformed frame: the length prefix is not a varint32");
      }
    }
    if (length > maxFrameBytes) {
      throw fail(
          ErrorCode.FRAME_TOO_LARGE,
          "frame of " + length + " bytes exceeds the limit of " + maxFrameBytes + " bytes");
    }
    if (in.readableBytes() < length) {
      in.resetReaderIndex();
      return;
    }
    try {
      out.add(ClientMessage.parseFrom(new ByteBufInputStream(in.readSlice((int) length))));
    } catch (InvalidProtocolBufferException e) {
      throw fail(ErrorCode.MALFORMED_FRAME, "malformed frame: " + e.getMessage());
    } catch (IOException e) {
      throw fail(ErrorCode.MALFORMED_FRAME, "malformed frame: " + e.getMessage());
    }
  }

  private FrameException fail(ErrorCode code, String message) {
    failed = true;
    return new FrameException(code, message);
  }
}
