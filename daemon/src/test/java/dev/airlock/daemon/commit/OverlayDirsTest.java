package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.commit.OverlayDirs.ActionDirs;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class UpperDirsTest {
  @TempDir Path root;

  private static long device(Path path) throws Exception {
    return PosixFiles.lstat(path).dev();
  }

  @Test
  void onTheStateDirsFilesystemTheDirsLiveInTheStateDir() throws Exception {
    Path state = root.resolve("state");
    Path workspace = Files.createDirectories(root.resolve("ws"));
    OverlayDirs dirs = new OverlayDirs(state);
    ActionDirs action = dirs.create("a1", workspace);
    assertEquals(state.resolve("overlays/a1"), action.root());
    assertTrue(Files.isDirectory(action.upper()) && Files.isDirectory(action.work()));
    assertEquals(0700, PosixFiles.lstat(action.upper()).mode());
    assertThrows(FileAlreadyExistsException.class, () -> dirs.create("a1", workspace));

    // A real overlay leaves work/work at mode 000 and whiteouts in upper; removal copes.
    Files.writeString(workspace.resolve("f"), "x");
    new OverlayFixture(workspace, action.upper(), action.work()).run("rm f; echo y > g");
    assertTrue(PosixFiles.lstat(action.upper().resolve("f")).isWhiteoutDevice());
    dirs.remove("a1");
    assertFalse(Files.exists(action.root()));
    dirs.remove("a1");
  }

  @Test
  void onAnotherFilesystemTheDirsGoToItsTopAndAreLinkedFromTheStateDir() throws Exception {
    Path state = root.resolve("state");
    Path fs = Files.createDirectories(root.resolve("fs"));
    Tmpfs.mount(fs, "4m");
    try {
      Path workspace = Files.createDirectories(fs.resolve("projects/ws"));
      OverlayDirs dirs = new OverlayDirs(state);
      ActionDirs action = dirs.create("a2", workspace);
      assertEquals(fs.resolve(".airlock-overlays/a2"), action.root());
      assertEquals(device(workspace), device(action.upper()), "renames will not need copies");
      assertEquals(action.root(), Files.readSymbolicLink(state.resolve("overlays/a2")));

      ActionDirs onMountPoint = dirs.create("a3", fs);
      assertEquals(
          state.resolve("overlays/a3"),
          onMountPoint.root(),
          "never inside the workspace that will be the overlay's lower");

      dirs.create("running", workspace);
      assertEquals(2, dirs.collectLeftovers(Set.of("running")));
      assertFalse(Files.exists(action.root()));
      assertFalse(
          Files.exists(state.resolve("overlays/a2"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
      assertFalse(Files.exists(onMountPoint.root()));
      assertTrue(Files.isDirectory(fs.resolve(".airlock-overlays/running/upper")));
    } finally {
      Tmpfs.unmount(fs);
    }
  }

  @Test
  void aDanglingLinkFromACrashIsCollected() throws Exception {
    Path state = root.resolve("state");
    Files.createDirectories(state.resolve("overlays"));
    Files.createSymbolicLink(state.resolve("overlays/lost"), root.resolve("nowhere/lost"));
    assertEquals(1, new OverlayDirs(state).collectLeftovers(Set.of()));
    assertFalse(
        Files.exists(state.resolve("overlays/lost"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void actionIdsCannotEscapeTheOverlaysDir() {
    OverlayDirs dirs = new OverlayDirs(root);
    assertThrows(IllegalArgumentException.class, () -> dirs.create("../x", root));
    assertThrows(IllegalArgumentException.class, () -> dirs.remove("a/b"));
    assertThrows(IllegalArgumentException.class, () -> dirs.remove(".."));
  }
}
