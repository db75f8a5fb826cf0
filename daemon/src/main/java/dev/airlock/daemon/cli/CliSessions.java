package dev.airlock.daemon.cli;

import dev.airlock.client.cli.AirlockCli;
import io.netty.channel.Channel;
import java.nio.file.Path;
import java.util.Deque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The CLI sessions the daemon runs for native clients, each on its own thread (a command blocks on
 * its action). At shutdown they get a few seconds to report how their actions ended.
 */
public final class CliSessions implements AutoCloseable {
  private static final long DRAIN_MILLIS = 5_000;

  private final AtomicInteger threadCount = new AtomicInteger();
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "airlock-cli-" + threadCount.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
  private final Set<CliSession> running = ConcurrentHashMap.newKeySet();

  /** Command lines built and free: building one costs milliseconds, so they are reused. */
  private final Deque<AirlockCli.Reusable> commandLines = new ConcurrentLinkedDeque<>();

  private static final int MAX_FREE_COMMAND_LINES = 8;

  private final Path socket;

  /**
   * @param socket the socket this daemon serves (a session's command asking for a daemon there
   *     needs not look for one)
   */
  public CliSessions(Path socket) {
    this.socket = socket.toAbsolutePath().normalize();
    // The first session should not pay for building (and for the JIT warming up on) one.
    threads.execute(() -> commandLines.push(new AirlockCli.Reusable()));
  }

  /** Starts the session for a complete invocation on {@code channel}. */
  CliSession start(CliInvocation invocation, Channel channel) {
    CliSession session = new CliSession(invocation, new FrameSink(channel), threads, socket);
    running.add(session);
    threads.execute(
        () -> {
          AirlockCli.Reusable free = commandLines.poll();
          AirlockCli.Reusable commandLine = free == null ? new AirlockCli.Reusable() : free;
          try {
            session.run(commandLine);
          } finally {
            running.remove(session);
            if (commandLines.size() < MAX_FREE_COMMAND_LINES) {
              commandLines.push(commandLine);
            }
          }
        });
    return session;
  }

  /** Sessions running now. */
  public int running() {
    return running.size();
  }

  @Override
  public void close() throws InterruptedException {
    threads.shutdown();
    if (!threads.awaitTermination(DRAIN_MILLIS, TimeUnit.MILLISECONDS)) {
      running.forEach(CliSession::abort);
      threads.shutdownNow();
      threads.awaitTermination(DRAIN_MILLIS, TimeUnit.MILLISECONDS);
    }
  }
}
