/* See confine.h. Every step names its kernel fact; failures return the errno to the caller. */
#define _GNU_SOURCE
#include "confine.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#define OPEN_TREE_CLONE_ 1
#define AT_RECURSIVE_ 0x8000
#define MOVE_MOUNT_F_EMPTY_PATH_ 0x00000004
#define MOUNT_ATTR_RDONLY_ 0x00000001

struct mount_attr_ {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = write(fd, text, strlen(text));
  int err = n < 0 ? errno : 0;
  close(fd);
  return err;
}

static int loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  int err = 0;
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
    err = errno;
  } else {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) err = errno;
  }
  close(s);
  return err;
}

int confine_namespaces(const struct confinement *c) {
  if (!c->userns) return 0;
  uid_t uid = getuid();
  gid_t gid = getgid();
  int flags = CLONE_NEWUSER | CLONE_NEWNS | (c->netns ? CLONE_NEWNET : 0) |
              (c->pidns ? CLONE_NEWPID : 0);
  if (unshare(flags) != 0) return errno;
  /* An unprivileged process must deny setgroups before it may write gid_map. */
  char map[64];
  int err = write_file("/proc/self/setgroups", "deny");
  if (err != 0 && err != ENOENT) return err;
  snprintf(map, sizeof map, "%u %u 1", uid, uid);
  if ((err = write_file("/proc/self/uid_map", map)) != 0) return err;
  snprintf(map, sizeof map, "%u %u 1", gid, gid);
  if ((err = write_file("/proc/self/gid_map", map)) != 0) return err;
  if (c->netns == 2 && (err = loopback_up()) != 0) return err;
  return 0;
}

/* mkdir -p for a mount point inside the new /tmp. */
static void make_dirs(const char *path) {
  char buf[4096];
  size_t len = strlen(path);
  if (len >= sizeof buf) return;
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i < len; i++) {
    if (buf[i] == '/') {
      buf[i] = '\0';
      mkdir(buf, 0755);
      buf[i] = '/';
    }
  }
  mkdir(buf, 0755);
}

int confine_mounts(const struct confinement *c) {
  if (!c->userns) return 0;
  /* Nothing done here may propagate back to the host. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return errno;
  /* A procfs of the action's own pid namespace: it shows the action's processes only, so
   * /proc/PID of anything outside the action is absent. Mounted by the namespace's init. */
  if (c->pidns &&
      mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
    return errno;
  /* Copy-on-write roots, before anything hides the state directory that holds their upper
   * dirs: the mount keeps its own references. userxattr keeps overlay metadata in user.*
   * xattrs, which a user namespace may write; volatile spares the unmount at the action's end a
   * sync of the whole upper filesystem (the daemon syncs what it commits). */
  if (c->n_ovl_lower != c->n_ovl_dir) return EINVAL;
  for (int i = 0; i < c->n_ovl_lower; i++) {
    char options[3 * 4096 + 64];
    int n = snprintf(options, sizeof options,
                     "userxattr,volatile,lowerdir=%s,upperdir=%s/upper,workdir=%s/work", c->ovl_lower[i],
                     c->ovl_dir[i], c->ovl_dir[i]);
    if (n < 0 || (size_t)n >= sizeof options) return ENAMETOOLONG;
    if (mount("overlay", c->ovl_lower[i], "overlay", 0, options) != 0) return errno;
  }
  /* Writable roots become mount points of their own, so the read-only flag can be lifted from
   * them alone afterwards. */
  for (int i = 0; i < c->n_rw; i++) {
    if (access(c->rw[i], F_OK) != 0) continue;
    if (mount(c->rw[i], c->rw[i], NULL, MS_BIND | MS_REC, NULL) != 0) return errno;
  }
  if (c->private_tmp) {
    /* Paths under /tmp that must stay visible (the workspace, declared inputs) are cloned as
     * detached trees before the tmpfs covers them, then moved back on top of it. */
    int keep_fd[CONFINE_MAX_PATHS];
    for (int i = 0; i < c->n_keep; i++) {
      keep_fd[i] = (int)syscall(SYS_open_tree, AT_FDCWD, c->keep[i],
                                OPEN_TREE_CLONE_ | AT_RECURSIVE_ | O_CLOEXEC);
      if (keep_fd[i] < 0 && errno != ENOENT) return errno;
    }
    char tmp_options[64] = "mode=1777";
    if (c->tmp_size >= 0)
      snprintf(tmp_options, sizeof tmp_options, "mode=1777,size=%lld", c->tmp_size);
    if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, tmp_options) != 0) return errno;
    for (int i = 0; i < c->n_keep; i++) {
      if (keep_fd[i] < 0) continue;
      make_dirs(c->keep[i]);
      if (syscall(SYS_move_mount, keep_fd[i], "", AT_FDCWD, c->keep[i],
                  MOVE_MOUNT_F_EMPTY_PATH_) != 0)
        return errno;
      close(keep_fd[i]);
    }
  }
  for (int i = 0; i < c->n_hide; i++) {
    struct stat st;
    if (lstat(c->hide[i], &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (mount("tmpfs", c->hide[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "size=4k,mode=000") != 0)
        return errno;
    } else if (mount("/dev/null", c->hide[i], NULL, MS_BIND, NULL) != 0) {
      return errno;
    }
  }
  if (c->ro_root) {
    struct mount_attr_ ro = {.attr_set = MOUNT_ATTR_RDONLY_};
    struct mount_attr_ rw = {.attr_clr = MOUNT_ATTR_RDONLY_};
    if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE_, &ro, sizeof ro) != 0)
      return errno;
    /* The private /tmp alone (not recursively: a kept input under it stays read-only). */
    if (c->private_tmp &&
        syscall(SYS_mount_setattr, AT_FDCWD, "/tmp", 0, &rw, sizeof rw) != 0)
      return errno;
    for (int i = 0; i < c->n_rw; i++) {
      if (access(c->rw[i], F_OK) != 0) continue;
      if (syscall(SYS_mount_setattr, AT_FDCWD, c->rw[i], AT_RECURSIVE_, &rw, sizeof rw) != 0)
        return errno;
    }
    for (int i = 0; i < c->n_ovl_lower; i++) {
      if (syscall(SYS_mount_setattr, AT_FDCWD, c->ovl_lower[i], 0, &rw, sizeof rw) != 0)
        return errno;
    }
  }
  return 0;
}

int confine_rlimits(const struct confinement *c) {
  struct rlimit lim;
  if (c->rlimit_nproc >= 0) {
    lim.rlim_cur = lim.rlim_max = (rlim_t)c->rlimit_nproc;
    if (setrlimit(RLIMIT_NPROC, &lim) != 0) return errno;
  }
  if (c->rlimit_as >= 0) {
    lim.rlim_cur = lim.rlim_max = (rlim_t)c->rlimit_as;
    if (setrlimit(RLIMIT_AS, &lim) != 0) return errno;
  }
  if (c->rlimit_cpu >= 0) {
    lim.rlim_cur = lim.rlim_max = (rlim_t)c->rlimit_cpu;
    if (setrlimit(RLIMIT_CPU, &lim) != 0) return errno;
  }
  if (c->rlimit_fsize >= 0) {
    lim.rlim_cur = lim.rlim_max = (rlim_t)c->rlimit_fsize;
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0) return errno;
  }
  return 0;
}

/* Landlock filesystem rights (linux/landlock.h), by the ABI that introduced them. */
#define LL_EXECUTE (1ULL << 0)
#define LL_WRITE_FILE (1ULL << 1)
#define LL_READ_FILE (1ULL << 2)
#define LL_READ_DIR (1ULL << 3)
#define LL_ABI1_ALL ((1ULL << 13) - 1)
#define LL_REFER (1ULL << 13)    /* ABI 2 */
#define LL_TRUNCATE (1ULL << 14) /* ABI 3 */
#define LL_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define LL_FILE_RIGHTS (LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | LL_TRUNCATE | LL_IOCTL_DEV)

struct ll_ruleset_attr {
  uint64_t handled_access_fs;
};
struct __attribute__((packed)) ll_path_beneath {
  uint64_t allowed_access;
  int32_t parent_fd;
};

static int add_rules(int ruleset, const char *const *paths, int n, uint64_t rights,
                     uint64_t handled) {
  for (int i = 0; i < n; i++) {
    int fd = open(paths[i], O_PATH | O_CLOEXEC);
    if (fd < 0) continue; /* a path that does not exist grants nothing */
    struct stat st;
    uint64_t allowed = rights & handled;
    /* A rule on a file may carry only file rights. */
    if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) allowed &= LL_FILE_RIGHTS;
    struct ll_path_beneath rule = {.allowed_access = allowed, .parent_fd = fd};
    int rc = (int)syscall(SYS_landlock_add_rule, ruleset, 1 /* PATH_BENEATH */, &rule, 0);
    int err = rc != 0 ? errno : 0;
    close(fd);
    if (err != 0) return err;
  }
  return 0;
}

int confine_landlock(const struct confinement *c) {
  if (c->n_ll_ro + c->n_ll_rx + c->n_ll_rw + c->n_ll_dir == 0) return 0;
  long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1 /* VERSION */);
  if (abi < 1) return 0; /* no Landlock: the daemon knew and reports it (status, results) */
  uint64_t handled = LL_ABI1_ALL;
  if (abi >= 2) handled |= LL_REFER;
  if (abi >= 3) handled |= LL_TRUNCATE;
  if (abi >= 5) handled |= LL_IOCTL_DEV;
  struct ll_ruleset_attr attr = {.handled_access_fs = handled};
  int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (ruleset < 0) return errno;
  int err = add_rules(ruleset, c->ll_ro, c->n_ll_ro, LL_READ_FILE | LL_READ_DIR, handled);
  if (err == 0)
    err = add_rules(ruleset, c->ll_rx, c->n_ll_rx, LL_EXECUTE | LL_READ_FILE | LL_READ_DIR,
                    handled);
  if (err == 0) err = add_rules(ruleset, c->ll_rw, c->n_ll_rw, handled, handled);
  if (err == 0) err = add_rules(ruleset, c->ll_dir, c->n_ll_dir, LL_READ_DIR, handled);
  if (err == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) err = errno;
  close(ruleset);
  return err;
}
