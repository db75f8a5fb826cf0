package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.commit.LayerMeter.Usage;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class LayerMeterTest {
  @TempDir Path root;

  @Test
  void countsAllocatedBlocksAndEveryEntryOfEveryUpperDir() throws Exception {
    Path a = Files.createDirectories(root.resolve("a"));
    Path b = Files.createDirectories(root.resolve("b"));
    Files.write(Files.createDirectories(a.resolve("d/e")).resolve("f"), new byte[1 << 20]);
    Files.createSymbolicLink(b.resolve("link"), Path.of("nowhere"));
    // A sparse file of 1 GiB holds no data block: its size is not what it takes.
    try (RandomAccessFile sparse = new RandomAccessFile(b.resolve("sparse").toFile(), "rw")) {
      sparse.setLength(1L << 30);
    }

    Usage usage = LayerMeter.measure(List.of(a, b), 0, 0, () -> false);

    assertEquals(5, usage.entries(), "d, e, f, link, sparse");
    assertTrue(usage.bytes() >= 1 << 20 && usage.bytes() < 2 << 20, "" + usage);
    assertTrue(LayerMeter.anyWritten(List.of(a)));
    assertFalse(LayerMeter.anyWritten(List.of(Files.createDirectories(root.resolve("empty")))));
    assertFalse(LayerMeter.anyWritten(List.of(root.resolve("missing"))));
  }

  @Test
  void stopsOnceOverABoundOrWhenAsked() throws Exception {
    Path upper = Files.createDirectories(root.resolve("upper"));
    for (int i = 0; i < 100; i++) {
      Files.createDirectories(upper.resolve("d" + i + "/x"));
    }

    assertEquals(11, LayerMeter.measure(List.of(upper), 0, 10, () -> false).entries());
    AtomicInteger dirs = new AtomicInteger();
    Usage stopped = LayerMeter.measure(List.of(upper), 0, 0, () -> dirs.incrementAndGet() > 1);
    assertEquals(100, stopped.entries(), "only the top directory was read");
    assertEquals(Usage.NONE.entries(), LayerMeter.measure(List.of(), 0, 0, () -> false).entries());
  }

  @Test
  void whatCannotBeReadIsSkipped() throws Exception {
    Path upper = Files.createDirectories(root.resolve("upper"));
    Path closed = Files.createDirectories(upper.resolve("closed"));
    Files.writeString(closed.resolve("f"), "x");
    closed.toFile().setReadable(false, false);
    closed.toFile().setExecutable(false, false);
    try {
      Usage usage = LayerMeter.measure(List.of(upper, root.resolve("gone")), 0, 0, () -> false);
      // As root the mode does not stop a read; either way the walk ends with what it could see.
      assertTrue(usage.entries() == 1 || usage.entries() == 2, "" + usage);
    } finally {
      closed.toFile().setReadable(true);
      closed.toFile().setExecutable(true);
    }
  }
}
