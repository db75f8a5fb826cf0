package dev.airlock.sandbox.linux.trace;

/**
 * How an action is traced. Both modes record the same accesses for a cooperative program; they
 * differ in cost and in what a hostile one can do to its own record. Enforcement is the kernel
 * layers' in both (mount namespace, Landlock, seccomp).
 */
public enum TraceMode {
  /**
   * Every traced syscall stops for ptrace: the tracer reads its arguments from a stopped thread.
   * Nothing runs in the traced process on the tracer's behalf. For commands whose record must hold
   * against the command itself ({@code --trace=strict}).
   */
  STRICT,
  /**
   * The hot read-only file calls of dynamically linked glibc programs are served and logged by the
   * preloaded shim without a stop ({@link FastPath}); everything else stops as in strict mode. A
   * process can leave calls out of its own record (it runs the shim's code and can write its log).
   */
  FAST
}
