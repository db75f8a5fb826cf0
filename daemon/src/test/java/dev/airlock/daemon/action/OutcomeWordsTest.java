package dev.airlock.daemon.action;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.airlock.protocol.Outcome;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Outcomes in messages read as English, not as enum constants. */
class OutcomeWordsTest {
  @Test
  void everyOutcomeIsAPhraseNotAConstantName() {
    for (Outcome outcome : Outcome.values()) {
      String words = OutcomeWords.of(outcome);
      assertFalse(words.contains("_"), outcome + ": " + words);
      assertEquals(words.toLowerCase(Locale.ROOT), words, outcome + ": " + words);
    }
  }

  @Test
  void aViolationAndATimeoutSayWhatHappened() {
    assertEquals("violated its policy", OutcomeWords.of(Outcome.POLICY_VIOLATION));
    assertEquals("timed out", OutcomeWords.of(Outcome.TIMED_OUT));
  }
}
