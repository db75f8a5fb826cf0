package dev.airlock.daemon.cache.remote;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Where the remote cache listens: {@code grpc://HOST:PORT[/INSTANCE]}, or {@code grpcs://} for TLS
 * with the system's trusted roots. The instance name is REAPI's (Buildbarn and bazel-remote use it
 * to keep caches apart); it may hold slashes.
 */
public record RemoteCacheAddress(String host, int port, String instance, boolean tls) {
  public RemoteCacheAddress {
    if (host.isEmpty()) {
      throw new IllegalArgumentException("a remote cache address needs a host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("a remote cache port must be 1 to 65535, not " + port);
    }
  }

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException saying what is wrong and what is expected
   */
  public static RemoteCacheAddress parse(String text) {
    String expected = "expected grpc://HOST:PORT[/INSTANCE] or grpcs://HOST:PORT[/INSTANCE]";
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("remote cache '" + text + "' is no URI: " + expected);
    }
    boolean tls;
    if ("grpc".equals(uri.getScheme())) {
      tls = false;
    } else if ("grpcs".equals(uri.getScheme())) {
      tls = true;
    } else {
      throw new IllegalArgumentException("remote cache '" + text + "': " + expected);
    }
    if (uri.getHost() == null || uri.getPort() < 0) {
      throw new IllegalArgumentException(
          "remote cache '" + text + "' needs a host and a port: " + expected);
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getUserInfo() != null) {
      throw new IllegalArgumentException(
          "remote cache '" + text + "' has a query, fragment or user: " + expected);
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    String instance = path.replaceAll("^/+|/+$", "");
    return new RemoteCacheAddress(uri.getHost(), uri.getPort(), instance, tls);
  }

  @Override
  public String toString() {
    return (tls ? "grpcs://" : "grpc://")
        + (host.contains(":") ? "[" + host + "]" : host)
        + ":"
        + port
        + (instance.isEmpty() ? "" : "/" + instance);
  }
}
