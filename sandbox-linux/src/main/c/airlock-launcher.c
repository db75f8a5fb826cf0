/*
 * airlock-launcher: the child-side setup between fork and exec for one Airlock action.
 *
 * The daemon posix_spawn()s this program (never fork() in a JVM) and it prepares the process
 * the way the daemon cannot from Java, then execs the command. It must stay tiny: everything
 * that can be decided in Java is decided there and passed in argv.
 *
 * Contract (tested by LauncherCommandLineTest and LauncherTest):
 *
 *   airlock-launcher [--cwd DIR] [--report-fd N] [--seccomp-fd N --sync-fd N] -- COMMAND [ARG...]
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
 *
 * Steps: own process group; every signal at its default disposition and unblocked (the JVM's
 * mask and handlers must not leak into the command); every fd above 2 close-on-exec; chdir;
 * seccomp filter; wait for the tracer; execvp.
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
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Stages reported on the report fd; mirrored by LaunchFailure.Stage in Java. */
enum { STAGE_SETUP = 1, STAGE_CHDIR = 2, STAGE_EXEC = 3, STAGE_SECCOMP = 4, STAGE_SYNC = 5 };

/* The kernel's limit on a filter's length (BPF_MAXINSNS). */
#define MAX_FILTER_INSNS 4096

/* Exit status of the launcher when it fails before exec (the shell's "command not found"). */
#define EXIT_LAUNCH_FAILED 127
/* Exit status for a malformed launcher command line: a bug in the daemon, not in the action. */
#define EXIT_USAGE 125

static int report_fd = -1;

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

/* Reads the whole BPF program from fd and installs it (after no_new_privs, which an
 * unprivileged process needs for seccomp and which also stops setuid binaries from gaining
 * privileges inside the action). */
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
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(STAGE_SECCOMP, errno);
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

int main(int argc, char **argv) {
  const char *cwd = NULL;
  int seccomp_fd = -1;
  int sync_fd = -1;
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
    } else {
      usage("unknown option (usage: airlock-launcher [--cwd DIR] [--report-fd N]"
            " [--seccomp-fd N --sync-fd N] -- CMD ...)");
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
  if (cwd != NULL && chdir(cwd) != 0) fail(STAGE_CHDIR, errno);
  if (seccomp_fd >= 0) {
    install_filter(seccomp_fd);
    await_tracer(sync_fd);
  }
  execvp(argv[i], &argv[i]);
  fail(STAGE_EXEC, errno);
  return EXIT_LAUNCH_FAILED;
}
