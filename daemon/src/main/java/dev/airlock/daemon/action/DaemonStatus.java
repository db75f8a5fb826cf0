package dev.airlock.daemon.action;

/** Counts of the action service at one moment. */
public record DaemonStatus(
    int running, int queued, long finished, int maxParallel, int maxQueued) {}
