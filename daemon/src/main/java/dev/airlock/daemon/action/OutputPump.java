package dev.airlock.daemon.action;

import com.google.protobuf.ByteString;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.OutputChunk;
import dev.airlock.protocol.OutputStream;
import dev.airlock.sandbox.linux.OutputReader;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Copies an action's stdout and stderr to its listener as they are written, chunk by chunk. */
final class OutputPump implements Runnable {
  private static final Logger log = Logger.getLogger(OutputPump.class.getName());

  private final String actionId;
  private final OutputReader reader;
  private final ActionListener listener;
  private final OutputCapture capture;

  /**
   * @param capture keeps a copy of the output (for the action cache), or null
   */
  OutputPump(String actionId, OutputReader reader, ActionListener listener, OutputCapture capture) {
    this.actionId = actionId;
    this.reader = reader;
    this.listener = listener;
    this.capture = capture;
  }

  /** Runs the pump on a pooled thread; the future completes at end-of-file of both pipes. */
  Future<?> start(ExecutorService io) {
    return io.submit(this);
  }

  @Override
  public void run() {
    try {
      reader.run(
          (stderr, data, length) -> {
            if (capture != null) {
              capture.append(stderr, data, length);
            }
            listener.deliver(
                ActionEvent.newBuilder()
                    .setActionId(actionId)
                    .setOutput(
                        OutputChunk.newBuilder()
                            .setStream(stderr ? OutputStream.STDERR : OutputStream.STDOUT)
                            .setData(ByteString.copyFrom(data, 0, length)))
                    .build());
          });
    } catch (IOException e) {
      log.log(Level.WARNING, "action " + actionId + ": reading its output failed", e);
    }
  }
}
