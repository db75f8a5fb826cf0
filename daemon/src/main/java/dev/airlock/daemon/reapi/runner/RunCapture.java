package dev.airlock.daemon.reapi.runner;

import dev.airlock.daemon.action.ActionListener;
import dev.airlock.protocol.Access;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.OutputChunk;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Violation;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Logger;

/**
 * Receives one runner action's events: its stdout and stderr go to the files bb_worker named as
 * they are written, its accesses are kept for the access record, and its result completes {@link
 * #result()}.
 */
final class RunCapture implements ActionListener, AutoCloseable {
  private static final Logger log = Logger.getLogger(RunCapture.class.getName());

  private final OutputStream stdout;
  private final OutputStream stderr;
  private final List<Access> accesses = new ArrayList<>();
  private final CompletableFuture<ActionResult> result = new CompletableFuture<>();
  private String actionId = "";

  RunCapture(Path stdoutPath, Path stderrPath) throws IOException {
    this.stdout = Files.newOutputStream(stdoutPath);
    this.stderr = Files.newOutputStream(stderrPath);
  }

  @Override
  public synchronized void deliver(ActionEvent event) {
    actionId = event.getActionId();
    try {
      if (event.hasOutput()) {
        OutputChunk chunk = event.getOutput();
        (chunk.getStream() == dev.airlock.protocol.OutputStream.STDERR ? stderr : stdout)
            .write(chunk.getData().toByteArray());
      } else if (event.hasAccesses()) {
        accesses.addAll(event.getAccesses().getAccessesList());
      } else if (event.hasFinished()) {
        close();
        result.complete(event.getFinished().getResult());
      }
    } catch (IOException e) {
      log.warning("runner action " + actionId + ": cannot write its output: " + e.getMessage());
    }
  }

  CompletableFuture<ActionResult> result() {
    return result;
  }

  /** The access record as text: header, violations, then one access per line. */
  synchronized byte[] accessRecord(ActionResult done) {
    StringBuilder s = new StringBuilder("# Airlock access record of runner action ");
    s.append(actionId).append('\n');
    s.append("# policy: ").append(done.getPolicy()).append("; outcome: ").append(done.getOutcome());
    s.append("; complete: ").append(done.getAccessReport().getObservationGapsCount() == 0);
    s.append('\n');
    for (String gap : done.getAccessReport().getObservationGapsList()) {
      s.append("gap\t").append(gap).append('\n');
    }
    for (Violation v : done.getAccessReport().getViolationsList()) {
      s.append("violation\t")
          .append(v.getKind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
          .append('\t')
          .append(PathBytes.display(PathBytes.fromWire(v.getPath())))
          .append('\t')
          .append(v.getDenied() ? "denied" : "reported")
          .append('\n');
    }
    s.append("# kind\tpath\terrno\tpid\n");
    for (Access a : accesses) {
      s.append(a.getKind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
          .append('\t')
          .append(PathBytes.display(PathBytes.fromWire(a.getPath())))
          .append('\t')
          .append(a.getErrno())
          .append('\t')
          .append(a.getPid())
          .append('\n');
    }
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public synchronized void close() throws IOException {
    try {
      stdout.close();
    } finally {
      stderr.close();
    }
  }
}
