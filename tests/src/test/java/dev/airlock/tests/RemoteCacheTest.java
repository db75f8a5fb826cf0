package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache shared through a REAPI cache: a third daemon serves REAPI ({@code --reapi}) and two
 * daemons, each with its own state and its workspaces at other paths, use it as their remote
 * ({@code --remote-cache}). What one records, the other replays byte for byte without running it;
 * what differs on the second machine misses; a remote that lies or dies costs a miss, never a wrong
 * result or a failed action.
 */
@Timeout(300)
class RemoteCacheTest {
  @TempDir static Path dir;
  private static DaemonFixture remote;
  private static DaemonFixture a;
  private static DaemonFixture b;
  private static String remoteAddress;

  @BeforeAll
  static void startDaemons() throws Exception {
    int port = freePort();
    remote = DaemonFixture.start(dirFor("remote"), "--reapi", "127.0.0.1:" + port);
    remoteAddress = "grpc://127.0.0.1:" + port;
    a = DaemonFixture.start(dirFor("a"), "--remote-cache", remoteAddress);
    b = DaemonFixture.start(dirFor("b"), "--remote-cache", remoteAddress);
  }

  @AfterAll
  static void stopDaemons() throws Exception {
    for (DaemonFixture d : new DaemonFixture[] {a, b, remote}) {
      if (d != null) {
        d.close();
      }
    }
  }

  private static Path dirFor(String name) throws IOException {
    return Files.createDirectories(dir.resolve(name));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A checkout named {@code project} somewhere under {@code daemon}'s directory. */
  private static CacheWorkloads.Compile checkout(DaemonFixture daemon, String where, String project)
      throws IOException {
    Path ws = Files.createDirectories(daemon.dir().resolve(where).resolve(project));
    return CacheWorkloads.Compile.in(daemon, ws);
  }

  @Test
  void aSecondDaemonElsewhereReplaysFromTheRemoteByteForByte() throws Exception {
    CacheWorkloads.Compile onA = checkout(a, "home/alice/src", "shared");
    CacheWorkloads.Compile onB = checkout(b, "build/ws-17", "shared");

    CachedRun first = onA.run().assertRecorded();
    assertTrue(first.report().contains("\"uploaded\": true"), first::toString);

    CachedRun fetched = onB.run().assertHit();
    assertTrue(fetched.report().contains("\"from_remote\": true"), fetched::toString);
    assertArrayEquals(Files.readAllBytes(onA.object()), Files.readAllBytes(onB.object()));
    onB.assertObjectIsNative();

    CachedRun local = onB.run().assertHit();
    assertFalse(local.report().contains("from_remote"), "now in B's own cache: " + local);
  }

  @Test
  void aChangedHeaderOnTheSecondMachineMisses() throws Exception {
    CacheWorkloads.Compile onA = checkout(a, "p", "changed");
    CacheWorkloads.Compile onB = checkout(b, "q/r", "changed");
    onA.run().assertRecorded();

    Files.writeString(onB.object().resolveSibling("inc/a.h"), "#define VALUE 2\n");

    onB.run().assertRecorded();
    onB.assertObjectIsNative();
  }

  @Test
  void aShadowingHeaderOnTheSecondMachineMisses() throws Exception {
    CacheWorkloads.Compile onA = checkout(a, "p", "shadowed");
    CacheWorkloads.Compile onB = checkout(b, "q/r", "shadowed");
    onA.run().assertRecorded();

    // gcc probed inc1/a.h (absent) before it read inc/a.h: on B the earlier directory has one.
    Files.writeString(onB.object().resolveSibling("inc1/a.h"), "#define VALUE 3\n");

    onB.run().assertRecorded();
    onB.assertObjectIsNative();
  }

  @Test
  void aCorruptBlobInTheRemoteIsDetectedAndMisses() throws Exception {
    CacheWorkloads.Compile onA = checkout(a, "p", "corrupt");
    CacheWorkloads.Compile onB = checkout(b, "q/r", "corrupt");
    onA.run().assertRecorded();
    byte[] object = Files.readAllBytes(onA.object());

    // Same length, other bytes, in the remote daemon's content store.
    Path blob = casPath(remote.stateDir(), object);
    assertTrue(Files.exists(blob), "the remote holds the uploaded object at " + blob);
    byte[] garbage = object.clone();
    garbage[garbage.length / 2] ^= 0x5a;
    blob.toFile().setWritable(true);
    Files.write(blob, garbage);

    CachedRun run = onB.run();
    assertEquals("stored", run.status(), "ran instead of replaying a corrupt blob: " + run);
    assertTrue(run.report().contains("\"remote_warning\""), run::toString);
    onB.assertObjectIsNative();
  }

  @Test
  void concurrentUploadsOfOneEntryLeaveItWhole() throws Exception {
    CacheWorkloads.Compile onA = checkout(a, "p", "concurrent");
    CacheWorkloads.Compile onB = checkout(b, "q/r", "concurrent");

    CachedRun.Started fromA =
        CachedRun.launch(a, onA.object().getParent(), List.of(), CacheWorkloads.Compile.ARGV);
    CachedRun.Started fromB =
        CachedRun.launch(b, onB.object().getParent(), List.of(), CacheWorkloads.Compile.ARGV);
    fromA.await().assertExit(0).assertRecorded();
    fromB.await().assertExit(0).assertRecorded();

    try (DaemonFixture c = DaemonFixture.start(dirFor("c"), "--remote-cache", remoteAddress)) {
      CacheWorkloads.Compile onC = checkout(c, "elsewhere", "concurrent");
      CachedRun fetched = onC.run().assertHit();
      assertTrue(fetched.report().contains("\"from_remote\": true"), fetched::toString);
      onC.assertObjectIsNative();
    }
  }

  @Test
  void aRemoteKilledMidBuildLeavesActionsRunningAndCachedLocally() throws Exception {
    int port = freePort();
    Path remoteDir = dirFor("doomed-remote");
    DaemonFixture doomed = DaemonFixture.start(remoteDir, "--reapi", "127.0.0.1:" + port);
    try (DaemonFixture c =
        DaemonFixture.start(
            dirFor("orphan"),
            "--remote-cache",
            "grpc://127.0.0.1:" + port,
            "--remote-cache-timeout-ms",
            "2000")) {
      CacheWorkloads.Compile before = checkout(c, "p", "before-the-outage");
      CachedRun uploaded = before.run().assertRecorded();
      assertTrue(uploaded.report().contains("\"uploaded\": true"), uploaded::toString);

      doomed.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      doomed.close();

      CacheWorkloads.Compile after = checkout(c, "p", "after-the-outage");
      CachedRun alone = after.run().assertRecorded();
      assertTrue(alone.report().contains("\"remote_warning\""), alone::toString);
      assertFalse(alone.report().contains("\"uploaded\": true"), alone::toString);
      after.assertObjectIsNative();
      after.run().assertHit();
      assertTrue(
          Files.readString(c.stateDir().resolve("logs/airlockd.log.0")).contains("remote cache"),
          "the outage is logged");
    }
  }

  private static Path casPath(Path stateDir, byte[] content) throws NoSuchAlgorithmException {
    String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    return stateDir.resolve("cas").resolve(hex.substring(0, 2)).resolve(hex.substring(2));
  }
}
