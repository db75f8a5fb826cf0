package dev.airlock.daemon.cli;

/**
 * The framing between the native client ({@code sandbox-linux/src/main/c/airlock-client.c}) and the
 * daemon's CLI sessions, simple enough that the C side needs no library and no encoder.
 *
 * <p>A connection starts with {@link #MAGIC}, which no client of the protobuf protocol can send
 * (read as that protocol's varint length prefix it is over 2^32, a malformed frame). Then both
 * sides send frames: a 4-byte big-endian payload length, one type byte, the payload.
 *
 * <p>The client sends the invocation ({@link #ARG}..., {@link #ENV}..., {@link #CWD}, {@link
 * #TERMINAL}, then {@link #GO}), and afterwards stdin, signals and "stdout closed". The daemon
 * sends the command's output, requests for stdin, and ends with {@link #EXIT} (or {@link
 * #OWN_PROCESS}: run the JVM client instead). See docs/native-client.md.
 */
public final class CliFrames {
  private CliFrames() {}

  /** The first bytes of a CLI session; the last one is the framing's version. */
  public static final byte[] MAGIC = {
    (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 'A', 'L', '1'
  };

  /** Header: payload length (4 bytes) and type (1 byte). */
  static final int HEADER_BYTES = 5;

  /** The largest payload either side accepts (an argument or variable is at most 128 KiB). */
  static final int MAX_PAYLOAD_BYTES = 1 << 20;

  /** The largest whole invocation (arguments and environment; the kernel allows 2 MiB). */
  static final int MAX_INVOCATION_BYTES = 16 << 20;

  // Client to daemon.
  /** One command-line argument, raw bytes. */
  static final byte ARG = 'A';

  /** One environment entry, NAME=VALUE, raw bytes. */
  static final byte ENV = 'E';

  /** The working directory, raw bytes. */
  static final byte CWD = 'D';

  /** Three bytes (is stdin, stdout, stderr a terminal: 0 or 1), then the width (2 bytes). */
  static final byte TERMINAL = 'T';

  /** The invocation is complete: run it. */
  static final byte GO = 'G';

  /** Bytes read from stdin (never more than the daemon asked for). */
  static final byte STDIN = 'I';

  /** Stdin reached its end. */
  static final byte STDIN_END = 'i';

  /** The user signalled the client: one byte, the signal number. */
  static final byte SIGNAL = 'S';

  /** Nothing reads the client's stdout any more (EPIPE). */
  static final byte STDOUT_GONE = 'P';

  // Daemon to client.
  /** Bytes for the client's stdout. */
  static final byte STDOUT = 'O';

  /** Bytes for the client's stderr. */
  static final byte STDERR = 'R';

  /** The command reads stdin: the client may send this many more bytes (4 bytes). */
  static final byte STDIN_CREDIT = 'N';

  /** The command handles signals: forward them instead of dying of them. */
  static final byte SIGNALS_HANDLED = 'H';

  /** The command ended with this exit status (4 bytes); the daemon closes the connection. */
  static final byte EXIT = 'X';

  /** The command must run in the client's own process: run the JVM client instead. */
  static final byte OWN_PROCESS = 'J';
}
