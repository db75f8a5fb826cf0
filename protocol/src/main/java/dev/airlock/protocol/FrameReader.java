package dev.airlock.protocol;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads varint-length-delimited frames from a blocking stream and refuses any frame larger than a
 * limit, unlike {@code parseDelimitedFrom}, which trusts the length prefix.
 */
public final class FrameReader<T extends MessageLite> {
  private final InputStream in;
  private final Parser<T> parser;
  private final int maxFrameBytes;

  public FrameReader(InputStream in, Parser<T> parser, int maxFrameBytes) {
    this.in = in;
    this.parser = parser;
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * Returns the next message, or null at a clean end of stream (between frames).
   *
   * @throws EOFException when the stream ends inside a frame
   * @throws InvalidProtocolBufferException when the frame is oversized or does not parse
   */
  public T read() throws IOException {
    int first = in.read();
    if (first < 0) {
      return null;
    }
    int length = CodedInputStream.readRawVarint32(first, in);
    if (length < 0 || length > maxFrameBytes) {
      throw new InvalidProtocolBufferException(
          "frame of " + Integer.toUnsignedString(length) + " bytes exceeds " + maxFrameBytes);
    }
    byte[] frame = in.readNBytes(length);
    if (frame.length < length) {
      throw new EOFException("stream ended inside a frame");
    }
    return parser.parseFrom(frame);
  }
}
