package dev.airlock.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The sizes `airlock cache gc --max-size` takes, and those it refuses. */
class CacheSizesTest {
  @ParameterizedTest(name = "{0} is {1} bytes")
  @CsvSource({
    "0, 0",
    "123, 123",
    "64K, 65536",
    "500M, 524288000",
    "10G, 10737418240",
    "2gb, 2147483648"
  })
  void understandsTheUnitsPeopleType(String typed, long bytes) {
    assertEquals(bytes, CacheCommand.parseSize(typed), typed);
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(strings = {"-5", "-5G", "+5", "abc", "1.5G", "5X", "", "G"})
  void refusesNegativeSignedAndGarbageSizesSayingWhatASizeIs(String bad) {
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
