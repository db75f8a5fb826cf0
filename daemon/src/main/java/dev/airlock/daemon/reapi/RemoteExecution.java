package dev.airlock.daemon.reapi;

import build.bazel.remote.execution.v2.Action;
import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.Command;
import build.bazel.remote.execution.v2.ExecuteRequest;
import build.bazel.remote.execution.v2.ExecuteResponse;
import build.bazel.remote.execution.v2.ExecutionStage;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.airlock.daemon.action.ActionListener;
import dev.airlock.daemon.action.ActionRejectedException;
import dev.airlock.daemon.action.ActionService;
import dev.airlock.daemon.action.SharedState;
import dev.airlock.daemon.request.ActionRequest;
import dev.airlock.protocol.CacheMode;
import dev.airlock.protocol.CommitMode;
import dev.airlock.protocol.ErrorCode;
import dev.airlock.protocol.Signals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Executes REAPI actions through the daemon's one action pipeline: checks the request against the
 * CAS (every blob it needs must be there), answers from the action cache when it may, and otherwise
 * submits the Command to the action service with a {@link RemoteFrontEnd}; keeps the operations for
 * WaitExecution.
 */
public final class RemoteExecution {
  private static final Logger log = Logger.getLogger(RemoteExecution.class.getName());

  /** How long a completed operation stays available to WaitExecution. */
  private static final long KEEP_DONE_NANOS = TimeUnit.MINUTES.toNanos(10);

  private final ActionService actions;
  private final SharedState shared;
  private final BlobStore blobs;
  private final RemoteActionCache cache;
  private final Path execDir;
  private final String worker;
  private final Map<String, ExecuteOperation> operations = new ConcurrentHashMap<>();

  /**
   * @param execDir where exec roots are made; never below the state directory, which every action
   *     has hidden
   */
  public RemoteExecution(
      ActionService actions,
      SharedState shared,
      BlobStore blobs,
      RemoteActionCache cache,
      Path execDir,
      String worker)
      throws IOException {
    this.actions = actions;
    this.shared = shared;
    this.blobs = blobs;
    this.cache = cache;
    this.execDir = execDir;
    this.worker = worker;
    Files.createDirectories(execDir);
    // Exec roots of actions a killed daemon was running.
    try (var stale = Files.newDirectoryStream(execDir)) {
      for (Path p : stale) {
        ExecRoot.deleteTree(p);
      }
    }
  }

  /**
   * Starts executing the request's action, or answers it from the action cache.
   *
   * @throws ReapiException FAILED_PRECONDITION with the missing blobs, INVALID_ARGUMENT for a
   *     malformed Action or Command, UNAVAILABLE when the daemon cannot take it
   */
  public ExecuteOperation execute(ExecuteRequest request) throws ReapiException, IOException {
    expireDone();
    RemoteAction remote = check(request);
    String name = operationName(request.getInstanceName());
    boolean lookup = !request.getSkipCacheLookup() && !remote.action().getDoNotCache();
    if (lookup) {
      Optional<ActionResult> hit = cache.get(remote.digest());
      if (hit.isPresent()) {
        ExecuteOperation op =
            ExecuteOperation.completed(
                name,
                remote.digest(),
                ExecuteResponse.newBuilder()
                    .setResult(hit.get())
                    .setCachedResult(true)
                    .setMessage("airlock: served from the action cache")
                    .build());
        operations.put(name, op);
        return op;
      }
    }
    ExecuteOperation op = new ExecuteOperation(name, remote.digest());
    operations.put(name, op);
    RemoteFrontEnd frontEnd = new RemoteFrontEnd(remote, op, shared, blobs, cache, worker);
    ActionListener listener =
        event -> {
          if (event.hasAccepted()) {
            op.advance(ExecutionStage.Value.QUEUED);
          } else if (event.hasStarted()) {
            op.advance(ExecutionStage.Value.EXECUTING);
          } else if (event.hasFinished()) {
            op.complete(frontEnd.fallback(event.getFinished().getResult()).build());
          }
        };
    try {
      dev.airlock.daemon.action.Action action = actions.submit(request(remote), frontEnd, listener);
      op.onCancel(
          () -> actions.cancel(action, "the REAPI client stopped waiting", Signals.SIGTERM));
    } catch (ActionRejectedException e) {
      operations.remove(name);
      throw new ReapiException(
          e.code() == ErrorCode.INVALID_REQUEST
              ? ReapiException.Kind.INVALID_ARGUMENT
              : ReapiException.Kind.UNAVAILABLE,
          e.getMessage(),
          List.of());
    }
    return op;
  }

  /** The operation of that name, while it runs and for a while after. */
  public Optional<ExecuteOperation> find(String name) {
    return Optional.ofNullable(operations.get(name));
  }

  /** Reads and checks everything the request names; reports every missing blob at once. */
  private RemoteAction check(ExecuteRequest request) throws ReapiException, IOException {
    if (!request.hasActionDigest()) {
      throw ReapiException.invalid("the ExecuteRequest names no action");
    }
    BlobId actionId = BlobId.of(request.getActionDigest());
    if (!blobs.contains(actionId)) {
      throw ReapiException.missing("the Action", List.of(actionId));
    }
    Action action;
    try {
      action = Action.parseFrom(blobs.read(actionId));
    } catch (InvalidProtocolBufferException e) {
      throw ReapiException.invalid("blob " + actionId + " is not an Action");
    }
    if (!action.hasCommandDigest() || !action.hasInputRootDigest()) {
      throw ReapiException.invalid("the Action lacks its command or input root digest");
    }
    BlobId commandId = BlobId.of(action.getCommandDigest());
    InputTree inputs = InputTree.load(blobs, BlobId.of(action.getInputRootDigest()));
    List<BlobId> missing = new ArrayList<>();
    if (!blobs.contains(commandId)) {
      missing.add(commandId);
    }
    missing.addAll(inputs.missing());
    if (!missing.isEmpty()) {
      throw ReapiException.missing("the Action's command or inputs", missing);
    }
    Command command;
    try {
      command = Command.parseFrom(blobs.read(commandId));
    } catch (InvalidProtocolBufferException e) {
      throw ReapiException.invalid("blob " + commandId + " is not a Command");
    }
    CommandSpec spec = CommandSpec.of(command, action.getPlatform());
    Path execRoot = execDir.resolve(UUID.randomUUID().toString());
    Path workingDir = execRoot.resolve(spec.workingDirectory()).normalize();
    List<Path> outputs = new ArrayList<>();
    for (String out : spec.allOutputs()) {
      outputs.add(workingDir.resolve(out).normalize());
    }
    return new RemoteAction(
        actionId,
        action,
        spec,
        inputs,
        execRoot,
        workingDir,
        outputs,
        request.getInlineStdout(),
        request.getInlineStderr());
  }

  /** The request the action service runs: the Command in its exec root, under its policy. */
  private static ActionRequest request(RemoteAction remote) {
    CommandSpec command = remote.command();
    return new ActionRequest(
        command.arguments(),
        command.environment(),
        remote.workingDir(),
        remote.execRoot(),
        remote.timeoutMillis(),
        false,
        List.of(remote.execRoot()),
        // Tools write temporary files beside their outputs and rename them (ar, ld, javac): the
        // outputs' directories are writable, as in Bazel's own sandboxes; the rest of the input
        // root is not.
        remote.writableDirectories(),
        new ActionRequest.PolicySource(
            ActionRequest.PolicySource.Kind.INLINE, command.policy().inlineText()),
        CacheMode.CACHE_OFF,
        "reapi " + remote.digest(),
        CommitMode.DISCARD,
        Optional.empty(),
        false,
        0,
        false,
        false,
        false,
        List.of());
  }

  private static String operationName(String instance) {
    String id = UUID.randomUUID().toString();
    return instance.isEmpty() ? "operations/" + id : instance + "/operations/" + id;
  }

  private void expireDone() {
    long now = System.nanoTime();
    operations.values().removeIf(op -> op.completedAgoNanos(now) > KEEP_DONE_NANOS);
  }
}
