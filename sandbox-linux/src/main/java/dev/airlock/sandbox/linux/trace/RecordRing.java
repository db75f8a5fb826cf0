package dev.airlock.sandbox.linux.trace;

import dev.airlock.protocol.PathBytes;
import dev.airlock.sandbox.linux.ErrnoException;
import dev.airlock.sandbox.linux.SharedMemory;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The ring of records the shim writes and the tracer reads: a sealed memfd holding a header and
 * {@code slotCount} fixed-size slots (layout in airlock-shim.c, struct ring_header and struct slot;
 * keep both in step). A writer reserves a position with an atomic add on the header's head, claims
 * that position's slot with a compare-and-swap of its state word (free for this position →
 * claimed), fills it, issues the call and publishes with a release store. The reader, at every
 * ptrace stop, consumes published slots and frees each for the position one lap later.
 *
 * <p>Nothing a writer does can wedge the reader: a slot still claimed when the reader passes (a
 * writer blocked in its syscall, or killed between claim and publish) is remembered and looked at
 * again at later drains, and the positions behind it go on; while it stays claimed, writers that
 * land on it find it taken and take the slow path, as they do when the ring is full. A position
 * whose writer has not claimed it yet when the reader passes is given up by the reader (the same
 * compare-and-swap), so that writer takes the slow path too. Slower, never lost.
 */
final class RecordRing implements AutoCloseable {
  static final int MAGIC = 0x4c524941; // "AIRL"
  static final int VERSION = 1;
  static final int FLAG_ENABLED = 1;

  // struct ring_header
  static final int H_MAGIC = 0;
  static final int H_VERSION = 4;
  static final int H_HEADER_BYTES = 8;
  static final int H_SLOT_COUNT = 12;
  static final int H_SLOT_BYTES = 16;
  static final int H_FLAGS = 20;
  static final int H_SCOPE_OFFSET = 24;
  static final int H_SCOPE_BYTES = 28;
  static final int H_HEAD = 64;
  static final int H_PROCESSES = 128;
  static final int H_UNPATCHED = 136;
  static final int H_FULL = 144;
  static final int H_INELIGIBLE = 152;
  static final int H_UNPIN = 160;
  static final int H_CPUS = 256;
  static final int SCOPE_OFFSET = 1024;

  // struct slot
  static final int S_STATE = 0;
  static final int S_TID = 8;
  static final int S_PID = 12;
  static final int S_SYSCALL = 16;
  static final int S_DIRFD = 20;
  static final int S_FLAGS = 24;
  static final int S_MODE = 28;
  static final int S_RESULT = 32;
  static final int S_DEV = 40;
  static final int S_INO = 48;
  static final int S_PATH_LEN = 56;
  static final int S_PATH = 64;

  static final long FREE = 0;
  static final long CLAIMED = 1;
  static final long PUBLISHED = 2;

  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final SharedMemory memory;
  private final ByteBuffer buffer;
  private final int headerBytes;
  private final int slotCount;
  private final int slotBytes;
  private final byte[] pathBytes;

  /** The next position to look at. */
  private long next;

  /** Positions passed while still claimed, in order. */
  private long[] pending = new long[8];

  private int pendingCount;

  private RecordRing(SharedMemory memory, int headerBytes, int slotCount, int slotBytes) {
    this.memory = memory;
    this.buffer = memory.buffer().order(ByteOrder.LITTLE_ENDIAN);
    this.headerBytes = headerBytes;
    this.slotCount = slotCount;
    this.slotBytes = slotBytes;
    this.pathBytes = new byte[slotBytes - S_PATH];
  }

  /**
   * A new ring with every slot free for its first lap and the scope the shim may serve.
   *
   * @param scope the encoded entries ({@link FastPathScope#encode()})
   */
  static RecordRing create(
      int slotCount, int slotBytes, byte[] scope, boolean enabled, byte[] unpinTo)
      throws ErrnoException, IOException {
    if (slotCount <= 0 || Integer.bitCount(slotCount) != 1) {
      throw new IllegalArgumentException("slots must be a power of two: " + slotCount);
    }
    if (slotBytes < 128 || slotBytes % 64 != 0 || slotBytes > 65536) {
      throw new IllegalArgumentException(
          "slot size must be a multiple of 64 from 128: " + slotBytes);
    }
    int headerBytes = 4096 * (1 + (SCOPE_OFFSET + scope.length + 4095) / 4096);
    long total = headerBytes + (long) slotCount * slotBytes;
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("ring too large");
    }
    SharedMemory memory = SharedMemory.create("airlock-ring", (int) total);
    try {
      ByteBuffer b = memory.buffer().order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(H_VERSION, VERSION);
      b.putInt(H_HEADER_BYTES, headerBytes);
      b.putInt(H_SLOT_COUNT, slotCount);
      b.putInt(H_SLOT_BYTES, slotBytes);
      b.putInt(H_FLAGS, enabled ? FLAG_ENABLED : 0);
      b.putInt(H_SCOPE_OFFSET, SCOPE_OFFSET);
      b.putInt(H_SCOPE_BYTES, scope.length);
      b.put(SCOPE_OFFSET, scope);
      if (unpinTo != null) {
        b.putInt(H_UNPIN, 1);
        b.put(H_CPUS, unpinTo);
      }
      for (int i = 0; i < slotCount; i++) {
        b.putLong(headerBytes + i * slotBytes + S_STATE, (long) i << 2 | FREE);
      }
      // The magic last: a shim that sees it sees a complete header (the launcher starts after).
      b.putInt(H_MAGIC, MAGIC);
      return new RecordRing(memory, headerBytes, slotCount, slotBytes);
    } catch (RuntimeException e) {
      memory.close();
      throw e;
    }
  }

  int fd() {
    return memory.fd();
  }

  /** Receives each record drained; {@code record} is reused for the next one. */
  interface Sink {
    void accept(ShimRecord record);
  }

  /**
   * Consumes every record published since the last drain (and those passed earlier while still
   * claimed that are published now), in position order per pass; returns how many.
   */
  int drain(ShimRecord record, Sink sink) {
    long head = (long) LONGS.getAcquire(buffer, H_HEAD);
    if (head == next && pendingCount == 0) {
      return 0;
    }
    int consumed = 0;
    int kept = 0;
    for (int i = 0; i < pendingCount; i++) {
      long q = pending[i];
      int at = slotAt(q);
      if ((long) LONGS.getAcquire(buffer, at) == (q << 2 | PUBLISHED)) {
        consumed += consume(at, record, sink);
        // Positions of later laps that met this slot claimed were given up by their writers;
        // free it for the first position the reader has not passed yet.
        long laps = (next - q + slotCount - 1) / slotCount;
        LONGS.setRelease(buffer, at, (q + laps * slotCount) << 2 | FREE);
      } else {
        pending[kept++] = q;
      }
    }
    pendingCount = kept;
    for (long p = next; p < head; p++) {
      int at = slotAt(p);
      long state = (long) LONGS.getAcquire(buffer, at);
      if (state == (p << 2 | FREE)) {
        if (LONGS.compareAndSet(buffer, at, state, (p + slotCount) << 2 | FREE)) {
          continue; // reserved, not claimed yet: given up, its writer takes the slow path
        }
        state = (long) LONGS.getAcquire(buffer, at); // claimed meanwhile
      }
      if (state == (p << 2 | PUBLISHED)) {
        consumed += consume(at, record, sink);
        LONGS.setRelease(buffer, at, (p + slotCount) << 2 | FREE);
      } else if (state == (p << 2 | CLAIMED)) {
        if (pendingCount == pending.length) {
          pending = Arrays.copyOf(pending, pendingCount * 2);
        }
        pending[pendingCount++] = p;
      }
      // else: an earlier lap still holds the slot (claimed and not yet published), so the writer
      // of p found it taken and went the slow way.
    }
    next = head;
    return consumed;
  }

  private int slotAt(long position) {
    return headerBytes + (int) (position & (slotCount - 1)) * slotBytes;
  }

  private int consume(int at, ShimRecord r, Sink sink) {
    r.syscall = buffer.getInt(at + S_SYSCALL);
    if (r.syscall == 0) {
      return 0; // given up by its writer: the call went the slow way
    }
    r.tid = buffer.getInt(at + S_TID);
    r.pid = buffer.getInt(at + S_PID);
    r.dirfd = buffer.getInt(at + S_DIRFD);
    r.flags = buffer.getInt(at + S_FLAGS);
    r.mode = buffer.getInt(at + S_MODE);
    r.result = buffer.getLong(at + S_RESULT);
    r.dev = buffer.getLong(at + S_DEV);
    r.ino = buffer.getLong(at + S_INO);
    // The tracee can write anything here: never trust a length.
    int length = Math.min(Math.max(buffer.getInt(at + S_PATH_LEN), 0), pathBytes.length);
    buffer.get(at + S_PATH, pathBytes, 0, length);
    r.path = PathBytes.decode(pathBytes, 0, length);
    sink.accept(r);
    return 1;
  }

  /** Processes whose shim started. */
  long shimProcesses() {
    return (long) LONGS.getVolatile(buffer, H_PROCESSES);
  }

  /** Bit i: {@link FastPath#PATCHED_FUNCTIONS} element i was left to ptrace somewhere. */
  long unpatched() {
    return (long) LONGS.getVolatile(buffer, H_UNPATCHED);
  }

  /** Calls sent the slow way because their slot was taken (a full ring). */
  long full() {
    return (long) LONGS.getVolatile(buffer, H_FULL);
  }

  /** Calls sent the slow way by the shim's rules (scope, dirfd, long path). */
  long ineligible() {
    return (long) LONGS.getVolatile(buffer, H_INELIGIBLE);
  }

  /** Positions passed while claimed and not published since (a writer blocked or killed). */
  int stuck() {
    return pendingCount;
  }

  @Override
  public void close() {
    memory.close();
  }
}
