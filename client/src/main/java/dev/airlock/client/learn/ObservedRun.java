package dev.airlock.client.learn;

import dev.airlock.protocol.Access;
import java.util.List;

/**
 * One run of an action as learning sees it: where its workspace was, what it ran, and its access
 * record (from a result just received, or read back from a JSON report).
 *
 * @param workspace the workspace root, absolute ({@link dev.airlock.protocol.PathBytes}' form)
 * @param command the command line, for the learned policy's description
 * @param accesses every access the tracer recorded
 * @param complete whether the record is whole (traced, no observation gaps); a policy learned from
 *     an incomplete record may lack what was not seen
 */
public record ObservedRun(
    String workspace, List<String> command, List<Access> accesses, boolean complete) {
  public ObservedRun {
    command = List.copyOf(command);
    accesses = List.copyOf(accesses);
  }
}
