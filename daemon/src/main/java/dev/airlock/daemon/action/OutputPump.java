package dev.airlock.daemon.action;

import com.google.protobuf.ByteString;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.OutputChunk;
import dev.airlock.protocol.OutputStream;
import dev.airlock.protocol.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Copies one output pipe of an action to its listener as it is written, chunk by chunk. */
final class OutputPump implements Runnable {
  private static final Logger log = Logger.getLogger(OutputPump.class.getName());

  private final String actionId;
  private final OutputStream stream;
  private final InputStream in;
  private final ActionListener listener;

  OutputPump(String actionId, OutputStream stream, InputStream in, ActionListener listener) {
    this.actionId = actionId;
    this.stream = stream;
    this.in = in;
    this.listener = listener;
  }

  Thread start() {
    Thread thread = new Thread(this, "airlock-" + actionId + "-" + stream.name().toLowerCase());
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  @Override
  public void run() {
    byte[] buffer = new byte[Protocol.MAX_OUTPUT_CHUNK_BYTES];
    try {
      int n;
      while ((n = in.read(buffer, 0, buffer.length)) > 0) {
        listener.deliver(
            ActionEvent.newBuilder()
                .setActionId(actionId)
                .setOutput(
                    OutputChunk.newBuilder()
                        .setStream(stream)
                        .setData(ByteString.copyFrom(buffer, 0, n)))
                .build());
      }
    } catch (IOException e) {
      log.log(Level.WARNING, "action " + actionId + ": reading " + stream + " failed", e);
    }
  }
}
