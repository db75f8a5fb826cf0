package dev.airlock.daemon.reapi;

import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.ExecuteResponse;
import build.bazel.remote.execution.v2.ExecutedActionMetadata;
import build.bazel.remote.execution.v2.ExecutionStage;
import build.bazel.remote.execution.v2.LogFile;
import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import com.google.rpc.Code;
import com.google.rpc.Status;
import dev.airlock.daemon.action.Action;
import dev.airlock.daemon.action.Cacheability;
import dev.airlock.daemon.action.Finishing;
import dev.airlock.daemon.action.FinishingStep;
import dev.airlock.daemon.action.FrontEnd;
import dev.airlock.daemon.action.RunRecord;
import dev.airlock.daemon.action.SharedState;
import dev.airlock.protocol.Outcome;
import dev.airlock.sandbox.linux.Confinement;
import dev.airlock.sandbox.linux.ExitStatus;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The front end of one REAPI Execute: the input root is laid out from the CAS into a private exec
 * root (no copy-on-write layer: the exec root is scratch), and after the traced run its outputs go
 * to the CAS, its ActionResult to the action cache (when the trace allows it and the client did not
 * forbid it), and its access record to a server log.
 */
final class RemoteFrontEnd implements FrontEnd {
  private static final Logger log = Logger.getLogger(RemoteFrontEnd.class.getName());

  /** The server log that holds the access record. */
  static final String ACCESS_LOG = "airlock-access-record";

  private final RemoteAction remote;
  private final ExecuteOperation operation;
  private final SharedState shared;
  private final BlobStore blobs;
  private final RemoteActionCache cache;
  private final String worker;
  private final ExecutedActionMetadata.Builder metadata = ExecutedActionMetadata.newBuilder();

  /** Built by the finishing steps; empty when the action never ran. */
  private volatile ExecuteResponse.Builder response;

  RemoteFrontEnd(
      RemoteAction remote,
      ExecuteOperation operation,
      SharedState shared,
      BlobStore blobs,
      RemoteActionCache cache,
      String worker) {
    this.remote = remote;
    this.operation = operation;
    this.shared = shared;
    this.blobs = blobs;
    this.cache = cache;
    this.worker = worker;
    metadata.setWorker(worker).setQueuedTimestamp(now());
  }

  @Override
  public Attempt begin(Action action) {
    operation.advance(ExecutionStage.Value.EXECUTING);
    metadata.setWorkerStartTimestamp(now()).setInputFetchStartTimestamp(now());
    ExecRoot root;
    try {
      root =
          ExecRoot.create(
              remote.execRoot(),
              remote.inputs(),
              blobs,
              remote.outputs(),
              remote.writableDirectories());
    } catch (IOException | ReapiException e) {
      String why = "cannot lay out the input root: " + e.getMessage();
      log.warning("reapi action " + remote.digest() + ": " + why);
      return new RemoteAttempt(
          action,
          null,
          Optional.of(
              dev.airlock.protocol.ActionResult.newBuilder()
                  .setOutcome(Outcome.SANDBOX_ERROR)
                  .setMessage(why)));
    }
    metadata.setInputFetchCompletedTimestamp(now()).setExecutionStartTimestamp(now());
    return new RemoteAttempt(action, root, Optional.empty());
  }

  /** The response the finishing steps built, if the action ran. */
  Optional<ExecuteResponse.Builder> response() {
    return Optional.ofNullable(response);
  }

  private final class RemoteAttempt implements Attempt {
    private final Action action;
    private final ExecRoot root;
    private final Optional<dev.airlock.protocol.ActionResult.Builder> answered;

    RemoteAttempt(
        Action action,
        ExecRoot root,
        Optional<dev.airlock.protocol.ActionResult.Builder> answered) {
      this.action = action;
      this.root = root;
      this.answered = answered;
    }

    @Override
    public Optional<dev.airlock.protocol.ActionResult.Builder> result() {
      return answered;
    }

    @Override
    public List<Confinement.Overlay> overlays() {
      return List.of();
    }

    @Override
    public Finishing finishing(RunRecord run) {
      metadata.setExecutionCompletedTimestamp(now());
      return Finishing.of(action, run, shared);
    }

    @Override
    public List<FinishingStep> steps() {
      return List.of(this::collect, this::record, this::attachAccessRecord);
    }

    /** Outputs, exit code, stdout and stderr into a REAPI ActionResult. */
    private void collect(Finishing run) {
      ExecuteResponse.Builder r = ExecuteResponse.newBuilder();
      response = r;
      if (run.outcome() != Outcome.COMPLETED && run.outcome() != Outcome.POLICY_VIOLATION) {
        return;
      }
      metadata.setOutputUploadStartTimestamp(now());
      ActionResult.Builder result = ActionResult.newBuilder().setExitCode(exitCode(run));
      try {
        if (run.outcome() == Outcome.COMPLETED) {
          new OutputCollector(blobs, remote.execRoot())
              .collect(remote.command(), remote.workingDir(), result);
        }
        byte[] out = run.run().output().stdout();
        byte[] err = run.run().output().stderr();
        result.setStdoutDigest(blobs.store(out).toWire());
        result.setStderrDigest(blobs.store(err).toWire());
        if (remote.inlineStdout()) {
          result.setStdoutRaw(ByteString.copyFrom(out));
        }
        if (remote.inlineStderr()) {
          result.setStderrRaw(ByteString.copyFrom(err));
        }
      } catch (ReapiException e) {
        run.fail(Outcome.SANDBOX_ERROR, e.getMessage());
        r.setStatus(status(Code.INVALID_ARGUMENT, e.getMessage()));
        return;
      } catch (IOException e) {
        run.fail(Outcome.SANDBOX_ERROR, "cannot store the outputs: " + e.getMessage());
        r.setStatus(status(Code.INTERNAL, "cannot store the outputs: " + e.getMessage()));
        return;
      }
      metadata.setOutputUploadCompletedTimestamp(now()).setWorkerCompletedTimestamp(now());
      r.setResult(result.setExecutionMetadata(metadata));
      if (run.outcome() == Outcome.POLICY_VIOLATION) {
        r.setStatus(status(Code.PERMISSION_DENIED, policyMessage(run.message())));
      }
      if (run.run().output().overflowed()) {
        r.setMessage("stdout and stderr exceeded 16 MiB together and are not kept; ");
      }
    }

    /** The result into the action cache, when nothing forbids it. */
    private void record(Finishing run) {
      ExecuteResponse.Builder r = response;
      if (!r.hasResult() || r.hasStatus()) {
        return;
      }
      Optional<String> unsound =
          run.succeeded() ? Cacheability.reason(run) : Optional.of("the command failed");
      String why =
          remote.action().getDoNotCache()
              ? "do_not_cache is set"
              : unsound.map(reason -> "not cached: " + reason).orElse("");
      if (remote.action().getDoNotCache() || unsound.isPresent()) {
        r.setMessage(r.getMessage() + why + "; ");
        return;
      }
      try {
        cache.put(remote.digest(), r.getResult());
      } catch (IOException | ReapiException e) {
        log.warning("reapi action " + remote.digest() + ": cannot record it: " + e.getMessage());
        r.setMessage(r.getMessage() + "not cached: " + e.getMessage() + "; ");
      }
    }

    /** The access record as a server log, and its summary in the message. */
    private void attachAccessRecord(Finishing run) {
      ExecuteResponse.Builder r = response;
      if (run.trace().isEmpty()) {
        return;
      }
      AccessRecord record =
          new AccessRecord(run.trace().get(), remote.execRoot(), action.policy().privateTmp());
      try {
        BlobId text = blobs.store(record.text(action.id(), remote.command().policy().name()));
        r.putServerLogs(
            ACCESS_LOG,
            LogFile.newBuilder().setDigest(text.toWire()).setHumanReadable(true).build());
      } catch (IOException e) {
        log.warning("reapi action " + remote.digest() + ": cannot store its access record");
      }
      String summary =
          "airlock: policy " + remote.command().policy().name() + "; " + record.summary();
      r.setMessage(r.getMessage() + summary);
      log.info(
          "reapi action "
              + remote.digest()
              + " (airlock action "
              + action.id()
              + ", exit "
              + (r.hasResult() ? r.getResult().getExitCode() : -1)
              + "): "
              + r.getMessage());
    }

    @Override
    public void close() {
      if (root != null) {
        root.close();
      }
    }
  }

  /** The exit code REAPI reports: the command's, or 128 + the signal that killed it. */
  private static int exitCode(Finishing run) {
    ExitStatus status = run.run().status();
    return status.exited() ? status.exitCode() : 128 + status.signal();
  }

  /** The shipped name in place of "inline" (the REAPI policy is hermetic etc. plus the env). */
  private String policyMessage(String message) {
    return message.replace("policy 'inline'", "policy '" + remote.command().policy().name() + "'");
  }

  /** The response of an action that ended without the finishing steps building one. */
  ExecuteResponse.Builder fallback(dev.airlock.protocol.ActionResult airlock) {
    ExecuteResponse.Builder r = response().orElseGet(ExecuteResponse::newBuilder);
    if (r.hasStatus() || (airlock.getOutcome() == Outcome.COMPLETED && r.hasResult())) {
      return r;
    }
    Code code =
        switch (airlock.getOutcome()) {
          case COMPLETED -> Code.OK;
          case POLICY_VIOLATION -> Code.PERMISSION_DENIED;
          case EXEC_FAILED -> Code.INVALID_ARGUMENT;
          case CANCELLED -> Code.CANCELLED;
          case TIMED_OUT -> Code.DEADLINE_EXCEEDED;
          case LIMIT_EXCEEDED -> Code.RESOURCE_EXHAUSTED;
          default -> Code.INTERNAL;
        };
    String message = policyMessage(airlock.getMessage());
    if (code != Code.OK) {
      r.setStatus(status(code, message.isEmpty() ? "the action did not complete" : message));
    }
    return r;
  }

  static Status status(Code code, String message) {
    return Status.newBuilder().setCode(code.getNumber()).setMessage(message).build();
  }

  private static Timestamp now() {
    Instant t = Instant.now();
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }
}
