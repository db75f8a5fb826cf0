package dev.airlock.sandbox.linux.trace;

/**
 * One distinct access of an action: its kind, the absolute path as the process named it, the errno
 * it got (0 for success), and the process (thread group) that made it first.
 */
public record Access(AccessKind kind, String path, int errno, int pid) {}
