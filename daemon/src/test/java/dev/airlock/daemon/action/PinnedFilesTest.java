package dev.airlock.daemon.action;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.commit.Change;
import dev.airlock.daemon.commit.ChangeSet;
import dev.airlock.daemon.commit.OverlayLayer.RootChanges;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a pinned output is after a run, over real files. */
class PinnedFilesTest {
  @TempDir Path root;
  @TempDir Path upper;

  private List<RootChanges> changes(Change... c) {
    return List.of(new RootChanges(root, ChangeSet.of(List.of(c))));
  }

  @Test
  void aFileTheActionWroteIsReadFromItsUpperDir() throws Exception {
    Path staged = Files.writeString(upper.resolve("x"), "new");
    FileTime now = FileTime.fromMillis(System.currentTimeMillis());
    PinnedFiles.Located at =
        PinnedFiles.locate(
            changes(
                Change.createDir("d", 0755, now), Change.createFile("d/x", staged, 0600, 3, now)),
            root.resolve("d/x"));
    assertEquals(Optional.of(staged), at.file());
    assertEquals(0600, at.mode());
  }

  @Test
  void aFileTheActionLeftAloneIsTheWorkspacesOwn() throws Exception {
    Path file = Files.writeString(root.resolve("kept"), "old");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-x---"));
    PinnedFiles.Located at = PinnedFiles.locate(changes(), file);
    assertEquals(Optional.of(file), at.file());
    assertEquals(0750, at.mode());
  }

  @Test
  void deletedMissingOrNoFileIsSaidInWords() throws Exception {
    Files.createDirectories(root.resolve("dir/sub"));
    Files.writeString(root.resolve("dir/sub/f"), "x");
    assertEquals(
        "nothing (the action deleted a directory above it)",
        PinnedFiles.locate(changes(Change.delete("dir")), root.resolve("dir/sub/f")).missing());
    assertEquals("nothing", PinnedFiles.locate(changes(), root.resolve("absent")).missing());
    assertEquals("a directory", PinnedFiles.locate(changes(), root.resolve("dir")).missing());
    assertTrue(
        PinnedFiles.locate(changes(Change.createSymlink("l", "dir")), root.resolve("l"))
            .file()
            .isEmpty());
  }
}
