package dev.airlock.sandbox.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the kernel offers Airlock's sandbox, probed without changing the process: seccomp filters
 * and ptrace are required; missing ones are reported as one line each saying what to do.
 */
public final class LinuxPlatform {
  private static final int PR_SET_SECCOMP = 22;
  private static final int SECCOMP_MODE_FILTER = 2;

  private final Map<String, String> features;
  private final List<String> problems;

  private LinuxPlatform(Map<String, String> features, List<String> problems) {
    this.features = Map.copyOf(features);
    this.problems = List.copyOf(problems);
  }

  /** Probes the running kernel. */
  public static LinuxPlatform probe() {
    Map<String, String> features = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    String os = System.getProperty("os.name");
    if (!"Linux".equals(os)) {
      problems.add("Airlock needs Linux (seccomp, ptrace, namespaces); this is " + os);
      return new LinuxPlatform(features, problems);
    }
    features.put("kernel", System.getProperty("os.version"));
    features.put("arch", System.getProperty("os.arch"));

    // With a NULL program the kernel copies from user memory first: EFAULT proves filter support
    // and changes nothing; EINVAL means the kernel was built without CONFIG_SECCOMP_FILTER.
    int rc = LinuxLibc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0, 0, 0);
    int errno = rc == 0 ? 0 : LinuxLibc.errno();
    boolean seccomp = rc != 0 && errno == Errno.EFAULT;
    features.put("seccomp-filter", seccomp ? "yes" : "no");
    if (!seccomp) {
      problems.add(
          "the kernel has no seccomp-bpf filters (prctl: "
              + Errno.describe(errno)
              + "); use a kernel built with CONFIG_SECCOMP_FILTER");
    }

    String scope = readFirstLine(Path.of("/proc/sys/kernel/yama/ptrace_scope"));
    features.put("ptrace-scope", scope == null ? "none (no Yama)" : scope);
    if ("3".equals(scope)) {
      problems.add(
          "ptrace is disabled (kernel.yama.ptrace_scope=3); it can only be re-enabled by a reboot"
              + " with a lower value");
    } else if ("2".equals(scope) && LinuxLibc.getuid() != 0) {
      problems.add(
          "ptrace is restricted to CAP_SYS_PTRACE (kernel.yama.ptrace_scope=2); run"
              + " 'sysctl kernel.yama.ptrace_scope=1'");
    }
    long abi =
        LinuxLibc.syscall(
            LinuxLibc.SYS_LANDLOCK_CREATE_RULESET, 0, 0, LinuxLibc.LANDLOCK_CREATE_RULESET_VERSION);
    features.put("landlock-abi", abi > 0 ? Long.toString(abi) : "none");
    return new LinuxPlatform(features, problems);
  }

  /** The Landlock ABI version of this kernel, 0 without Landlock. */
  public int landlockAbi() {
    String abi = features.getOrDefault("landlock-abi", "none");
    return abi.equals("none") ? 0 : Integer.parseInt(abi);
  }

  /** Name → value of what was probed, for status output. */
  public Map<String, String> features() {
    return features;
  }

  /** One line per missing requirement; empty when Airlock can run. */
  public List<String> problems() {
    return problems;
  }

  private static String readFirstLine(Path path) {
    try {
      List<String> lines = Files.readAllLines(path);
      return lines.isEmpty() ? null : lines.get(0).trim();
    } catch (IOException e) {
      return null;
    }
  }
}
