package dev.airlock.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.PinnedOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --output-hash PATH=sha256:HEX} and {@code output-hash} manifest lines. */
class OutputHashesTest {
  private static final String HEX = "0f".repeat(32);

  @Test
  void aPathIsResolvedAgainstTheWorkingDirectoryAndSplitAtTheLastEquals() {
    List<PinnedOutput> pinned =
        OutputHashes.parse(Path.of("/w"), List.of("a=b/x.tgz=sha256:" + HEX.toUpperCase()));
    assertEquals(1, pinned.size());
    assertEquals("/w/a=b/x.tgz", PathBytes.fromWire(pinned.get(0).getPath()));
    assertEquals(HEX, pinned.get(0).getSha256());
  }

  @Test
  void malformedSpecsAreRefusedSayingWhatIsWanted() {
    IllegalArgumentException noPath =
        assertThrows(
            IllegalArgumentException.class,
            () -> OutputHashes.parse(Path.of("/w"), List.of("sha256:" + HEX)));
    assertTrue(noPath.getMessage().contains("PATH=sha256:HEX"), noPath.getMessage());
    IllegalArgumentException shortHex =
        assertThrows(
            IllegalArgumentException.class,
            () -> OutputHashes.parse(Path.of("/w"), List.of("x=sha256:abc")));
    assertTrue(shortHex.getMessage().contains("no SHA-256"), shortHex.getMessage());
  }

  @Test
  void aManifestPinsOutputsOnOutputHashLines(@TempDir Path dir) throws Exception {
    Path manifest =
        Files.writeString(
            dir.resolve("m"),
            "input src/a.c\noutput obj\n# a download\noutput-hash dl/t.tgz=sha256:" + HEX + "\n");
    DeclaredPaths.Manifest m = DeclaredPaths.readManifest(manifest);
    assertEquals(List.of("src/a.c"), m.inputs());
    assertEquals(List.of("obj"), m.outputs());
    assertEquals(List.of("dl/t.tgz=sha256:" + HEX), m.outputHashes());
  }
}
