package dev.airlock.daemon.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Checks an LMDB data file before it is mapped: LMDB trusts its two meta pages, and a file cut
 * short of the last page they name would make a read fault inside the mapping (SIGBUS, the end of
 * the JVM) instead of failing. The layout read here is LMDB's on-disk format (little-endian on
 * x86-64): each meta page is a 16-byte page header followed by the meta record, whose magic, page
 * size (the free-list database's pad field), last page number and transaction id sit at fixed
 * offsets.
 */
final class LmdbFileCheck {
  private static final int MAGIC = 0xBEEFC0DE;
  private static final int HEADER = 16;
  private static final int MAGIC_AT = HEADER;
  private static final int PAGE_SIZE_AT = HEADER + 24;
  private static final int LAST_PAGE_AT = HEADER + 120;
  private static final int TXN_ID_AT = HEADER + 128;
  private static final int MIN_PAGE = 512;

  private LmdbFileCheck() {}

  /** What is wrong with {@code dataFile}, or empty when it is whole (or absent: a new one). */
  static Optional<String> problem(Path dataFile) throws IOException {
    if (!Files.exists(dataFile)) {
      return Optional.empty();
    }
    long size = Files.size(dataFile);
    if (size == 0) {
      return Optional.empty(); // created and never written: LMDB initialises it
    }
    try (FileChannel channel = FileChannel.open(dataFile, StandardOpenOption.READ)) {
      Optional<Meta> first = meta(channel, 0);
      if (first.isEmpty()) {
        return Optional.of("its first meta page is not LMDB's (" + size + " bytes)");
      }
      Optional<Meta> second = meta(channel, first.get().pageSize());
      Meta newest = second.filter(m -> m.txnId() > first.get().txnId()).orElse(first.get());
      long needed = (newest.lastPage() + 1) * newest.pageSize();
      if (size < needed) {
        return Optional.of(
            "it is cut short: " + size + " bytes where its meta page names " + needed);
      }
      return Optional.empty();
    }
  }

  private record Meta(long pageSize, long lastPage, long txnId) {}

  private static Optional<Meta> meta(FileChannel channel, long offset) throws IOException {
    ByteBuffer page = ByteBuffer.allocate(TXN_ID_AT + 8).order(ByteOrder.LITTLE_ENDIAN);
    while (page.hasRemaining()) {
      if (channel.read(page, offset + page.position()) < 0) {
        return Optional.empty();
      }
    }
    if (page.getInt(MAGIC_AT) != MAGIC) {
      return Optional.empty();
    }
    long pageSize = Integer.toUnsignedLong(page.getInt(PAGE_SIZE_AT));
    long lastPage = page.getLong(LAST_PAGE_AT);
    if (pageSize < MIN_PAGE || Long.bitCount(pageSize) != 1 || lastPage < 1) {
      return Optional.empty();
    }
    return Optional.of(new Meta(pageSize, lastPage, page.getLong(TXN_ID_AT)));
  }
}
