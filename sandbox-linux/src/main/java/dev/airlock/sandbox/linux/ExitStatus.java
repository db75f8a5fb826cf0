package dev.airlock.sandbox.linux;

/** How a process ended (the raw wait status decoded) and what it used. */
public record ExitStatus(int rawStatus, long userCpuMicros, long systemCpuMicros, long maxRssKib) {
  /** True when the process called exit; false when a signal killed it. */
  public boolean exited() {
    return (rawStatus & 0x7f) == 0;
  }

  /** The exit code (WEXITSTATUS); meaningful when {@link #exited()}. */
  public int exitCode() {
    return (rawStatus >> 8) & 0xff;
  }

  /** The killing signal (WTERMSIG); meaningful when not {@link #exited()}. */
  public int signal() {
    return rawStatus & 0x7f;
  }

  @Override
  public String toString() {
    return exited() ? "exit " + exitCode() : "signal " + signal();
  }
}
