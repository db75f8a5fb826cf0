package dev.airlock.daemon.cache.remote;

import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.ExecutedActionMetadata;
import build.bazel.remote.execution.v2.OutputFile;
import build.bazel.remote.execution.v2.OutputSymlink;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.airlock.daemon.cache.CacheRecords;
import dev.airlock.daemon.cache.CachedResult;
import dev.airlock.daemon.cache.Digest;
import dev.airlock.daemon.cache.Output;
import dev.airlock.daemon.cache.PathSet;
import dev.airlock.daemon.cache.PortablePaths;
import dev.airlock.daemon.cache.WeakFingerprint;
import dev.airlock.daemon.cache.records.RemoteBlob;
import dev.airlock.daemon.cache.records.RemoteCacheEntry;
import dev.airlock.daemon.cache.records.RemotePathSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Airlock's cache entries as REAPI ActionResults. A result entry fills REAPI's own fields (the
 * outputs in the workspace, stdout, stderr, exit status) for any REAPI tool, and carries the exact
 * entry (outputs outside the workspace, directories, deletions, modes) with the size of every blob
 * it needs as a {@link RemoteCacheEntry} in its auxiliary metadata; the entry, not the fields, is
 * what a lookup replays. An index entry lists the path sets recorded under a weak fingerprint,
 * newest first, as output files in the CAS.
 */
final class RemoteEntries {
  private RemoteEntries() {}

  private static final String WORKSPACE = PortablePaths.TOKEN + "/";
  private static final String PATH_SET_PREFIX = "path-sets/";

  /** A result read back from a remote entry: what to replay, and the blobs to fetch for it. */
  record Fetched(CachedResult result, List<BlobRef> blobs) {}

  static ActionResult resultEntry(
      CachedResult result, WeakFingerprint weak, PathSet set, Map<Digest, Long> sizes) {
    ActionResult.Builder b =
        ActionResult.newBuilder()
            .setExitCode(result.exitCode())
            .setStdoutDigest(ref(result.stdout(), sizes).toProto())
            .setStderrDigest(ref(result.stderr(), sizes).toProto());
    result
        .outputs()
        .forEach(
            (path, output) -> {
              if (!path.startsWith(WORKSPACE)) {
                return; // outside the workspace: in the entry only (REAPI paths are relative)
              }
              String relative = path.substring(WORKSPACE.length());
              if (output instanceof Output.RegularFile f) {
                b.addOutputFiles(
                    OutputFile.newBuilder()
                        .setPath(relative)
                        .setDigest(ref(f.digest(), sizes).toProto())
                        .setIsExecutable((f.mode() & 0111) != 0));
              } else if (output instanceof Output.Symlink s && !s.target().contains("${")) {
                b.addOutputSymlinks(
                    OutputSymlink.newBuilder().setPath(relative).setTarget(s.target()));
              }
            });
    RemoteCacheEntry.Builder entry =
        RemoteCacheEntry.newBuilder()
            // The request stays local: it holds the environment in clear.
            .setResult(CacheRecords.resultRecord(result, weak, set).toBuilder().clearRequest());
    for (Digest blob : result.blobs().stream().sorted().toList()) {
      entry.addBlobs(
          RemoteBlob.newBuilder()
              .setDigest(ByteString.copyFrom(blob.bytes()))
              .setSize(ref(blob, sizes).size()));
    }
    return b.setExecutionMetadata(
            ExecutedActionMetadata.newBuilder()
                .setWorker("airlock")
                .addAuxiliaryMetadata(Any.pack(entry.build())))
        .build();
  }

  /**
   * The result a remote entry holds for {@code weak} and {@code set}, with the blobs it needs.
   *
   * @throws InvalidProtocolBufferException when it is no Airlock entry, belongs to another key, or
   *     needs a blob whose size it does not give
   */
  static Fetched resultOf(ActionResult entry, WeakFingerprint weak, PathSet set)
      throws InvalidProtocolBufferException {
    RemoteCacheEntry found = null;
    for (Any any : entry.getExecutionMetadata().getAuxiliaryMetadataList()) {
      if (any.is(RemoteCacheEntry.class)) {
        found = any.unpack(RemoteCacheEntry.class);
      }
    }
    if (found == null) {
      throw new InvalidProtocolBufferException("the entry carries no Airlock record");
    }
    CachedResult result = CacheRecords.resultOf(found.getResult(), weak, set);
    Map<Digest, Long> sizes = new HashMap<>();
    for (RemoteBlob b : found.getBlobsList()) {
      if (b.getDigest().size() != Digest.LENGTH || b.getSize() < 0) {
        throw new InvalidProtocolBufferException("a blob of the entry is malformed");
      }
      sizes.put(Digest.of(b.getDigest().toByteArray()), b.getSize());
    }
    List<BlobRef> blobs = new ArrayList<>();
    for (Digest d : result.blobs().stream().sorted().toList()) {
      Long size = sizes.get(d);
      if (size == null) {
        throw new InvalidProtocolBufferException("the entry does not list blob " + d.hex());
      }
      blobs.add(new BlobRef(d, size));
    }
    return new Fetched(result, blobs);
  }

  /** The index entry listing {@code pathSets}, newest first. */
  static ActionResult indexEntry(List<BlobRef> pathSets) {
    ActionResult.Builder b = ActionResult.newBuilder();
    for (int i = 0; i < pathSets.size(); i++) {
      b.addOutputFiles(
          OutputFile.newBuilder()
              .setPath(PATH_SET_PREFIX + String.format("%02d", i))
              .setDigest(pathSets.get(i).toProto()));
    }
    return b.setExecutionMetadata(ExecutedActionMetadata.newBuilder().setWorker("airlock")).build();
  }

  /** The path-set blobs an index entry lists, newest first; entries it cannot read are left out. */
  static List<BlobRef> pathSetsOf(ActionResult index) {
    List<BlobRef> sets = new ArrayList<>();
    for (OutputFile f : index.getOutputFilesList()) {
      if (!f.getPath().startsWith(PATH_SET_PREFIX)) {
        continue;
      }
      try {
        sets.add(BlobRef.of(f.getDigest()));
      } catch (IllegalArgumentException e) {
        // Not written by an Airlock: skipped, as an unreadable local record is.
      }
    }
    return sets;
  }

  static byte[] pathSetBlob(PathSet set) {
    return CacheRecords.pathSetRecord(set).toByteArray();
  }

  /**
   * The path set a blob holds.
   *
   * @throws InvalidProtocolBufferException when it is not one
   */
  static PathSet pathSetOf(byte[] blob) throws InvalidProtocolBufferException {
    return CacheRecords.pathSetOf(RemotePathSet.parseFrom(blob));
  }

  private static BlobRef ref(Digest digest, Map<Digest, Long> sizes) {
    Long size = sizes.get(digest);
    if (size == null) {
      throw new IllegalArgumentException("no size known for blob " + digest.hex());
    }
    return new BlobRef(digest, size);
  }
}
