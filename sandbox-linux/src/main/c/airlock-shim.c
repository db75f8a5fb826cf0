/*
 * libairlock-shim.so: Airlock's in-process fast path for tracing.
 *
 * Preloaded (LD_PRELOAD) into every dynamically linked process of an action traced in fast mode.
 * It takes over the hot, non-mutating file calls of glibc (open for reading, stat, access,
 * readlink, getdents), issues each through the one syscall instruction of a page of its own, and
 * logs what it asked and what it got into a ring of records shared with the daemon. The action's
 * seccomp filter lets those syscalls run without a ptrace stop only when they come from that
 * instruction; every other syscall stops for the tracer exactly as without the shim. The daemon
 * drains the ring at every ptrace stop, before handling the stop.
 *
 * Contract (written by FastPath/RecordRing in Java; tested by ShimTraceTest):
 *
 *   AIRLOCK_SHIM=ring=FD,page=0xADDR[,reopen=PATH]
 *
 *   - FD is the ring: a sealed memfd, mapped MAP_SHARED; layout below (struct ring_header,
 *     struct slot). PATH (optional) names the same memfd through another process, used when FD
 *     was closed (e.g. "/proc/1/fd/6", held by the pid namespace's init).
 *   - ADDR is the page-aligned address of the syscall page, chosen at random per action. The
 *     shim maps it with exactly mmap(ADDR, 4096, PROT_READ|PROT_WRITE,
 *     MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE) and, after writing the stub, exactly
 *     mprotect(ADDR, 4096, PROT_READ|PROT_EXEC): the only two calls near the page the filter lets
 *     through without a stop. The stub's syscall instruction ends at ADDR + STUB_RETURN_OFFSET.
 *
 * Soundness rules:
 *   - only non-mutating calls take the fast path: an open with write access, O_CREAT, O_TRUNC or
 *     O_TMPFILE, and every call with a real dirfd and a relative path, go the normal way (their
 *     own syscall instruction in this library's text: a ptrace stop);
 *   - a path is served only where the ring's scope allows it (the tracer writes the policy's
 *     fully allowed roots there), never when it does not fit a slot;
 *   - a full ring, a missing ring or page, an unexpected libc function prologue: the normal way.
 *     Slower, never unrecorded.
 *
 * libc only, no stdio, no malloc: the handlers run in signal handlers and vfork children.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <pthread.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#if defined(__x86_64__)

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef __O_TMPFILE
#define __O_TMPFILE 020000000
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PAGE 4096UL

/* The ring, shared with RecordRing.java: keep the offsets in step (checked below). */
#define RING_MAGIC 0x4c524941u /* "AIRL" */
#define RING_VERSION 1u
#define RING_FLAG_ENABLED 1u

struct ring_header {
  uint32_t magic;
  uint32_t version;
  uint32_t header_bytes; /* slots start here; a multiple of the page size */
  uint32_t slot_count;   /* a power of two */
  uint32_t slot_bytes;   /* a multiple of 64 */
  uint32_t flags;        /* RING_FLAG_ENABLED: the tracer wants the fast path */
  uint32_t scope_offset; /* entries: one sign byte ('+', '?' or '-'), an absolute path, NUL */
  uint32_t scope_bytes;
  uint8_t pad0[32];
  uint64_t head; /* next position to reserve (atomic add) */
  uint8_t pad1[56];
  uint64_t processes;  /* processes whose shim started (atomic add) */
  uint64_t unpatched;  /* bit i: targets[i] was left to ptrace in some process (atomic or) */
  uint64_t full;       /* calls sent the normal way because their slot was still in use */
  uint64_t ineligible; /* calls sent the normal way by the rules above */
  uint32_t unpin;      /* nonzero: once started, move this process to the CPUs below */
  uint8_t pad2[92];
  uint8_t cpus[128]; /* a cpu_set_t: the CPUs the tracer pinned the process away from */
};

/* A slot's state word: position << 2 | tag. A slot is FREE for one position at a time; the
 * writer that reserved that position claims it with a compare-and-swap, fills it, and publishes
 * it with a release store; the reader consumes it and frees it for a later position. */
enum { SLOT_FREE = 0, SLOT_CLAIMED = 1, SLOT_PUBLISHED = 2 };

struct slot {
  uint64_t state;
  uint32_t tid;     /* as gettid(2) returns it: numbered in the action's pid namespace */
  uint32_t pid;     /* as getpid(2) returns it (what /proc/self names for this process) */
  uint32_t syscall; /* the x86_64 number issued; 0: nothing (the slot was given up) */
  int32_t dirfd;
  uint32_t flags; /* open flags, or AT_* flags */
  uint32_t mode;  /* st_mode of what was opened or stat'ed, 0 when unknown */
  int64_t result; /* the raw return value: >= 0, or -errno */
  uint64_t dev;   /* of what was opened or stat'ed, when known */
  uint64_t ino;
  uint32_t path_len; /* bytes of path, without the NUL */
  uint32_t reserved;
  char path[]; /* absolute (joined to the cwd when the argument was relative), NUL-terminated */
};

_Static_assert(offsetof(struct ring_header, head) == 64, "ring layout");
_Static_assert(offsetof(struct ring_header, processes) == 128, "ring layout");
_Static_assert(offsetof(struct ring_header, ineligible) == 152, "ring layout");
_Static_assert(offsetof(struct ring_header, unpin) == 160, "ring layout");
_Static_assert(offsetof(struct ring_header, cpus) == 256, "ring layout");
_Static_assert(offsetof(struct slot, result) == 32, "slot layout");
_Static_assert(offsetof(struct slot, path_len) == 56, "slot layout");
_Static_assert(offsetof(struct slot, path) == 64, "slot layout");

/* The stub written to the syscall page: a function taking (nr, a1..a6) that issues the syscall.
 * The instruction after its syscall is at STUB_RETURN_OFFSET, the one address the filter allows. */
static const unsigned char stub_code[] = {
    0x48, 0x89, 0xf8,             /* mov %rdi,%rax */
    0x48, 0x89, 0xf7,             /* mov %rsi,%rdi */
    0x48, 0x89, 0xd6,             /* mov %rdx,%rsi */
    0x48, 0x89, 0xca,             /* mov %rcx,%rdx */
    0x4d, 0x89, 0xc2,             /* mov %r8,%r10 */
    0x4d, 0x89, 0xc8,             /* mov %r9,%r8 */
    0x4c, 0x8b, 0x4c, 0x24, 0x08, /* mov 0x8(%rsp),%r9 */
    0x0f, 0x05,                   /* syscall */
    0xc3,                         /* ret */
};
#define STUB_RETURN_OFFSET 0x19
_Static_assert(sizeof stub_code == STUB_RETURN_OFFSET + 1, "stub layout");

typedef long (*stub_fn)(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

static stub_fn stub;
static struct ring_header *ring;
static char *slots;
static uint64_t slot_mask;
static uint32_t slot_bytes;
static uint32_t path_cap; /* room for a path and its NUL in one slot */
static int active;

/* The ids a record carries, cached (a syscall costs about a microsecond on a virtual machine,
 * as much as the call being served): the process's in a static, each thread's in its TLS, both
 * forgotten in the child of a fork. A vfork child runs in its parent's memory and TLS until it
 * execs, so its calls carry its parent's ids, as the parent's own. */
static uint32_t own_pid;
static __thread __attribute__((tls_model("initial-exec"))) uint32_t own_tid;

static uint32_t my_pid(void) {
  uint32_t pid = __atomic_load_n(&own_pid, __ATOMIC_RELAXED);
  if (pid == 0) {
    pid = (uint32_t)stub(SYS_getpid, 0, 0, 0, 0, 0, 0);
    __atomic_store_n(&own_pid, pid, __ATOMIC_RELAXED);
  }
  return pid;
}

static uint32_t my_tid(void) {
  if (own_tid == 0) own_tid = (uint32_t)stub(SYS_gettid, 0, 0, 0, 0, 0, 0);
  return own_tid;
}

static void forget_ids(void) {
  own_pid = 0;
  own_tid = 0;
}

#define MAX_SCOPE 128
#define SCOPE_TEXT 8192
static char scope_text[SCOPE_TEXT];
static struct {
  char sign;
  uint32_t len;
  const char *path;
} scope[MAX_SCOPE];
static int n_scope;

/* The normal way: a syscall instruction of this library, which the filter stops for ptrace. */
static long slow_syscall(long nr, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

static long set_errno(long r) {
  if ((unsigned long)r > -4096UL) {
    errno = (int)-r;
    return -1;
  }
  return r;
}

/* ---- the ring ---------------------------------------------------------------------------- */

static struct slot *claim(uint64_t *pos) {
  uint64_t p = __atomic_fetch_add(&ring->head, 1, __ATOMIC_RELAXED);
  struct slot *s = (struct slot *)(slots + (p & slot_mask) * slot_bytes);
  uint64_t expect = p << 2 | SLOT_FREE;
  /* Fails when the slot still holds an unconsumed record of an earlier lap (the ring is full),
   * or when the reader already gave this position up because we took too long to claim it. */
  if (!__atomic_compare_exchange_n(&s->state, &expect, p << 2 | SLOT_CLAIMED, 0, __ATOMIC_ACQUIRE,
                                   __ATOMIC_RELAXED)) {
    __atomic_fetch_add(&ring->full, 1, __ATOMIC_RELAXED);
    return NULL;
  }
  *pos = p;
  return s;
}

static void publish(struct slot *s, uint64_t pos) {
  __atomic_store_n(&s->state, pos << 2 | SLOT_PUBLISHED, __ATOMIC_RELEASE);
}

/* Publishes an empty record: the position was reserved, but the call goes the normal way. */
static void give_up(struct slot *s, uint64_t pos) {
  s->syscall = 0;
  __atomic_fetch_add(&ring->ineligible, 1, __ATOMIC_RELAXED);
  publish(s, pos);
}

/* ---- paths and scope ------------------------------------------------------------------------ */

/* The components of a path, "." and empty ones skipped and ".." applied lexically. */
#define MAX_DEPTH 96
struct components {
  int n;
  struct {
    uint32_t at, len;
  } c[MAX_DEPTH];
};

static int split(const char *path, struct components *out) {
  out->n = 0;
  const char *p = path;
  for (;;) {
    while (*p == '/') p++;
    if (*p == '\0') return 1;
    const char *start = p;
    while (*p != '\0' && *p != '/') p++;
    uint32_t len = (uint32_t)(p - start);
    if (len == 1 && start[0] == '.') continue;
    if (len == 2 && start[0] == '.' && start[1] == '.') {
      if (out->n > 0) out->n--;
      continue;
    }
    if (out->n == MAX_DEPTH) return 0;
    out->c[out->n].at = (uint32_t)(start - path);
    out->c[out->n].len = len;
    out->n++;
  }
}

/* Whether the (normalized) root is the path or above it. */
static int under(const char *root, uint32_t root_len, const char *path,
                 const struct components *pc) {
  const char *r = root;
  const char *r_end = root + root_len;
  for (int i = 0;; i++) {
    while (r < r_end && *r == '/') r++;
    if (r >= r_end) return 1;
    const char *rc = r;
    while (r < r_end && *r != '/') r++;
    if (i >= pc->n || pc->c[i].len != (uint32_t)(r - rc) ||
        memcmp(path + pc->c[i].at, rc, pc->c[i].len) != 0)
      return 0;
  }
}

enum { SCOPE_SLOW = 0, SCOPE_PROBES = 1, SCOPE_ALL = 2 };

/* The longest scope entry at or above path decides ('-' wins a tie, else the wider reach): '+'
 * serves every fast call, '?' only probes (stat, access, readlink, O_PATH), '-' and no entry
 * nothing. The path is taken lexically (".." drops a component): where a symlink or a ".." after
 * one leads the kernel elsewhere, the tracer, which resolves each record as the kernel does,
 * checks the real path against the policy after the fact. */
static int scope_of(const char *path) {
  struct components pc;
  if (!split(path, &pc)) return SCOPE_SLOW;
  int best = SCOPE_SLOW;
  long best_len = -1;
  for (int i = 0; i < n_scope; i++) {
    if ((long)scope[i].len < best_len) continue;
    if (!under(scope[i].path, scope[i].len, path, &pc)) continue;
    int what = scope[i].sign == '+' ? SCOPE_ALL : scope[i].sign == '?' ? SCOPE_PROBES : SCOPE_SLOW;
    if ((long)scope[i].len == best_len &&
        (best == SCOPE_SLOW || (what != SCOPE_SLOW && what <= best)))
      continue;
    best = what;
    best_len = scope[i].len;
  }
  return best;
}

/* Writes path, made absolute against the cwd when relative, into the slot; returns its length,
 * or -1 when it cannot (no cwd, too long). */
static long absolute_into(struct slot *s, const char *path) {
  size_t n = strnlen(path, path_cap);
  if (n >= path_cap) return -1;
  if (path[0] == '/') {
    memcpy(s->path, path, n + 1);
    return (long)n;
  }
  long got = stub(SYS_getcwd, (long)s->path, path_cap, 0, 0, 0, 0);
  /* getcwd(2) returns the length with the NUL; "(unreachable)..." or a deleted cwd: no. */
  if (got <= 1 || s->path[0] != '/') return -1;
  size_t len = (size_t)got - 1;
  if (len + 1 + n >= path_cap) return -1;
  if (len > 1) s->path[len++] = '/';
  memcpy(s->path + len, path, n + 1);
  return (long)(len + n);
}

/* ---- the common handler ---------------------------------------------------------------------- */

enum { WANTS_PROBE = 0, WANTS_READ = 1 };

struct call {
  long nr;
  long a[6];
  int dirfd;
  const char *path;
  uint32_t flags;
  int wants;
};

/* Serves the call on the fast path and logs it; returns 1 with its raw result in *out, or 0 when
 * it must go the normal way (nothing was issued). */
static int fast_call(const struct call *c, long *out) {
  if (!active) return 0;
  /* Unreadable or NULL pointers go the normal way, where the kernel answers EFAULT. */
  if ((uintptr_t)c->path < PAGE) return 0;
  if (c->path[0] == '\0') {
    /* An empty path names the dirfd itself (AT_EMPTY_PATH) or fails with ENOENT: no path is
     * accessed, and the tracer records nothing for it either. */
    *out = stub(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
    return 1;
  }
  if (c->path[0] != '/' && c->dirfd != AT_FDCWD) {
    /* A real dirfd could be closed before the tracer reads the record. */
    __atomic_fetch_add(&ring->ineligible, 1, __ATOMIC_RELAXED);
    return 0;
  }
  uint64_t pos;
  struct slot *s = claim(&pos);
  if (s == NULL) return 0;
  long len = absolute_into(s, c->path);
  int allowed = len < 0 ? SCOPE_SLOW : scope_of(s->path);
  if (allowed == SCOPE_SLOW || (c->wants == WANTS_READ && allowed != SCOPE_ALL)) {
    give_up(s, pos);
    return 0;
  }
  s->tid = my_tid();
  s->pid = my_pid();
  s->syscall = (uint32_t)c->nr;
  s->dirfd = c->dirfd;
  s->flags = c->flags;
  s->path_len = (uint32_t)len;
  s->dev = 0;
  s->ino = 0;
  s->mode = 0;
  /* The caller's own pointer goes to the kernel, so the call means exactly what it meant. */
  long r = stub(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
  s->result = r;
  if (r >= 0) {
    if (c->nr == SYS_openat) {
      struct stat st;
      if (stub(SYS_fstat, r, (long)&st, 0, 0, 0, 0) == 0) {
        s->dev = st.st_dev;
        s->ino = st.st_ino;
        s->mode = st.st_mode;
      }
    } else if (c->nr == SYS_newfstatat) {
      const struct stat *st = (const struct stat *)c->a[2];
      s->dev = st->st_dev;
      s->ino = st->st_ino;
      s->mode = st->st_mode;
    } else if (c->nr == SYS_statx) {
      const struct statx *sx = (const struct statx *)c->a[4];
      s->dev = makedev(sx->stx_dev_major, sx->stx_dev_minor);
      s->ino = (sx->stx_mask & STATX_INO) ? sx->stx_ino : 0;
      s->mode = (sx->stx_mask & STATX_TYPE) ? sx->stx_mode : 0;
    }
  }
  publish(s, pos);
  *out = r;
  return 1;
}

/* ---- the replacements of glibc's functions ----------------------------------------------------- */

static int read_only_open(int flags) {
  return (flags & O_ACCMODE) == O_RDONLY && (flags & (O_CREAT | O_TRUNC | __O_TMPFILE)) == 0;
}

static long open_at(int dirfd, const char *path, int flags, mode_t mode) {
  /* As glibc: the mode means something only when a file may be created. */
  long m = (flags & (O_CREAT | __O_TMPFILE)) ? (long)mode : 0;
  long r;
  if (read_only_open(flags)) {
    struct call c = {SYS_openat, {dirfd, (long)path, flags, m, 0, 0}, dirfd, path,
                     (uint32_t)flags, (flags & O_PATH) ? WANTS_PROBE : WANTS_READ};
    if (fast_call(&c, &r)) return set_errno(r);
  }
  return set_errno(slow_syscall(SYS_openat, dirfd, (long)path, flags, m, 0, 0));
}

/* open, open64, __open64_nocancel (realpath, opendir and fopen reach them through internal
 * aliases, which is why the functions' code is patched rather than their symbols replaced). */
static int h_open(const char *path, int flags, mode_t mode) {
  return (int)open_at(AT_FDCWD, path, flags, mode);
}

static int h_openat(int dirfd, const char *path, int flags, mode_t mode) {
  return (int)open_at(dirfd, path, flags, mode);
}

static ssize_t h_readlink(const char *path, char *buf, size_t size) {
  long r;
  struct call c = {SYS_readlink, {(long)path, (long)buf, (long)size, 0, 0, 0}, AT_FDCWD, path, 0,
                   WANTS_PROBE};
  if (fast_call(&c, &r)) return set_errno(r);
  return set_errno(slow_syscall(SYS_readlink, (long)path, (long)buf, (long)size, 0, 0, 0));
}

static ssize_t h_readlinkat(int dirfd, const char *path, char *buf, size_t size) {
  long r;
  struct call c = {SYS_readlinkat, {dirfd, (long)path, (long)buf, (long)size, 0, 0}, dirfd, path,
                   0, WANTS_PROBE};
  if (fast_call(&c, &r)) return set_errno(r);
  return set_errno(slow_syscall(SYS_readlinkat, dirfd, (long)path, (long)buf, (long)size, 0, 0));
}

/* fstatat64, which stat, lstat and fstat jump to. */
static int h_fstatat(int dirfd, const char *path, struct stat *buf, int flags) {
  long r;
  if (path == NULL && (flags & AT_EMPTY_PATH) && active) {
    /* fstat of the dirfd (a NULL path is allowed with AT_EMPTY_PATH since Linux 6.11). */
    r = stub(SYS_newfstatat, dirfd, 0, (long)buf, flags, 0, 0);
  } else {
    struct call c = {SYS_newfstatat, {dirfd, (long)path, (long)buf, flags, 0, 0}, dirfd, path,
                     (uint32_t)flags, WANTS_PROBE};
    if (!fast_call(&c, &r)) r = slow_syscall(SYS_newfstatat, dirfd, (long)path, (long)buf, flags, 0, 0);
  }
  return r < 0 ? (int)set_errno(r) : 0;
}

/* The pre-2.33 entry points that binaries built against older glibc still call. */
static int h_xstat(int version, const char *path, struct stat *buf) {
  if (version > 1) return (int)set_errno(-EINVAL);
  long r;
  struct call c = {SYS_newfstatat, {AT_FDCWD, (long)path, (long)buf, 0, 0, 0}, AT_FDCWD, path, 0,
                   WANTS_PROBE};
  if (!fast_call(&c, &r)) r = slow_syscall(SYS_stat, (long)path, (long)buf, 0, 0, 0, 0);
  return (int)set_errno(r);
}

static int h_lxstat(int version, const char *path, struct stat *buf) {
  if (version > 1) return (int)set_errno(-EINVAL);
  long r;
  struct call c = {SYS_newfstatat, {AT_FDCWD, (long)path, (long)buf, AT_SYMLINK_NOFOLLOW, 0, 0},
                   AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, WANTS_PROBE};
  if (!fast_call(&c, &r)) r = slow_syscall(SYS_lstat, (long)path, (long)buf, 0, 0, 0, 0);
  return (int)set_errno(r);
}

static int h_fxstatat(int version, int dirfd, const char *path, struct stat *buf, int flags) {
  if (version > 1) return (int)set_errno(-EINVAL);
  long r;
  struct call c = {SYS_newfstatat, {dirfd, (long)path, (long)buf, flags, 0, 0}, dirfd, path,
                   (uint32_t)flags, WANTS_PROBE};
  if (!fast_call(&c, &r)) r = slow_syscall(SYS_newfstatat, dirfd, (long)path, (long)buf, flags, 0, 0);
  return (int)set_errno(r);
}

static int h_statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf) {
  long r;
  if (path == NULL && (flags & AT_EMPTY_PATH) && active) {
    r = stub(SYS_statx, dirfd, 0, flags, mask, (long)buf, 0);
  } else {
    struct call c = {SYS_statx, {dirfd, (long)path, flags, mask, (long)buf, 0}, dirfd, path,
                     (uint32_t)flags, WANTS_PROBE};
    if (!fast_call(&c, &r)) r = slow_syscall(SYS_statx, dirfd, (long)path, flags, mask, (long)buf, 0);
  }
  return (int)set_errno(r);
}

static int h_access(const char *path, int mode) {
  long r;
  struct call c = {SYS_access, {(long)path, mode, 0, 0, 0, 0}, AT_FDCWD, path, 0, WANTS_PROBE};
  if (!fast_call(&c, &r)) r = slow_syscall(SYS_access, (long)path, mode, 0, 0, 0, 0);
  return (int)set_errno(r);
}

/* glibc 2.36's faccessat asks faccessat2 first; it is patched only on kernels that have it. */
static int h_faccessat(int dirfd, const char *path, int mode, int flags) {
  long r;
  struct call c = {SYS_faccessat2, {dirfd, (long)path, mode, flags, 0, 0}, dirfd, path,
                   (uint32_t)flags, WANTS_PROBE};
  if (!fast_call(&c, &r)) r = slow_syscall(SYS_faccessat2, dirfd, (long)path, mode, flags, 0, 0);
  return (int)set_errno(r);
}

/* getdents64 (readdir): the record names the directory as the process's own /proc/self/fd link
 * shows it, read now, since the fd may be closed before the tracer looks. */
static ssize_t h_getdents64(int fd, void *buf, size_t size) {
  if (size > 0x7fffffff) size = 0x7fffffff; /* as glibc */
  uint64_t pos;
  struct slot *s = active ? claim(&pos) : NULL;
  if (s == NULL) return set_errno(slow_syscall(SYS_getdents64, fd, (long)buf, (long)size, 0, 0, 0));
  char link[32] = "/proc/self/fd/";
  char digits[12];
  int n = 0;
  unsigned int v = (unsigned int)fd;
  if (fd < 0) {
    give_up(s, pos);
    return set_errno(slow_syscall(SYS_getdents64, fd, (long)buf, (long)size, 0, 0, 0));
  }
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  size_t at = strlen(link);
  while (n > 0) link[at++] = digits[--n];
  link[at] = '\0';
  long len = stub(SYS_readlink, (long)link, (long)s->path, path_cap - 1, 0, 0, 0);
  if (len <= 0 || (uint32_t)len >= path_cap - 1) {
    give_up(s, pos);
    return set_errno(slow_syscall(SYS_getdents64, fd, (long)buf, (long)size, 0, 0, 0));
  }
  s->path[len] = '\0';
  s->tid = my_tid();
  s->pid = my_pid();
  s->syscall = SYS_getdents64;
  s->dirfd = fd;
  s->flags = 0;
  s->path_len = (uint32_t)len;
  s->dev = 0;
  s->ino = 0;
  s->mode = 0;
  long r = stub(SYS_getdents64, fd, (long)buf, (long)size, 0, 0, 0);
  s->result = r;
  publish(s, pos);
  return set_errno(r);
}

/* ---- the shim's own environment ---------------------------------------------------------------- */

/* The launcher gives the command LD_PRELOAD (the shim first) and AIRLOCK_SHIM. The program must not
 * see them (its environment is the one requested), and every program it execs must get them back:
 * the constructor takes them out of environ, execve and execveat put them into the envp passed. */
static char shim_variable[512];
static char shim_preload[256];
static int reinject;

/* The largest environment extended on the stack (execve may run on a vfork child's small stack);
 * a larger one is passed as it is, and the program started runs on the slow path. */
#define MAX_REINJECTED 2048

static void hide_environment(const char *config) {
  const char *preload = getenv("LD_PRELOAD");
  size_t config_len = strlen(config);
  if (preload == NULL || config_len + sizeof "AIRLOCK_SHIM=" > sizeof shim_variable) return;
  size_t first = strcspn(preload, ": ");
  if (first == 0 || first >= sizeof shim_preload) return;
  memcpy(shim_variable, "AIRLOCK_SHIM=", 13);
  memcpy(shim_variable + 13, config, config_len + 1);
  memcpy(shim_preload, preload, first);
  shim_preload[first] = '\0';
  /* unsetenv removes the pointer from environ in place (no allocation); the rest of LD_PRELOAD,
   * if any, moves to the front of its own string, which lives on the stack and is writable. */
  unsetenv("AIRLOCK_SHIM");
  if (preload[first] == '\0') {
    unsetenv("LD_PRELOAD");
  } else {
    char *value = (char *)preload;
    memmove(value, value + first + 1, strlen(value + first + 1) + 1);
  }
  reinject = 1;
}

static long exec_with_shim(long nr, long dirfd, const char *path, char *const argv[],
                           char *const envp[], long flags) {
  size_t n = 0;
  if (reinject && envp != NULL) {
    while (n <= MAX_REINJECTED && envp[n] != NULL) n++;
  }
  if (!reinject || envp == NULL || n > MAX_REINJECTED) {
    return nr == SYS_execve ? slow_syscall(nr, (long)path, (long)argv, (long)envp, 0, 0, 0)
                            : slow_syscall(nr, dirfd, (long)path, (long)argv, (long)envp, flags, 0);
  }
  const char *vars[n + 3];
  char preload[2048];
  const char *theirs = NULL;
  size_t k = 0;
  vars[k++] = shim_variable;
  for (size_t i = 0; i < n; i++) {
    if (strncmp(envp[i], "AIRLOCK_SHIM=", 13) == 0) continue;
    if (strncmp(envp[i], "LD_PRELOAD=", 11) == 0) {
      theirs = envp[i] + 11;
      continue;
    }
    vars[k++] = envp[i];
  }
  size_t ours = strlen(shim_preload);
  size_t rest = theirs != NULL ? strlen(theirs) : 0;
  if (rest > 0 && strncmp(theirs, shim_preload, ours) == 0 &&
      (theirs[ours] == '\0' || theirs[ours] == ':' || theirs[ours] == ' ')) {
    rest = 0; /* already first */
    ours = 0;
  }
  if (11 + ours + 1 + rest + 1 > sizeof preload) {
    return nr == SYS_execve ? slow_syscall(nr, (long)path, (long)argv, (long)envp, 0, 0, 0)
                            : slow_syscall(nr, dirfd, (long)path, (long)argv, (long)envp, flags, 0);
  }
  memcpy(preload, "LD_PRELOAD=", 11);
  size_t at = 11;
  if (ours == 0 && theirs != NULL) {
    memcpy(preload + at, theirs, strlen(theirs) + 1);
  } else {
    memcpy(preload + at, shim_preload, ours);
    at += ours;
    if (rest > 0) {
      preload[at++] = ':';
      memcpy(preload + at, theirs, rest);
      at += rest;
    }
    preload[at] = '\0';
  }
  vars[k++] = preload;
  vars[k] = NULL;
  /* The exec itself stops for the tracer, as it always does. */
  return nr == SYS_execve ? slow_syscall(nr, (long)path, (long)argv, (long)vars, 0, 0, 0)
                          : slow_syscall(nr, dirfd, (long)path, (long)argv, (long)vars, flags, 0);
}

/* execve, which execvp, posix_spawn, system and popen reach too. */
static int h_execve(const char *path, char *const argv[], char *const envp[]) {
  return (int)set_errno(exec_with_shim(SYS_execve, 0, path, argv, envp, 0));
}

static int h_execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                      int flags) {
  return (int)set_errno(exec_with_shim(SYS_execveat, dirfd, path, argv, envp, flags));
}

/* ---- patching glibc ---------------------------------------------------------------------------- */

/* What glibc 2.36 (x86_64) starts these functions with; ".." matches any byte (a displacement
 * that moves between builds). A function that does not start this way is left alone, and its
 * calls keep stopping for the tracer. The order is the bit order of ring->unpatched, mirrored by
 * FastPath.PATCHED_FUNCTIONS in Java. */
static const struct target {
  const char *name;
  const char *expect;
  void *handler;
} targets[] = {
    {"readlink", "b8590000000f05483d01f0ffff7301c3", (void *)h_readlink},
    {"readlinkat", "4989cab80b0100000f05483d01f0ffff7301c3", (void *)h_readlinkat},
    {"__open64",
     "554189f24889fd5389f34883ec68488954244064488b042528000000488944242831c04183e240755789f025000041"
     "003d0000410074"
     "49803d........00746d89da4889eebf9cffffffb8010100000f05",
     (void *)h_open},
    {"openat64",
     "4883ec7848894c245864488b042528000000488944243831c0f6c240754a89d04531d2250000410"
     "03d000041007439803d........00745db8010100000f05",
     (void *)h_openat},
    {"__open64_nocancel",
     "4883ec584189f2488954243064488b042528000000488944241831c04183e240753e89f025000041003d000041007"
     "43089f2b8010100004889febf9cffffff0f05",
     (void *)h_open},
    {"fstatat64", "4189cab8060100000f053d00f0ffff770731c0c3", (void *)h_fstatat},
    {"statx", "4189cab84c0100000f05483d00f0ffff772e", (void *)h_statx},
    {"access", "b8150000000f05483d00f0ffff7701c3", (void *)h_access},
    {"faccessat",
     "41554189ca41545589d55389cb4881eca800000064488b04252800000048898424980000003"
     "1c0b8b70100000f05",
     (void *)h_faccessat},
    {"getdents64", "b8ffffff7f4839c2480f47d0b8d90000000f05", (void *)h_getdents64},
    {"__xstat", "89f84889f74889d683f801772bb8040000000f05", (void *)h_xstat},
    {"__lxstat", "89f84889f74889d683f801772bb8060000000f05", (void *)h_lxstat},
    {"__fxstatat", "89f84589c289f74889d64889ca83f801772eb8060100000f05", (void *)h_fxstatat},
    {"execve", "b83b0000000f05483d01f0ffff7301c3", (void *)h_execve},
    {"execveat", "4989cab8420100000f05483d00f0ffff7706c3", (void *)h_execveat},
};
#define EXECVE_TARGET 13
#define EXECVEAT_TARGET 14
#define N_TARGETS (sizeof targets / sizeof targets[0])
_Static_assert(N_TARGETS <= 64, "one bit per target");

static int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Whether code starts with the pattern; sets *len to the pattern's length in bytes. */
static int matches(const unsigned char *code, const char *pattern, size_t *len) {
  size_t i = 0;
  for (; pattern[2 * i] != '\0'; i++) {
    char hi = pattern[2 * i];
    char lo = pattern[2 * i + 1];
    if (hi == '.' && lo == '.') continue;
    if (code[i] != (unsigned char)(hex(hi) << 4 | hex(lo))) return 0;
  }
  *len = i;
  return 1;
}

/* The jump that replaces a function's first bytes: a 5-byte relative jump when the handler is
 * within 2 GiB (the usual case: shared libraries are mapped side by side), else a 14-byte
 * absolute one. Returns its length, 0 when it does not fit the bytes checked. */
static size_t jump(unsigned char *fn, size_t room, void *handler, unsigned char code[14]) {
  long delta = (long)((uintptr_t)handler - ((uintptr_t)fn + 5));
  if (delta >= INT32_MIN && delta <= INT32_MAX) {
    int32_t rel = (int32_t)delta;
    code[0] = 0xe9;
    memcpy(code + 1, &rel, 4);
    return 5 <= room ? 5 : 0;
  }
  uint64_t to = (uintptr_t)handler;
  code[0] = 0xff;
  code[1] = 0x25;
  memset(code + 2, 0, 4);
  memcpy(code + 6, &to, 8);
  return 14 <= room ? 14 : 0;
}

/* libc's own dynamic symbols, read from its loaded image: dlopen would allocate (initializing
 * malloc costs a process start some 50 microseconds), dlsym(RTLD_DEFAULT) could find another
 * object's definition first. */
struct libc_symbols {
  uintptr_t base;
  const uint32_t *gnu_hash;
  const ElfW(Sym) *symtab;
  const char *strtab;
  const ElfW(Half) *versym;
};

static int find_libc(struct libc_symbols *out) {
  Dl_info info;
  struct link_map *map = NULL;
  /* A function only glibc defines: whoever preloads what, this is libc's own image. */
  if (dladdr1((void *)gnu_get_libc_version, &info, (void **)&map, RTLD_DL_LINKMAP) == 0 ||
      map == NULL)
    return 0;
  memset(out, 0, sizeof *out);
  out->base = map->l_addr;
  for (const ElfW(Dyn) *d = map->l_ld; d->d_tag != DT_NULL; d++) {
    /* The loader relocated these addresses in place on x86_64; accept either form. */
    uintptr_t at = d->d_un.d_ptr < out->base ? out->base + d->d_un.d_ptr : d->d_un.d_ptr;
    switch (d->d_tag) {
      case DT_GNU_HASH: out->gnu_hash = (const uint32_t *)at; break;
      case DT_SYMTAB: out->symtab = (const ElfW(Sym) *)at; break;
      case DT_STRTAB: out->strtab = (const char *)at; break;
      case DT_VERSYM: out->versym = (const ElfW(Half) *)at; break;
      default: break;
    }
  }
  return out->gnu_hash != NULL && out->symtab != NULL && out->strtab != NULL;
}

/* The default version of a function libc defines, by its GNU hash table; NULL when absent. */
static unsigned char *libc_function(const struct libc_symbols *libc, const char *name) {
  uint32_t h = 5381;
  for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++) h = h * 33 + *c;
  const uint32_t *table = libc->gnu_hash;
  uint32_t buckets = table[0], first = table[1], bloom_words = table[2];
  const uint32_t *bucket = (const uint32_t *)((const ElfW(Addr) *)(table + 4) + bloom_words);
  const uint32_t *chain = bucket + buckets;
  uint32_t i = bucket[h % buckets];
  if (i < first) return NULL;
  for (;; i++) {
    uint32_t c = chain[i - first];
    const ElfW(Sym) *s = &libc->symtab[i];
    if ((c | 1) == (h | 1) && strcmp(libc->strtab + s->st_name, name) == 0 &&
        s->st_shndx != SHN_UNDEF && ELF64_ST_TYPE(s->st_info) == STT_FUNC &&
        (libc->versym == NULL || (libc->versym[i] & 0x8000) == 0))
      return (unsigned char *)(libc->base + s->st_value);
    if (c & 1) return NULL;
  }
}

/* Patches every target whose code is as expected, with one mprotect to make their pages writable
 * and one to restore them (a process start pays two syscalls and the copy of a few pages). */
static uint64_t patch_libc(void) {
  uint64_t unpatched = 0;
  struct libc_symbols symbols;
  int have_libc = find_libc(&symbols);
  /* faccessat2 exists since Linux 5.8; probed with flags it must reject (EINVAL), no path. */
  int have_faccessat2 = stub(SYS_faccessat2, AT_FDCWD, (long)"", 0, -1, 0, 0) != -ENOSYS;
  unsigned char *fn[N_TARGETS];
  unsigned char code[N_TARGETS][14];
  size_t len[N_TARGETS];
  uintptr_t low = UINTPTR_MAX;
  uintptr_t high = 0;
  for (size_t i = 0; i < N_TARGETS; i++) {
    fn[i] = have_libc ? libc_function(&symbols, targets[i].name) : NULL;
    size_t room = 0;
    len[i] = 0;
    if (fn[i] != NULL && matches(fn[i], targets[i].expect, &room) &&
        (targets[i].handler != (void *)h_faccessat || have_faccessat2)) {
      len[i] = jump(fn[i], room, targets[i].handler, code[i]);
    }
    if (len[i] == 0) {
      unpatched |= 1ULL << i;
      continue;
    }
    if ((uintptr_t)fn[i] < low) low = (uintptr_t)fn[i];
    if ((uintptr_t)fn[i] + len[i] > high) high = (uintptr_t)fn[i] + len[i];
  }
  if (high == 0) return unpatched;
  uintptr_t first = low & ~(PAGE - 1);
  uintptr_t end = (high + PAGE - 1) & ~(PAGE - 1);
  /* Writable and executable at once, so another thread running code of these pages (a
   * constructor may have started one) never faults. libc's text lies far from the syscall page,
   * so neither call stops. */
  if (stub(SYS_mprotect, (long)first, (long)(end - first), PROT_READ | PROT_WRITE | PROT_EXEC, 0,
           0, 0) != 0) {
    for (size_t i = 0; i < N_TARGETS; i++) unpatched |= len[i] != 0 ? 1ULL << i : 0;
    return unpatched;
  }
  /* Each page written is copied for this process; asked for in one syscall per page rather
   * than taken as a fault (on a virtual machine a fault costs many times a syscall). */
  uintptr_t populated[2 * N_TARGETS];
  size_t n_populated = 0;
  for (size_t i = 0; i < N_TARGETS; i++) {
    if (len[i] == 0) continue;
    for (uintptr_t p = (uintptr_t)fn[i] & ~(PAGE - 1); p < (uintptr_t)fn[i] + len[i]; p += PAGE) {
      size_t k = 0;
      while (k < n_populated && populated[k] != p) k++;
      if (k < n_populated) continue;
      populated[n_populated++] = p;
      stub(SYS_madvise, (long)p, PAGE, MADV_POPULATE_WRITE, 0, 0, 0);
    }
  }
  for (size_t i = 0; i < N_TARGETS; i++) {
    if (len[i] != 0) memcpy(fn[i], code[i], len[i]);
  }
  stub(SYS_mprotect, (long)first, (long)(end - first), PROT_READ | PROT_EXEC, 0, 0, 0);
  return unpatched;
}

/* ---- start-up ------------------------------------------------------------------------------------ */

static int parse_number(const char *s, const char **end, unsigned long *out) {
  unsigned long v = 0;
  int base = 10;
  if (s[0] == '0' && s[1] == 'x') {
    base = 16;
    s += 2;
  }
  const char *start = s;
  for (;; s++) {
    int d = base == 16 ? hex(*s) : (*s >= '0' && *s <= '9' ? *s - '0' : -1);
    if (d < 0) break;
    v = v * (unsigned long)base + (unsigned long)d;
  }
  if (s == start) return 0;
  *end = s;
  *out = v;
  return 1;
}

/* Maps the ring. Through this library's own syscall instruction: fstat is never traced, and an
 * mmap without MAP_FIXED never stops. */
static struct ring_header *map_ring(int fd) {
  struct stat st;
  if (fd < 0 || slow_syscall(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) != 0) return NULL;
  if (!S_ISREG(st.st_mode) || st.st_size < (off_t)PAGE) return NULL;
  long at = slow_syscall(SYS_mmap, 0, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if ((unsigned long)at > -4096UL) return NULL;
  struct ring_header *h = (struct ring_header *)at;
  uint64_t bytes = (uint64_t)h->header_bytes + (uint64_t)h->slot_count * h->slot_bytes;
  if (h->magic != RING_MAGIC || h->version != RING_VERSION || h->slot_count == 0 ||
      (h->slot_count & (h->slot_count - 1)) != 0 || h->slot_bytes < 128 ||
      h->slot_bytes % 64 != 0 || h->header_bytes % PAGE != 0 || bytes > (uint64_t)st.st_size ||
      (uint64_t)h->scope_offset + h->scope_bytes > h->header_bytes) {
    slow_syscall(SYS_munmap, at, st.st_size, 0, 0, 0, 0);
    return NULL;
  }
  return h;
}

/* Copies the scope entries out of the shared header (a tracee could rewrite the header). */
static int load_scope(void) {
  if (ring->scope_bytes > SCOPE_TEXT) return 0;
  memcpy(scope_text, (const char *)ring + ring->scope_offset, ring->scope_bytes);
  n_scope = 0;
  uint32_t at = 0;
  while (at < ring->scope_bytes && scope_text[at] != '\0') {
    char sign = scope_text[at];
    const char *path = scope_text + at + 1;
    size_t len = strnlen(path, ring->scope_bytes - at - 1);
    if (at + 1 + len >= ring->scope_bytes || n_scope == MAX_SCOPE) return 0;
    if ((sign != '+' && sign != '?' && sign != '-') || path[0] != '/') return 0;
    scope[n_scope].sign = sign;
    scope[n_scope].path = path;
    scope[n_scope].len = (uint32_t)len;
    n_scope++;
    at += (uint32_t)len + 2;
  }
  return 1;
}

__attribute__((constructor)) static void airlock_shim_start(void) {
  const char *config = getenv("AIRLOCK_SHIM");
  if (config == NULL) return;
  unsigned long ring_fd = ~0UL;
  unsigned long page = 0;
  const char *reopen = NULL;
  size_t reopen_len = 0;
  const char *p = config;
  while (*p != '\0') {
    const char *end = p;
    if (strncmp(p, "ring=", 5) == 0) {
      if (!parse_number(p + 5, &end, &ring_fd)) return;
    } else if (strncmp(p, "page=", 5) == 0) {
      if (!parse_number(p + 5, &end, &page)) return;
    } else if (strncmp(p, "reopen=", 7) == 0) {
      reopen = p + 7;
      end = strchrnul(reopen, ',');
      reopen_len = (size_t)(end - reopen);
    } else {
      return;
    }
    if (*end == ',') end++;
    else if (*end != '\0') return;
    p = end;
  }
  if (page == 0 || page % PAGE != 0 || ring_fd > 1 << 20) return;

  ring = map_ring((int)ring_fd);
  if (ring != NULL && (ring->flags & RING_FLAG_ENABLED) == 0) return; /* strict after all */
  if (ring == NULL && reopen == NULL) return;

  /* The syscall page: the only two calls near it the filter lets through (see the top). */
  long at = slow_syscall(SYS_mmap, (long)page, PAGE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_POPULATE, -1, 0);
  if ((unsigned long)at != page) return;
  memset((void *)page, 0xcc, PAGE); /* int3 everywhere but the stub; populated: no fault */
  memcpy((void *)page, stub_code, sizeof stub_code);
  if (slow_syscall(SYS_mprotect, (long)page, PAGE, PROT_READ | PROT_EXEC, 0, 0, 0) != 0) return;
  stub = (stub_fn)page;

  if (ring == NULL && reopen_len < 64) {
    /* The inherited fd was closed (closefrom, a shell's redirection): open the ring through the
     * process that holds it. Through the stub, so this opens without a stop and unrecorded. */
    char name[64];
    memcpy(name, reopen, reopen_len);
    name[reopen_len] = '\0';
    long fd = stub(SYS_openat, AT_FDCWD, (long)name, O_RDWR | O_CLOEXEC, 0, 0, 0);
    if (fd >= 0) {
      ring = map_ring((int)fd);
      stub(SYS_close, fd, 0, 0, 0, 0, 0);
    }
  }
  if (ring == NULL) return;
  if ((ring->flags & RING_FLAG_ENABLED) == 0 || !load_scope()) return;
  slots = (char *)ring + ring->header_bytes;
  slot_mask = ring->slot_count - 1;
  slot_bytes = ring->slot_bytes;
  path_cap = slot_bytes - (uint32_t)offsetof(struct slot, path);
  pthread_atfork(NULL, NULL, forget_ids);
  active = 1;
  uint64_t unpatched = patch_libc();
  /* Hidden only when every exec path puts them back: else children would lose the shim. */
  if ((unpatched & (1ULL << EXECVE_TARGET | 1ULL << EXECVEAT_TARGET)) == 0) hide_environment(config);
  __atomic_fetch_add(&ring->processes, 1, __ATOMIC_RELAXED);
  if (unpatched != 0) __atomic_fetch_or(&ring->unpatched, unpatched, __ATOMIC_RELAXED);
  if (ring->unpin) {
    /* The tracer kept this new program on its own CPU while the loader's calls stopped; from
     * here on its calls rarely stop, so it may run anywhere the action may. */
    unsigned char cpus[128];
    memcpy(cpus, ring->cpus, sizeof cpus);
    stub(SYS_sched_setaffinity, 0, sizeof cpus, (long)cpus, 0, 0, 0);
  }
}

#endif /* __x86_64__ */
