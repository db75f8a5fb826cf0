package dev.airlock.sandbox.linux;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * The fast-path shim (libairlock-shim.so, compiled by the Maven build and shipped inside this jar),
 * both in a sealed, read-only memfd and as a file. An action in a pid namespace loads the memfd
 * through {@code /proc/1/fd/N} (its init holds it for the action's life), so it is visible inside
 * every sandbox whatever the policy hides and reachable by processes that closed their own fds; an
 * action without one loads the file, which must then be visible to it. One per daemon; every
 * fast-path action shares it.
 */
public final class ShimLibrary implements AutoCloseable {
  private static final String RESOURCE = "native/libairlock-shim-";

  /**
   * The memfd's name: what the loader's open of it shows in /proc/PID/fd ("/memfd:NAME (deleted)"),
   * which the tracer leaves out of the record.
   */
  public static final String MEMFD_NAME = "airlock-shim";

  private final SharedMemory memory;
  private final Path file;

  private ShimLibrary(SharedMemory memory, Path file) {
    this.memory = memory;
    this.file = file;
  }

  /**
   * Loads the shim of this machine's architecture, extracting its file into {@code dir} (once per
   * content, as {@link LauncherBinary} does).
   *
   * @throws IllegalStateException when this build has no shim for the architecture
   */
  public static ShimLibrary load(Path dir) throws IOException, ErrnoException {
    String arch = System.getProperty("os.arch");
    String resource = RESOURCE + arch + ".so";
    byte[] bytes;
    try (InputStream in = ShimLibrary.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "this Airlock build has no fast-path shim for architecture " + arch);
      }
      bytes = in.readAllBytes();
    }
    Path file = LauncherBinary.extract(bytes, dir, "libairlock-shim-" + arch, ".so").toRealPath();
    return new ShimLibrary(SharedMemory.sealedCopy(MEMFD_NAME, bytes), file);
  }

  /** The memfd (close-on-exec); the launcher passes it on explicitly. */
  public int fd() {
    return memory.fd();
  }

  /** The extracted file, for actions without a pid namespace. */
  public Path file() {
    return file;
  }

  @Override
  public void close() {
    memory.close();
  }
}
