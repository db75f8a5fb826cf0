/* Kernel confinement applied by the launcher before exec: namespaces, mounts, limits, Landlock.
 * Each function returns 0 or an errno (never exits), so the launcher reports the stage. */
#ifndef AIRLOCK_CONFINE_H
#define AIRLOCK_CONFINE_H

#define CONFINE_MAX_PATHS 256

struct confinement {
  int userns;
  int pidns;       /* a new pid namespace; the launcher forks its init (see airlock-launcher.c) */
  int netns;       /* 0: none requested, 1: empty (lo down), 2: loopback up */
  int ro_root;
  int private_tmp;
  const char *rw[CONFINE_MAX_PATHS];
  int n_rw;
  /* Copy-on-write writable roots: overlay i is mounted onto ovl_lower[i], with upper and work
   * directories ovl_dir[i]/upper and ovl_dir[i]/work. */
  const char *ovl_lower[CONFINE_MAX_PATHS];
  int n_ovl_lower;
  const char *ovl_dir[CONFINE_MAX_PATHS];
  int n_ovl_dir;
  const char *keep[CONFINE_MAX_PATHS];
  int n_keep;
  const char *hide[CONFINE_MAX_PATHS];
  int n_hide;
  long long rlimit_nproc, rlimit_as, rlimit_cpu, rlimit_fsize; /* -1: unset */
  long long tmp_size;                            /* bytes of the private /tmp; -1: the default */
  const char *ll_ro[CONFINE_MAX_PATHS];
  int n_ll_ro;
  const char *ll_rx[CONFINE_MAX_PATHS];
  int n_ll_rx;
  const char *ll_rw[CONFINE_MAX_PATHS];
  int n_ll_rw;
  const char *ll_dir[CONFINE_MAX_PATHS]; /* listing only: the way to granted paths */
  int n_ll_dir;
};

/* Enters the namespaces (user, mount, network, pid) and maps the caller's uid and gid. With
 * pidns only the caller's children are in the new pid namespace. */
int confine_namespaces(const struct confinement *c);
/* Builds the mount view: private propagation, a fresh /proc (pidns; call from the namespace's
 * init), copy-on-write overlays, writable binds, private /tmp, hidden paths, read-only root. */
int confine_mounts(const struct confinement *c);
int confine_rlimits(const struct confinement *c);
/* Restricts the process with Landlock when rules are given and the kernel supports it;
 * needs no_new_privs already set. */
int confine_landlock(const struct confinement *c);

#endif
