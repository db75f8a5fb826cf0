package dev.airlock.daemon.reapi;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A gRPC server on one endpoint, with gRPC's own shaded Netty (apart from the daemon's). On a Unix
 * socket (mode 0600) a connection from another user is closed before it is served, as on the
 * daemon's own socket: the file mode alone would not stop root's other processes or a loosened
 * directory.
 */
public final class GrpcEndpoints implements AutoCloseable {
  private static final Logger log = Logger.getLogger(GrpcEndpoints.class.getName());

  /** Big enough for a 4 MiB batch and its framing. */
  static final int MAX_MESSAGE_BYTES = 8 << 20;

  private final Server server;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Path socket;
  private boolean closed;

  private GrpcEndpoints(Server server, EventLoopGroup boss, EventLoopGroup workers, Path socket) {
    this.server = server;
    this.boss = boss;
    this.workers = workers;
    this.socket = socket;
  }

  /**
   * Binds {@code services} on {@code endpoint} and starts serving.
   *
   * @param uid the only user a Unix socket serves
   */
  public static GrpcEndpoints bind(Endpoint endpoint, List<BindableService> services, int uid)
      throws IOException {
    NettyServerBuilder builder;
    EventLoopGroup boss = null;
    EventLoopGroup workers = null;
    if (endpoint.socket().isPresent()) {
      Path path = endpoint.socket().get();
      Files.createDirectories(path.getParent());
      Files.deleteIfExists(path);
      boss = new EpollEventLoopGroup(1);
      workers = new EpollEventLoopGroup(2);
      builder =
          NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
              .channelFactory(() -> peerChecking(uid))
              .bossEventLoopGroup(boss)
              .workerEventLoopGroup(workers);
    } else {
      builder =
          NettyServerBuilder.forAddress(
              new InetSocketAddress(endpoint.host().orElseThrow(), endpoint.port()));
    }
    services.forEach(builder::addService);
    Server server = builder.maxInboundMessageSize(MAX_MESSAGE_BYTES).build();
    try {
      server.start();
    } catch (IOException e) {
      if (boss != null) {
        boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      }
      throw new IOException("cannot listen on " + endpoint + ": " + e.getMessage(), e);
    }
    Path socket = endpoint.socket().orElse(null);
    if (socket != null) {
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
    }
    return new GrpcEndpoints(server, boss, workers, socket);
  }

  /** The TCP port served (useful with port 0), or -1 on a Unix socket. */
  public int port() {
    return socket == null ? server.getPort() : -1;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (boss != null) {
      boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
    if (socket != null) {
      try {
        Files.deleteIfExists(socket);
      } catch (IOException e) {
        log.warning("cannot remove " + socket + ": " + e.getMessage());
      }
    }
  }

  /** A Unix server socket whose first handler closes each connection from another user. */
  private static EpollServerDomainSocketChannel peerChecking(int uid) {
    EpollServerDomainSocketChannel channel = new EpollServerDomainSocketChannel();
    // Added before the server bootstrap's acceptor, so it sees each accepted child first.
    channel.pipeline().addLast(new PeerCheck(uid));
    return channel;
  }

  /** Drops accepted connections whose peer credentials name another uid. */
  private static final class PeerCheck extends ChannelInboundHandlerAdapter {
    private final int uid;

    PeerCheck(int uid) {
      this.uid = uid;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (msg instanceof EpollDomainSocketChannel child) {
        int peer = child.peerCredentials().uid();
        if (peer != uid) {
          log.warning("refused a gRPC connection from uid " + peer + " (serving uid " + uid + ")");
          child.unsafe().closeForcibly();
          return;
        }
      }
      ctx.fireChannelRead(msg);
    }
  }
}
