package dev.airlock.daemon.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * On the listening channel: when accept fails (EMFILE or ENFILE, the descriptors are used up), stop
 * accepting for a moment. The pending connection keeps the socket readable, so accepting again at
 * once would spin; meanwhile idle connections time out and free descriptors, and the pending ones
 * wait in the kernel's backlog. One warning per minute at most.
 */
final class AcceptBackoffHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = Logger.getLogger(AcceptBackoffHandler.class.getName());
  private static final long LOG_INTERVAL_MS = 60_000;

  private final long pauseMillis;
  private boolean paused;
  private long lastLoggedMillis = -LOG_INTERVAL_MS;
  private int failuresSinceLogged;

  AcceptBackoffHandler(long pauseMillis) {
    this.pauseMillis = pauseMillis;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof IOException)) {
      ctx.fireExceptionCaught(cause);
      return;
    }
    failuresSinceLogged++;
    long now = System.currentTimeMillis();
    if (now - lastLoggedMillis >= LOG_INTERVAL_MS) {
      log.warning(
          "cannot accept connections: "
              + cause.getMessage()
              + " ("
              + failuresSinceLogged
              + " time(s) since the last warning); pausing accepts for "
              + pauseMillis
              + " ms at a time");
      lastLoggedMillis = now;
      failuresSinceLogged = 0;
    }
    if (paused) {
      return;
    }
    paused = true;
    Channel server = ctx.channel();
    server.config().setAutoRead(false);
    ctx.executor()
        .schedule(
            () -> {
              paused = false;
              server.config().setAutoRead(true);
            },
            pauseMillis,
            TimeUnit.MILLISECONDS);
  }
}
