package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.airlock.client.ActionCall;
import dev.airlock.client.DaemonErrorException;
import dev.airlock.protocol.ErrorCode;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon serves only its own user (SO_PEERCRED), whatever the socket's file mode; and it works
 * as an unprivileged user. Needs root (to switch users with setpriv), as in CI.
 */
@Timeout(90)
class PeerCredentialsTest {
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dir;
  private OtherUser nobody;

  @BeforeEach
  void prepare() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "switching to uid 65534 needs root");
    nobody = OtherUser.in(dir);
  }

  @Test
  void aClientOfAnotherUserIsRefusedEvenWhenTheSocketIsWorldWritable() throws Exception {
    try (DaemonFixture daemon = DaemonFixture.start(dir)) {
      Files.setPosixFilePermissions(daemon.socket(), PosixFilePermissions.fromString("rw-rw-rw-"));

      CliProcess.Result r =
          nobody
              .cli(
                  "--socket",
                  daemon.socket().toString(),
                  "--state-dir",
                  nobody.home().resolve("state").toString(),
                  "run",
                  "--no-start",
                  "--",
                  "touch",
                  dir.resolve("ran-for-nobody").toString())
              .await(CLIENT_TIMEOUT);

      assertEquals(125, r.status(), r::toString);
      assertTrue(r.stderr().contains("serves only its own user"), r::toString);
      assertEquals(1, r.stderr().strip().lines().count(), r::toString);
      assertFalse(r.stderr().contains("Exception"), r::toString);
      assertFalse(Files.exists(dir.resolve("ran-for-nobody")), "the refused client's command ran");
      CliProcess.Result status =
          nobody.cli("--socket", daemon.socket().toString(), "status").await(CLIENT_TIMEOUT);
      assertEquals(125, status.status(), status::toString);
      assertTrue(status.stderr().contains("serves only its own user"), status::toString);
      assertTrue(
          Files.readString(daemon.stateDir().resolve("logs/airlockd.log.0"))
              .contains("uid " + OtherUser.UID),
          "the refusal should be logged with the client's uid");
      assertEquals(
          daemon.pid(),
          daemon.client().status().getPid(),
          "the daemon must keep serving its own user");
    }
  }

  @Test
  void rootIsRefusedByADaemonOfAnotherUser() throws Exception {
    Path nb = Files.createDirectories(dir.resolve("nb"));
    OtherUser.chown(nb);
    try (DaemonFixture daemon =
        DaemonFixture.start(
            nobody.daemonCommand(), dir, nb.resolve("state"), nb.resolve("d.sock"))) {
      assertEquals(
          String.valueOf(OtherUser.UID),
          String.valueOf(
              Files.getAttribute(daemon.stateDir(), "unix:uid", LinkOption.NOFOLLOW_LINKS)));

      DaemonErrorException statusRefused =
          assertThrows(DaemonErrorException.class, () -> daemon.client().status());
      assertEquals(ErrorCode.PERMISSION_DENIED, statusRefused.code());
      assertTrue(
          statusRefused.getMessage().contains("serves only its own user"),
          statusRefused::getMessage);

      DaemonErrorException executeRefused =
          assertThrows(
              DaemonErrorException.class,
              () -> {
                try (ActionCall call =
                    daemon
                        .client()
                        .execute(
                            daemon
                                .request("touch", dir.resolve("ran-for-root").toString())
                                .build())) {
                  call.nextEvent();
                }
              });
      assertEquals(ErrorCode.PERMISSION_DENIED, executeRefused.code());
      assertFalse(Files.exists(dir.resolve("ran-for-root")), "the refused client's command ran");
      assertTrue(daemon.process().isAlive());
    }
  }

  @Test
  void aDaemonRunningAsAnUnprivilegedUserServesItAndReleasesEverythingWhenStopped()
      throws Exception {
    Path nb = Files.createDirectories(dir.resolve("nb"));
    OtherUser.chown(nb);
    Path state = nb.resolve("state");
    Path socket = nb.resolve("d.sock");
    try (DaemonFixture daemon = DaemonFixture.start(nobody.daemonCommand(), dir, state, socket)) {
      List<String> paths = List.of("--socket", socket.toString(), "--state-dir", state.toString());

      CliProcess.Result id =
          nobody
              .cli(concat(paths, "run", "--no-start", "--", "sh", "-c", "id -u; id -g"))
              .await(CLIENT_TIMEOUT);
      assertEquals(0, id.status(), id::toString);
      assertEquals(OtherUser.UID + "\n" + OtherUser.UID + "\n", id.stdout(), id::toString);

      List<ProcessHandle> daemonProcesses = daemon.process().descendants().toList();
      CliProcess.Result stop = nobody.cli(concat(paths, "stop")).await(CLIENT_TIMEOUT);
      assertEquals(0, stop.status(), stop::toString);
      assertTrue(stop.stdout().contains("airlockd stopped"), stop::toString);

      assertTrue(
          daemon.process().waitFor(20, TimeUnit.SECONDS), "airlockd did not exit after stop");
      assertEquals(0, daemon.process().exitValue(), "exit status of a stopped airlockd");
      assertFalse(
          Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the socket file should be removed");
      Procs.await(
          "the stopped daemon's processes to be gone",
          Duration.ofSeconds(10),
          () -> daemonProcesses.stream().allMatch(p -> Procs.isGone(p.pid())));
      try (FileChannel lockFile =
              FileChannel.open(state.resolve("airlockd.lock"), StandardOpenOption.WRITE);
          FileLock lock = lockFile.tryLock()) {
        assertNotNull(lock, "the stopped daemon still holds the state directory's lock");
      }
    }
  }

  private static String[] concat(List<String> head, String... tail) {
    String[] all = new String[head.size() + tail.length];
    for (int i = 0; i < head.size(); i++) {
      all[i] = head.get(i);
    }
    System.arraycopy(tail, 0, all, head.size(), tail.length);
    return all;
  }
}
