package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.commit.JournalEntry.State;
import dev.airlock.daemon.store.StateDatabase;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommitJournalTest {
  @TempDir Path dir;

  private static final JournalEntry ENTRY =
      new JournalEntry(
          "c-1",
          State.STAGING,
          Path.of("/work/ws"),
          List.of(
              CommitStep.rename("a/b.txt", "a/.airlock-c-1-0"),
              CommitStep.exchange("src", ".airlock-c-1-2", ".airlock-c-1-1"),
              CommitStep.delete("gone", ".airlock-c-1-3"),
              CommitStep.chmod("bin/tool", 04755)));

  @Test
  void entriesSurviveReopeningAndChangeState() throws Exception {
    try (StateDatabase db = StateDatabase.open(dir)) {
      new CommitJournal(db).put(ENTRY);
    }
    try (StateDatabase db = StateDatabase.open(dir)) {
      CommitJournal journal = new CommitJournal(db);
      assertEquals(Optional.of(ENTRY), journal.get("c-1"));
      journal.put(ENTRY.withState(State.COMMITTING));
      assertEquals(List.of(ENTRY.withState(State.COMMITTING)), journal.entries());
      assertEquals(
          List.of("a/.airlock-c-1-0", ".airlock-c-1-2", ".airlock-c-1-1", ".airlock-c-1-3"),
          ENTRY.temps());
      assertTrue(journal.remove("c-1"));
      assertFalse(journal.remove("c-1"));
      assertEquals(Optional.empty(), journal.get("c-1"));
    }
  }

  @Test
  void theCodecRoundTrips() {
    assertEquals(ENTRY, CommitJournal.decode(CommitJournal.encode(ENTRY)));
  }

  @Test
  void stepsAndIdsAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> CommitStep.rename("../x", "y"));
    assertThrows(
        IllegalArgumentException.class,
        () -> new CommitStep(CommitStep.Op.DELETE, "x", "t", null, 0),
        "a deletion has no staged temp");
    assertThrows(
        IllegalArgumentException.class,
        () -> new JournalEntry("../evil", State.STAGING, Path.of("/w"), List.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> new JournalEntry("c", State.STAGING, Path.of("relative"), List.of()));
  }
}
