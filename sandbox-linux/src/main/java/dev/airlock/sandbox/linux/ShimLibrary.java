package dev.airlock.sandbox.linux;

import java.io.IOException;
import java.io.InputStream;

/**
 * The fast-path shim (libairlock-shim.so, compiled by the Maven build and shipped inside this jar)
 * in a sealed, read-only memfd. Traced processes load it through {@code /proc/1/fd/N} or {@code
 * /proc/self/fd/N}, so it is visible inside every sandbox whatever the policy hides, and no file on
 * disk can be swapped under it. One per daemon; every fast-path action shares it.
 */
public final class ShimLibrary implements AutoCloseable {
  private static final String RESOURCE = "native/libairlock-shim-";

  private final SharedMemory memory;

  private ShimLibrary(SharedMemory memory) {
    this.memory = memory;
  }

  /**
   * Loads the shim of this machine's architecture.
   *
   * @throws IllegalStateException when this build has no shim for the architecture
   */
  public static ShimLibrary load() throws IOException, ErrnoException {
    String arch = System.getProperty("os.arch");
    byte[] bytes;
    try (InputStream in = ShimLibrary.class.getResourceAsStream(RESOURCE + arch + ".so")) {
      if (in == null) {
        throw new IllegalStateException(
            "this Airlock build has no fast-path shim for architecture " + arch);
      }
      bytes = in.readAllBytes();
    }
    return new ShimLibrary(SharedMemory.sealedCopy(MEMFD_NAME, bytes));
  }

  /**
   * The memfd's name: what the loader's open of it shows in /proc/PID/fd ("/memfd:NAME (deleted)"),
   * which the tracer leaves out of the record.
   */
  public static final String MEMFD_NAME = "airlock-shim";

  /** The memfd (close-on-exec); the launcher passes it on explicitly. */
  public int fd() {
    return memory.fd();
  }

  @Override
  public void close() {
    memory.close();
  }
}
