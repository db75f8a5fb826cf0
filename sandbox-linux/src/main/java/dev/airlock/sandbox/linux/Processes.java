package dev.airlock.sandbox.linux;

/** Process-wide calls the daemon needs once: its identity and detaching from a terminal. */
public final class Processes {
  private Processes() {}

  /** The real uid of this process. */
  public static int uid() {
    return LinuxLibc.getuid();
  }

  /**
   * Whether the peer of a connected stream socket closed it entirely, as opposed to shutting down
   * only its sending side: the kernel reports POLLHUP only when both directions are shut.
   */
  public static boolean peerHungUp(int socketFd) {
    com.sun.jna.Memory pollFd = LinuxLibc.allocate(LinuxLibc.POLLFD_BYTES);
    pollFd.setInt(0, socketFd);
    pollFd.setShort(4, LinuxLibc.POLLRDHUP);
    return LinuxLibc.poll(pollFd, 1, 0) > 0 && (pollFd.getShort(6) & LinuxLibc.POLLHUP) != 0;
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
