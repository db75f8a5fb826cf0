package dev.airlock.sandbox.linux;

import java.nio.file.Path;

/**
 * What the launcher needs to put the fast-path shim into a traced command: the shim library's and
 * the record ring's memfds (passed on at {@link Launcher#SHIM_LIBRARY_FD} and {@link
 * Launcher#SHIM_RING_FD}), the library as a file (preloaded by actions without a pid namespace,
 * which must see it), and the address of the action's syscall page.
 */
public record ShimInjection(int libraryFd, int ringFd, Path libraryFile, long page) {
  public ShimInjection {
    String name = libraryFile.toString();
    // LD_PRELOAD separates entries with colons and spaces.
    if (!libraryFile.isAbsolute() || name.contains(":") || name.contains(" ")) {
      throw new IllegalArgumentException(
          "the shim's file must be absolute, without ':' or ' ': " + libraryFile);
    }
    if (libraryFd < 0 || ringFd < 0) {
      throw new IllegalArgumentException("the shim's fds must be open");
    }
    if (page <= 0 || page % 4096 != 0) {
      throw new IllegalArgumentException("the syscall page must be page-aligned: " + page);
    }
  }
}
