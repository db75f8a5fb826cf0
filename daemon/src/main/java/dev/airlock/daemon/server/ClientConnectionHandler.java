package dev.airlock.daemon.server;

import static dev.airlock.protocol.Signals.SIGTERM;

import dev.airlock.daemon.action.Action;
import dev.airlock.daemon.action.ActionRejectedException;
import dev.airlock.daemon.action.ActionService;
import dev.airlock.daemon.action.StdinFeed;
import dev.airlock.protocol.ClientMessage;
import dev.airlock.protocol.DaemonMessage;
import dev.airlock.protocol.Error;
import dev.airlock.protocol.ErrorCode;
import dev.airlock.protocol.Protocol;
import dev.airlock.protocol.ShutdownReply;
import dev.airlock.sandbox.linux.SocketFd;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.unix.PeerCredentials;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client connection: authorizes the peer, decodes its requests and hands them to the domain. At
 * most one action per connection; the connection going away cancels that action.
 */
final class ClientConnectionHandler extends SimpleChannelInboundHandler<ClientMessage> {
  private static final Logger log = Logger.getLogger(ClientConnectionHandler.class.getName());

  private final ActionService actions;
  private final DaemonControl control;
  private final int daemonUid;
  private ChannelActionListener listener;
  private Action action;

  /** A cache or shutdown request is being answered (off the event loop): not idle. */
  private volatile boolean answering;

  ClientConnectionHandler(ActionService actions, DaemonControl control, int daemonUid) {
    this.actions = actions;
    this.control = control;
    this.daemonUid = daemonUid;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    // The socket is 0600 in a 0700 directory, but root and a socket passed on would bypass
    // that; the kernel's SO_PEERCRED is the check that holds.
    PeerCredentials peer = ((EpollDomainSocketChannel) ctx.channel()).peerCredentials();
    if (peer.uid() != daemonUid) {
      log.warning("refused a client running as uid " + peer.uid() + " (pid " + peer.pid() + ")");
      fail(
          ctx,
          ErrorCode.PERMISSION_DENIED,
          "airlockd serves only its own user (uid "
              + daemonUid
              + "); this client runs as uid "
              + peer.uid());
      return;
    }
    super.channelActive(ctx);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, ClientMessage message) {
    if (message.getProtocolVersion() != Protocol.VERSION) {
      fail(
          ctx,
          ErrorCode.UNSUPPORTED_VERSION,
          "protocol version "
              + message.getProtocolVersion()
              + " is not supported; this airlockd speaks version "
              + Protocol.VERSION);
      return;
    }
    switch (message.getBodyCase()) {
      case EXECUTE -> execute(ctx, message);
      case STDIN -> stdin(ctx, message);
      case CANCEL -> {
        if (action == null) {
          fail(ctx, ErrorCode.INVALID_REQUEST, "Cancel before Execute on this connection");
        } else {
          actions.cancel(action, "cancelled by the client", message.getCancel().getSignal());
        }
      }
      case STATUS -> reply(ctx, DaemonMessage.newBuilder().setStatus(control.status()));
      case SHUTDOWN -> {
        answering = true;
        control
            .shutdown()
            .thenAccept(
                cancelled ->
                    ctx.writeAndFlush(
                            envelope(
                                DaemonMessage.newBuilder()
                                    .setShutdown(
                                        ShutdownReply.newBuilder().setCancelledActions(cancelled))))
                        .addListener(
                            f -> {
                              ctx.close();
                              control.stopServing();
                            }));
      }
      case CACHE -> {
        answering = true;
        actions
            .cache(message.getCache())
            .whenComplete(
                (answer, error) -> {
                  answering = false;
                  if (error == null) {
                    reply(ctx, DaemonMessage.newBuilder().setCache(answer));
                    return;
                  }
                  Throwable cause = error.getCause() != null ? error.getCause() : error;
                  if (cause instanceof ActionRejectedException rejected) {
                    fail(ctx, rejected.code(), rejected.getMessage());
                  } else {
                    fail(
                        ctx, ErrorCode.INTERNAL, "the cache request failed: " + cause.getMessage());
                  }
                });
      }
      case BODY_NOT_SET -> fail(ctx, ErrorCode.INVALID_REQUEST, "empty request");
    }
  }

  private void execute(ChannelHandlerContext ctx, ClientMessage message) {
    if (action != null) {
      fail(ctx, ErrorCode.INVALID_REQUEST, "one action per connection; open a new connection");
      return;
    }
    listener = new ChannelActionListener(ctx.channel());
    try {
      action = actions.submit(message.getExecute(), listener);
    } catch (ActionRejectedException e) {
      fail(ctx, e.code(), e.getMessage());
      return;
    }
    action.stdin().ifPresent(feed -> feed.onResume(() -> ctx.channel().config().setAutoRead(true)));
  }

  private void stdin(ChannelHandlerContext ctx, ClientMessage message) {
    Optional<StdinFeed> feed = action == null ? Optional.empty() : action.stdin();
    if (feed.isEmpty()) {
      fail(ctx, ErrorCode.INVALID_REQUEST, "Stdin without an Execute that asked to stream stdin");
      return;
    }
    if (!feed.get()
        .offer(message.getStdin().getData().toByteArray(), message.getStdin().getEof())) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
      // Silent for the idle timeout: unless it waits for its action or an answer, it holds a
      // descriptor for nothing (enough of them and accept fails with EMFILE).
      if (action == null && !answering) {
        log.fine("closing an idle client connection");
        ctx.close();
      }
      return;
    }
    if (event instanceof ChannelInputShutdownEvent) {
      // With half-closure allowed, a client that closed entirely looks like one that only
      // finished sending; POLLHUP tells them apart. Gone means cancel (via channelInactive);
      // a half-close with an action means it still wants the events and ends stdin.
      SocketFd socket = new SocketFd(((EpollDomainSocketChannel) ctx.channel()).fd().intValue());
      if (action == null || socket.peerHungUp()) {
        ctx.close();
      } else {
        action.stdin().ifPresent(StdinFeed::close);
      }
    }
    super.userEventTriggered(ctx, event);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (listener != null) {
      listener.wake();
    }
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (action != null) {
      actions.cancel(action, "the client disconnected", SIGTERM);
      listener.wake();
    }
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable root =
        cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    if (root instanceof FrameException frame) {
      log.warning("bad frame from a client: " + frame.getMessage());
      fail(ctx, frame.code(), frame.getMessage());
    } else if (root instanceof IOException) {
      log.fine(() -> "client connection failed: " + root);
      ctx.close();
    } else {
      log.log(Level.SEVERE, "unexpected error on a client connection", root);
      fail(ctx, ErrorCode.INTERNAL, "airlockd internal error: " + root);
    }
  }

  private static void reply(ChannelHandlerContext ctx, DaemonMessage.Builder message) {
    ctx.writeAndFlush(envelope(message));
  }

  private static void fail(ChannelHandlerContext ctx, ErrorCode code, String text) {
    ctx.channel().config().setAutoRead(false);
    ctx.writeAndFlush(
            envelope(
                DaemonMessage.newBuilder()
                    .setError(Error.newBuilder().setCode(code).setMessage(text))))
        .addListener(ChannelFutureListener.CLOSE);
  }

  private static DaemonMessage envelope(DaemonMessage.Builder message) {
    return message.setProtocolVersion(Protocol.VERSION).build();
  }
}
