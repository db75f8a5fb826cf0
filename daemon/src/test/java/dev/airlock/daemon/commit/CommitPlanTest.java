package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CommitPlanTest {
  private static final FileTime T = FileTime.fromMillis(0);

  @Test
  void tempsSitBesideTargetsAndNewTreesAreStagedWhole() {
    ChangeSet changes =
        ChangeSet.of(
            List.of(
                Change.chmod("out", 0555),
                Change.delete("src"),
                Change.createDir("src", 0755, T),
                Change.createDir("src/main", 0755, T),
                Change.createFile("src/main/A.java", Path.of("/u/src/main/A.java"), 0644, 1, T),
                Change.replaceFile("docs/a.md", Path.of("/u/docs/a.md"), 0644, 1, T),
                Change.delete("docs/old"),
                Change.createSymlink("latest", "out/v2")));
    CommitPlan plan = CommitPlan.of("c1", changes);
    assertEquals(
        List.of(
            new CommitStep(CommitStep.Op.RENAME, "docs/a.md", "docs/.airlock-c1-0", null, 0),
            new CommitStep(CommitStep.Op.DELETE, "docs/old", null, "docs/.airlock-c1-1", 0),
            new CommitStep(CommitStep.Op.RENAME, "latest", ".airlock-c1-2", null, 0),
            new CommitStep(CommitStep.Op.EXCHANGE, "src", ".airlock-c1-4", ".airlock-c1-3", 0),
            new CommitStep(CommitStep.Op.CHMOD, "out", null, null, 0555)),
        plan.steps(),
        "a deletion and a creation at one path are one exchange; chmods come last");
    assertEquals(
        List.of(
            "docs/a.md -> docs/.airlock-c1-0 (top)",
            "latest -> .airlock-c1-2 (top)",
            "src -> .airlock-c1-4 (top)",
            "src/main -> .airlock-c1-4/main",
            "src/main/A.java -> .airlock-c1-4/main/A.java"),
        plan.stagings().stream()
            .map(s -> s.change().path() + " -> " + s.destination() + (s.topLevel() ? " (top)" : ""))
            .collect(Collectors.toList()));
  }
}
