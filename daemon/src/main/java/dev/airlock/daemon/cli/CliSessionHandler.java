package dev.airlock.daemon.cli;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Logger;

/**
 * A native client's connection: collects its invocation, starts the session, then routes stdin,
 * signals and "stdout closed" to it. A broken frame ends the connection with a message and status
 * 125, as any bad request does.
 */
public final class CliSessionHandler extends SimpleChannelInboundHandler<CliFrame> {
  private static final Logger log = Logger.getLogger(CliSessionHandler.class.getName());

  private final CliSessions sessions;
  private final CliInvocation.Builder invocation = new CliInvocation.Builder();
  private CliSession session;

  CliSessionHandler(CliSessions sessions) {
    this.sessions = sessions;
  }

  /** The handlers that take over a connection that began with {@link CliFrames#MAGIC}. */
  public static void install(ChannelHandlerContext selector, CliSessions sessions) {
    selector
        .pipeline()
        .addAfter(selector.name(), "cli-frames", new CliFrameDecoder())
        .addAfter("cli-frames", "cli", new CliSessionHandler(sessions));
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, CliFrame frame) {
    if (session == null) {
      if (frame.type() == CliFrames.GO) {
        try {
          session = sessions.start(invocation.build(), ctx.channel());
        } catch (RejectedExecutionException e) {
          fail(ctx, "airlockd is stopping; try again");
        }
      } else if (!invocation.add(frame)) {
        throw new CliProtocolException(
            "frame '" + (char) frame.type() + "' before the invocation was complete");
      }
      return;
    }
    switch (frame.type()) {
      case CliFrames.STDIN -> session.stdinReceived(frame.payload());
      case CliFrames.STDIN_END -> session.stdinEnded();
      case CliFrames.STDOUT_GONE -> session.stdoutGone();
      case CliFrames.SIGNAL -> {
        if (frame.payload().length != 1) {
          throw new CliProtocolException("a signal frame has 1 byte");
        }
        session.signalled(frame.payload()[0] & 0xff);
      }
      default -> throw new CliProtocolException("unexpected frame '" + (char) frame.type() + "'");
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
      // A session waits on its command as long as that takes; a client that never finished
      // sending its invocation holds a descriptor for nothing.
      if (session == null) {
        ctx.close();
      }
      return;
    }
    if (event instanceof ChannelInputShutdownEvent) {
      // The native client never half-closes: it went away.
      ctx.close();
      return;
    }
    super.userEventTriggered(ctx, event);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (session != null) {
      session.disconnected();
    }
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable root =
        cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    if (root instanceof CliProtocolException) {
      log.warning("bad frame from a native client: " + root.getMessage());
      fail(ctx, "airlock: bad request from the client: " + root.getMessage());
    } else {
      log.fine(() -> "native client connection failed: " + root);
      if (session != null) {
        session.disconnected();
      }
      ctx.close();
    }
  }

  /** Says why on the client's stderr and ends with status 125 (an Airlock error). */
  private void fail(ChannelHandlerContext ctx, String message) {
    ctx.channel().config().setAutoRead(false);
    if (session != null) {
      session.disconnected();
    }
    byte[] text = (message + "\n").getBytes(StandardCharsets.UTF_8);
    ctx.write(frame(ctx, CliFrames.STDERR, text));
    ctx.writeAndFlush(frame(ctx, CliFrames.EXIT, FrameSink.int32(125)))
        .addListener(ChannelFutureListener.CLOSE);
  }

  private static ByteBuf frame(ChannelHandlerContext ctx, byte type, byte[] payload) {
    return ctx.alloc()
        .buffer(CliFrames.HEADER_BYTES + payload.length)
        .writeInt(payload.length)
        .writeByte(type)
        .writeBytes(payload);
  }
}
