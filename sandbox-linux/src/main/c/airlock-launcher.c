/*
 * airlock-launcher: the child-side setup between fork and exec for one Airlock action.
 *
 * The daemon posix_spawn()s this program (never fork() in a JVM) and it prepares the process
 * the way the daemon cannot from Java, then execs the command. It must stay tiny: everything
 * that can be decided in Java is decided there and passed in argv.
 *
 * Contract (tested by LauncherCommandLineTest and LauncherTest):
 *
 *   airlock-launcher [--cwd DIR] [--report-fd N] [--seccomp-fd N --sync-fd N]
 *                    [--inherit-fd N]... [--preload LIB] [--env NAME=VALUE]...
 *                    [confinement options] -- COMMAND [ARG...]
 *
 * Confinement options (all optional; Confinement.options() in Java writes them):
 *   --userns                 new user (uid and gid mapped to themselves) and mount namespaces
 *   --netns none|loopback    new network namespace; loopback brings lo up (needs --userns)
 *   --pidns                  new pid namespace with a fresh /proc (needs --userns); see below
 *   --overlay PATH --overlay-dir DIR
 *                            (in pairs, in order) PATH becomes a copy-on-write overlay: reads
 *                            see PATH, writes land in DIR/upper (DIR/work is overlayfs' work dir,
 *                            both on one filesystem); needs --userns
 *   --rw PATH                a writable root (bound onto itself before the root goes read-only)
 *   --ro-root                make every mount read-only except the --rw roots and a private /tmp
 *   --private-tmp            an empty tmpfs on /tmp
 *   --tmp-size BYTES         the size limit of that tmpfs (the kernel's default: half of RAM)
 *   --keep PATH              a path under /tmp that stays visible through the private /tmp
 *   --hide PATH              made invisible: an empty read-only tmpfs over a directory,
 *                            /dev/null over a file
 *   --rlimit nproc|as|cpu|fsize=N
 *                            resource limits (cpu in seconds, as and fsize in bytes)
 *   --ll-ro PATH, --ll-rx PATH, --ll-rw PATH, --ll-dir PATH
 *                            Landlock rules (read; read and execute; everything; listing
 *                            directories only) applied when at least one is given and the kernel
 *                            has Landlock
 *
 *   - fds 0, 1 and 2 are already wired by the spawner (posix_spawn file actions);
 *   - the launcher's own environment is the command's environment; COMMAND without a slash is
 *     searched on that environment's PATH;
 *   - --report-fd N names a pipe on which a setup failure is reported as two native-endian
 *     int32s, {stage, errno}, before exiting with status 127. The pipe is close-on-exec, so the
 *     reader sees end-of-file without data when exec succeeded;
 *   - --seccomp-fd N names a pipe holding a classic-BPF program (struct sock_filter[], native
 *     order, written whole and closed by the daemon). The launcher sets no_new_privs and installs
 *     it as the last step before exec;
 *   - --sync-fd N names a pipe the launcher then blocks on until the daemon's tracer has seized
 *     it and written one byte. read(2) is not traced, so no traced syscall can run before the
 *     tracer is attached (with SECCOMP_RET_TRACE and no tracer, a syscall fails with ENOSYS).
 *   - --inherit-fd N (repeatable) keeps fd N open across the exec into the command, and open in
 *     the pid namespace's init for as long as the action lives (the fast path's ring and shim
 *     library, which the command's processes reach again through /proc/1/fd/N);
 *   - --preload LIB is put in front of the command's LD_PRELOAD, --env NAME=VALUE (repeatable)
 *     into its environment; both only for the command, never for the launcher itself.
 *
 * Steps: own process group; every signal at its default disposition and unblocked (the JVM's
 * mask and handlers must not leak into the command); every fd above 2 close-on-exec; chdir;
 * seccomp filter; wait for the tracer; execvp.
 *
 * With --pidns three processes share the work, all in the launcher's process group:
 *   - the launcher enters the namespaces, waits for the tracer (so what it forks is traced from
 *     its first instruction), forks the namespace's init, and then only relays: it exits as the
 *     command exited (status passed up on a pipe, since pid 1 cannot die of its own signal);
 *   - the init (pid 1) mounts /proc and the rest of the view, applies limits, Landlock and the
 *     filter (so it is as confined as the command), forks the command and reaps orphans until
 *     the command ends. When pid 1 exits the kernel kills whatever is left in the namespace;
 *   - the command (pid 2) execs.
 * The launcher and the init keep catchable signals from killing them, so a SIGTERM to the group
 * reaches the command and lets it end in its own way; SIGKILL to the group ends everything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Stages reported on the report fd; mirrored by LaunchFailure.Stage in Java. */
enum {
  STAGE_SETUP = 1,
  STAGE_CHDIR = 2,
  STAGE_EXEC = 3,
  STAGE_SECCOMP = 4,
  STAGE_SYNC = 5,
  STAGE_NAMESPACE = 6,
  STAGE_MOUNT = 7,
  STAGE_LANDLOCK = 8,
  STAGE_RLIMIT = 9
};

#define MAX_PATHS 256

/* The kernel's limit on a filter's length (BPF_MAXINSNS). */
#define MAX_FILTER_INSNS 4096

/* Exit status of the launcher when it fails before exec (the shell's "command not found"). */
#define EXIT_LAUNCH_FAILED 127
/* Exit status for a malformed launcher command line: a bug in the daemon, not in the action. */
#define EXIT_USAGE 125

static int report_fd = -1;

#define MAX_INHERITED 8
static int inherit_fds[MAX_INHERITED];
static int n_inherit;

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    len -= (size_t)n;
  }
}

static void fail(int stage, int err) {
  if (report_fd >= 0) {
    int32_t msg[2] = {stage, err};
    write_all(report_fd, msg, sizeof msg);
  }
  _exit(EXIT_LAUNCH_FAILED);
}

static void usage(const char *why) {
  dprintf(2, "airlock-launcher: %s\n", why);
  _exit(EXIT_USAGE);
}

static void reset_signals(void) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  /* The kernel's struct sigaction: all zero is SIG_DFL, no flags, empty mask. */
  unsigned long kernel_dfl[4] = {0, 0, 0, 0};
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (sigaction(sig, &dfl, NULL) != 0 && errno == EINVAL) {
      /* glibc refuses its reserved real-time signals (32, 33), and its posix_spawn leaves
       * them ignored in the child; an ignored disposition would survive exec. */
      syscall(SYS_rt_sigaction, sig, kernel_dfl, NULL, sizeof(unsigned long));
    }
  }
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) fail(STAGE_SETUP, errno);
}

/* Marks every fd above 2 close-on-exec, so nothing of the JVM leaks into the command while fds
 * the launcher still needs (the report pipe) stay usable until exec. */
static void cloexec_inherited_fds(void) {
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  /* Kernels before 5.11: walk /proc/self/fd. */
  DIR *dir = opendir("/proc/self/fd");
  if (dir == NULL) fail(STAGE_SETUP, errno);
  int self = dirfd(dir);
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    int fd = atoi(entry->d_name);
    if (fd > 2 && fd != self) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  closedir(dir);
}

static int parse_fd(const char *text) {
  char *end;
  long value = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || value < 0 || value > 1 << 20) usage("bad fd number");
  return (int)value;
}

/* Reads the whole BPF program from fd and installs it (no_new_privs is already set). */
static void install_filter(int fd) {
  static struct sock_filter program[MAX_FILTER_INSNS];
  size_t have = 0;
  for (;;) {
    ssize_t n = read(fd, (char *)program + have, sizeof program - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(STAGE_SECCOMP, errno);
    if (n == 0) break;
    have += (size_t)n;
    if (have == sizeof program) break;
  }
  close(fd);
  if (have == 0 || have % sizeof(struct sock_filter) != 0) fail(STAGE_SECCOMP, EINVAL);
  struct sock_fprog prog = {.len = (unsigned short)(have / sizeof(struct sock_filter)),
                            .filter = program};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) fail(STAGE_SECCOMP, errno);
}

/* Blocks until the tracer says it has seized this process (one byte), or fails if it went away. */
static void await_tracer(int fd) {
  char byte;
  for (;;) {
    ssize_t n = read(fd, &byte, 1);
    if (n == 1) break;
    if (n < 0 && errno == EINTR) continue;
    fail(STAGE_SYNC, n == 0 ? EPIPE : errno);
  }
  close(fd);
}

static void add_path(const char **list, int *n, const char *path) {
  if (*n >= CONFINE_MAX_PATHS) usage("too many paths for one option");
  if (path[0] != '/') usage("confinement paths must be absolute");
  list[(*n)++] = path;
}

static void parse_rlimit(struct confinement *c, const char *spec) {
  const char *eq = strchr(spec, '=');
  if (eq == NULL) usage("--rlimit wants NAME=VALUE");
  char *end;
  long long value = strtoll(eq + 1, &end, 10);
  if (*end != '\0' || value < 0) usage("bad --rlimit value");
  if (strncmp(spec, "nproc=", 6) == 0) c->rlimit_nproc = value;
  else if (strncmp(spec, "as=", 3) == 0) c->rlimit_as = value;
  else if (strncmp(spec, "cpu=", 4) == 0) c->rlimit_cpu = value;
  else if (strncmp(spec, "fsize=", 6) == 0) c->rlimit_fsize = value;
  else usage("--rlimit takes nproc, as, cpu or fsize");
}

/* Returns 1 when argv[*i] was a confinement option (and consumes its value). */
static int parse_confinement(struct confinement *c, int argc, char **argv, int *i) {
  const char *opt = argv[*i];
  const char *value = *i + 1 < argc ? argv[*i + 1] : NULL;
  if (strcmp(opt, "--userns") == 0) {
    c->userns = 1;
    return 1;
  }
  if (strcmp(opt, "--pidns") == 0) {
    c->pidns = 1;
    return 1;
  }
  if (strcmp(opt, "--ro-root") == 0) {
    c->ro_root = 1;
    return 1;
  }
  if (strcmp(opt, "--private-tmp") == 0) {
    c->private_tmp = 1;
    return 1;
  }
  if (value == NULL) return 0;
  if (strcmp(opt, "--netns") == 0) {
    if (strcmp(value, "none") == 0) c->netns = 1;
    else if (strcmp(value, "loopback") == 0) c->netns = 2;
    else usage("--netns takes none or loopback");
  } else if (strcmp(opt, "--rw") == 0) {
    add_path(c->rw, &c->n_rw, value);
  } else if (strcmp(opt, "--overlay") == 0) {
    add_path(c->ovl_lower, &c->n_ovl_lower, value);
  } else if (strcmp(opt, "--overlay-dir") == 0) {
    add_path(c->ovl_dir, &c->n_ovl_dir, value);
  } else if (strcmp(opt, "--keep") == 0) {
    add_path(c->keep, &c->n_keep, value);
  } else if (strcmp(opt, "--hide") == 0) {
    add_path(c->hide, &c->n_hide, value);
  } else if (strcmp(opt, "--rlimit") == 0) {
    parse_rlimit(c, value);
  } else if (strcmp(opt, "--ll-ro") == 0) {
    add_path(c->ll_ro, &c->n_ll_ro, value);
  } else if (strcmp(opt, "--ll-rx") == 0) {
    add_path(c->ll_rx, &c->n_ll_rx, value);
  } else if (strcmp(opt, "--ll-rw") == 0) {
    add_path(c->ll_rw, &c->n_ll_rw, value);
  } else if (strcmp(opt, "--ll-dir") == 0) {
    add_path(c->ll_dir, &c->n_ll_dir, value);
  } else if (strcmp(opt, "--tmp-size") == 0) {
    char *end;
    long long size = strtoll(value, &end, 10);
    if (*end != '\0' || size <= 0) usage("bad --tmp-size");
    c->tmp_size = size;
  } else {
    return 0;
  }
  (*i)++;
  return 1;
}

static void noop_handler(int sig) { (void)sig; }

/* Keeps catchable signals from ending the launcher or the init: they are meant for the
 * command, which gets them through the process group. SIG_IGN would survive exec, so a handler. */
static void survive_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = noop_handler;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int sig = 1; sig < 32; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || sig == SIGCONT || sig == SIGTSTP ||
        sig == SIGTTIN || sig == SIGTTOU)
      continue;
    sigaction(sig, &sa, NULL);
  }
}

/* Closes every fd except keep (or none when keep is -1). */
static void close_all_but(int keep) {
  if (keep < 0) {
    syscall(SYS_close_range, 0U, ~0U, 0);
    return;
  }
  if (keep > 0) syscall(SYS_close_range, 0U, (unsigned)keep - 1, 0);
  syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0);
}

/* Closes every fd except keep and the --inherit-fd ones (the init holds those for the action). */
static void close_all_but_inherited(int keep) {
  int kept[MAX_INHERITED + 1];
  int n = 0;
  kept[n++] = keep;
  for (int i = 0; i < n_inherit; i++) kept[n++] = inherit_fds[i];
  for (int i = 1; i < n; i++) { /* insertion sort: a handful of fds */
    for (int j = i; j > 0 && kept[j - 1] > kept[j]; j--) {
      int t = kept[j];
      kept[j] = kept[j - 1];
      kept[j - 1] = t;
    }
  }
  unsigned next = 0;
  for (int i = 0; i < n; i++) {
    if (kept[i] < 0 || (unsigned)kept[i] < next) continue;
    if ((unsigned)kept[i] > next) syscall(SYS_close_range, next, (unsigned)kept[i] - 1, 0);
    next = (unsigned)kept[i] + 1;
  }
  syscall(SYS_close_range, next, ~0U, 0);
}

/* What the command gets on top of the launcher's own environment: --preload, --env. */
static void command_environment(const char *preload, char **env, int n_env) {
  for (int i = 0; i < n_env; i++) {
    char *eq = strchr(env[i], '=');
    *eq = '\0';
    if (setenv(env[i], eq + 1, 1) != 0) fail(STAGE_SETUP, errno);
    *eq = '=';
  }
  if (preload != NULL) {
    const char *old = getenv("LD_PRELOAD");
    size_t len = strlen(preload) + (old != NULL ? strlen(old) + 1 : 0) + 1;
    char *value = malloc(len);
    if (value == NULL) fail(STAGE_SETUP, ENOMEM);
    snprintf(value, len, "%s%s%s", preload, old != NULL && *old != '\0' ? ":" : "",
             old != NULL ? old : "");
    if (setenv("LD_PRELOAD", value, 1) != 0) fail(STAGE_SETUP, errno);
  }
  /* Open across exec: everything else above 2 stays close-on-exec. */
  for (int i = 0; i < n_inherit; i++) {
    if (fcntl(inherit_fds[i], F_SETFD, 0) != 0) fail(STAGE_SETUP, errno);
  }
}

/* Ends this process the way a wait status says its child ended. */
static void exit_like(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none); /* the command may have dumped core; we must not */
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig);
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_LAUNCH_FAILED);
}

/* The launcher's part under --pidns: waits for the init and ends as the command ended. The init
 * writes the command's raw wait status on status_fd; without it (the init failed or was killed)
 * the launcher ends as the init did. */
static void relay(pid_t init, int status_fd) {
  survive_signals();
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  close_all_but(status_fd);
  int status;
  while (waitpid(init, &status, 0) < 0) {
    if (errno != EINTR) _exit(EXIT_LAUNCH_FAILED);
  }
  int32_t reported;
  ssize_t n;
  do {
    n = read(status_fd, &reported, sizeof reported);
  } while (n < 0 && errno == EINTR);
  exit_like(n == (ssize_t)sizeof reported ? reported : status);
}

/* The init's part under --pidns: reaps every process of the namespace until the command (pid)
 * ends, then reports its status and exits, which kills the rest of the namespace. */
static void init_loop(pid_t command, int status_fd) {
  /* What arrived while signals were blocked (during setup) was meant for the command. */
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  for (int sig = 1; sig < 32; sig++) {
    if (sig != SIGCHLD && sig != SIGKILL && sig != SIGSTOP && sigismember(&pending, sig))
      kill(command, sig);
  }
  survive_signals();
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  close_all_but_inherited(status_fd);
  for (;;) {
    int status;
    pid_t done = waitpid(-1, &status, 0);
    if (done == command) {
      int32_t raw = status;
      write_all(status_fd, &raw, sizeof raw);
      _exit(0);
    }
    if (done < 0 && errno != EINTR) _exit(EXIT_LAUNCH_FAILED);
  }
}

int main(int argc, char **argv) {
  const char *cwd = NULL;
  int seccomp_fd = -1;
  int sync_fd = -1;
  const char *preload = NULL;
  static char *env[MAX_PATHS];
  int n_env = 0;
  static struct confinement confinement = {
      .rlimit_nproc = -1, .rlimit_as = -1, .rlimit_cpu = -1, .rlimit_fsize = -1, .tmp_size = -1};
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    } else if (strcmp(argv[i], "--cwd") == 0 && i + 1 < argc) {
      cwd = argv[++i];
    } else if (strcmp(argv[i], "--report-fd") == 0 && i + 1 < argc) {
      report_fd = parse_fd(argv[++i]);
    } else if (strcmp(argv[i], "--seccomp-fd") == 0 && i + 1 < argc) {
      seccomp_fd = parse_fd(argv[++i]);
    } else if (strcmp(argv[i], "--sync-fd") == 0 && i + 1 < argc) {
      sync_fd = parse_fd(argv[++i]);
    } else if (strcmp(argv[i], "--inherit-fd") == 0 && i + 1 < argc) {
      if (n_inherit == MAX_INHERITED) usage("too many --inherit-fd");
      inherit_fds[n_inherit++] = parse_fd(argv[++i]);
    } else if (strcmp(argv[i], "--preload") == 0 && i + 1 < argc) {
      preload = argv[++i];
    } else if (strcmp(argv[i], "--env") == 0 && i + 1 < argc) {
      if (n_env == MAX_PATHS) usage("too many --env");
      if (strchr(argv[i + 1], '=') == NULL || argv[i + 1][0] == '=') usage("--env wants NAME=VALUE");
      env[n_env++] = argv[++i];
    } else if (parse_confinement(&confinement, argc, argv, &i)) {
      continue;
    } else {
      usage("unknown option (usage: airlock-launcher [--cwd DIR] [--report-fd N]"
            " [--seccomp-fd N --sync-fd N] [--inherit-fd N] [--preload LIB] [--env NAME=VALUE]"
            " -- CMD ...)");
    }
  }
  if (i >= argc) usage("no command after --");
  /* A filter that traces without a tracer would make every traced syscall fail with ENOSYS. */
  if ((seccomp_fd < 0) != (sync_fd < 0)) usage("--seccomp-fd and --sync-fd go together");

  /* The spawner already made us a group leader (POSIX_SPAWN_SETPGROUP, so that a cancel racing
   * with startup still hits the group); repeating it keeps the contract for other spawners. */
  if (setpgid(0, 0) != 0 && errno != EPERM) fail(STAGE_SETUP, errno);
  reset_signals();
  cloexec_inherited_fds();
  if (confinement.netns && !confinement.userns) usage("--netns needs --userns");
  if (confinement.pidns && !confinement.userns) usage("--pidns needs --userns");
  if (confinement.n_ovl_lower > 0 && !confinement.userns) usage("--overlay needs --userns");
  if (confinement.n_ovl_lower != confinement.n_ovl_dir)
    usage("--overlay and --overlay-dir go in pairs");
  int err;
  if ((err = confine_namespaces(&confinement)) != 0) fail(STAGE_NAMESPACE, err);
  int status_pipe[2] = {-1, -1};
  if (confinement.pidns) {
    /* Seized before the fork, so the init and the command are traced from their first
     * instruction; no filter is installed in this process, which runs no command code. */
    if (sync_fd >= 0) await_tracer(sync_fd);
    if (pipe2(status_pipe, O_CLOEXEC) != 0) fail(STAGE_NAMESPACE, errno);
    /* Blocked until the command exists: the init ignores a default-action signal (it is pid 1),
     * so a cancel arriving during setup would otherwise be lost; blocked, it stays pending and
     * the init passes it on once the command is forked. */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    pid_t init = fork();
    if (init < 0) fail(STAGE_NAMESPACE, errno);
    if (init > 0) relay(init, status_pipe[0]);
    close(status_pipe[0]);
  }
  if ((err = confine_mounts(&confinement)) != 0) fail(STAGE_MOUNT, err);
  /* After the mounts: the working directory may live in a re-attached tree. */
  if (cwd != NULL && chdir(cwd) != 0) fail(STAGE_CHDIR, errno);
  if ((err = confine_rlimits(&confinement)) != 0) fail(STAGE_RLIMIT, err);
  /* no_new_privs: needed by seccomp and Landlock for an unprivileged process, and it keeps
   * setuid binaries from gaining privileges inside the action. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(STAGE_SETUP, errno);
  if ((err = confine_landlock(&confinement)) != 0) fail(STAGE_LANDLOCK, err);
  if (seccomp_fd >= 0) {
    install_filter(seccomp_fd);
    if (!confinement.pidns) await_tracer(sync_fd);
  }
  if (confinement.pidns) {
    pid_t command = fork();
    if (command < 0) fail(STAGE_SETUP, errno);
    if (command > 0) init_loop(command, status_pipe[1]);
    close(status_pipe[1]);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
  }
  command_environment(preload, env, n_env);
  execvp(argv[i], &argv[i]);
  fail(STAGE_EXEC, errno);
  return EXIT_LAUNCH_FAILED;
}
