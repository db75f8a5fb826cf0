package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.CachedResult;
import dev.airlock.daemon.cache.PathSet;
import dev.airlock.daemon.cache.PathState;
import java.util.List;

/**
 * A cache entry computed before the commit (outputs still in the upper dirs, inputs in the state
 * the action saw) and recorded once the commit landed.
 */
record PreparedEntry(PathSet pathSet, List<PathState> states, CachedResult result) {}
