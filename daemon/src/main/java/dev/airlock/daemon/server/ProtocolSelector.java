package dev.airlock.daemon.server;

import dev.airlock.daemon.cli.CliFrames;
import dev.airlock.daemon.cli.CliSessionHandler;
import dev.airlock.daemon.cli.CliSessions;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Tells the two kinds of client apart by their first bytes: a native client's CLI session begins
 * with {@link CliFrames#MAGIC}, which the protobuf protocol cannot begin with. A CLI session's
 * handlers replace the protobuf ones; either way the selector then steps aside.
 */
final class ProtocolSelector extends ByteToMessageDecoder {
  /** The protobuf protocol's handlers, replaced for a CLI session. */
  private static final List<String> PROTOBUF_HANDLERS =
      List.of("frames", "prepender", "encoder", "client");

  private final CliSessions sessions;

  ProtocolSelector(CliSessions sessions) {
    this.sessions = sessions;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    byte[] magic = CliFrames.MAGIC;
    int available = Math.min(in.readableBytes(), magic.length);
    for (int i = 0; i < available; i++) {
      if (in.getByte(in.readerIndex() + i) != magic[i]) {
        // A protobuf client (or garbage, which its decoder refuses with a message).
        ctx.pipeline().remove(this);
        return;
      }
    }
    if (available < magic.length) {
      return;
    }
    in.skipBytes(magic.length);
    for (String name : PROTOBUF_HANDLERS) {
      ctx.pipeline().remove(name);
    }
    CliSessionHandler.install(ctx, sessions);
    ctx.pipeline().remove(this);
  }
}
