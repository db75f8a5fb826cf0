package dev.airlock.sandbox.linux.trace;

import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * Turns the path arguments of a tracee's syscall into absolute paths the way the kernel resolves
 * them, looking at the filesystem through {@code /proc/PID/root} (what the process sees, not what
 * the daemon sees). Relative paths resolve against the thread's cwd or the dirfd, read from {@code
 * /proc/TID/cwd} and {@code /proc/TID/fd/N}; {@code ..} is never collapsed lexically, since a
 * symlink may precede it. Every symlink traversed is reported: it is an input of the action.
 */
final class PathResolver {
  static final int AT_FDCWD = -100;
  private static final int MAX_LINK_HOPS = 40;
  private static final String DELETED_SUFFIX = " (deleted)";

  /** What /proc's magic links to non-files point at: "pipe:[12]", "anon_inode:[eventfd]". */
  private static final java.util.regex.Pattern MAGIC_TARGET =
      java.util.regex.Pattern.compile("[a-z_]+:");

  /**
   * Paths already walked and known not to be symlinks (existing or not), until a mutation at or
   * above them. Sorted, so that a mutation of a directory drops everything below it.
   */
  private final NavigableSet<String> plain = new TreeSet<>();

  /** A thread's id as its own pid namespace numbers it (NSpid), per host tid. */
  private final Map<Integer, Integer> namespaceIds = new HashMap<>();

  /** Working directory per thread, until the next chdir or fchdir of any tracee. */
  private final Map<Integer, String> cwds = new HashMap<>();

  /**
   * Forgets what is cached about {@code path} and everything below it; call after the action
   * created, removed or renamed it. Working directories are forgotten too (a rename moves them).
   */
  void invalidate(String path) {
    plain.remove(path);
    plain.subSet(path + "/", true, path + "0", false).clear(); // '0' follows '/' in ASCII
    cwds.clear();
  }

  /**
   * The absolute path {@code path} names for thread {@code tid} relative to {@code dirfd}, with
   * symlinks resolved in every component (and in the last one when {@code followLast}); links
   * traversed are added to {@code links}. Returns null when the base directory is unknown.
   */
  String resolve(int tid, int pid, int dirfd, String path, boolean followLast, List<String> links) {
    String joined;
    if (path.startsWith("/")) {
      joined = path;
    } else {
      String base = dirfd == AT_FDCWD ? cwd(tid) : fdPath(tid, dirfd);
      if (base == null) {
        return null;
      }
      joined = path.isEmpty() ? base : base + "/" + path;
    }
    return walk(tid, pid, "", joined, followLast, links);
  }

  /**
   * Like {@link #resolve}, but with the dirfd's directory as the root (openat2's RESOLVE_IN_ROOT):
   * absolute paths, absolute link targets and {@code ..} stay inside it.
   */
  String resolveInRoot(
      int tid, int pid, int dirfd, String path, boolean followLast, List<String> links) {
    String base = dirfd == AT_FDCWD ? cwd(tid) : fdPath(tid, dirfd);
    if (base == null || !base.startsWith("/")) {
      return null;
    }
    return walk(tid, pid, base.equals("/") ? "" : base, base + "/" + path, followLast, links);
  }

  /**
   * Resolves an absolute path a process of the action named, looking at the filesystem through
   * {@code root} (a directory of this process standing for the action's root, such as an open
   * handle's {@code /proc/self/fd/N}) instead of the process's own /proc entry, which may be gone
   * by now. {@code nsPid} and {@code nsTid} are what /proc/self and /proc/thread-self named for it.
   */
  String resolveAt(
      String root, int nsPid, int nsTid, String absolute, boolean followLast, List<String> links) {
    if (!absolute.startsWith("/")) {
      return null;
    }
    return walk(root, 0, 0, nsPid, nsTid, "", absolute, followLast, links);
  }

  /** The thread's working directory, or null when it vanished. */
  String cwd(int tid) {
    String cwd = cwds.get(tid);
    if (cwd == null) {
      cwd = link("/proc/" + tid + "/cwd");
      if (cwd != null) {
        cwds.put(tid, cwd);
      }
    }
    return cwd;
  }

  /**
   * Forgets every cached working directory: a chdir can affect other threads (CLONE_FS), and a
   * renamed directory changes the path of every cwd inside it.
   */
  void forgetWorkingDirectories() {
    cwds.clear();
  }

  /** Forgets what is known of a thread that is gone (its tid may be reused). */
  void forget(int tid) {
    cwds.remove(tid);
    namespaceIds.remove(tid);
  }

  /**
   * The id the tracee's own pid namespace gives host thread {@code tid}: the last field of NSpid in
   * /proc/TID/status (the id itself outside a pid namespace). Its /proc shows that number.
   */
  int namespaceId(int tid) {
    Integer known = namespaceIds.get(tid);
    if (known != null) {
      return known;
    }
    int id = tid;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + tid + "/status"))) {
        if (line.startsWith("NSpid:")) {
          String[] ids = line.substring(6).trim().split("\\s+");
          id = Integer.parseInt(ids[ids.length - 1]);
          break;
        }
      }
    } catch (IOException | RuntimeException e) {
      return tid; // vanished: nothing will be resolved for it
    }
    namespaceIds.put(tid, id);
    return id;
  }

  /** What the thread's fd refers to ("/x/y", "pipe:[123]", ...), or null when unknown. */
  String fdPath(int tid, int fd) {
    String target = link("/proc/" + tid + "/fd/" + fd);
    if (target != null && target.endsWith(DELETED_SUFFIX)) {
      return target.substring(0, target.length() - DELETED_SUFFIX.length());
    }
    return target;
  }

  /** The target of a /proc magic link such as /proc/PID/exe, without " (deleted)". */
  String fdPathOf(String procLink) {
    String target = link(procLink);
    if (target != null && target.endsWith(DELETED_SUFFIX)) {
      return target.substring(0, target.length() - DELETED_SUFFIX.length());
    }
    return target;
  }

  /** Whether an absolute path exists for the process, without following a final symlink. */
  boolean exists(int pid, String absolute) {
    return Files.exists(
        PathBytes.toPath("/proc/" + pid + "/root" + absolute),
        java.nio.file.LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Whether an absolute path exists as the daemon sees the host (not through the action's mount
   * namespace, which may cover it), without following a final symlink.
   */
  boolean existsOnHost(String absolute) {
    return Files.exists(PathBytes.toPath(absolute), java.nio.file.LinkOption.NOFOLLOW_LINKS);
  }

  /** Whether an fd of the thread refers to a directory. */
  boolean isDirectoryFd(int tid, int fd) {
    return Files.isDirectory(Path.of("/proc/" + tid + "/fd/" + fd));
  }

  /**
   * Walks {@code absolute} (which starts with {@code floor}) component by component as the kernel
   * would for thread {@code tid} of process {@code pid}: never above {@code floor}, with absolute
   * link targets restarting at {@code floor}.
   */
  private String walk(
      int tid, int pid, String floor, String absolute, boolean followLast, List<String> links) {
    return walk("/proc/" + tid + "/root", tid, pid, -1, -1, floor, absolute, followLast, links);
  }

  /**
   * As above, looking through {@code root}; {@code nsPid} and {@code nsTid} (when not negative) are
   * what /proc/self and /proc/thread-self name, else they are looked up for pid and tid.
   */
  private String walk(
      String root,
      int tid,
      int pid,
      int nsPid,
      int nsTid,
      String floor,
      String absolute,
      boolean followLast,
      List<String> links) {
    Deque<String> todo = new ArrayDeque<>();
    push(todo, absolute.substring(floor.length()));
    StringBuilder current = new StringBuilder(floor);
    int hops = 0;
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (name.equals("..")) {
        int slash = current.lastIndexOf("/");
        current.setLength(Math.max(slash, floor.length()));
        continue;
      }
      int parentLength = current.length();
      current.append('/').append(name);
      // /proc/self and /proc/thread-self name the process that looks, which must be the tracee
      // and not the daemon doing the resolving.
      // In a pid namespace of its own the tracee's /proc numbers processes its own way.
      if (current.length() == 10 && current.toString().equals("/proc/self")) {
        current.setLength(parentLength);
        current.append("/").append(nsPid >= 0 ? nsPid : namespaceId(pid));
        continue;
      }
      if (current.length() == 17 && current.toString().equals("/proc/thread-self")) {
        current.setLength(parentLength);
        current
            .append("/")
            .append(nsPid >= 0 ? nsPid : namespaceId(pid))
            .append("/task/")
            .append(nsTid >= 0 ? nsTid : namespaceId(tid));
        continue;
      }
      boolean last = todo.isEmpty();
      if (last && !followLast) {
        break;
      }
      String candidate = current.toString();
      if (plain.contains(candidate)) {
        continue;
      }
      Path seen = PathBytes.toPath(root + candidate);
      if (Files.isSymbolicLink(seen)) {
        String target;
        try {
          target = PathBytes.of(Files.readSymbolicLink(seen));
        } catch (IOException e) {
          continue;
        }
        links.add(candidate);
        if (candidate.startsWith("/proc/") && MAGIC_TARGET.matcher(target).lookingAt()) {
          // A magic link to a pipe, socket or anonymous inode: nothing further on disk. (Plain
          // relative links such as /proc/mounts -> self/mounts are followed.)
          return candidate;
        }
        if (++hops > MAX_LINK_HOPS) {
          return candidate;
        }
        current.setLength(target.startsWith("/") ? floor.length() : parentLength);
        push(todo, target);
      } else if (!candidate.startsWith("/proc/")) {
        plain.add(candidate);
      }
    }
    return current.length() == 0 ? "/" : current.toString();
  }

  /** Pushes the components of {@code path} in front of {@code todo}, keeping their order. */
  private static void push(Deque<String> todo, String path) {
    String[] parts = path.split("/");
    for (int i = parts.length - 1; i >= 0; i--) {
      if (!parts[i].isEmpty() && !parts[i].equals(".")) {
        todo.push(parts[i]);
      }
    }
  }

  private static String link(String proc) {
    try {
      return PathBytes.of(Files.readSymbolicLink(Path.of(proc)));
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }
}
