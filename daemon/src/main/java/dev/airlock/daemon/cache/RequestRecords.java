package dev.airlock.daemon.cache;

import com.google.protobuf.ByteString;
import dev.airlock.daemon.cache.records.CachedPolicySource;
import dev.airlock.daemon.cache.records.CachedRequest;
import dev.airlock.daemon.request.ActionRequest;
import dev.airlock.daemon.request.ActionRequest.PolicySource;
import dev.airlock.protocol.CacheMode;
import dev.airlock.protocol.CommitMode;
import dev.airlock.protocol.PathBytes;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The request of a cache entry to and from its storage record: what running the action again needs
 * (command, environment, directories, time limit, declared paths, policy and what it let the cache
 * record), not how that run was driven (stdin, commit mode, retries).
 */
final class RequestRecords {
  private RequestRecords() {}

  static CachedRequest encode(ActionRequest r) {
    return CachedRequest.newBuilder()
        .addAllArgv(PathBytes.toWire(r.argv()))
        .putAllEnv(PathBytes.toWire(r.env()))
        .setCwd(PathBytes.toWire(PathBytes.of(r.cwd())))
        .setWorkspace(PathBytes.toWire(PathBytes.of(r.workspace())))
        .setTimeoutMs(r.timeoutMillis())
        .addAllDeclaredInputs(PathBytes.toWire(names(r.declaredInputs())))
        .addAllDeclaredOutputs(PathBytes.toWire(names(r.declaredOutputs())))
        .setPolicySourceValue(r.policy().kind().ordinal())
        .setPolicyText(r.policy().text())
        .setCacheFailures(r.cacheFailures())
        .setNetworkCacheable(r.networkCacheable())
        .build();
  }

  /**
   * The request {@code record} holds, as it was made (committing, cache on); empty when it is
   * unreadable (an unknown policy source, a relative path), as no Airlock writes it.
   */
  static Optional<ActionRequest> decode(CachedRequest record) {
    if (record.getPolicySource() == CachedPolicySource.UNRECOGNIZED) {
      return Optional.empty();
    }
    Map<String, String> env = new LinkedHashMap<>();
    record.getEnvMap().forEach((name, value) -> env.put(name, PathBytes.fromWire(value)));
    try {
      return Optional.of(
          new ActionRequest(
              PathBytes.fromWire(record.getArgvList()),
              env,
              path(record.getCwd()),
              path(record.getWorkspace()),
              record.getTimeoutMs(),
              false,
              paths(record.getDeclaredInputsList()),
              paths(record.getDeclaredOutputsList()),
              new PolicySource(
                  PolicySource.Kind.values()[record.getPolicySourceValue()],
                  record.getPolicyText()),
              CacheMode.CACHE_DEFAULT,
              "",
              CommitMode.COMMIT,
              Optional.empty(),
              false,
              0,
              record.getCacheFailures(),
              record.getNetworkCacheable(),
              false,
              List.of()));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static List<String> names(List<Path> paths) {
    return paths.stream().map(PathBytes::of).toList();
  }

  private static Path path(ByteString name) {
    String text = PathBytes.fromWire(name);
    if (!text.startsWith("/")) {
      throw new IllegalArgumentException("not absolute: " + PathBytes.display(text));
    }
    return PathBytes.toPath(text);
  }

  private static List<Path> paths(List<ByteString> names) {
    return names.stream().map(RequestRecords::path).toList();
  }
}
