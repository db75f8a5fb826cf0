package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.airlock.daemon.commit.Change.Kind;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChangeSetTest {
  private static final FileTime T = FileTime.fromMillis(0);

  @Test
  void ordersParentsFirstAndDeletionsBeforeCreations() {
    ChangeSet set =
        ChangeSet.of(
            List.of(
                Change.createFile("a.b", Path.of("/u/a.b"), 0644, 3, T),
                Change.createFile("a/x", Path.of("/u/a/x"), 0644, 4, T),
                Change.createDir("a", 0755, T),
                Change.delete("a"),
                Change.chmod("b", 0600)));
    assertEquals(
        List.of(
            "DELETE a",
            "CREATE_DIR a 755",
            "CREATE_FILE a/x 644",
            "CREATE_FILE a.b 644",
            "CHMOD b 600"),
        ChangeSetReaderTest.describe(set));
    assertEquals(7, set.bytes());
    assertEquals(2, set.count(Kind.CREATE_FILE));
    assertEquals(0, set.count(Kind.REPLACE_FILE));
    assertEquals(Set.of("a", "a/x", "a.b", "b"), set.paths());
  }

  @Test
  void rejectsChangesThatCannotBeAppliedTogether() {
    assertThrows(
        IllegalArgumentException.class,
        () -> ChangeSet.of(List.of(Change.delete("d"), Change.createSymlink("d/x", "y"))),
        "below a deleted directory");
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ChangeSet.of(
                List.of(
                    Change.createSymlink("d", "y"),
                    Change.createFile("d/x", Path.of("/u/x"), 0644, 0, T))),
        "below a symlink");
    assertThrows(
        IllegalArgumentException.class,
        () -> ChangeSet.of(List.of(Change.createDir("d", 0755, T), Change.chmod("d", 0700))),
        "two changes of one path");
  }

  @Test
  void changesCheckTheirPathsAndFields() {
    assertThrows(IllegalArgumentException.class, () -> Change.delete("../etc/passwd"));
    assertThrows(IllegalArgumentException.class, () -> Change.delete("/abs"));
    assertThrows(IllegalArgumentException.class, () -> Change.delete("a//b"));
    assertThrows(IllegalArgumentException.class, () -> Change.chmod("a", 0100644));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Change("a", Kind.CREATE_FILE, null, 0644, 0, T, null));
  }
}
