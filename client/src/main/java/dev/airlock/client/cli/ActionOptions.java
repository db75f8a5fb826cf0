package dev.airlock.client.cli;

import dev.airlock.client.ActionCall;
import dev.airlock.client.DeclaredPaths;
import dev.airlock.client.OutputHashes;
import dev.airlock.protocol.AirlockPaths;
import dev.airlock.protocol.CacheMode;
import dev.airlock.protocol.CommitMode;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.StdinMode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/** Options of every command that runs an action (run, audit): how to build its request. */
final class ActionOptions {
  /** Variables passed by default: what tools need to behave, nothing that varies by session. */
  static final Set<String> DEFAULT_ENV =
      Set.of(
          "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ", "TMPDIR");

  @Option(names = "--env", paramLabel = "NAME=VALUE", description = "Set a variable (repeatable).")
  List<String> env = List.of();

  @Option(names = "--env-inherit", description = "Pass this shell's whole environment.")
  boolean envInherit;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      description = "Wall-clock limit: 30s, 500ms, 5m, 1h or plain seconds.")
  String timeout;

  @Option(
      names = "--stdin",
      description = "Forward standard input (default: the command reads /dev/null).")
  boolean stdin;

  @Option(
      names = "--cwd",
      paramLabel = "DIR",
      description = "Working directory (default: the current one).")
  Path cwd;

  // $$ keeps picocli from interpolating the policy variable's name (it printed "null").
  @Option(
      names = "--workspace",
      paramLabel = "DIR",
      description = "Workspace root, $${workspace} in policies (default: the working directory).")
  Path workspace;

  @Option(
      names = "--inputs",
      paramLabel = "PATHS",
      description = "Declared inputs: paths or globs, comma-separated or repeated.")
  List<String> inputs = new ArrayList<>();

  @Option(
      names = "--outputs",
      paramLabel = "PATHS",
      description = "Declared outputs: paths or globs, comma-separated or repeated.")
  List<String> outputs = new ArrayList<>();

  @Option(
      names = "--manifest",
      paramLabel = "FILE",
      description = "Declared inputs and outputs, one 'input PATH' or 'output PATH' per line.")
  Path manifest;

  @Option(
      names = "--output-hash",
      paramLabel = "PATH=sha256:HEX",
      description =
          "Pin an output by its content (repeatable): the action may then use the network, must"
              + " leave exactly this content there, and is served from the content store whenever"
              + " every pinned content is in it.")
  List<String> outputHashes = new ArrayList<>();

  @Option(names = "--no-start", description = "Fail instead of starting airlockd when none runs.")
  boolean noStart;

  @Option(
      names = "--commit",
      description = "Commit the action's changes to the workspace when it succeeds (the default).")
  boolean commit;

  @Option(
      names = "--discard",
      description = "A dry run: report the action's changes and keep none of them.")
  boolean discard;

  @Option(
      names = "--keep-failed",
      paramLabel = "DIR",
      description =
          "When the action fails, put its changes in DIR for inspection (a new or empty"
              + " directory; deletions are listed in DIR/DELETED).")
  Path keepFailed;

  @Option(
      names = "--cache",
      paramLabel = "MODE",
      description =
          "readwrite (default), read, write or off: may the result come from / go to the cache.")
  String cache;

  @Option(
      names = "--cache-failures",
      description = "Record a failing action in the cache too (replayed with its exit status).")
  boolean cacheFailures;

  @Option(
      names = "--network-cacheable",
      description = "Cache the action even though it used the network (you vouch it is pure).")
  boolean networkCacheable;

  @Option(
      names = "--retry-on-conflict",
      paramLabel = "N",
      description =
          "Run the action again, up to N times, when its commit conflicts with another commit.")
  int retryOnConflict;

  @Option(
      names = "--unsafe-direct-writes",
      description =
          "Let the action write in place when this machine has no copy-on-write layer"
              + " (a failed action's writes then stay).")
  boolean unsafeDirectWrites;

  /** The working directory of the action, absolute: --cwd, or the client's. */
  Path workingDirectory(CliContext context) {
    return cwd == null ? context.workingDirectory() : context.resolve(cwd);
  }

  /** A request for {@code command} with these options (the policy is the caller's to set). */
  ExecuteRequest.Builder request(List<String> command, CliContext context) throws IOException {
    Path dir = workingDirectory(context);
    List<String> declaredInputs = new ArrayList<>(inputs);
    List<String> declaredOutputs = new ArrayList<>(outputs);
    List<String> pinned = new ArrayList<>(outputHashes);
    if (manifest != null) {
      DeclaredPaths.Manifest m = DeclaredPaths.readManifest(dir.resolve(manifest));
      declaredInputs.addAll(m.inputs());
      declaredOutputs.addAll(m.outputs());
      pinned.addAll(m.outputHashes());
    }
    ExecuteRequest.Builder request =
        ExecuteRequest.newBuilder()
            .addAllArgv(PathBytes.toWire(command))
            .putAllEnv(PathBytes.toWire(environment(context)))
            .setCwd(PathBytes.toWire(dir.toString()))
            .setTimeoutMs(timeout == null ? 0 : Durations.parseMillis(timeout))
            .setStdinMode(stdin ? StdinMode.STDIN_STREAM : StdinMode.STDIN_NULL)
            .addAllDeclaredInputs(PathBytes.toWire(DeclaredPaths.expand(dir, declaredInputs)))
            .addAllDeclaredOutputs(PathBytes.toWire(DeclaredPaths.expand(dir, declaredOutputs)))
            .addAllPinnedOutputs(OutputHashes.parse(dir, pinned));
    if (workspace != null) {
      Path root = dir.resolve(workspace).normalize();
      // ${workspace} grants and copy-on-write hang on it: a typo must not silently widen or
      // empty a policy.
      if (!Files.isDirectory(root)) {
        throw new IllegalArgumentException(
            "--workspace "
                + workspace
                + ": "
                + (Files.exists(root) ? "not a directory" : "no such directory"));
      }
      request.setWorkspace(PathBytes.toWire(PathBytes.of(root)));
    }
    if (discard && (commit || keepFailed != null)) {
      throw new IllegalArgumentException("--discard goes with neither --commit nor --keep-failed");
    }
    if (discard) {
      request.setCommitMode(CommitMode.DISCARD);
    } else if (keepFailed != null) {
      Path keep = dir.resolve(keepFailed).normalize();
      if (Files.exists(keep, LinkOption.NOFOLLOW_LINKS) && !isEmptyDirectory(keep)) {
        throw new IllegalArgumentException(
            "--keep-failed "
                + keepFailed
                + ": "
                + (Files.isDirectory(keep, LinkOption.NOFOLLOW_LINKS)
                    ? "not empty"
                    : "not a directory")
                + "; name a new or empty directory (each failed run keeps its changes apart)");
      }
      request
          .setCommitMode(CommitMode.KEEP_FAILED)
          .setKeepFailedDir(PathBytes.toWire(PathBytes.of(keep)));
    }
    if (retryOnConflict < 0) {
      throw new IllegalArgumentException("--retry-on-conflict wants 0 or more");
    }
    request.setUnsafeDirectWrites(unsafeDirectWrites).setRetryOnConflict(retryOnConflict);
    request.setCacheFailures(cacheFailures).setNetworkCacheable(networkCacheable);
    if (cache != null) {
      request.setCacheMode(
          switch (cache) {
            case "readwrite" -> CacheMode.CACHE_READ_WRITE;
            case "read" -> CacheMode.CACHE_READ;
            case "write" -> CacheMode.CACHE_WRITE;
            case "off" -> CacheMode.CACHE_OFF;
            default ->
                throw new IllegalArgumentException(
                    "--cache takes readwrite, read, write or off, not '" + cache + "'");
          });
    }
    return request;
  }

  /** Submits the request, starting the daemon first when none answers (unless --no-start). */
  ActionCall submit(AirlockPaths paths, ExecuteRequest request, CliContext context)
      throws IOException {
    ActionCall call = AirlockCli.connect(paths, !noStart, context).execute(request);
    context.onSignal(call::cancel);
    if (stdin) {
      startStdinForwarder(call, context.stdin());
    }
    return call;
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }

  private Map<String, String> environment(CliContext context) {
    Map<String, String> result = new LinkedHashMap<>();
    context
        .environment()
        .forEach(
            (name, value) -> {
              if (envInherit || DEFAULT_ENV.contains(name) || name.startsWith("LC_")) {
                result.put(name, value);
              }
            });
    for (String assignment : env) {
      int eq = assignment.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--env wants NAME=VALUE, got '" + assignment + "'");
      }
      result.put(assignment.substring(0, eq), assignment.substring(eq + 1));
    }
    return result;
  }

  private static void startStdinForwarder(ActionCall call, InputStream in) {
    Thread forwarder =
        new Thread(
            () -> {
              byte[] buffer = new byte[64 * 1024];
              try {
                int n;
                while ((n = in.read(buffer)) > 0) {
                  call.writeStdin(buffer, 0, n);
                }
                call.closeStdin();
              } catch (IOException e) {
                // The action ended or the daemon went away; the result says which.
              }
            },
            "airlock-stdin");
    forwarder.setDaemon(true);
    forwarder.start();
  }
}
