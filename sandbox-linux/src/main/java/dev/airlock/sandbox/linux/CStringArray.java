package dev.airlock.sandbox.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.airlock.protocol.PathBytes;
import java.util.ArrayList;
import java.util.List;

/**
 * A NULL-terminated {@code char *[]} (an argv or envp) whose strings are the exact bytes of Airlock
 * strings (see {@link PathBytes}), not their re-encoding in the JVM's charset: an argument or file
 * name that is not UTF-8 reaches the kernel unchanged.
 */
final class CStringArray extends Memory {
  /** Keeps the strings' memory alive as long as the array. */
  private final List<Memory> strings = new ArrayList<>();

  CStringArray(List<String> values) {
    super((long) (values.size() + 1) * Native.POINTER_SIZE);
    for (int i = 0; i < values.size(); i++) {
      byte[] bytes = PathBytes.encode(values.get(i));
      Memory string = new Memory(bytes.length + 1L);
      string.write(0, bytes, 0, bytes.length);
      string.setByte(bytes.length, (byte) 0);
      strings.add(string);
      setPointer((long) i * Native.POINTER_SIZE, string);
    }
    setPointer((long) values.size() * Native.POINTER_SIZE, Pointer.NULL);
  }
}
