package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A provisioning script pinned by the hash of the tarball it downloads, shared through a remote
 * REAPI cache: a third daemon serves REAPI, the first daemon runs the script (curl from a real HTTP
 * server, then tar) and uploads the pinned tarball, and a fresh daemon with a state of its own and
 * the server stopped gets the tarball from the remote without running anything.
 */
@Timeout(300)
class FixedOutputRemoteTest {
  private static final String SCRIPT =
      "curl -fsS --create-dirs -o dl/tool.tar.gz \"$1\" && mkdir -p tool"
          + " && tar xzf dl/tool.tar.gz -C tool";

  @TempDir static Path dir;
  private static DaemonFixture remote;
  private static DaemonFixture a;
  private static DaemonFixture b;

  @BeforeAll
  static void startDaemons() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    remote = DaemonFixture.start(dirFor("remote"), "--reapi", "127.0.0.1:" + port);
    a = DaemonFixture.start(dirFor("a"), "--remote-cache", "grpc://127.0.0.1:" + port);
    b = DaemonFixture.start(dirFor("b"), "--remote-cache", "grpc://127.0.0.1:" + port);
  }

  @AfterAll
  static void stopDaemons() {
    for (DaemonFixture d : new DaemonFixture[] {a, b, remote}) {
      if (d != null) {
        d.close();
      }
    }
  }

  @Test
  void aScriptPinnedByItsTarballIsReplayedOnAFreshDaemonFromTheRemoteCache() throws Exception {
    byte[] tarball = tarball(dirFor("src"));
    String sha = Mirrors.sha256(tarball);
    List<String> options =
        List.of("--policy", "provision", "--output-hash", "dl/tool.tar.gz=sha256:" + sha);
    Path wsA = Files.createDirectories(a.dir().resolve("home/alice/project"));
    Path wsB = Files.createDirectories(b.dir().resolve("build/ws-2"));

    try (Mirrors mirror = Mirrors.start().put("/tool-1.0.tar.gz", tarball)) {
      List<String> command = List.of("sh", "-c", SCRIPT, "sh", mirror.serving("/tool-1.0.tar.gz"));
      CachedRun first = CachedRun.launch(a, wsA, options, command).await();
      assertEquals(0, first.exitStatus(), first::toString);
      assertEquals("stored", first.status(), first::toString);
      assertTrue(first.report().contains("\"fixed_output\": true"), first::toString);
      assertTrue(first.report().contains("\"uploaded\": true"), first::toString);
      assertEquals("hello from tool\n", Files.readString(wsA.resolve("tool/bin/hello")));
      assertEquals(1, mirror.requests("/tool-1.0.tar.gz"));
    }

    // The server is gone; B has never seen the tarball.
    CachedRun onB =
        CachedRun.launch(
                b, wsB, options, List.of("sh", "-c", SCRIPT, "sh", "http://127.0.0.1:9/gone"))
            .await();
    assertEquals(0, onB.exitStatus(), onB::toString);
    assertEquals("hit", onB.status(), onB::toString);
    assertTrue(onB.report().contains("\"fixed_output\": true"), onB::toString);
    assertTrue(onB.report().contains("\"from_remote\": true"), onB::toString);
    assertArrayEquals(tarball, Files.readAllBytes(wsB.resolve("dl/tool.tar.gz")));
    assertFalse(Files.exists(wsB.resolve("tool")), "only the pinned output is replayed");

    // Unpacking the pinned tarball is an ordinary action, offline.
    CachedRun unpack =
        CachedRun.launch(
                b,
                wsB,
                List.of("--policy", "build"),
                List.of("sh", "-c", "mkdir -p tool && tar xzf dl/tool.tar.gz -C tool"))
            .await();
    assertEquals(0, unpack.exitStatus(), unpack::toString);
    assertEquals("hello from tool\n", Files.readString(wsB.resolve("tool/bin/hello")));
  }

  /** A gzipped tarball of bin/hello, made by the host's tar. */
  private static byte[] tarball(Path src) throws IOException, InterruptedException {
    Path bin = Files.createDirectories(src.resolve("bin"));
    Files.writeString(bin.resolve("hello"), "hello from tool\n");
    Files.setPosixFilePermissions(
        bin.resolve("hello"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Path out = src.resolveSibling("tool-1.0.tar.gz");
    Process tar =
        new ProcessBuilder("tar", "czf", out.toString(), "-C", src.toString(), "bin")
            .redirectErrorStream(true)
            .start();
    assertTrue(tar.waitFor(30, TimeUnit.SECONDS), "tar finished");
    assertEquals(0, tar.exitValue(), new String(tar.getInputStream().readAllBytes()));
    return Files.readAllBytes(out);
  }

  private static Path dirFor(String name) throws IOException {
    return Files.createDirectories(dir.resolve(name));
  }
}
