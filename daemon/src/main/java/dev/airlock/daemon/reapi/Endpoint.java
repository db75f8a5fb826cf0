package dev.airlock.daemon.reapi;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a gRPC front end listens: {@code HOST:PORT} (a bare {@code PORT} is 127.0.0.1:PORT, so
 * nothing beyond this machine is reached unless the user names another address) or {@code
 * unix:PATH}.
 */
public record Endpoint(Optional<String> host, int port, Optional<Path> socket) {
  /**
   * Parses an endpoint as given on the command line.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static Endpoint parse(String text) {
    if (text.startsWith("unix:")) {
      String path = text.substring("unix:".length());
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException(
            "'" + text + "': a unix: endpoint needs an absolute path");
      }
      return new Endpoint(Optional.empty(), 0, Optional.of(Path.of(path)));
    }
    int colon = text.lastIndexOf(':');
    String host = colon < 0 ? "127.0.0.1" : text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    String port = colon < 0 ? text : text.substring(colon + 1);
    try {
      int p = Integer.parseInt(port);
      if (p < 0 || p > 65535 || host.isEmpty()) {
        throw new NumberFormatException();
      }
      return new Endpoint(Optional.of(host), p, Optional.empty());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not HOST:PORT, PORT or unix:/absolute/path");
    }
  }

  @Override
  public String toString() {
    return socket.map(s -> "unix:" + s).orElseGet(() -> host.orElseThrow() + ":" + port);
  }
}
