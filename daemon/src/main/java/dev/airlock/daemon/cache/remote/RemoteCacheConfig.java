package dev.airlock.daemon.cache.remote;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * The daemon's remote cache: where it is, whether stored entries are uploaded ({@code
 * --remote-cache-mode readwrite}) or only fetched ({@code read}), and the deadline of every call.
 */
public record RemoteCacheConfig(RemoteCacheAddress address, boolean upload, Duration timeout) {
  /** Bounds each remote call (a large blob's transfer gets more, see {@link CasClient}). */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  public RemoteCacheConfig {
    Objects.requireNonNull(address);
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("the remote cache timeout must be positive");
    }
  }

  /** {@code read} or {@code readwrite}: whether this daemon uploads what it stores. */
  public static boolean uploads(String mode) {
    return switch (mode.toLowerCase(Locale.ROOT)) {
      case "read" -> false;
      case "readwrite" -> true;
      default ->
          throw new IllegalArgumentException(
              "--remote-cache-mode must be read or readwrite, not '" + mode + "'");
    };
  }
}
