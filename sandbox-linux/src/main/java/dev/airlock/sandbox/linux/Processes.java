package dev.airlock.sandbox.linux;

/** Process-wide calls the daemon needs once: its identity and detaching from a terminal. */
public final class Processes {
  private Processes() {}

  /** The real uid of this process. */
  public static int uid() {
    return LinuxLibc.getuid();
  }

  /**
   * Starts a new session so that the terminal's signals (Ctrl-C in the shell that started the
   * client) never reach a daemon running in the background. A process that already leads a group
   * cannot, and need not, do so.
   */
  public static void detachFromTerminal() {
    LinuxLibc.setsid();
  }
}
