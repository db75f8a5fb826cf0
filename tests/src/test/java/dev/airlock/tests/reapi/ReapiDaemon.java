package dev.airlock.tests.reapi;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real airlockd started through scripts/airlockd with its gRPC front ends (REAPI on a free
 * loopback port, plus whatever else {@code options} ask for), on its own state directory. Closing
 * it stops the daemon with SIGTERM, then SIGKILL if it lingers.
 */
final class ReapiDaemon implements AutoCloseable {
  static final Path REPO =
      Path.of(System.getProperty("airlock.repo", "..")).toAbsolutePath().normalize();
  private static final Pattern READY = Pattern.compile("airlockd (\\S+) ready, pid (\\d+)");

  private final Process process;
  private final Path dir;
  private final int port;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<EpollEventLoopGroup> groups = new ArrayList<>();

  private ReapiDaemon(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  /** Starts a daemon in {@code dir} serving REAPI on 127.0.0.1 and a free port. */
  static ReapiDaemon start(Path dir, String... options) throws IOException, InterruptedException {
    int port = freePort();
    List<String> command = new ArrayList<>();
    command.add(REPO.resolve("scripts/airlockd").toString());
    command.addAll(
        List.of(
            "--state-dir",
            dir.resolve("state").toString(),
            "--socket",
            dir.resolve("d.sock").toString(),
            "--reapi",
            "127.0.0.1:" + port,
            "--kill-grace-ms",
            "500"));
    command.addAll(List.of(options));
    Path out = dir.resolve("airlockd.out");
    Path err = dir.resolve("airlockd.err");
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
    ReapiDaemon daemon = new ReapiDaemon(process, dir, port);
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (true) {
      Matcher ready = READY.matcher(Files.readString(out));
      if (ready.find()) {
        return daemon;
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        daemon.close();
        throw new AssertionError("airlockd did not start; stderr: " + Files.readString(err));
      }
      Thread.sleep(50);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  int port() {
    return port;
  }

  Path stateDir() {
    return dir.resolve("state");
  }

  /** The daemon's log (its REAPI actions log one line each, with the access summary). */
  String log() throws IOException {
    return Files.readString(stateDir().resolve("logs/airlockd.log.0"));
  }

  /** A channel to the REAPI server over TCP. */
  ManagedChannel channel() {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port)
            .usePlaintext()
            .maxInboundMessageSize(16 << 20)
            .build();
    channels.add(channel);
    return channel;
  }

  /** A channel over a Unix socket the daemon serves. */
  ManagedChannel unixChannel(Path socket) {
    EpollEventLoopGroup group = new EpollEventLoopGroup(1);
    groups.add(group);
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .eventLoopGroup(group)
            .channelType(EpollDomainSocketChannel.class)
            .usePlaintext()
            .build();
    channels.add(channel);
    return channel;
  }

  @Override
  public void close() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    for (EpollEventLoopGroup g : groups) {
      g.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
