package dev.airlock.daemon.action;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StdinFeedTest {
  @Test
  void deliversChunksInOrderThenEndOfFile() throws Exception {
    StdinFeed feed = new StdinFeed();
    assertTrue(feed.offer(new byte[] {1}, false));
    assertTrue(feed.offer(new byte[] {2}, true));
    assertTrue(feed.offer(new byte[] {3}, false), "data after end-of-file is ignored");
    assertArrayEquals(new byte[] {1}, feed.take());
    assertArrayEquals(new byte[] {2}, feed.take());
    assertNull(feed.take());
  }

  @Test
  void asksToPauseAboveTheHighWatermarkAndResumesBelowTheLowOne() throws Exception {
    StdinFeed feed = new StdinFeed();
    AtomicInteger resumed = new AtomicInteger();
    feed.onResume(resumed::incrementAndGet);
    byte[] chunk = new byte[64 * 1024];
    int offered = 0;
    while (feed.offer(chunk, false)) {
      offered++;
    }
    offered++;
    assertEquals(StdinFeed.HIGH_WATERMARK_BYTES / chunk.length + 1, offered);
    long buffered = (long) offered * chunk.length;
    while (buffered >= StdinFeed.LOW_WATERMARK_BYTES) {
      assertEquals(0, resumed.get());
      feed.take();
      buffered -= chunk.length;
    }
    assertEquals(1, resumed.get());
  }

  @Test
  void closeEndsTheInputAfterWhatIsBuffered() throws Exception {
    StdinFeed feed = new StdinFeed();
    feed.offer(new byte[] {7}, false);
    feed.close();
    assertArrayEquals(new byte[] {7}, feed.take());
    assertNull(feed.take());
    assertFalse(!feed.offer(new byte[] {8}, false));
    assertNull(feed.take());
  }
}
