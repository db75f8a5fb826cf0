package dev.airlock.daemon.reapi;

import dev.airlock.daemon.action.ActionService;
import dev.airlock.daemon.action.SharedState;
import io.grpc.BindableService;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * airlockd as a Remote Execution API server: Capabilities, CAS, ByteStream, ActionCache and
 * Execution on each endpoint, over the daemon's content store and action pipeline. Its own state
 * lives in {@code <state-dir>/reapi} (the action cache, large uploads in progress); exec roots in a
 * directory outside the state directory.
 */
public final class ReapiServer implements AutoCloseable {
  private static final Logger log = Logger.getLogger(ReapiServer.class.getName());

  private final List<GrpcEndpoints> endpoints = new ArrayList<>();
  private boolean closed;

  private ReapiServer() {}

  /**
   * Starts serving on every endpoint.
   *
   * @param execDir where exec roots are made (not below the state directory, which actions never
   *     see; on the content store's file system, so that inputs can be hard links)
   * @param uid the user Unix endpoints serve
   */
  public static ReapiServer start(
      ActionService actions,
      SharedState shared,
      Path stateDir,
      Path execDir,
      List<Endpoint> on,
      int uid)
      throws IOException {
    BlobStore blobs = new BlobStore(shared.cache().cas());
    Path own = stateDir.resolve("reapi");
    RemoteActionCache cache = new RemoteActionCache(own.resolve("ac"), blobs);
    Uploads uploads = new Uploads(blobs, own.resolve("uploads"));
    RemoteExecution executions =
        new RemoteExecution(actions, shared, blobs, cache, execDir, workerName());
    List<BindableService> services =
        List.of(
            new CapabilitiesService(),
            new CasService(blobs),
            new ByteStreamService(blobs, uploads),
            new ActionCacheService(cache, blobs),
            new ExecutionService(executions));
    ReapiServer server = new ReapiServer();
    try {
      for (Endpoint endpoint : on) {
        GrpcEndpoints bound = GrpcEndpoints.bind(endpoint, services, uid);
        server.endpoints.add(bound);
        log.info(
            "REAPI server listening on "
                + (bound.port() >= 0
                    ? endpoint.host().orElseThrow() + ":" + bound.port()
                    : endpoint.toString())
                + " (exec roots in "
                + execDir
                + ")");
      }
      return server;
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /** The TCP ports served, in the order of the endpoints (-1 for a Unix socket). */
  public List<Integer> ports() {
    return endpoints.stream().map(GrpcEndpoints::port).toList();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (GrpcEndpoints e : endpoints) {
      e.close();
    }
  }

  private static String workerName() {
    try {
      return "airlockd@" + InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "airlockd";
    }
  }
}
