package dev.airlock.sandbox.linux.trace;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Whether this kernel has the i386 syscall entry (ia32 emulation). A kernel built without it, or
 * booted with {@code ia32_emulation=0}, answers {@code int $0x80} with SIGSEGV before any syscall
 * happens, natively as under the tracer: there the escape through the foreign ABI does not exist.
 * Probed once per JVM with a tiny program run natively, not under the tracer.
 */
final class I386Abi {
  /** Why the i386 escape tests are skipped where the entry is missing. */
  static final String MISSING =
      "this kernel has no i386 syscall entry (int $0x80 is SIGSEGV natively), so the escape does"
          + " not exist";

  private static final int SIGSEGV = 11;

  private static final String PROBE =
      """
      #include <stdio.h>
      #include <unistd.h>
      int main(void) {
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory"); /* i386 getpid */
        printf("%d\\n", r == getpid());
        return 0;
      }
      """;

  private static Boolean present;

  private I386Abi() {}

  /**
   * True when {@code int $0x80} reaches the kernel's i386 syscall table, false when it is SIGSEGV.
   * Any other outcome of the probe fails the calling test: it would be a broken probe, not a
   * missing ABI.
   */
  static synchronized boolean present() throws Exception {
    if (present == null) {
      present = probe();
    }
    return present;
  }

  private static boolean probe() throws Exception {
    Path dir = Files.createTempDirectory("airlock-i386-probe-");
    try {
      Path program = TraceHarness.compile(dir, "int80-probe", PROBE);
      Process p = new ProcessBuilder(program.toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the int $0x80 probe did not finish");
      // The JDK reports a death by signal N as 128 + N.
      if (p.exitValue() == 128 + SIGSEGV) {
        return false;
      }
      if (p.exitValue() == 0 && out.equals("1\n")) {
        return true;
      }
      throw new AssertionError(
          "the int $0x80 probe neither worked nor died of SIGSEGV: status "
              + p.exitValue()
              + ", output <"
              + out
              + ">");
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(f);
        }
      }
    }
  }
}
