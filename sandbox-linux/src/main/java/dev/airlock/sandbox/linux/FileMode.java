package dev.airlock.sandbox.linux;

/** The file type bits of st_mode ({@code <sys/stat.h>}), in one place. */
public final class FileMode {
  public static final int S_IFMT = 0170000;
  public static final int S_IFDIR = 0040000;
  public static final int S_IFCHR = 0020000;
  public static final int S_IFREG = 0100000;
  public static final int S_IFLNK = 0120000;

  /** The twelve permission bits, setuid, setgid and sticky included. */
  public static final int PERMISSIONS = 07777;

  private FileMode() {}
}
