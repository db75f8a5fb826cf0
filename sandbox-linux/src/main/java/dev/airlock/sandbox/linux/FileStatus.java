package dev.airlock.sandbox.linux;

import com.sun.jna.Memory;
import dev.airlock.protocol.PathBytes;
import java.nio.file.Path;
import java.util.Optional;

/**
 * lstat(2) through statx(2), for code that stats many paths per request (the action cache checks
 * every path an action read): one native call into a per-thread buffer, without the JDK's attribute
 * maps, boxing and FileTime objects.
 *
 * @param mode st_mode (type and permission bits)
 * @param dev st_dev as glibc's makedev encodes it (what the JDK's {@code unix:dev} returns)
 * @param blocks st_blocks: 512-byte units allocated (a sparse file's size is not what it holds)
 */
public record FileStatus(
    int mode, long dev, long ino, long size, long mtimeNanos, long ctimeNanos, long blocks) {
  private static final int AT_FDCWD = -100;
  private static final int AT_SYMLINK_NOFOLLOW = 0x100;
  private static final int STATX_BASIC_STATS = 0x7ff;
  private static final int STRUCT_STATX_BYTES = 256;
  private static final ThreadLocal<Memory> BUFFER =
      ThreadLocal.withInitial(() -> new Memory(STRUCT_STATX_BYTES));

  /**
   * The status of {@code path} itself (a final symlink is not followed); empty when nothing is
   * there (ENOENT, or ENOTDIR: a file where a directory was expected on the way).
   *
   * @throws ErrnoException for any other failure (EACCES, ELOOP, ENAMETOOLONG)
   */
  public static Optional<FileStatus> lstat(Path path) throws ErrnoException {
    Memory buf = BUFFER.get();
    if (LinuxLibc.statx(AT_FDCWD, LinuxLibc.path(path), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf)
        != 0) {
      int errno = LinuxLibc.errno();
      if (errno == Errno.ENOENT || errno == Errno.ENOTDIR) {
        return Optional.empty();
      }
      throw ErrnoException.of("statx(" + PathBytes.display(PathBytes.of(path)) + ")", errno);
    }
    int mode = buf.getShort(28) & 0xffff;
    long ino = buf.getLong(32);
    long size = buf.getLong(40);
    long blocks = buf.getLong(48);
    long ctime = buf.getLong(96) * 1_000_000_000L + (buf.getInt(104) & 0xffffffffL);
    long mtime = buf.getLong(112) * 1_000_000_000L + (buf.getInt(120) & 0xffffffffL);
    long major = buf.getInt(136) & 0xffffffffL;
    long minor = buf.getInt(140) & 0xffffffffL;
    return Optional.of(
        new FileStatus(mode, makedev(major, minor), ino, size, mtime, ctime, blocks));
  }

  /** glibc's gnu_dev_makedev. */
  static long makedev(long major, long minor) {
    return ((major & 0xfffff000L) << 32)
        | ((major & 0x00000fffL) << 8)
        | ((minor & 0xffffff00L) << 12)
        | (minor & 0x000000ffL);
  }
}
