package dev.airlock.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void understandsTheUnitsPeopleType() {
    assertEquals(30_000, Durations.parseMillis("30s"));
    assertEquals(30_000, Durations.parseMillis("30"));
    assertEquals(500, Durations.parseMillis("500ms"));
    assertEquals(1_500, Durations.parseMillis("1.5s"));
    assertEquals(300_000, Durations.parseMillis("5m"));
    assertEquals(7_200_000, Durations.parseMillis("2h"));
  }

  @Test
  void rejectsWhatIsNotADuration() {
    assertThrows(IllegalArgumentException.class, () -> Durations.parseMillis("soon"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parseMillis("-1s"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parseMillis("0"));
  }

  @Test
  void saysADurationInItsLargestWholeUnit() {
    assertEquals("15 minutes", Durations.format(900_000));
    assertEquals("1 hour", Durations.format(3_600_000));
    assertEquals("90 seconds", Durations.format(90_000));
    assertEquals("250 ms", Durations.format(250));
  }
}
