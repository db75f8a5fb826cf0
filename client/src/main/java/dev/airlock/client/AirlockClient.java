package dev.airlock.client;

import dev.airlock.protocol.AirlockPaths;
import dev.airlock.protocol.CacheReply;
import dev.airlock.protocol.CacheRequest;
import dev.airlock.protocol.ClientMessage;
import dev.airlock.protocol.DaemonMessage;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.Protocol;
import dev.airlock.protocol.ShutdownRequest;
import dev.airlock.protocol.StatusReply;
import dev.airlock.protocol.StatusRequest;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Talks to a running airlockd. Thread-safe and cheap: each call opens its own connection.
 *
 * <pre>{@code
 * AirlockClient client = AirlockClient.forSocket(AirlockPaths.fromEnvironment().socket());
 * try (ActionCall call = client.execute(request)) {
 *   ActionResult result = call.awaitResult(System.out, System.err);
 * }
 * }</pre>
 */
public final class AirlockClient {
  private final Path socket;

  private AirlockClient(Path socket) {
    this.socket = socket;
  }

  public static AirlockClient forSocket(Path socket) {
    return new AirlockClient(socket);
  }

  public static AirlockClient forPaths(AirlockPaths paths) {
    return new AirlockClient(paths.socket());
  }

  public Path socket() {
    return socket;
  }

  /** True when a daemon accepts connections on the socket. */
  public boolean isDaemonRunning() {
    try (Connection ignored = Connection.open(socket)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Submits an action; read its events from the returned call. */
  public ActionCall execute(ExecuteRequest request) throws IOException {
    Connection connection = Connection.open(socket);
    try {
      connection.send(envelope().setExecute(request).build());
      return new ActionCall(connection);
    } catch (IOException e) {
      connection.close();
      throw e;
    }
  }

  public StatusReply status() throws IOException {
    return request(envelope().setStatus(StatusRequest.getDefaultInstance()).build()).getStatus();
  }

  /**
   * Stops the daemon gracefully and returns how many actions it cancelled; returns once the daemon
   * has replied (it closes its socket right after).
   */
  public int shutdown() throws IOException {
    return request(envelope().setShutdown(ShutdownRequest.getDefaultInstance()).build())
        .getShutdown()
        .getCancelledActions();
  }

  /** Asks the daemon's action cache (stats, gc or explain). */
  public CacheReply cache(CacheRequest request) throws IOException {
    return request(envelope().setCache(request).build()).getCache();
  }

  private DaemonMessage request(ClientMessage message) throws IOException {
    try (Connection connection = Connection.open(socket)) {
      connection.send(message);
      DaemonMessage reply = connection.receive();
      if (reply == null) {
        throw new IOException("airlockd closed the connection without replying");
      }
      if (reply.hasError()) {
        throw new DaemonErrorException(reply.getError().getCode(), reply.getError().getMessage());
      }
      return reply;
    }
  }

  private static ClientMessage.Builder envelope() {
    return ClientMessage.newBuilder().setProtocolVersion(Protocol.VERSION);
  }
}
