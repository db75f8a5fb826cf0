package dev.airlock.protocol;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Linux file names are bytes, not text: this is how Airlock carries them in Java strings without
 * losing any. Valid UTF-8 decodes as usual; every byte that is not part of valid UTF-8 becomes the
 * lone surrogate {@code U+DC80 + (byte - 0x80)} (Python's "surrogateescape", PEP 383), so each byte
 * string has exactly one string and back. Nothing else produces lone surrogates in the
 * U+DC80..U+DCFF range, because UTF-8 cannot encode surrogates.
 *
 * <p>The JDK's own conversions lose such names: {@code Path.toString()} turns undecodable bytes
 * into U+FFFD and {@code Path.of(String)} refuses lone surrogates. {@link #toPath} and {@link #of}
 * convert losslessly (through {@code file:} URIs, whose percent-escapes the JDK maps to raw bytes)
 * and take the JDK's fast path for every name it can represent.
 */
public final class PathBytes {
  private static final char ESCAPE_BASE = '\uDC00';
  private static final boolean JNU_UTF8 = jnuIsUtf8();
  private static final Path SLASH = Path.of("/");

  private PathBytes() {}

  /** The string of a file name or path given as bytes. */
  public static String decode(byte[] bytes) {
    return decode(bytes, 0, bytes.length);
  }

  /** The string of {@code length} bytes of {@code bytes} from {@code offset}. */
  public static String decode(byte[] bytes, int offset, int length) {
    int end = offset + length;
    int i = offset;
    while (i < end && bytes[i] >= 0) {
      i++;
    }
    if (i == end) {
      return new String(bytes, offset, length, StandardCharsets.ISO_8859_1); // all ASCII
    }
    StringBuilder out = new StringBuilder(length);
    for (int k = offset; k < i; k++) {
      out.append((char) bytes[k]);
    }
    while (i < end) {
      int b = bytes[i] & 0xff;
      if (b < 0x80) {
        out.append((char) b);
        i++;
        continue;
      }
      int n = sequenceLength(bytes, i, end);
      if (n == 0) {
        out.append((char) (ESCAPE_BASE + b)); // not valid UTF-8 here: the byte itself
        i++;
      } else {
        out.append(new String(bytes, i, n, StandardCharsets.UTF_8));
        i += n;
      }
    }
    return out.toString();
  }

  /**
   * The length of the valid UTF-8 sequence starting at {@code i} (2, 3 or 4), or 0 if there is
   * none: no overlong forms, no surrogates, nothing above U+10FFFF (RFC 3629).
   */
  private static int sequenceLength(byte[] b, int i, int end) {
    int lead = b[i] & 0xff;
    int n;
    int min;
    int max;
    if (lead >= 0xc2 && lead <= 0xdf) {
      n = 2;
      min = 0x80;
      max = 0xbf;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      n = 3;
      min = lead == 0xe0 ? 0xa0 : 0x80;
      max = lead == 0xed ? 0x9f : 0xbf; // 0xed 0xa0..: a surrogate
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      n = 4;
      min = lead == 0xf0 ? 0x90 : 0x80;
      max = lead == 0xf4 ? 0x8f : 0xbf;
    } else {
      return 0;
    }
    if (i + n > end) {
      return 0;
    }
    int second = b[i + 1] & 0xff;
    if (second < min || second > max) {
      return 0;
    }
    for (int k = 2; k < n; k++) {
      int c = b[i + k] & 0xff;
      if (c < 0x80 || c > 0xbf) {
        return 0;
      }
    }
    return n;
  }

  /**
   * The bytes of a name made by {@link #decode}. Lone surrogates outside U+DC80..U+DCFF never come
   * from a decoded name; they are written as '?', as the JDK's encoder does.
   */
  public static byte[] encode(String s) {
    int n = s.length();
    int i = 0;
    while (i < n && s.charAt(i) < 0x80) {
      i++;
    }
    if (i == n) {
      return s.getBytes(StandardCharsets.ISO_8859_1);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(n + 16);
    for (int k = 0; k < i; k++) {
      out.write(s.charAt(k));
    }
    while (i < n) {
      char c = s.charAt(i);
      if (c < 0x80) {
        out.write(c);
        i++;
      } else if (isEscape(c)) {
        out.write(c - ESCAPE_BASE);
        i++;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < n
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        out.writeBytes(s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8));
        i += 2;
      } else if (Character.isSurrogate(c)) {
        out.write('?');
        i++;
      } else {
        out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
        i++;
      }
    }
    return out.toByteArray();
  }

  private static boolean isEscape(char c) {
    return c >= '\uDC80' && c <= '\uDCFF';
  }

  /** Whether the name is valid UTF-8 (holds no escaped byte): text every tool can show. */
  public static boolean isUtf8(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (isEscape(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The name for people and for protobuf {@code string} fields (which must be valid UTF-8): each
   * escaped byte as {@code \xFF}. Not reversible; use {@link #encode} to get the bytes back.
   */
  public static String display(String s) {
    if (isUtf8(s)) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (isEscape(c)) {
        out.append(String.format(Locale.ROOT, "\\x%02X", c - ESCAPE_BASE));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** The wire form of a name (protobuf {@code bytes}). */
  public static ByteString toWire(String s) {
    return ByteString.copyFrom(encode(s));
  }

  /** The wire form of each name. */
  public static List<ByteString> toWire(List<String> names) {
    List<ByteString> wire = new ArrayList<>(names.size());
    for (String name : names) {
      wire.add(toWire(name));
    }
    return wire;
  }

  /** The wire form of each value (an environment: values are bytes, like names). */
  public static java.util.Map<String, ByteString> toWire(java.util.Map<String, String> values) {
    java.util.Map<String, ByteString> wire = new java.util.LinkedHashMap<>();
    values.forEach((k, v) -> wire.put(k, toWire(v)));
    return wire;
  }

  /** The name a wire {@code bytes} field carries. */
  public static String fromWire(ByteString bytes) {
    return decode(bytes.toByteArray());
  }

  /** The names a repeated wire {@code bytes} field carries. */
  public static List<String> fromWire(List<ByteString> wire) {
    List<String> names = new ArrayList<>(wire.size());
    for (ByteString b : wire) {
      names.add(fromWire(b));
    }
    return names;
  }

  /** A JDK path that names exactly the bytes of {@code s}, for file operations. */
  public static Path toPath(String s) {
    if (JNU_UTF8 ? isUtf8(s) : isAscii(s)) {
      return Path.of(s);
    }
    byte[] bytes = encode(s);
    boolean absolute = bytes.length > 0 && bytes[0] == '/';
    StringBuilder uri = new StringBuilder("file://").append(absolute ? "" : "/");
    for (byte b : bytes) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        uri.append((char) c);
      } else if (c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
        uri.append((char) c);
      } else {
        uri.append('%')
            .append(Character.forDigit(c >> 4, 16))
            .append(Character.forDigit(c & 15, 16));
      }
    }
    try {
      // The JDK's file-URI conversion decodes percent-escapes into the path's raw bytes.
      Path path = Path.of(new URI(uri.toString()));
      return absolute ? path : SLASH.relativize(path);
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a usable file name: " + display(s), e);
    }
  }

  /** The lossless name of a JDK path (as opposed to {@code toString()}, which may drop bytes). */
  public static String of(Path path) {
    String s = path.toString();
    if (JNU_UTF8 ? s.indexOf('\uFFFD') < 0 : isAscii(s)) {
      return s;
    }
    // The JDK's file URI of a path percent-escapes its raw bytes.
    boolean absolute = path.isAbsolute();
    String raw = (absolute ? path : SLASH.resolve(path)).toUri().getRawPath();
    if (raw.length() > 1 && raw.endsWith("/")) {
      raw = raw.substring(0, raw.length() - 1); // toUri() marks directories so
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = absolute ? 0 : 1; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%' && i + 2 < raw.length()) {
        bytes.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.write(c);
      }
    }
    return decode(bytes.toByteArray());
  }

  /** {@code base} with the relative name {@code relative} appended. */
  public static Path resolve(Path base, String relative) {
    return base.resolve(toPath(relative));
  }

  /** Whether the JDK converts file names as UTF-8 here (it follows the locale). */
  private static boolean jnuIsUtf8() {
    try {
      return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"))
          .equals(StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }
}
