package dev.airlock.daemon.cache;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of the machine that can change an action's result without changing any file it reads:
 * the kernel's major.minor version and the CPU architecture.
 */
public record PlatformKey(String kernel, String arch) {
  private static final Pattern MAJOR_MINOR = Pattern.compile("^(\\d+)\\.(\\d+)");

  public PlatformKey {
    Objects.requireNonNull(kernel, "kernel");
    Objects.requireNonNull(arch, "arch");
  }

  /** This JVM's platform, from {@code os.version} (uname -r) and {@code os.arch}. */
  public static PlatformKey current() {
    return of(System.getProperty("os.version"), System.getProperty("os.arch"));
  }

  /**
   * A platform from a uname release string; only major.minor is kept, since a patch release must
   * not empty the cache.
   */
  public static PlatformKey of(String release, String arch) {
    Matcher m = MAJOR_MINOR.matcher(release);
    return new PlatformKey(m.find() ? m.group(1) + "." + m.group(2) : release, arch);
  }
}
