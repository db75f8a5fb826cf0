package dev.airlock.tests.reapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import build.bazel.remote.execution.v2.Action;
import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.Command;
import build.bazel.remote.execution.v2.Digest;
import build.bazel.remote.execution.v2.Directory;
import build.bazel.remote.execution.v2.DirectoryNode;
import build.bazel.remote.execution.v2.ExecuteOperationMetadata;
import build.bazel.remote.execution.v2.ExecuteRequest;
import build.bazel.remote.execution.v2.ExecuteResponse;
import build.bazel.remote.execution.v2.ExecutionStage;
import build.bazel.remote.execution.v2.FileNode;
import build.bazel.remote.execution.v2.GetActionResultRequest;
import build.bazel.remote.execution.v2.OutputFile;
import build.bazel.remote.execution.v2.Platform;
import build.bazel.remote.execution.v2.Tree;
import build.bazel.remote.execution.v2.WaitExecutionRequest;
import com.google.longrunning.Operation;
import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.PreconditionFailure;
import dev.airlock.tests.Outside;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Execute and WaitExecution of a real airlockd through a Java gRPC client: outputs land in the CAS
 * and the result in the action cache, the cache flags are honoured, and bad actions (missing
 * inputs, a command that does not exist, an output escaping the root, an unknown platform property)
 * are refused with a status that says why. The access record travels as a server log.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReapiExecuteTest {
  @TempDir static Path dir;
  static ReapiDaemon daemon;
  static RemoteClient client;

  @BeforeAll
  static void start() throws Exception {
    daemon = ReapiDaemon.start(dir);
    client = new RemoteClient(daemon.channel());
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  /** An input root with in.txt and sub/x.txt, both stored. */
  private static Directory inputRoot() {
    Digest in = client.put("some input text\n");
    Digest x = client.put("in a subdirectory\n");
    Directory sub =
        Directory.newBuilder()
            .addFiles(FileNode.newBuilder().setName("x.txt").setDigest(x))
            .build();
    return Directory.newBuilder()
        .addFiles(FileNode.newBuilder().setName("in.txt").setDigest(in))
        .addDirectories(DirectoryNode.newBuilder().setName("sub").setDigest(client.put(sub)))
        .build();
  }

  private static Digest action(Command.Builder command, Action.Builder action) {
    return client.action(command.build(), inputRoot(), action);
  }

  private static Digest action(Command.Builder command) {
    return action(command, Action.newBuilder());
  }

  private static String text(Digest d) {
    return new String(client.read(d), StandardCharsets.UTF_8);
  }

  @Test
  void outputsGoToTheCasAndTheResultToTheActionCache() {
    Digest digest =
        action(
            RemoteClient.sh(
                    "tr a-z A-Z < in.txt > out/upper.txt; cat sub/x.txt > copy.txt;"
                        + " mkdir -p tree/deep; echo leaf > tree/deep/leaf.txt;"
                        + " echo to stdout; echo to stderr >&2")
                .addOutputFiles("out/upper.txt")
                .addOutputFiles("copy.txt")
                .addOutputDirectories("tree"));
    Operation op = client.execute(digest);
    assertTrue(op.getDone());
    ExecuteResponse r = RemoteClient.response(op);
    assertEquals(Code.OK_VALUE, r.getStatus().getCode(), r.toString());
    assertFalse(r.getCachedResult());
    ActionResult result = r.getResult();
    assertEquals(0, result.getExitCode());
    Map<String, OutputFile> files =
        result.getOutputFilesList().stream()
            .collect(Collectors.toMap(OutputFile::getPath, Function.identity()));
    assertEquals(Set.of("out/upper.txt", "copy.txt"), files.keySet());
    assertEquals("SOME INPUT TEXT\n", text(files.get("out/upper.txt").getDigest()));
    assertEquals("in a subdirectory\n", text(files.get("copy.txt").getDigest()));
    assertEquals("to stdout\n", text(result.getStdoutDigest()));
    assertEquals("to stderr\n", text(result.getStderrDigest()));
    assertEquals(1, result.getOutputDirectoriesCount());
    Tree tree = parse(Tree.parser(), client.read(result.getOutputDirectories(0).getTreeDigest()));
    assertEquals("deep", tree.getRoot().getDirectories(0).getName());
    assertEquals("leaf.txt", tree.getChildren(0).getFiles(0).getName());
    assertEquals("leaf\n", text(tree.getChildren(0).getFiles(0).getDigest()));
    assertTrue(result.getExecutionMetadata().getWorker().length() > 0);

    ActionResult cached =
        client.actionCache.getActionResult(
            GetActionResultRequest.newBuilder().setActionDigest(digest).build());
    assertEquals(result.getOutputFilesList(), cached.getOutputFilesList());
    ExecuteResponse again = RemoteClient.response(client.execute(digest));
    assertTrue(again.getCachedResult(), again.toString());
    assertEquals(result.getOutputFilesList(), again.getResult().getOutputFilesList());
  }

  @Test
  void waitExecutionFollowsARunningOperationAndAFinishedOne() {
    Digest digest = action(RemoteClient.sh("sleep 1; echo waited").addOutputFiles("none"));
    Iterator<Operation> stream =
        client.execution.execute(ExecuteRequest.newBuilder().setActionDigest(digest).build());
    Operation first = stream.next();
    assertFalse(first.getDone(), first.toString());
    String name = first.getName();
    Set<ExecutionStage.Value> stages = new HashSet<>();
    Operation last = null;
    Iterator<Operation> waited =
        client.execution.waitExecution(WaitExecutionRequest.newBuilder().setName(name).build());
    while (waited.hasNext()) {
      last = waited.next();
      stages.add(metadata(last).getStage());
      assertEquals(name, last.getName());
    }
    assertTrue(last.getDone());
    assertTrue(stages.contains(ExecutionStage.Value.COMPLETED), stages.toString());
    assertEquals("waited\n", text(RemoteClient.response(last).getResult().getStdoutDigest()));
    assertEquals(digest, metadata(last).getActionDigest());

    // The operation stays available once done; the original stream ends the same way.
    Operation again =
        client
            .execution
            .waitExecution(WaitExecutionRequest.newBuilder().setName(name).build())
            .next();
    assertTrue(again.getDone());
    while (stream.hasNext()) {
      first = stream.next();
    }
    assertTrue(first.getDone());

    StatusRuntimeException unknown =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                client
                    .execution
                    .waitExecution(
                        WaitExecutionRequest.newBuilder().setName("operations/none").build())
                    .next());
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
  }

  @Test
  void skipCacheLookupRunsAgainAndDoNotCacheLeavesNoEntry() {
    // Random bytes on stdout: a second run is told apart from a replay.
    String random = "od -An -tx1 -N16 /dev/urandom";
    Digest cached = action(RemoteClient.sh(random));
    ActionResult first = RemoteClient.response(client.execute(cached)).getResult();
    ExecuteResponse replay = RemoteClient.response(client.execute(cached));
    assertTrue(replay.getCachedResult());
    assertEquals(first.getStdoutDigest(), replay.getResult().getStdoutDigest());
    ExecuteResponse skipped =
        RemoteClient.response(
            client.execute(
                ExecuteRequest.newBuilder()
                    .setActionDigest(cached)
                    .setSkipCacheLookup(true)
                    .build()));
    assertFalse(skipped.getCachedResult());
    assertNotEquals(first.getStdoutDigest(), skipped.getResult().getStdoutDigest());

    Digest uncached =
        action(RemoteClient.sh(random + "; echo x"), Action.newBuilder().setDoNotCache(true));
    ExecuteResponse once = RemoteClient.response(client.execute(uncached));
    assertEquals(0, once.getResult().getExitCode(), once.toString());
    assertTrue(once.getMessage().contains("do_not_cache"), once.getMessage());
    StatusRuntimeException miss =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                client.actionCache.getActionResult(
                    GetActionResultRequest.newBuilder().setActionDigest(uncached).build()));
    assertEquals(Status.Code.NOT_FOUND, miss.getStatus().getCode());
    ExecuteResponse twice = RemoteClient.response(client.execute(uncached));
    assertFalse(twice.getCachedResult());
    assertNotEquals(once.getResult().getStdoutDigest(), twice.getResult().getStdoutDigest());
  }

  @Test
  void missingInputsAreAFailedPreconditionListingEachBlob() {
    Digest absent = RemoteClient.digest("never uploaded");
    Digest alsoAbsent = RemoteClient.digest("never uploaded either");
    Directory root =
        Directory.newBuilder()
            .addFiles(FileNode.newBuilder().setName("a").setDigest(absent))
            .addFiles(FileNode.newBuilder().setName("b").setDigest(alsoAbsent))
            .build();
    Digest digest = client.action(RemoteClient.sh("cat a b").build(), root, Action.newBuilder());
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> client.execute(digest));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    Set<String> subjects = new HashSet<>();
    for (Any detail : status.getDetailsList()) {
      if (detail.is(PreconditionFailure.class)) {
        for (PreconditionFailure.Violation v :
            parse(PreconditionFailure.parser(), detail.getValue().toByteArray())
                .getViolationsList()) {
          assertEquals("MISSING", v.getType());
          subjects.add(v.getSubject());
        }
      }
    }
    assertEquals(
        Set.of(
            "blobs/" + absent.getHash() + "/" + absent.getSizeBytes(),
            "blobs/" + alsoAbsent.getHash() + "/" + alsoAbsent.getSizeBytes()),
        subjects);

    // An action digest that was never uploaded is missing too.
    Digest noAction = RemoteClient.digest("no such action");
    StatusRuntimeException a =
        assertThrows(StatusRuntimeException.class, () -> client.execute(noAction));
    assertEquals(Status.Code.FAILED_PRECONDITION, a.getStatus().getCode());
  }

  @Test
  void aCommandThatDoesNotExistFailsNamingIt() {
    Digest digest =
        action(Command.newBuilder().addArguments("/no/such/tool").addArguments("--flag"));
    ExecuteResponse r = RemoteClient.response(client.execute(digest));
    // Nothing ran: the request named a tool that cannot be executed (no ActionResult, no cache).
    assertEquals(Code.INVALID_ARGUMENT_VALUE, r.getStatus().getCode(), r.toString());
    assertTrue(r.getStatus().getMessage().contains("/no/such/tool"), r.toString());
    assertFalse(r.hasResult(), r.toString());
    StatusRuntimeException miss =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                client.actionCache.getActionResult(
                    GetActionResultRequest.newBuilder().setActionDigest(digest).build()));
    assertEquals(Status.Code.NOT_FOUND, miss.getStatus().getCode());
  }

  @Test
  void outputsEscapingTheRootAreRejected() {
    for (String out : List.of("../escape.txt", "sub/../../escape.txt", "/etc/escape.txt")) {
      Digest digest = action(RemoteClient.sh("true").addOutputFiles(out));
      StatusRuntimeException e =
          assertThrows(StatusRuntimeException.class, () -> client.execute(digest), out);
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), out);
    }
    Digest up = action(RemoteClient.sh("true").setWorkingDirectory("../up"));
    assertEquals(
        Status.Code.INVALID_ARGUMENT,
        assertThrows(StatusRuntimeException.class, () -> client.execute(up)).getStatus().getCode());
    assertFalse(dir.resolve("escape.txt").toFile().exists());

    // A symlink the command makes to a file outside the root is returned as a symlink (the
    // client decides what to make of it), never followed into the file's contents.
    Digest link = action(RemoteClient.sh("ln -s /etc/passwd out.txt").addOutputFiles("out.txt"));
    ActionResult r = RemoteClient.response(client.execute(link)).getResult();
    assertEquals(0, r.getOutputFilesCount(), r.toString());
    assertEquals("/etc/passwd", r.getOutputFileSymlinks(0).getTarget());
  }

  @Test
  void anUnknownPlatformPropertyIsAnErrorNamingIt() {
    Digest digest =
        action(
            RemoteClient.sh("true"),
            Action.newBuilder()
                .setPlatform(
                    Platform.newBuilder()
                        .addProperties(
                            Platform.Property.newBuilder()
                                .setName("container-image")
                                .setValue("docker://x"))));
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> client.execute(digest));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("container-image"), e.toString());

    Digest badPolicy =
        action(RemoteClient.sh("true"), Action.newBuilder().setPlatform(policy("lenient")));
    StatusRuntimeException p =
        assertThrows(StatusRuntimeException.class, () -> client.execute(badPolicy));
    assertEquals(Status.Code.INVALID_ARGUMENT, p.getStatus().getCode());
    assertTrue(p.getStatus().getDescription().contains("lenient"), p.toString());
  }

  @Test
  void aReadOutsideTheInputRootIsInTheAccessRecord() throws Exception {
    // Outside the daemon's private /tmp, readable under the build policy, not under hermetic.
    Path outside = Outside.file("reapi-execute", "not an input\n");
    Digest digest =
        action(
            RemoteClient.sh("cat in.txt " + outside + " > seen.txt").addOutputFiles("seen.txt"),
            Action.newBuilder().setPlatform(policy("build")));
    ExecuteResponse r = RemoteClient.response(client.execute(digest));
    assertEquals(0, r.getResult().getExitCode(), r.toString());
    assertTrue(r.getMessage().contains("reads outside the input root: " + outside), r.getMessage());
    assertTrue(r.containsServerLogs("airlock-access-record"), r.toString());
    String record = text(r.getServerLogsOrThrow("airlock-access-record").getDigest());
    assertTrue(record.contains("outside-input-root\t" + outside + "\n"), record);
    assertTrue(record.contains("# policy: build"), record);
    assertFalse(record.contains("outside-input-root\t" + dir), record);
    assertTrue(daemon.log().contains("reads outside the input root: " + outside), daemon.log());

    // Under the default (hermetic) policy the same read is refused and the response says so.
    Digest hermetic =
        action(RemoteClient.sh("cat " + outside + " > seen.txt").addOutputFiles("seen.txt"));
    ExecuteResponse denied = RemoteClient.response(client.execute(hermetic));
    assertTrue(
        denied.getStatus().getCode() != Code.OK_VALUE || denied.getResult().getExitCode() != 0,
        denied.toString());
    assertTrue(
        (denied.getStatus().getMessage() + denied.getMessage()).contains(outside.toString()),
        denied.toString());
  }

  private static Platform policy(String name) {
    return Platform.newBuilder()
        .addProperties(Platform.Property.newBuilder().setName("airlock-policy").setValue(name))
        .build();
  }

  private static ExecuteOperationMetadata metadata(Operation op) {
    return parse(ExecuteOperationMetadata.parser(), op.getMetadata().getValue().toByteArray());
  }

  private static <T> T parse(com.google.protobuf.Parser<T> parser, byte[] bytes) {
    try {
      return parser.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
