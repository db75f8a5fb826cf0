package dev.airlock.daemon.cli;

import io.netty.channel.Channel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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

  /** Starts the session for a complete invocation on {@code channel}. */
  CliSession start(CliInvocation invocation, Channel channel) {
    CliSession session = new CliSession(invocation, new FrameSink(channel), threads);
    running.add(session);
    threads.execute(
        () -> {
          try {
            session.run();
          } finally {
            running.remove(session);
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
