package dev.airlock.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.protocol.AccessReport;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CacheReport;
import dev.airlock.protocol.CacheStatus;
import dev.airlock.protocol.Outcome;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** --trace-summary says what was traced, and why nothing was. */
class TraceSummaryTest {
  private static String summary(ActionResult result) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    TraceSummary.print(result, new PrintStream(err, true, StandardCharsets.UTF_8));
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aCacheHitSaysItWasReplayedAndFromWhichAction() {
    ActionResult hit =
        ActionResult.newBuilder()
            .setOutcome(Outcome.COMPLETED)
            .setCache(
                CacheReport.newBuilder()
                    .setStatus(CacheStatus.CACHE_HIT)
                    .setSourceAction("mwqa0my9-7"))
            .build();

    assertEquals(
        "airlock: trace: replayed from the cache (action mwqa0my9-7); nothing ran this time\n",
        summary(hit));
  }

  @Test
  void aTracedRunCountsItsAccesses() {
    ActionResult run =
        ActionResult.newBuilder()
            .setOutcome(Outcome.COMPLETED)
            .setAccessReport(
                AccessReport.newBuilder().setTraced(true).setAccessCount(3).putCounts("read", 3))
            .build();

    String summary = summary(run);

    assertTrue(summary.startsWith("airlock: trace: 3 distinct accesses by 0 processes\n"), summary);
    assertTrue(summary.contains("airlock: trace: read              3\n"), summary);
  }
}
