package dev.airlock.daemon.cli;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/** Splits a CLI session's byte stream into {@link CliFrame}s, refusing oversized ones. */
final class CliFrameDecoder extends ByteToMessageDecoder {
  private boolean failed;

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    while (in.readableBytes() >= CliFrames.HEADER_BYTES) {
      long length = in.getUnsignedInt(in.readerIndex());
      if (length > CliFrames.MAX_PAYLOAD_BYTES) {
        failed = true;
        throw new CliProtocolException(
            "a frame of "
                + length
                + " bytes exceeds the limit of "
                + CliFrames.MAX_PAYLOAD_BYTES
                + " bytes");
      }
      if (in.readableBytes() < CliFrames.HEADER_BYTES + length) {
        return;
      }
      in.skipBytes(4);
      byte type = in.readByte();
      byte[] payload = new byte[(int) length];
      in.readBytes(payload);
      out.add(new CliFrame(type, payload));
    }
  }
}
