package dev.airlock.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The frames a client and the daemon exchange on the socket; read it as a guide. */
class FramingWalkthroughTest {
  @Test
  void framesGoOutDelimitedAndComeBackOneByOneWithinTheLimit() throws Exception {
    // 1. Every frame carries the protocol version. A client sends an Execute (argv, environment
    //    and paths are bytes: file names need not be UTF-8), then maybe a Cancel.
    ClientMessage execute =
        ClientMessage.newBuilder()
            .setProtocolVersion(Protocol.VERSION)
            .setExecute(
                ExecuteRequest.newBuilder()
                    .addAllArgv(PathBytes.toWire(List.of("echo", "hi")))
                    .setCwd(PathBytes.toWire("/work")))
            .build();
    ClientMessage cancel =
        ClientMessage.newBuilder()
            .setProtocolVersion(Protocol.VERSION)
            .setCancel(CancelRequest.newBuilder().setSignal(2))
            .build();

    // 2. A frame is the message's length as a varint, then the message (protobuf's "delimited").
    ByteArrayOutputStream socket = new ByteArrayOutputStream();
    execute.writeDelimitedTo(socket);
    cancel.writeDelimitedTo(socket);
    byte[] wire = socket.toByteArray();
    assertEquals(execute.getSerializedSize(), wire[0], "a short frame's length is one byte");

    // 3. FrameReader reads one message per call, and null at a clean end between frames.
    FrameReader<ClientMessage> daemonSide = reader(wire, ClientMessage.parser());
    assertEquals(execute, daemonSide.read());
    assertEquals(cancel, daemonSide.read());
    assertNull(daemonSide.read(), "the client closed its side");

    // 4. The daemon answers the same way with DaemonMessage frames, e.g. a chunk of output
    //    (at most MAX_OUTPUT_CHUNK_BYTES of data each: far below the frame limit).
    DaemonMessage output =
        DaemonMessage.newBuilder()
            .setProtocolVersion(Protocol.VERSION)
            .setEvent(
                ActionEvent.newBuilder()
                    .setOutput(OutputChunk.newBuilder().setData(ByteString.copyFromUtf8("hi\n"))))
            .build();
    ByteArrayOutputStream back = new ByteArrayOutputStream();
    output.writeDelimitedTo(back);
    assertEquals(output, reader(back.toByteArray(), DaemonMessage.parser()).read());

    // 5. A frame announcing more than MAX_FRAME_BYTES is refused from its length prefix alone,
    //    before anything is buffered (parseDelimitedFrom would trust it): no body follows here.
    ByteArrayOutputStream liar = new ByteArrayOutputStream();
    CodedOutputStream prefix = CodedOutputStream.newInstance(liar);
    prefix.writeUInt32NoTag(Protocol.MAX_FRAME_BYTES + 1);
    prefix.flush();
    FrameReader<ClientMessage> refusing = reader(liar.toByteArray(), ClientMessage.parser());
    Exception tooBig = assertThrows(InvalidProtocolBufferException.class, refusing::read);
    assertTrue(
        tooBig.getMessage().endsWith("exceeds " + Protocol.MAX_FRAME_BYTES), tooBig::toString);

    // 6. A stream that ends inside a frame is an error, not a clean end.
    FrameReader<ClientMessage> cut =
        reader(Arrays.copyOf(wire, wire.length - 1), ClientMessage.parser());
    assertEquals(execute, cut.read());
    assertThrows(EOFException.class, cut::read);
  }

  private static <T extends MessageLite> FrameReader<T> reader(byte[] bytes, Parser<T> parser) {
    return new FrameReader<>(new ByteArrayInputStream(bytes), parser, Protocol.MAX_FRAME_BYTES);
  }
}
