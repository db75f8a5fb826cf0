/* Kernel confinement applied by the launcher before exec: namespaces, mounts, limits, Landlock.
 * Each function returns 0 or an errno (never exits), so the launcher reports the stage. */
#ifndef AIRLOCK_CONFINE_H
#define AIRLOCK_CONFINE_H

#define CONFINE_MAX_PATHS 256

struct confinement {
  int userns;
  int netns;       /* 0: none requested, 1: empty (lo down), 2: loopback up */
  int ro_root;
  int private_tmp;
  const char *rw[CONFINE_MAX_PATHS];
  int n_rw;
  const char *keep[CONFINE_MAX_PATHS];
  int n_keep;
  const char *hide[CONFINE_MAX_PATHS];
  int n_hide;
  long long rlimit_nproc, rlimit_as, rlimit_cpu; /* -1: unset */
  const char *ll_ro[CONFINE_MAX_PATHS];
  int n_ll_ro;
  const char *ll_rx[CONFINE_MAX_PATHS];
  int n_ll_rx;
  const char *ll_rw[CONFINE_MAX_PATHS];
  int n_ll_rw;
};

/* Enters the namespaces (user, mount, network) and maps the caller's uid and gid. */
int confine_namespaces(const struct confinement *c);
/* Builds the mount view: private propagation, writable binds, private /tmp, hidden paths,
 * read-only root. */
int confine_mounts(const struct confinement *c);
int confine_rlimits(const struct confinement *c);
/* Restricts the process with Landlock when rules are given and the kernel supports it;
 * needs no_new_privs already set. */
int confine_landlock(const struct confinement *c);

#endif
