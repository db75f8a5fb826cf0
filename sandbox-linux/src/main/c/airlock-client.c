/*
 * airlock-client: the native front end of the airlock command line, so that a call costs
 * milliseconds instead of a JVM start.
 *
 * It knows no subcommand. It forwards the invocation (arguments, environment, working directory,
 * which standard streams are terminals, the terminal's width) to the running daemon, which runs
 * the CLI's commands, then relays stdin, stdout, stderr and signals until the daemon sends the
 * exit status. When no daemon answers, when the daemon says the command must run in the client's
 * own process (stop, daemon), or when what comes back is not a CLI session, it runs the JVM client
 * instead (argv[1]): that one starts the daemon when needed and explains every error.
 *
 * usage (run by ./airlock): airlock-client JVM_CLIENT [ARG...]
 * The framing is described in daemon/src/main/java/dev/airlock/daemon/cli/CliFrames.java.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

static const unsigned char MAGIC[8] = {0xff, 0xff, 0xff, 0xff, 0x7f, 'A', 'L', '1'};
enum { HEADER = 5, MAX_PAYLOAD = 1 << 20, STDIN_CHUNK = 64 * 1024, MAX_SOCKET_PATH = 106 };

static char **jvm_argv;
static int self_pipe[2] = {-1, -1};
static volatile sig_atomic_t signals_handled;
static volatile sig_atomic_t signals_received;

/* A growable byte buffer. */
struct buf {
  unsigned char *data;
  size_t len, cap;
};

static void die(const char *what) {
  char line[512];
  int n = snprintf(line, sizeof line, "airlock: %s\n", what);
  if (n > 0) {
    ssize_t ignored = write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    (void)ignored;
  }
  exit(125);
}

static void reserve(struct buf *b, size_t more) {
  if (b->len + more <= b->cap) return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + more) cap *= 2;
  unsigned char *data = realloc(b->data, cap);
  if (!data) die("out of memory");
  b->data = data;
  b->cap = cap;
}

static void append(struct buf *b, const void *bytes, size_t n) {
  reserve(b, n);
  memcpy(b->data + b->len, bytes, n);
  b->len += n;
}

static void put_frame(struct buf *b, char type, const void *payload, size_t n) {
  unsigned char header[HEADER] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                                  (unsigned char)(n >> 8), (unsigned char)n, (unsigned char)type};
  append(b, header, HEADER);
  append(b, payload, n);
}

static void consume(struct buf *b, size_t n) {
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
}

/* No daemon to talk to, or it wants the JVM client: that one does the rest. */
static void run_jvm_client(void) {
  execv(jvm_argv[0], jvm_argv);
  char what[300];
  snprintf(what, sizeof what, "cannot run %s: %s", jvm_argv[0], strerror(errno));
  die(what);
}

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

/* The daemon's socket, resolved as dev.airlock.protocol.AirlockPaths does; 0 when unknown. */
static int socket_path(int argc, char **argv, char *out, size_t size) {
  const char *socket_opt = NULL, *state_opt = NULL;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) break;
    if (strcmp(a, "--socket") == 0 && i + 1 < argc) socket_opt = argv[++i];
    else if (strncmp(a, "--socket=", 9) == 0) socket_opt = a + 9;
    else if (strcmp(a, "--state-dir") == 0 && i + 1 < argc) state_opt = argv[++i];
    else if (strncmp(a, "--state-dir=", 12) == 0) state_opt = a + 12;
  }
  int n;
  const char *runtime;
  if ((socket_opt = socket_opt ? socket_opt : nonempty(getenv("AIRLOCK_SOCKET")))) {
    n = snprintf(out, size, "%s", socket_opt);
  } else if ((runtime = nonempty(getenv("XDG_RUNTIME_DIR")))) {
    n = snprintf(out, size, "%s/airlock/airlockd.sock", runtime);
  } else if ((state_opt = state_opt ? state_opt : nonempty(getenv("AIRLOCK_STATE_DIR")))) {
    n = snprintf(out, size, "%s/airlockd.sock", state_opt);
  } else if (nonempty(getenv("XDG_CACHE_HOME"))) {
    n = snprintf(out, size, "%s/airlock/airlockd.sock", getenv("XDG_CACHE_HOME"));
  } else if (nonempty(getenv("HOME"))) {
    n = snprintf(out, size, "%s/.cache/airlock/airlockd.sock", getenv("HOME"));
  } else {
    return 0; /* the JVM client asks the password database */
  }
  return n > 0 && n <= MAX_SOCKET_PATH && (size_t)n < size;
}

static int connect_daemon(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Writes everything, waiting when fd is non-blocking; -1 with errno on failure. */
static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
    } else if (w < 0 && errno == EAGAIN) {
      struct pollfd pfd = {.fd = fd, .events = POLLOUT};
      poll(&pfd, 1, -1);
    } else if (w < 0 && errno != EINTR) {
      return -1;
    }
  }
  return 0;
}

static void on_signal(int sig) {
  int saved = errno;
  if (!signals_handled) {
    /* The command does not handle signals: die of it, as the JVM client would. */
    signal(sig, SIG_DFL);
    raise(sig);
  } else if (signals_received++ > 0) {
    /* A second one: leave now; the daemon cancels the action because the client went away. */
    _exit(128 + sig);
  } else {
    unsigned char c = (unsigned char)sig;
    ssize_t ignored = write(self_pipe[1], &c, 1);
    (void)ignored;
  }
  errno = saved;
}

static void install_signal_handlers(void) {
  if (pipe2(self_pipe, O_CLOEXEC | O_NONBLOCK) < 0) die("cannot create a pipe");
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  int forwarded[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) {
    struct sigaction old;
    /* A signal the shell made us ignore (nohup, background jobs) stays ignored. */
    if (sigaction(forwarded[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(forwarded[i], &sa, NULL);
  }
  signal(SIGPIPE, SIG_IGN);
}

/* The invocation: arguments, environment, working directory, terminals, then "go". */
static void put_invocation(struct buf *out, int argc, char **argv) {
  append(out, MAGIC, sizeof MAGIC);
  for (int i = 2; i < argc; i++) put_frame(out, 'A', argv[i], strlen(argv[i]));
  for (char **e = environ; *e; e++) put_frame(out, 'E', *e, strlen(*e));
  char *cwd = getcwd(NULL, 0);
  if (!cwd) run_jvm_client(); /* a deleted directory: the JVM client says what it can */
  put_frame(out, 'D', cwd, strlen(cwd));
  free(cwd);
  struct winsize ws = {0};
  if (ioctl(1, TIOCGWINSZ, &ws) < 0 && ioctl(2, TIOCGWINSZ, &ws) < 0) ws.ws_col = 0;
  unsigned char terminal[5] = {(unsigned char)isatty(0), (unsigned char)isatty(1),
                               (unsigned char)isatty(2), (unsigned char)(ws.ws_col >> 8),
                               (unsigned char)ws.ws_col};
  put_frame(out, 'T', terminal, sizeof terminal);
  put_frame(out, 'G', "", 0);
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int main(int argc, char **argv) {
  if (argc < 2) die("usage: airlock-client JVM_CLIENT [ARG...] (run it through ./airlock)");
  jvm_argv = argv + 1;
  char path[sizeof((struct sockaddr_un *)0)->sun_path];
  int sock = socket_path(argc, argv, path, sizeof path) ? connect_daemon(path) : -1;
  if (sock < 0) run_jvm_client();

  struct buf out = {0}, in = {0};
  put_invocation(&out, argc, argv);
  install_signal_handlers();

  int first_frame = 1, stdout_gone = 0, stdin_done = 0;
  uint64_t credit = 0;
  unsigned char chunk[STDIN_CHUNK];
  for (;;) {
    struct pollfd fds[3] = {
        {.fd = sock, .events = POLLIN | (out.len ? POLLOUT : 0)},
        {.fd = self_pipe[0], .events = POLLIN},
        {.fd = credit && !stdin_done && out.len < STDIN_CHUNK ? 0 : -1, .events = POLLIN},
    };
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll failed");
    }
    if (fds[1].revents & POLLIN) {
      unsigned char sig;
      while (read(self_pipe[0], &sig, 1) == 1) put_frame(&out, 'S', &sig, 1);
    }
    if (fds[2].revents) {
      size_t want = credit < sizeof chunk ? (size_t)credit : sizeof chunk;
      ssize_t n = read(0, chunk, want);
      if (n > 0) {
        put_frame(&out, 'I', chunk, (size_t)n);
        credit -= (uint64_t)n;
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        put_frame(&out, 'i', "", 0);
        stdin_done = 1;
      }
    }
    if (out.len && (fds[0].revents & POLLOUT || fds[0].revents & POLLIN)) {
      ssize_t w = send(sock, out.data, out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w > 0) consume(&out, (size_t)w);
      else if (w < 0 && errno != EAGAIN && errno != EINTR && errno != EPIPE && errno != ECONNRESET)
        die("cannot write to airlockd");
    }
    if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    reserve(&in, 64 * 1024);
    ssize_t n = recv(sock, in.data + in.len, in.cap - in.len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) {
      if (first_frame) run_jvm_client();
      die("airlockd closed the connection before the command finished (its log says why)");
    }
    in.len += (size_t)n;
    while (in.len >= HEADER) {
      uint32_t len = be32(in.data);
      char type = (char)in.data[4];
      if (len > MAX_PAYLOAD || !strchr("ORNHXJ", type) || type == '\0') {
        /* Not a CLI session (a daemon refusing this user answers in its protobuf protocol). */
        if (first_frame) run_jvm_client();
        die("a malformed frame from airlockd");
      }
      if (in.len < HEADER + len) break;
      const unsigned char *p = in.data + HEADER;
      first_frame = 0;
      switch (type) {
        case 'O':
          if (!stdout_gone && write_all(1, p, len) < 0) {
            /* Nothing reads our stdout (| head): tell the daemon, which cancels the action. */
            stdout_gone = 1;
            put_frame(&out, 'P', "", 0);
          }
          break;
        case 'R':
          write_all(2, p, len);
          break;
        case 'N':
          if (len == 4) credit += be32(p);
          break;
        case 'H':
          signals_handled = 1;
          break;
        case 'X':
          exit(len == 4 ? (int)(be32(p) & 0xff) : 125);
        case 'J':
          close(sock);
          run_jvm_client();
      }
      consume(&in, HEADER + len);
    }
  }
}
