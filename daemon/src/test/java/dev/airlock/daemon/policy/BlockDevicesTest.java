package dev.airlock.daemon.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's block devices, which every action has hidden: this machine's own /dev. */
class BlockDevicesTest {
  @Test
  void everyBlockDeviceTheKernelListsIsFoundAndNothingElse() throws Exception {
    List<Path> found = BlockDevices.under(Path.of("/dev"));
    for (Path p : found) {
      int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      assertEquals(0060000, mode & 0170000, p + " is a block device");
    }
    try (Stream<Path> names = Files.list(Path.of("/sys/class/block"))) {
      for (Path name : names.toList()) {
        Path node = Path.of("/dev").resolve(name.getFileName().toString());
        if (Files.exists(node, LinkOption.NOFOLLOW_LINKS)) {
          assertTrue(found.contains(node), node + " in " + found);
        }
      }
    }
  }

  @Test
  void aDirectoryWithoutDevicesHasNone(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("file"), "x");
    Files.createSymbolicLink(dir.resolve("link"), Path.of("/dev/null"));
    assertEquals(List.of(), BlockDevices.under(dir));
    assertEquals(List.of(), BlockDevices.under(dir.resolve("missing")));
  }
}
