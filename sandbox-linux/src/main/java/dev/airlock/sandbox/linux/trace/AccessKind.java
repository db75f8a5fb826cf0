package dev.airlock.sandbox.linux.trace;

/** What an action did to a path. The label is the name used in reports and JSON. */
public enum AccessKind {
  /**
   * Opened for reading and succeeded; an exec'd binary's interpreter; a readlink; a followed link.
   */
  READ("read"),
  /** Opened with write intent and succeeded. */
  WRITE("write"),
  /** Brought into existence (O_CREAT of a missing file, mkdir, mknod). */
  CREATE("create"),
  TRUNCATE("truncate"),
  DELETE("delete"),
  RENAME_FROM("rename-from"),
  RENAME_TO("rename-to"),
  /** Looked at (stat, access, an O_PATH or directory open, a failed open of an existing path). */
  STAT_PROBE("stat-probe"),
  /** Looked for and not found (ENOENT or ENOTDIR): a negative dependency. */
  ABSENT_PROBE("absent-probe"),
  /** Listed a directory (getdents). */
  ENUMERATE("enumerate"),
  EXEC("exec"),
  /** A hard link created at this path. */
  LINK("link"),
  /** A symbolic link created at this path. */
  SYMLINK("symlink"),
  ATTRIBUTE_CHANGE("attribute-change"),
  /** A call that escapes or bypasses path tracing: mount, chroot, open_by_handle_at, io_uring. */
  ESCAPE("escape"),
  /**
   * A connect(2); the path is the address: {@code inet:127.0.0.1:80}, {@code inet6:[::1]:80},
   * {@code unix:/run/x.sock} or {@code unix:@abstract}.
   */
  CONNECT("connect");

  private final String label;

  AccessKind(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
