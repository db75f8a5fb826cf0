package dev.airlock.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The sizes `airlock cache gc --max-size` takes, and those it refuses. */
class CacheSizesTest {
  @Test
  void understandsTheUnitsPeopleType() {
    assertEquals(0, CacheCommand.parseSize("0"));
    assertEquals(123, CacheCommand.parseSize("123"));
    assertEquals(64L << 10, CacheCommand.parseSize("64K"));
    assertEquals(500L << 20, CacheCommand.parseSize("500M"));
    assertEquals(10L << 30, CacheCommand.parseSize("10G"));
    assertEquals(2L << 30, CacheCommand.parseSize("2gb"));
  }

  @Test
  void refusesNegativeSignedAndGarbageSizesSayingWhatASizeIs() {
    for (String bad : new String[] {"-5", "-5G", "+5", "abc", "1.5G", "5X", "", "G"}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> CacheCommand.parseSize(bad), "'" + bad + "'");
      assertEquals(
          "--max-size: not a size: '"
              + bad
              + "' (a size is 0 or more bytes: 10G, 500M, 64K or plain bytes)",
          e.getMessage());
    }
  }
}
