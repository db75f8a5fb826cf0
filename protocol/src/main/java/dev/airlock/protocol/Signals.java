package dev.airlock.protocol;

/**
 * Linux signal numbers (x86_64 and aarch64 agree on these), in one place: they cross the socket (a
 * cancel's signal, a result's terminating signal) and the daemon and tracer act on them.
 */
public final class Signals {
  public static final int SIGHUP = 1;
  public static final int SIGINT = 2;
  public static final int SIGTRAP = 5;
  public static final int SIGKILL = 9;
  public static final int SIGPIPE = 13;
  public static final int SIGTERM = 15;
  public static final int SIGSTOP = 19;
  public static final int SIGTSTP = 20;
  public static final int SIGTTIN = 21;
  public static final int SIGTTOU = 22;

  /** A write went past RLIMIT_FSIZE. */
  public static final int SIGXFSZ = 25;

  private Signals() {}
}
