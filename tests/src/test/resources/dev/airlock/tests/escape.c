// Escape attempts run inside an action by EscapeTest: each mode tries one way out and prints what
// the kernel answered, one line per call ("NAME RESULT ERRNO-NAME"), so the test can check that it
// was refused and that the refusal was the sandbox's.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long rc, const char *success) {
  printf("%s %ld %s\n", what, rc, rc >= 0 ? success : strerrorname_np(errno));
  fflush(stdout);
}

static long elapsed_ms(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

// A second thread flips a buffer between a path the policy allows and one it refuses, while the
// main thread passes the buffer to the kernel: the tracer reads one, the kernel may read the other.
static volatile char buf[108] = "out/ok";
static const char *allowed_path = "out/ok", *refused_path = "outside/victim";
static volatile int stop;

static void put(const char *s) {
  for (int i = 0; s[i] != 0 || (buf[i] = 0); i++) buf[i] = s[i];
}

static void *flip(void *arg) {
  (void)arg;
  while (!stop) {
    put(refused_path);
    for (volatile int i = 0; i < 200; i++) {}
    put(allowed_path);
    for (volatile int i = 0; i < 200; i++) {}
  }
  return NULL;
}

static int race(void) {
  pthread_t t;
  pthread_create(&t, NULL, flip, NULL);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  long opened = 0, refused = 0;
  do {
    int fd = open((const char *)buf, O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) {
      if (write(fd, "RACED\n", 6) != 6) perror("write");
      close(fd);
      opened++;
    } else {
      refused++;
    }
  } while (elapsed_ms(&start) < 1000);
  stop = 1;
  pthread_join(t, NULL);
  printf("race opened %ld refused %ld\n", opened, refused);
  return 0;
}

// connect(2)'s address lives in the caller's memory like a path: the same race on sun_path.
static struct sockaddr_un racing_address;

static void *flip_address(void *arg) {
  (void)arg;
  size_t n = sizeof racing_address.sun_path;
  while (!stop) {
    strncpy((char *)racing_address.sun_path, refused_path, n);
    for (volatile int i = 0; i < 200; i++) {}
    strncpy((char *)racing_address.sun_path, allowed_path, n);
    for (volatile int i = 0; i < 200; i++) {}
  }
  return NULL;
}

static int connect_race(void) {
  racing_address.sun_family = AF_UNIX;
  strncpy(racing_address.sun_path, allowed_path, sizeof racing_address.sun_path);
  pthread_t t;
  pthread_create(&t, NULL, flip_address, NULL);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  long connected = 0, refused = 0;
  do {
    // Non-blocking: a connect to a listener whose backlog is full fails instead of waiting.
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (connect(s, (struct sockaddr *)&racing_address, sizeof racing_address) == 0) {
      if (write(s, "RACED\n", 6) != 6) perror("write");
      connected++;
    } else {
      refused++;
    }
    close(s);
  } while (elapsed_ms(&start) < 1000);
  stop = 1;
  pthread_join(t, NULL);
  printf("connect race connected %ld refused %ld\n", connected, refused);
  return 0;
}

// The same race on a datagram's destination (sendto's address, or sendmsg's msg_name, also in
// the caller's memory).
static int sendto_race(int with_sendmsg) {
  racing_address.sun_family = AF_UNIX;
  strncpy(racing_address.sun_path, allowed_path, sizeof racing_address.sun_path);
  pthread_t t;
  pthread_create(&t, NULL, flip_address, NULL);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  long sent = 0, refused = 0;
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  do {
    struct iovec iov = {"RACED\n", 6};
    struct msghdr m = {.msg_name = &racing_address, .msg_namelen = sizeof racing_address,
                       .msg_iov = &iov, .msg_iovlen = 1};
    long n = with_sendmsg ? sendmsg(s, &m, 0)
                          : sendto(s, "RACED\n", 6, 0, (struct sockaddr *)&racing_address,
                                   sizeof racing_address);
    if (n == 6)
      sent++;
    else
      refused++;
  } while (elapsed_ms(&start) < 1000);
  stop = 1;
  pthread_join(t, NULL);
  printf("%s race sent %ld refused %ld\n", with_sendmsg ? "sendmsg" : "sendto", sent, refused);
  return 0;
}

// The race on a read: the tracer sees a path the policy lets the action read, the kernel may
// open one it does not, that only a kernel layer coarser than the tracer (Landlock) also covers.
static int read_race(void) {
  put(allowed_path);
  pthread_t t;
  pthread_create(&t, NULL, flip, NULL);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  long leaked = 0, other = 0;
  do {
    int fd = open((const char *)buf, O_RDONLY);
    if (fd >= 0) {
      char got[64] = {0};
      if (read(fd, got, sizeof got - 1) > 0 && strncmp(got, "original victim", 15) == 0)
        leaked++;
      else
        other++;
      close(fd);
    } else {
      other++;
    }
  } while (elapsed_ms(&start) < 1000);
  stop = 1;
  pthread_join(t, NULL);
  printf("read race leaked %ld other %ld\n", leaked, other);
  return 0;
}

static int connect_to(const char *path) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  socklen_t len;
  if (path[0] == '@') {  // abstract: a leading NUL, no terminator
    memcpy(a.sun_path + 1, path + 1, strlen(path) - 1);
    len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
  } else {
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    len = sizeof a;
  }
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  long rc = connect(s, (struct sockaddr *)&a, len);
  show("connect", rc, "CONNECTED");
  if (rc == 0 && write(s, "ESCAPED\n", 8) != 8) perror("write");
  return 0;
}

static int ptrace_of(pid_t pid) {
  show("ptrace", ptrace(PTRACE_ATTACH, pid, 0, 0), "ATTACHED");
  show("ptrace_seize", ptrace(PTRACE_SEIZE, pid, 0, 0), "SEIZED");
  static char data[8] = "xxxxxxx";
  struct iovec local = {data, sizeof data}, remote = {(void *)0x400000, sizeof data};
  show("process_vm_writev", process_vm_writev(pid, &local, 1, &remote, 1, 0), "WROTE");
  show("process_vm_readv", process_vm_readv(pid, &local, 1, &remote, 1, 0), "READ");
  return 0;
}

static int proc_mem(const char *pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/mem", pid);
  int fd = open(path, O_RDWR);
  show("open_mem", fd, "OPENED");
  if (fd >= 0) {
    show("pwrite_mem", pwrite(fd, "xxxxxxxx", 8, 0x400000), "WROTE");
  }
  return 0;
}

static int keys(void) {
  show("add_key",
       syscall(SYS_add_key, "user", "airlock-escape-key", "stolen", 6, KEY_SPEC_USER_KEYRING),
       "ADDED");
  show("keyctl_join",
       syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "airlock-escape-ring"), "JOINED");
  show("keyctl_read", syscall(SYS_keyctl, KEYCTL_DESCRIBE, KEY_SPEC_USER_KEYRING, 0, 0), "READ");
  show("request_key",
       syscall(SYS_request_key, "user", "airlock-escape-key", NULL, KEY_SPEC_USER_KEYRING),
       "FOUND");
  return 0;
}

static int namespaces(void) {
  show("unshare_user", unshare(CLONE_NEWUSER), "UNSHARED");
  show("unshare_mount", unshare(CLONE_NEWNS), "UNSHARED");
  show("unshare_net", unshare(CLONE_NEWNET), "UNSHARED");
  long pid = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  show("clone_newuser", pid, "CLONED");
  int fd = open("/proc/1/ns/mnt", O_RDONLY);
  show("open_ns", fd, "OPENED");
  show("setns_mnt", setns(fd, 0), "ENTERED");
  fd = open("/proc/1/ns/user", O_RDONLY);
  show("setns_user", setns(fd, CLONE_NEWUSER), "ENTERED");
  return 0;
}

static int mounts(void) {
  show("mount_tmpfs", mount("none", "outside", "tmpfs", 0, NULL), "MOUNTED");
  show("mount_bind", mount("out", "outside", NULL, MS_BIND, NULL), "MOUNTED");
  show("mount_remount", mount(NULL, "outside", NULL, MS_REMOUNT | MS_BIND, NULL), "REMOUNTED");
  show("umount", umount2("/tmp", MNT_DETACH), "UNMOUNTED");
  show("pivot_root", syscall(SYS_pivot_root, ".", "out"), "PIVOTED");
  show("chroot", chroot("out"), "CHROOTED");
  show("open_tree", syscall(SYS_open_tree, AT_FDCWD, "out", 1 /* OPEN_TREE_CLONE */), "OPENED");
  show("fsopen", syscall(SYS_fsopen, "tmpfs", 0), "OPENED");
  return 0;
}

static int devices(const char *dir) {
  char path[256];
  snprintf(path, sizeof path, "%s/disk", dir);
  show("mknod_block", mknod(path, S_IFBLK | 0666, makedev(8, 0)), "MADE");
  snprintf(path, sizeof path, "%s/mem", dir);
  show("mknod_char", mknod(path, S_IFCHR | 0666, makedev(1, 1)), "MADE");
  show("open_sda", open("/dev/sda", O_RDWR), "OPENED");
  return 0;
}

// Every block device the host has, opened for reading: a raw disk holds every file, hidden or not.
static int block_devices(void) {
  FILE *list = popen("ls /sys/class/block", "r");
  char name[64];
  int tried = 0;
  while (list != NULL && fscanf(list, "%63s", name) == 1) {
    char path[96], what[128];
    snprintf(path, sizeof path, "/dev/%s", name);
    snprintf(what, sizeof what, "open_block %s", path);
    show(what, open(path, O_RDONLY), "OPENED");
    tried++;
  }
  printf("block devices tried %d\n", tried);
  return 0;
}

static int resolve(void) {
  int out = open("out", O_PATH | O_DIRECTORY);
  struct open_how how = {.flags = O_WRONLY | O_TRUNC};
  how.resolve = RESOLVE_BENEATH;
  show("beneath", syscall(SYS_openat2, out, "../outside/victim", &how, sizeof how), "OPENED");
  how.resolve = RESOLVE_IN_ROOT;
  show("in_root", syscall(SYS_openat2, out, "/../outside/victim", &how, sizeof how), "OPENED");
  how.resolve = RESOLVE_NO_MAGICLINKS;
  show("no_magiclinks",
       syscall(SYS_openat2, AT_FDCWD, "/proc/self/cwd/outside/victim", &how, sizeof how),
       "OPENED");
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV;
  show("plain", syscall(SYS_openat2, AT_FDCWD, "outside/victim", &how, sizeof how), "OPENED");
  how.flags = O_WRONLY | O_CREAT;
  how.mode = 0644;
  how.resolve = 0;
  show("create", syscall(SYS_openat2, out, "../outside/new", &how, sizeof how), "OPENED");
  return 0;
}

static int terminal(void) {
  char c = 'x';
  for (int fd = 0; fd <= 2; fd++) {
    char what[32];
    snprintf(what, sizeof what, "tiocsti_fd%d", fd);
    show(what, ioctl(fd, TIOCSTI, &c), "INJECTED");
  }
  int tty = open("/dev/tty", O_RDWR);
  show("open_tty", tty, "OPENED");
  if (tty >= 0) show("tiocsti_tty", ioctl(tty, TIOCSTI, &c), "INJECTED");
  show("tiocsctty", ioctl(0, TIOCSCTTY, 1), "TAKEN");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *mode = argv[1];
  if (strcmp(mode, "ptrace") == 0 && argc == 3) return ptrace_of(atoi(argv[2]));
  if (strcmp(mode, "mem") == 0 && argc == 3) return proc_mem(argv[2]);
  if (strcmp(mode, "kernel") == 0) {
    char params[120];
    memset(params, 0, sizeof params);
    show("io_uring_setup", syscall(SYS_io_uring_setup, 4, params), "OPENED");
    struct {
      unsigned int bytes;
      int type;
      unsigned char h[128];
    } handle;
    int mount_id;
    handle.bytes = 128;
    if (name_to_handle_at(AT_FDCWD, "/etc/hostname", (void *)&handle, &mount_id, 0) != 0) {
      handle.bytes = 8;
      handle.type = 1;
      memset(handle.h, 0, sizeof handle.h);
    }
    show("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, &handle, O_RDONLY),
         "OPENED");
    return 0;
  }
  if (strcmp(mode, "race") == 0) return race();
  if (strcmp(mode, "connect-race") == 0 && argc == 4) {
    allowed_path = argv[2];
    refused_path = argv[3];
    return connect_race();
  }
  if ((strcmp(mode, "sendto-race") == 0 || strcmp(mode, "sendmsg-race") == 0) && argc == 4) {
    allowed_path = argv[2];
    refused_path = argv[3];
    return sendto_race(strcmp(mode, "sendmsg-race") == 0);
  }
  if (strcmp(mode, "read-race") == 0 && argc == 4) {
    allowed_path = argv[2];
    refused_path = argv[3];
    return read_race();
  }
  if (strcmp(mode, "connect") == 0 && argc == 3) return connect_to(argv[2]);
  if (strcmp(mode, "keys") == 0) return keys();
  if (strcmp(mode, "namespaces") == 0) return namespaces();
  if (strcmp(mode, "mounts") == 0) return mounts();
  if (strcmp(mode, "devices") == 0 && argc == 3) return devices(argv[2]);
  if (strcmp(mode, "block-devices") == 0) return block_devices();
  if (strcmp(mode, "resolve") == 0) return resolve();
  if (strcmp(mode, "terminal") == 0) return terminal();
  return 2;
}
