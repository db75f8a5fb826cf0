package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.CacheStores;
import dev.airlock.daemon.commit.WriteTransactions;

/**
 * The daemon-wide state an action's life goes through: its copy-on-write writes and commit, and the
 * action cache.
 */
public record SharedState(WriteTransactions writes, CacheStores cache) {}
