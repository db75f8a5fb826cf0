package dev.airlock.daemon.action;

import dev.airlock.daemon.commit.LayerMeter.Usage;
import dev.airlock.protocol.Limits;
import java.util.Locale;

/**
 * What an action's copy-on-write layer may hold, from its policy's limits (0: no bound): allocated
 * bytes ({@code disk_bytes}, also every process's RLIMIT_FSIZE), entries ({@code disk_files}), and
 * the free space it must leave on the layer's filesystem ({@code disk_reserve_bytes}; unset: 1 GiB,
 * at most 5% of the filesystem). Also how a message says it went over one of them.
 */
record DiskQuota(long bytes, long files, long reserve, boolean reserveSet) {
  static final String BYTES = "disk_bytes";
  static final String FILES = "disk_files";
  static final String RESERVE = "disk_reserve_bytes";

  /** The reserve when the policy sets none, and its cap as a share of the filesystem. */
  static final long DEFAULT_RESERVE = 1L << 30;

  static final int DEFAULT_RESERVE_PERCENT = 5;

  static DiskQuota of(Limits limits) {
    return new DiskQuota(
        limits.getDiskBytes(),
        limits.getDiskFiles(),
        limits.getDiskReserveBytes(),
        limits.hasDiskReserveBytes());
  }

  /** The free space to keep on a filesystem of {@code totalBytes}; 0 for none. */
  long reserveOn(long totalBytes) {
    return reserveSet
        ? reserve
        : Math.min(DEFAULT_RESERVE, totalBytes / 100 * DEFAULT_RESERVE_PERCENT);
  }

  /** The limit {@code usage} is over, or null. */
  String exceeded(Usage usage) {
    if (bytes > 0 && usage.bytes() > bytes) {
      return BYTES;
    }
    if (files > 0 && usage.entries() > files) {
      return FILES;
    }
    return null;
  }

  /** Why the layer measured {@code usage} is over {@code limit} (BYTES or FILES). */
  String overMessage(String limit, Usage usage) {
    String bound = limit.equals(BYTES) ? size(bytes) : count(files);
    return "disk quota exceeded: it wrote "
        + written(usage)
        + " to its copy-on-write layer, over "
        + limit
        + " ("
        + bound
        + "); nothing was committed";
  }

  /** Why a file size signal stopped {@code process} (its command line; empty if unknown). */
  String fileSizeMessage(String process) {
    return "disk quota exceeded: "
        + (process.isEmpty() ? "a process" : "'" + process + "'")
        + " tried to write a file past "
        + BYTES
        + " ("
        + size(bytes)
        + "), the most one action may write; nothing was committed";
  }

  /** Why free space under the reserve stopped the action. */
  static String reserveMessage(String filesystem, long free, long reserve, Usage usage) {
    return "disk quota exceeded: the filesystem of "
        + filesystem
        + " has "
        + size(free)
        + " free, under "
        + RESERVE
        + " ("
        + size(reserve)
        + "), while the action wrote "
        + written(usage)
        + "; nothing was committed";
  }

  private static String written(Usage usage) {
    return size(usage.bytes()) + " in " + count(usage.entries()) + " files and directories";
  }

  /** "1.5 GiB", "64.0 MiB", "512 bytes". */
  static String size(long bytes) {
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) {
      return bytes + " bytes";
    }
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }

  private static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
