package dev.airlock.daemon.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PortablePathsTest {
  private final PortablePaths ws = new PortablePaths("/home/a/p");

  @Test
  void pathsUnderTheWorkspaceBecomeRelativeToTheTokenAndComeBackInAnother() {
    assertEquals("${workspace}", ws.portable("/home/a/p"));
    assertEquals("${workspace}/src/x.c", ws.portable("/home/a/p/src/x.c"));
    assertEquals("/home/a/p2/x.c", ws.portable("/home/a/p2/x.c"));
    assertEquals("/usr/include/stdio.h", ws.portable("/usr/include/stdio.h"));

    PortablePaths other = new PortablePaths("/build/ws-17");
    assertEquals("/build/ws-17/src/x.c", other.absolute("${workspace}/src/x.c"));
    assertEquals("/build/ws-17", other.absolute("${workspace}"));
    assertEquals("/usr/include/stdio.h", other.absolute("/usr/include/stdio.h"));
  }

  @Test
  void textNamesTheWorkspaceOnlyOnAPathBoundary() {
    assertEquals(
        List.of("-I${workspace}/inc", "${workspace}", "--out=${workspace}/o", "/home/a/p2"),
        ws.inTexts(List.of("-I/home/a/p/inc", "/home/a/p", "--out=/home/a/p/o", "/home/a/p2")));
    assertEquals(
        List.of("/x/home/a/p/inc", "-Wl,-rpath,${workspace}/lib", "--sysroot=${workspace}"),
        ws.inTexts(List.of("/x/home/a/p/inc", "-Wl,-rpath,/home/a/p/lib", "--sysroot=/home/a/p")),
        "a path that only ends like the workspace is another path");
    assertEquals(
        Map.of("PATH", "${workspace}/bin:/usr/bin", "HOME", "/home/a"),
        ws.inValues(Map.of("PATH", "/home/a/p/bin:/usr/bin", "HOME", "/home/a")));
    assertEquals(
        "cc ${workspace}/a.c ${workspace}/b.c", ws.inText("cc /home/a/p/a.c /home/a/p/b.c"));
  }

  @Test
  void symlinkTargetsIntoTheWorkspaceAreRelativeToo() {
    assertEquals(
        new PathState.Symlink("${workspace}/x.o"),
        ws.portable(new PathState.Symlink("/home/a/p/x.o")));
    assertEquals(new PathState.Symlink("../x"), ws.portable(new PathState.Symlink("../x")));
  }

  @Test
  void noWorkspaceLeavesPathsAbsoluteAndARelativeWorkspaceIsRefused() {
    assertEquals("/home/a/p/x", PortablePaths.NONE.portable("/home/a/p/x"));
    assertEquals("a /b", PortablePaths.NONE.inText("a /b"));
    assertThrows(IllegalArgumentException.class, () -> new PortablePaths("rel/p"));
    assertThrows(IllegalArgumentException.class, () -> new PortablePaths("/home/a/p/"));
  }
}
