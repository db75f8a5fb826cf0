package dev.airlock.client.cli;

import dev.airlock.client.ActionCall;
import dev.airlock.client.OutputHashes;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CacheStatus;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.PinnedOutput;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code airlock fetch URL... --sha256 HEX -o PATH}: a download as a fixed-output action. curl runs
 * as the action (traced, under the provision policy, its write in a copy-on-write layer) and tries
 * the mirrors in order until one serves the pinned content; the daemon verifies it again, commits
 * it atomically and keeps it in its content store, from which every later fetch of that content is
 * served without running anything.
 */
@Command(
    name = "fetch",
    mixinStandardHelpOptions = true,
    description = {
      "Downloads a file pinned by its SHA-256, trying mirrors in order.",
      "",
      "The URLs are mirrors of the same file, tried in order until one serves exactly that"
          + " content.",
      "",
      "It runs curl as a fixed-output action under the provision policy: the output is verified"
          + " and committed atomically, and kept in the daemon's content store (and its remote"
          + " cache), so a later fetch of the same content is served from there with no network."
          + " Progress goes to stderr.",
      "",
      "Exit status: 0 fetched or served; 1 no mirror served the content (each one's failure is"
          + " on stderr); 65 the output did not have its pinned content; 125 Airlock failed."
    })
final class FetchCommand implements Callable<Integer> {
  /** The schemes curl is asked to fetch; anything else is refused before it runs. */
  private static final Set<String> SCHEMES = Set.of("http", "https", "ftp", "ftps", "file");

  /**
   * Tries each URL in order: download, check the content, stop at the first that matches. curl
   * writes the output in place: a failed action's writes are discarded anyway.
   */
  static final String SCRIPT =
      String.join(
          "\n",
          "out=$1 want=$2",
          "shift 2",
          "if ! command -v curl >/dev/null 2>&1; then",
          "  echo 'airlock fetch: curl is needed (Debian: apt-get install curl)' >&2",
          "  exit 127",
          "fi",
          "total=$# n=0",
          "for url do",
          "  n=$((n + 1))",
          "  echo \"airlock fetch: $url ($n of $total)\" >&2",
          "  if curl -fL --progress-bar --create-dirs --connect-timeout 30 -o \"$out\" \"$url\";"
              + " then",
          "    got=$(sha256sum < \"$out\") && got=${got%% *}",
          "    if [ \"$got\" = \"$want\" ]; then",
          "      echo \"airlock fetch: $out: sha256:$want from $url\" >&2",
          "      exit 0",
          "    fi",
          "    echo \"airlock fetch: $url: wrong content: expected sha256:$want, got sha256:$got\""
              + " >&2",
          "  else",
          "    echo \"airlock fetch: $url: download failed (curl exit status $?)\" >&2",
          "  fi",
          "done",
          "echo \"airlock fetch: no mirror served sha256:$want; nothing was committed\" >&2",
          "exit 1");

  @ParentCommand AirlockCli parent;

  @Mixin ActionOptions action;

  @Option(
      names = "--sha256",
      required = true,
      paramLabel = "HEX",
      description = "The SHA-256 the file must have (64 hex digits, or sha256:HEX).")
  String sha256;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "PATH",
      description = "Where the file goes (relative to the working directory).")
  Path output;

  @Option(
      names = "--policy",
      paramLabel = "NAME|FILE",
      description = "The policy curl runs under (default: provision; it must allow the network).")
  String policy = "provision";

  @Parameters(
      arity = "1..*",
      paramLabel = "URL",
      description = "Mirrors of the file, tried in order.")
  List<String> urls;

  @Override
  public Integer call() throws Exception {
    String hex = OutputHashes.sha256(sha256);
    for (String url : urls) {
      checkUrl(url);
    }
    CliContext context = parent.context();
    Path target = action.workingDirectory(context).resolve(output).normalize();
    List<String> argv = new ArrayList<>(List.of("sh", "-c", SCRIPT, "airlock-fetch"));
    argv.add(target.toString());
    argv.add(hex);
    argv.addAll(urls);
    ExecuteRequest.Builder request =
        action
            .request(argv, context)
            .setPolicyName(policy)
            .setLabel("fetch " + target.getFileName())
            .addPinnedOutputs(
                PinnedOutput.newBuilder()
                    .setPath(PathBytes.toWire(target.toString()))
                    .setSha256(hex));
    PrintStream err = context.err();
    try (ActionCall call = action.submit(parent.paths(), request.build(), context)) {
      ActionResult result = call.awaitResult(context.stdout(), context.stderr());
      if (result.getCache().getStatus() == CacheStatus.CACHE_HIT
          && result.getCache().getFixedOutput()) {
        err.println(
            "airlock fetch: "
                + target
                + ": sha256:"
                + hex
                + " served from the content store"
                + (result.getCache().getFromRemote() ? " (fetched from the remote cache)" : "")
                + "; nothing was downloaded");
      }
      int status = ExitStatuses.report(result, "fetch", err);
      err.flush();
      return status;
    }
  }

  /** Only URLs curl fetches as URLs: never an option, never a scheme it would guess. */
  private static void checkUrl(String url) {
    String scheme;
    try {
      scheme = new URI(url).getScheme();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + url + "' is no URL: " + e.getReason());
    }
    if (scheme == null || !SCHEMES.contains(scheme.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException("'" + url + "' is no http, https, ftp, ftps or file URL");
    }
  }
}
