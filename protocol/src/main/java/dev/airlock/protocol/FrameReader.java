package dev.airlock.protocol;

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
    long length = prefix(first);
    if (length > maxFrameBytes) {
      throw new InvalidProtocolBufferException(
          "frame of " + length + " bytes exceeds " + maxFrameBytes);
    }
    byte[] frame = in.readNBytes((int) length);
    if (frame.length < length) {
      throw new EOFException("stream ended inside a frame");
    }
    return parser.parseFrom(frame);
  }

  /**
   * The length prefix, at most 5 varint bytes (35 bits, so never negative). Not protobuf's
   * readRawVarint32, which keeps only the low 32 bits of a longer varint: a prefix of 2^32 + 2
   * would read as 2 and the stream would be parsed out of step.
   */
  private long prefix(int first) throws IOException {
    long length = 0;
    int b = first;
    for (int shift = 0; ; shift += 7) {
      if (shift == 35) {
        throw new InvalidProtocolBufferException("the frame's length prefix is not a varint32");
      }
      length |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return length;
      }
      b = in.read();
      if (b < 0) {
        throw new EOFException("stream ended inside a frame's length prefix");
      }
    }
  }
}
