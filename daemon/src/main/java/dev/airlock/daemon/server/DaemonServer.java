package dev.airlock.daemon.server;

import dev.airlock.daemon.action.ActionService;
import dev.airlock.daemon.cli.CliSessions;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.protobuf.ProtobufEncoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32LengthFieldPrepender;
import io.netty.handler.timeout.IdleStateHandler;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The listening Unix domain socket, served by Netty's native epoll transport. */
public final class DaemonServer implements AutoCloseable {
  /** Per-connection write buffer bounds: above the high mark, output pumps wait. */
  private static final WriteBufferWaterMark WATER_MARK =
      new WriteBufferWaterMark(256 * 1024, 1024 * 1024);

  private final EventLoopGroup group;
  private final Channel serverChannel;
  private boolean closed;

  private DaemonServer(EventLoopGroup group, Channel serverChannel) {
    this.group = group;
    this.serverChannel = serverChannel;
  }

  /** How long accepting pauses after accept failed (EMFILE: descriptors used up). */
  private static final long ACCEPT_PAUSE_MS = 1_000;

  /**
   * Binds the socket; the caller has made sure no live daemon owns the path.
   *
   * @param idleTimeoutMillis how long a connection without a running action may stay silent
   * @param cliSessions where native clients' invocations run
   */
  public static DaemonServer bind(
      Path socket,
      ActionService actions,
      DaemonControl control,
      int daemonUid,
      int maxFrameBytes,
      long idleTimeoutMillis,
      CliSessions cliSessions)
      throws InterruptedException {
    Epoll.ensureAvailability();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    try {
      ServerBootstrap bootstrap =
          new ServerBootstrap()
              .group(group)
              .channel(EpollServerDomainSocketChannel.class)
              .handler(new AcceptBackoffHandler(ACCEPT_PAUSE_MS))
              .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
              .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
              .childHandler(
                  new ChannelInitializer<EpollDomainSocketChannel>() {
                    @Override
                    protected void initChannel(EpollDomainSocketChannel ch) {
                      ch.pipeline()
                          // Reader idleness: a client that holds a connection open and sends
                          // nothing costs a descriptor for ever (ClientConnectionHandler closes
                          // it unless it carries a running action).
                          .addLast(
                              "idle",
                              new IdleStateHandler(idleTimeoutMillis, 0, 0, TimeUnit.MILLISECONDS))
                          // A native client's CLI session, or the protobuf protocol.
                          .addLast("select", new ProtocolSelector(cliSessions))
                          .addLast("frames", new FrameDecoder(maxFrameBytes))
                          .addLast("prepender", new ProtobufVarint32LengthFieldPrepender())
                          .addLast("encoder", new ProtobufEncoder())
                          .addLast(
                              "client", new ClientConnectionHandler(actions, control, daemonUid));
                    }
                  });
      Channel channel = bootstrap.bind(new DomainSocketAddress(socket.toFile())).sync().channel();
      return new DaemonServer(group, channel);
    } catch (RuntimeException | InterruptedException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
