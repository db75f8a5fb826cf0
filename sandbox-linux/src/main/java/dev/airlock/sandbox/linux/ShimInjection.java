package dev.airlock.sandbox.linux;

/**
 * What the launcher needs to put the fast-path shim into a traced command: the shim library's and
 * the record ring's memfds (passed on at {@link Launcher#SHIM_LIBRARY_FD} and {@link
 * Launcher#SHIM_RING_FD}), and the address of the action's syscall page.
 */
public record ShimInjection(int libraryFd, int ringFd, long page) {
  public ShimInjection {
    if (libraryFd < 0 || ringFd < 0) {
      throw new IllegalArgumentException("the shim's fds must be open");
    }
    if (page <= 0 || page % 4096 != 0) {
      throw new IllegalArgumentException("the syscall page must be page-aligned: " + page);
    }
  }
}
