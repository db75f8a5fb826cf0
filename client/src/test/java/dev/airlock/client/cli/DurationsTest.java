package dev.airlock.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
  @ParameterizedTest(name = "{0} is {1} ms")
  @CsvSource({"30s, 30000", "30, 30000", "500ms, 500", "1.5s, 1500", "5m, 300000", "2h, 7200000"})
  void understandsTheUnitsPeopleType(String typed, long millis) {
    assertEquals(millis, Durations.parseMillis(typed), typed);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"soon", "-1s", "0"})
  void rejectsWhatIsNotADuration(String typed) {
    assertThrows(IllegalArgumentException.class, () -> Durations.parseMillis(typed), typed);
  }

  @ParameterizedTest(name = "{0} ms is {1}")
  @CsvSource({"900000, 15 minutes", "3600000, 1 hour", "90000, 90 seconds", "250, 250 ms"})
  void saysADurationInItsLargestWholeUnit(long millis, String said) {
    assertEquals(said, Durations.format(millis), millis + " ms");
  }
}
