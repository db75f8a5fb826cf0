package dev.airlock.fuzz;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Random inputs biased towards the values that break parsers: empty, tiny, boundary bytes. */
public final class Gen {
  private static final byte[] SPECIAL = {
    0,
    1,
    '\n',
    '\r',
    '\t',
    ' ',
    '"',
    '\\',
    '/',
    '.',
    ':',
    '{',
    '}',
    '#',
    '\'',
    0x7f,
    (byte) 0x80,
    (byte) 0xbf,
    (byte) 0xc0,
    (byte) 0xc3,
    (byte) 0xed,
    (byte) 0xef,
    (byte) 0xf0,
    (byte) 0xf4,
    (byte) 0xfe,
    (byte) 0xff
  };

  private Gen() {}

  /** A length in [0, max], small more often than not. */
  public static int length(Random r, int max) {
    return switch (r.nextInt(4)) {
      case 0 -> r.nextInt(Math.min(max, 4) + 1);
      case 1 -> r.nextInt(Math.min(max, 16) + 1);
      default -> r.nextInt(max + 1);
    };
  }

  /** Up to {@code max} bytes: uniform, printable, or drawn from parser-hostile bytes. */
  public static byte[] bytes(Random r, int max) {
    byte[] out = new byte[length(r, max)];
    int style = r.nextInt(3);
    for (int i = 0; i < out.length; i++) {
      out[i] = oneByte(r, style);
    }
    return out;
  }

  /** A file name: 1 to {@code max} bytes, never '/' or NUL, never "." or "..". */
  public static byte[] fileName(Random r, int max) {
    while (true) {
      byte[] name = new byte[1 + r.nextInt(Math.min(max, r.nextBoolean() ? 12 : max))];
      int style = r.nextInt(3);
      for (int i = 0; i < name.length; i++) {
        byte b;
        do {
          b = oneByte(r, style);
        } while (b == '/' || b == 0);
        name[i] = b;
      }
      String s = new String(name, java.nio.charset.StandardCharsets.ISO_8859_1);
      if (!s.equals(".") && !s.equals("..")) {
        return name;
      }
    }
  }

  private static byte oneByte(Random r, int style) {
    return switch (style) {
      case 0 -> (byte) r.nextInt(256);
      case 1 ->
          r.nextInt(8) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : (byte) (32 + r.nextInt(95));
      default -> SPECIAL[r.nextInt(SPECIAL.length)];
    };
  }

  /** One of {@code values}. */
  public static <T> T pick(Random r, List<T> values) {
    return values.get(r.nextInt(values.size()));
  }

  /** {@code input} with a few random edits: bit flips, deletions, duplications, insertions. */
  public static byte[] mutate(Random r, byte[] input) {
    byte[] out = input;
    int edits = 1 + r.nextInt(4);
    for (int e = 0; e < edits; e++) {
      int at = out.length == 0 ? 0 : r.nextInt(out.length);
      int span = out.length == 0 ? 0 : 1 + r.nextInt(Math.min(16, out.length - at));
      switch (r.nextInt(5)) {
        case 0 -> {
          if (out.length > 0) {
            out = out.clone();
            out[at] ^= (byte) (1 << r.nextInt(8));
          }
        }
        case 1 -> out = splice(out, at, span, new byte[0]);
        case 2 -> out = splice(out, at, 0, Arrays.copyOfRange(out, at, at + span));
        case 3 -> out = splice(out, at, 0, bytes(r, 8));
        default -> out = Arrays.copyOf(out, out.length == 0 ? 0 : r.nextInt(out.length));
      }
    }
    return out;
  }

  private static byte[] splice(byte[] in, int at, int remove, byte[] insert) {
    byte[] out = new byte[in.length - remove + insert.length];
    System.arraycopy(in, 0, out, 0, at);
    System.arraycopy(insert, 0, out, at, insert.length);
    System.arraycopy(in, at + remove, out, at + insert.length, in.length - at - remove);
    return out;
  }
}
