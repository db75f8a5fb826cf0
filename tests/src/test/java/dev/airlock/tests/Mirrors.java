package dev.airlock.tests;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two download mirrors on 127.0.0.1, each a real HTTP server of the JDK's: a broken one that
 * answers every request with 500, and one that serves the files it is given (right or wrong bytes)
 * and counts the requests for each.
 */
final class Mirrors implements AutoCloseable {
  private final HttpServer broken;
  private final HttpServer serving;
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  private final AtomicInteger brokenRequests = new AtomicInteger();

  private Mirrors(HttpServer broken, HttpServer serving) {
    this.broken = broken;
    this.serving = serving;
  }

  static Mirrors start() throws IOException {
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    Mirrors m = new Mirrors(HttpServer.create(loopback, 0), HttpServer.create(loopback, 0));
    m.broken.createContext(
        "/",
        exchange -> {
          m.brokenRequests.incrementAndGet();
          exchange.sendResponseHeaders(500, -1);
          exchange.close();
        });
    m.serving.createContext("/", m::serve);
    m.broken.start();
    m.serving.start();
    return m;
  }

  private void serve(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
    byte[] body = files.get(path);
    if (body == null) {
      exchange.sendResponseHeaders(404, -1);
      exchange.close();
      return;
    }
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** Serves {@code body} at {@code path} on the working mirror. */
  Mirrors put(String path, byte[] body) {
    files.put(path, body);
    return this;
  }

  /** The broken mirror's URL for {@code path}. */
  String broken(String path) {
    return "http://127.0.0.1:" + broken.getAddress().getPort() + path;
  }

  /** The working mirror's URL for {@code path}. */
  String serving(String path) {
    return "http://127.0.0.1:" + serving.getAddress().getPort() + path;
  }

  /** How often the working mirror was asked for {@code path}. */
  int requests(String path) {
    AtomicInteger n = requests.get(path);
    return n == null ? 0 : n.get();
  }

  int brokenRequests() {
    return brokenRequests.get();
  }

  /** Stops both servers: nothing answers on their ports any more. */
  @Override
  public void close() {
    broken.stop(0);
    serving.stop(0);
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
