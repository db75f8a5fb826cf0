package dev.airlock.sandbox.linux;

import com.sun.jna.Memory;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A memfd shared with traced processes: either a fixed-size region both sides map (the fast path's
 * record ring) or a read-only file (the shim library the loader maps). Sealed, so a tracee holding
 * the fd can neither shrink it under the daemon's mapping (the JVM would fault reading it) nor grow
 * it, nor change a read-only one.
 */
public final class SharedMemory implements AutoCloseable {
  private int fd;
  private final MappedByteBuffer buffer;

  private SharedMemory(int fd, MappedByteBuffer buffer) {
    this.fd = fd;
    this.buffer = buffer;
  }

  /**
   * A zeroed region of {@code bytes}, mapped read-write here; its size is sealed (F_SEAL_SHRINK,
   * F_SEAL_GROW, F_SEAL_SEAL). The fd is close-on-exec; the launcher passes it on explicitly.
   */
  public static SharedMemory create(String name, int bytes) throws ErrnoException, IOException {
    int fd = memfd(name);
    try {
      if (LinuxLibc.ftruncate(fd, bytes) != 0) {
        throw ErrnoException.of("ftruncate(memfd " + name + ")", LinuxLibc.errno());
      }
      seal(fd, name, LinuxLibc.F_SEAL_SHRINK | LinuxLibc.F_SEAL_GROW | LinuxLibc.F_SEAL_SEAL);
      MappedByteBuffer buffer;
      try (FileChannel channel =
          FileChannel.open(
              Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        buffer = channel.map(FileChannel.MapMode.READ_WRITE, 0, bytes);
      }
      return new SharedMemory(fd, buffer);
    } catch (IOException | RuntimeException e) {
      LinuxLibc.close(fd);
      throw e;
    }
  }

  /** A read-only file holding {@code content}, sealed against every change; not mapped here. */
  public static SharedMemory sealedCopy(String name, byte[] content) throws ErrnoException {
    int fd = memfd(name);
    try {
      Memory bytes = LinuxLibc.allocate(Math.max(1, content.length));
      bytes.write(0, content, 0, content.length);
      long done = 0;
      while (done < content.length) {
        long n = LinuxLibc.write(fd, bytes.share(done), content.length - done);
        if (n < 0) {
          int errno = LinuxLibc.errno();
          if (errno == Errno.EINTR) {
            continue;
          }
          throw ErrnoException.of("write(memfd " + name + ")", errno);
        }
        done += n;
      }
      seal(
          fd,
          name,
          LinuxLibc.F_SEAL_WRITE
              | LinuxLibc.F_SEAL_SHRINK
              | LinuxLibc.F_SEAL_GROW
              | LinuxLibc.F_SEAL_SEAL);
      return new SharedMemory(fd, null);
    } catch (ErrnoException | RuntimeException e) {
      LinuxLibc.close(fd);
      throw e;
    }
  }

  private static int memfd(String name) throws ErrnoException {
    int fd = LinuxLibc.memfd_create(name, LinuxLibc.MFD_CLOEXEC | LinuxLibc.MFD_ALLOW_SEALING);
    if (fd < 0) {
      throw ErrnoException.of("memfd_create(" + name + ")", LinuxLibc.errno());
    }
    return fd;
  }

  private static void seal(int fd, String name, int seals) throws ErrnoException {
    if (LinuxLibc.fcntl(fd, LinuxLibc.F_ADD_SEALS, seals) != 0) {
      throw ErrnoException.of("fcntl(memfd " + name + ", F_ADD_SEALS)", LinuxLibc.errno());
    }
  }

  /** The memfd (close-on-exec), or -1 once closed. */
  public synchronized int fd() {
    return fd;
  }

  /** The read-write mapping of a region made by {@link #create}; not usable after close. */
  public ByteBuffer buffer() {
    if (buffer == null) {
      throw new IllegalStateException("a sealed copy is not mapped");
    }
    return buffer;
  }

  /** Closes the fd and unmaps the region; its memory is freed once no tracee maps it either. */
  @Override
  public synchronized void close() {
    if (fd < 0) {
      return;
    }
    LinuxLibc.close(fd);
    fd = -1;
    if (buffer != null) {
      unmap(buffer);
    }
  }

  /**
   * Unmaps now rather than when the collector finds the buffer: a busy daemon maps a ring per
   * action. JDK 17 has no public unmap; {@code sun.misc.Unsafe.invokeCleaner} (module
   * jdk.unsupported) is the sanctioned way, and without it the collector does it later.
   */
  private static void unmap(MappedByteBuffer buffer) {
    try {
      Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
      Field field = unsafeClass.getDeclaredField("theUnsafe");
      field.setAccessible(true);
      Method invokeCleaner = unsafeClass.getMethod("invokeCleaner", ByteBuffer.class);
      invokeCleaner.invoke(field.get(null), buffer);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // left to the garbage collector
    }
  }
}
