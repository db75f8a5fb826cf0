package dev.airlock.daemon.cache.remote;

import build.bazel.remote.execution.v2.Action;
import build.bazel.remote.execution.v2.Command;
import build.bazel.remote.execution.v2.Platform;
import com.google.protobuf.ByteString;
import dev.airlock.daemon.cache.StrongFingerprint;
import dev.airlock.daemon.cache.WeakFingerprint;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The REAPI action digests Airlock's two phases are stored under, so any REAPI cache holds them:
 *
 * <ul>
 *   <li>the <b>index key</b> of a weak fingerprint: an Action whose Command and platform name the
 *       weak fingerprint, salted apart from any real action; its ActionResult lists path-set blobs;
 *   <li>the <b>result key</b> of a strong fingerprint (the weak one, a path set and the states of
 *       its paths): its ActionResult holds the outputs, stdout, stderr and exit status.
 * </ul>
 *
 * The Action and Command are uploaded beside the entries, so a REAPI tool shows what they are.
 */
final class RemoteKeys {
  private RemoteKeys() {}

  /** An action key: the Action's digest, and the Action and Command blobs to upload with it. */
  record Key(BlobRef action, byte[] actionBytes, BlobRef command, byte[] commandBytes) {
    List<BlobRef> blobs() {
      return List.of(action, command);
    }
  }

  /** The empty Directory, as the Action's input root (its digest is that of no bytes). */
  private static final BlobRef EMPTY_ROOT = BlobRef.of(new byte[0]);

  static Key index(WeakFingerprint weak) {
    return key(
        "path-set-index",
        Platform.newBuilder()
            .addProperties(property("airlock-cache-version", WeakFingerprint.CACHE_VERSION))
            .addProperties(property("airlock-weak-fingerprint", weak.digest().hex()))
            .build());
  }

  static Key result(WeakFingerprint weak, StrongFingerprint strong) {
    return key(
        "result",
        Platform.newBuilder()
            .addProperties(property("airlock-cache-version", WeakFingerprint.CACHE_VERSION))
            .addProperties(property("airlock-strong-fingerprint", strong.digest().hex()))
            .addProperties(property("airlock-weak-fingerprint", weak.digest().hex()))
            .build());
  }

  private static Key key(String role, Platform platform) {
    byte[] command =
        Command.newBuilder()
            .addArguments("airlock")
            .addArguments(role)
            .setPlatform(platform)
            .build()
            .toByteArray();
    BlobRef commandRef = BlobRef.of(command);
    byte[] action =
        Action.newBuilder()
            .setCommandDigest(commandRef.toProto())
            .setInputRootDigest(EMPTY_ROOT.toProto())
            .setSalt(ByteString.copyFrom("airlock " + role, StandardCharsets.UTF_8))
            .setPlatform(platform)
            .build()
            .toByteArray();
    return new Key(BlobRef.of(action), action, commandRef, command);
  }

  private static Platform.Property property(String name, Object value) {
    return Platform.Property.newBuilder().setName(name).setValue(String.valueOf(value)).build();
  }
}
