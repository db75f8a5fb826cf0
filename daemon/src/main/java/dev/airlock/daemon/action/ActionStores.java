package dev.airlock.daemon.action;

import dev.airlock.daemon.commit.WriteTransactions;

/** The daemon-wide state an action's life goes through: its copy-on-write writes and commit. */
public record ActionStores(WriteTransactions writes) {}
