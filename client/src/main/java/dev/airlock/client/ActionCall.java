package dev.airlock.client;

import com.google.protobuf.ByteString;
import dev.airlock.protocol.Access;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CancelRequest;
import dev.airlock.protocol.ClientMessage;
import dev.airlock.protocol.DaemonMessage;
import dev.airlock.protocol.ErrorCode;
import dev.airlock.protocol.OutputChunk;
import dev.airlock.protocol.Protocol;
import dev.airlock.protocol.StdinChunk;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * One action in flight: read its events in order, send stdin or a cancel from any thread. Closing
 * the call before the result arrives cancels the action (the daemon sees the disconnect).
 */
public final class ActionCall implements AutoCloseable {
  private final Connection connection;
  private String actionId = "";
  private ActionResult result;
  private final List<Access> accesses = new ArrayList<>();

  ActionCall(Connection connection) {
    this.connection = connection;
  }

  /** The daemon's id for the action, known once the Accepted event was read. */
  public String actionId() {
    return actionId;
  }

  /**
   * The next event, or null after the Finished event.
   *
   * @throws DaemonErrorException when the daemon refused the request
   */
  public ActionEvent nextEvent() throws IOException {
    if (result != null) {
      return null;
    }
    DaemonMessage message = connection.receive();
    if (message == null) {
      throw new IOException("airlockd closed the connection before the action finished");
    }
    if (message.hasError()) {
      throw new DaemonErrorException(message.getError().getCode(), message.getError().getMessage());
    }
    if (!message.hasEvent()) {
      throw new DaemonErrorException(
          ErrorCode.INVALID_REQUEST, "unexpected reply: " + message.getBodyCase());
    }
    ActionEvent event = message.getEvent();
    if (event.hasAccepted()) {
      actionId = event.getActionId();
    }
    if (event.hasAccesses()) {
      accesses.addAll(event.getAccesses().getAccessesList());
    }
    if (event.hasFinished()) {
      // The accesses came in batches before Finished; the result carries them all.
      ActionResult finished = event.getFinished().getResult();
      result =
          finished.toBuilder()
              .setAccessReport(finished.getAccessReport().toBuilder().addAllAccesses(accesses))
              .build();
      accesses.clear();
    }
    return event;
  }

  /** The result, with every access, once {@link #nextEvent()} has returned the Finished event. */
  public ActionResult result() {
    if (result == null) {
      throw new IllegalStateException("the action has not finished yet");
    }
    return result;
  }

  /**
   * Reads events until the result, copying output to the given streams as it arrives (each chunk
   * flushed), and returns the result.
   */
  public ActionResult awaitResult(OutputStream stdout, OutputStream stderr) throws IOException {
    ActionEvent event;
    while ((event = nextEvent()) != null) {
      if (event.hasOutput()) {
        OutputChunk chunk = event.getOutput();
        OutputStream target =
            chunk.getStream() == dev.airlock.protocol.OutputStream.STDERR ? stderr : stdout;
        chunk.getData().writeTo(target);
        target.flush();
      }
    }
    return result;
  }

  /** Asks the daemon to stop the action with the given signal (0: SIGTERM, then SIGKILL). */
  public void cancel(int signal) throws IOException {
    connection.send(envelope().setCancel(CancelRequest.newBuilder().setSignal(signal)).build());
  }

  /** Sends bytes to the action's stdin (the request must have asked for STDIN_STREAM). */
  public void writeStdin(byte[] data, int offset, int length) throws IOException {
    connection.send(
        envelope()
            .setStdin(StdinChunk.newBuilder().setData(ByteString.copyFrom(data, offset, length)))
            .build());
  }

  /** Ends the action's stdin. */
  public void closeStdin() throws IOException {
    connection.send(envelope().setStdin(StdinChunk.newBuilder().setEof(true)).build());
  }

  private static ClientMessage.Builder envelope() {
    return ClientMessage.newBuilder().setProtocolVersion(Protocol.VERSION);
  }

  @Override
  public void close() throws IOException {
    connection.close();
  }
}
