package dev.airlock.tests.reapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import dev.airlock.protocol.buildbarn.runner.CheckReadinessRequest;
import dev.airlock.protocol.buildbarn.runner.RunRequest;
import dev.airlock.protocol.buildbarn.runner.RunResponse;
import dev.airlock.protocol.buildbarn.runner.RunnerGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * airlockd as a Buildbarn runner ({@code --runner unix:PATH}), driven the way bb_worker drives its
 * runner: the test lays out a build directory per action (an input root whose files are hard links
 * into a file cache, output directories made beforehand, a temporary directory and a server-logs
 * directory), calls CheckReadiness, then Run, then collects what the contract promises.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BuildbarnRunnerTest {
  @TempDir static Path dir;
  static ReapiDaemon daemon;
  static RunnerGrpc.RunnerBlockingStub runner;
  static Path build;
  static Path cache;

  @BeforeAll
  static void start() throws Exception {
    build = Files.createDirectories(dir.resolve("build"));
    cache = Files.createDirectories(dir.resolve("cache"));
    Path socket = dir.resolve("runner.sock");
    daemon =
        ReapiDaemon.start(
            Files.createDirectories(dir.resolve("daemon")),
            "--runner",
            "unix:" + socket,
            "--runner-build-dir",
            build.toString());
    runner = RunnerGrpc.newBlockingStub(daemon.unixChannel(socket));
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  /** bb_worker's layout for one action: root/ (inputs hard-linked from the cache), tmp/, logs. */
  private static Path layOut(String action) throws Exception {
    Path cached = cache.resolve(action + "-in.txt");
    Files.writeString(cached, "input of the action\n");
    Path a = Files.createDirectories(build.resolve(action));
    Path root = Files.createDirectories(a.resolve("root"));
    Files.createLink(root.resolve("in.txt"), cached);
    Files.createDirectories(root.resolve("pkg/out"));
    Files.createDirectories(a.resolve("tmp"));
    Files.createDirectories(a.resolve("server_logs"));
    return a;
  }

  private static RunRequest.Builder request(String action, String script) {
    return RunRequest.newBuilder()
        .addAllArguments(List.of("/bin/sh", "-c", script))
        .putEnvironmentVariables("PATH", "/usr/bin:/bin")
        .putEnvironmentVariables("FROM_WORKER", "yes")
        .setInputRootDirectory(action + "/root")
        .setWorkingDirectory("pkg")
        .setStdoutPath(action + "/stdout")
        .setStderrPath(action + "/stderr")
        .setTemporaryDirectory(action + "/tmp")
        .setServerLogsDirectory(action + "/server_logs");
  }

  @Test
  void checkReadinessAnswersForTheBuildDirectory() {
    runner.checkReadiness(CheckReadinessRequest.getDefaultInstance());
    StatusRuntimeException out =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                runner.checkReadiness(CheckReadinessRequest.newBuilder().setPath("../x").build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, out.getStatus().getCode());
  }

  @Test
  void runPutsOutputsInPlaceAndLeavesTheInputRootUntouched() throws Exception {
    Path a = layOut("a1");
    Object inode = Files.getAttribute(a.resolve("root/in.txt"), "unix:ino");
    RunResponse r =
        runner.run(
            request(
                    "a1",
                    "tr a-z A-Z < ../in.txt > out/upper.txt; echo \"$FROM_WORKER\";"
                        + " echo to stderr >&2; echo scratch > \"$TMPDIR/x\"")
                .putEnvironmentVariables("TMPDIR", a.resolve("tmp").toString())
                .build());
    assertEquals(0, r.getExitCode());
    assertEquals("INPUT OF THE ACTION\n", Files.readString(a.resolve("root/pkg/out/upper.txt")));
    assertEquals("yes\n", Files.readString(a.resolve("stdout")));
    assertEquals("to stderr\n", Files.readString(a.resolve("stderr")));
    assertEquals("scratch\n", Files.readString(a.resolve("tmp/x")));
    // The input is still the cache's file, with the cache's contents.
    assertEquals(inode, Files.getAttribute(a.resolve("root/in.txt"), "unix:ino"));
    assertEquals("input of the action\n", Files.readString(cache.resolve("a1-in.txt")));
    assertTrue(r.getResourceUsageCount() > 0, r.toString());
    for (Any usage : r.getResourceUsageList()) {
      assertFalse(usage.getTypeUrl().isEmpty());
    }
    String record = Files.readString(a.resolve("server_logs/airlock-access-record"));
    assertTrue(record.contains("in.txt"), record);
  }

  @Test
  void anActionWritingItsInputNeverWritesThroughTheHardLink() throws Exception {
    Path a = layOut("a2");
    RunResponse r =
        runner.run(
            request("a2", "echo changed > ../in.txt 2>/dev/null; echo done > out/o.txt").build());
    assertEquals(
        "input of the action\n", Files.readString(cache.resolve("a2-in.txt")), r.toString());
    assertEquals("done\n", Files.readString(a.resolve("root/pkg/out/o.txt")), r.toString());
  }

  @Test
  void theExitCodeAndAFailureToStartAreReported() throws Exception {
    layOut("a3");
    assertEquals(7, runner.run(request("a3", "exit 7").build()).getExitCode());
    layOut("a4");
    StatusRuntimeException missing =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                runner.run(
                    request("a4", "").clearArguments().addArguments("/no/such/tool").build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, missing.getStatus().getCode());
    assertTrue(missing.getStatus().getDescription().contains("/no/such/tool"), missing.toString());
    StatusRuntimeException escape =
        assertThrows(
            StatusRuntimeException.class,
            () -> runner.run(request("a4", "true").setStdoutPath("../stolen").build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, escape.getStatus().getCode());
    assertFalse(Files.exists(dir.resolve("stolen")));
  }
}
