package dev.airlock.sandbox.linux.trace;

import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Files the kernel opens for an execve without a syscall the tracer could see: the {@code #!}
 * interpreter of a script and the ELF program interpreter (PT_INTERP, the dynamic loader).
 */
final class ExecInputs {
  private static final int PT_INTERP = 3;

  private ExecInputs() {}

  /** The interpreter named on a script's {@code #!} line, if the file is a script. */
  static Optional<String> shebangInterpreter(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] head = in.readNBytes(256);
      if (head.length < 3 || head[0] != '#' || head[1] != '!') {
        return Optional.empty();
      }
      String line = PathBytes.decode(head, 2, head.length - 2);
      int end = line.indexOf('\n');
      line = (end >= 0 ? line.substring(0, end) : line).trim();
      String interpreter = line.split("[ \t]", 2)[0];
      return interpreter.isEmpty() ? Optional.empty() : Optional.of(interpreter);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The PT_INTERP path of an ELF executable (e.g. /lib64/ld-linux-x86-64.so.2), if any. */
  static Optional<String> elfInterpreter(Path file) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer header = ByteBuffer.allocate(64);
      channel.read(header, 0);
      header.flip();
      if (header.remaining() < 52
          || header.get(0) != 0x7f
          || header.get(1) != 'E'
          || header.get(2) != 'L'
          || header.get(3) != 'F') {
        return Optional.empty();
      }
      boolean is64 = header.get(4) == 2;
      header.order(header.get(5) == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
      long phoff = is64 ? header.getLong(0x20) : Integer.toUnsignedLong(header.getInt(0x1c));
      int phentsize = Short.toUnsignedInt(header.getShort(is64 ? 0x36 : 0x2a));
      int phnum = Short.toUnsignedInt(header.getShort(is64 ? 0x38 : 0x2c));
      if (phentsize == 0 || phnum > 512) {
        return Optional.empty();
      }
      ByteBuffer table = ByteBuffer.allocate(phentsize * phnum).order(header.order());
      channel.read(table, phoff);
      for (int i = 0; i < phnum; i++) {
        int at = i * phentsize;
        if (table.getInt(at) != PT_INTERP) {
          continue;
        }
        long offset = is64 ? table.getLong(at + 8) : Integer.toUnsignedLong(table.getInt(at + 4));
        long size = is64 ? table.getLong(at + 32) : Integer.toUnsignedLong(table.getInt(at + 16));
        if (size <= 1 || size > 4096) {
          return Optional.empty();
        }
        ByteBuffer name = ByteBuffer.allocate((int) size);
        channel.read(name, offset);
        return Optional.of(PathBytes.decode(name.array(), 0, (int) size - 1));
      }
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
