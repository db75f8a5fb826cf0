package dev.airlock.bench;

import java.util.Arrays;

/** Latencies of one variant (in nanoseconds) and the wall time they took together. */
final class Samples {
  private long[] latencies = new long[1024];
  private int count;
  private long wallNanos;

  synchronized void add(long[] batch, int n, long batchWallNanos) {
    if (count + n > latencies.length) {
      latencies = Arrays.copyOf(latencies, Math.max(latencies.length * 2, count + n));
    }
    System.arraycopy(batch, 0, latencies, count, n);
    count += n;
    wallNanos += batchWallNanos;
  }

  int count() {
    return count;
  }

  /** Actions per second over the measured batches (their wall time, not the latency sum). */
  double throughput() {
    return wallNanos == 0 ? 0 : count / (wallNanos / 1e9);
  }

  /** The nearest-rank percentile (0 < p <= 100) in milliseconds. */
  double percentileMillis(double p) {
    if (count == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(latencies, count);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * count);
    return sorted[Math.max(0, Math.min(count, rank) - 1)] / 1e6;
  }

  /** The median in milliseconds (the mean of the two middle values for an even count). */
  double medianMillis() {
    if (count == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(latencies, count);
    Arrays.sort(sorted);
    return (sorted[(count - 1) / 2] + sorted[count / 2]) / 2.0 / 1e6;
  }

  double maxMillis() {
    return percentileMillis(100);
  }

  double minMillis() {
    if (count == 0) {
      return Double.NaN;
    }
    long min = Long.MAX_VALUE;
    for (int i = 0; i < count; i++) {
      min = Math.min(min, latencies[i]);
    }
    return min / 1e6;
  }

  double meanMillis() {
    if (count == 0) {
      return Double.NaN;
    }
    double sum = 0;
    for (int i = 0; i < count; i++) {
      sum += latencies[i];
    }
    return sum / count / 1e6;
  }
}
