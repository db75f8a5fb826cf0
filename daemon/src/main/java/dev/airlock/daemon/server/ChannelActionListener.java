package dev.airlock.daemon.server;

import dev.airlock.daemon.action.ActionListener;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.DaemonMessage;
import dev.airlock.protocol.Protocol;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import java.util.concurrent.TimeUnit;

/**
 * Sends an action's events to its client's channel. Output waits while the channel is over its high
 * write watermark, so a client that does not read blocks the command (through the pipe) instead of
 * growing the daemon's memory; once the channel is closed events are dropped.
 */
final class ChannelActionListener implements ActionListener {
  /** How long a runner waits for its result to reach the socket (a client that reads nothing). */
  private static final long RESULT_WRITE_TIMEOUT_MS = 5_000;

  private final Channel channel;
  private final Object writable = new Object();

  ChannelActionListener(Channel channel) {
    this.channel = channel;
  }

  /** Called by the handler when the channel's writability or liveness changes. */
  void wake() {
    synchronized (writable) {
      writable.notifyAll();
    }
  }

  @Override
  public void deliver(ActionEvent event) {
    synchronized (writable) {
      while (channel.isActive() && !channel.isWritable()) {
        try {
          writable.wait(1_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    if (!channel.isActive()) {
      return;
    }
    DaemonMessage message =
        DaemonMessage.newBuilder().setProtocolVersion(Protocol.VERSION).setEvent(event).build();
    if (event.hasFinished()) {
      // One connection, one action: the daemon closes once the result is out.
      ChannelFuture written =
          channel.writeAndFlush(message).addListener(ChannelFutureListener.CLOSE);
      // The action counts as done only once its result is on the socket: a daemon shutting down
      // right after would otherwise close the channel with the write still queued on its event
      // loop (which closes channels before it runs what is left in its queue).
      if (!channel.eventLoop().inEventLoop()) {
        written.awaitUninterruptibly(RESULT_WRITE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      }
    } else {
      channel.writeAndFlush(message);
    }
  }
}
