package dev.airlock.daemon.cache;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.airlock.daemon.cache.records.CachedActionResult;
import dev.airlock.daemon.cache.records.CachedFileOutput;
import dev.airlock.daemon.cache.records.CachedFileType;
import dev.airlock.daemon.cache.records.CachedObservation;
import dev.airlock.daemon.cache.records.CachedObservedPath;
import dev.airlock.daemon.cache.records.CachedOutput;
import dev.airlock.daemon.cache.records.CachedPathSet;
import dev.airlock.daemon.cache.records.CachedPathState;
import dev.airlock.daemon.cache.records.RemotePathSet;
import dev.airlock.daemon.request.ActionRequest;
import dev.airlock.protocol.PathBytes;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Converts cache values to and from their protobuf storage records (cache.proto). Enum values are
 * stored as the Java ordinal + 1, since 0 is protobuf's "unspecified".
 */
public final class CacheRecords {
  private CacheRecords() {}

  /** A path set record as stored: when it was last recorded, the set, and the states then. */
  record StoredPathSet(long recordedAtMillis, PathSet pathSet, List<PathState> states) {}

  /** An action result as stored, with the weak fingerprint and path set it hangs from. */
  record StoredResult(CachedResult result, Digest weak, Digest pathSetIdentity) {}

  static byte[] encodePathSet(long recordedAtMillis, PathSet set, List<PathState> states) {
    CachedPathSet.Builder b = CachedPathSet.newBuilder();
    for (ObservedPath p : set.paths()) {
      b.addPaths(
          CachedObservedPath.newBuilder()
              .setPath(PathBytes.toWire(p.path()))
              .setObservationValue(p.kind().ordinal() + 1));
    }
    for (PathState s : states) {
      b.addStates(encodeState(s));
    }
    byte[] body = b.build().toByteArray();
    return ByteBuffer.allocate(Long.BYTES + body.length)
        .putLong(recordedAtMillis)
        .put(body)
        .array();
  }

  /** The recording time alone, without parsing the set. */
  static long recordedAtMillis(byte[] value) {
    return ByteBuffer.wrap(value).getLong();
  }

  static StoredPathSet decodePathSet(byte[] value) throws InvalidProtocolBufferException {
    CachedPathSet p =
        CachedPathSet.parser().parseFrom(value, Long.BYTES, value.length - Long.BYTES);
    List<ObservedPath> paths = decodePaths(p.getPathsList());
    List<PathState> states = new ArrayList<>(p.getStatesCount());
    for (CachedPathState s : p.getStatesList()) {
      states.add(decodeState(s));
    }
    PathSet set = PathSet.of(paths);
    if (set.size() != paths.size() || states.size() != paths.size()) {
      throw new InvalidProtocolBufferException("a stored path set is not in canonical form");
    }
    return new StoredPathSet(recordedAtMillis(value), set, List.copyOf(states));
  }

  /** A path set as the remote tier stores it: its paths alone. */
  public static RemotePathSet pathSetRecord(PathSet set) {
    RemotePathSet.Builder b = RemotePathSet.newBuilder();
    for (ObservedPath p : set.paths()) {
      b.addPaths(
          CachedObservedPath.newBuilder()
              .setPath(PathBytes.toWire(p.path()))
              .setObservationValue(p.kind().ordinal() + 1));
    }
    return b.build();
  }

  /**
   * The path set {@code record} holds.
   *
   * @throws InvalidProtocolBufferException when it names an unknown observation or is not in
   *     canonical form (sorted, each path once), as no Airlock writes it
   */
  public static PathSet pathSetOf(RemotePathSet record) throws InvalidProtocolBufferException {
    List<ObservedPath> paths = decodePaths(record.getPathsList());
    PathSet set = PathSet.of(paths);
    if (!set.paths().equals(paths)) {
      throw new InvalidProtocolBufferException("a remote path set is not in canonical form");
    }
    return set;
  }

  private static List<ObservedPath> decodePaths(List<CachedObservedPath> records)
      throws InvalidProtocolBufferException {
    List<ObservedPath> paths = new ArrayList<>(records.size());
    for (CachedObservedPath o : records) {
      if (o.getObservation() == CachedObservation.CACHED_OBSERVATION_UNSPECIFIED
          || o.getObservationValue() > ObservationKind.values().length) {
        throw new InvalidProtocolBufferException(
            "unknown observation of " + PathBytes.display(PathBytes.fromWire(o.getPath())));
      }
      paths.add(
          new ObservedPath(
              PathBytes.fromWire(o.getPath()),
              ObservationKind.values()[o.getObservationValue() - 1]));
    }
    return paths;
  }

  static CachedPathState encodeState(PathState state) {
    CachedPathState.Builder b = CachedPathState.newBuilder();
    if (state instanceof PathState.Absent) {
      b.setAbsent(true);
    } else if (state instanceof PathState.FileContent f) {
      b.setFileDigest(bytes(f.digest()));
    } else if (state instanceof PathState.DirectoryListing l) {
      b.setListingDigest(bytes(l.digest()));
    } else if (state instanceof PathState.Symlink s) {
      b.setSymlinkTarget(PathBytes.toWire(s.target()));
    } else if (state instanceof PathState.Exists e) {
      b.setExistsValue(e.type().ordinal() + 1);
    }
    return b.build();
  }

  static PathState decodeState(CachedPathState s) throws InvalidProtocolBufferException {
    switch (s.getStateCase()) {
      case ABSENT:
        return PathState.ABSENT;
      case FILE_DIGEST:
        return new PathState.FileContent(digest(s.getFileDigest()));
      case LISTING_DIGEST:
        return new PathState.DirectoryListing(digest(s.getListingDigest()));
      case SYMLINK_TARGET:
        return new PathState.Symlink(PathBytes.fromWire(s.getSymlinkTarget()));
      case EXISTS:
        if (s.getExists() == CachedFileType.CACHED_FILE_TYPE_UNSPECIFIED
            || s.getExistsValue() > FileType.values().length) {
          break;
        }
        return new PathState.Exists(FileType.values()[s.getExistsValue() - 1]);
      default:
        break;
    }
    throw new InvalidProtocolBufferException("unknown path state " + s);
  }

  static byte[] encodeResult(CachedResult r, WeakFingerprint weak, PathSet set) {
    return resultRecord(r, weak, set).toByteArray();
  }

  /** The record of {@code r}, hanging from {@code weak} and {@code set}. */
  public static CachedActionResult resultRecord(CachedResult r, WeakFingerprint weak, PathSet set) {
    CachedActionResult.Builder b =
        CachedActionResult.newBuilder()
            .setExitCode(r.exitCode())
            .setStdoutDigest(bytes(r.stdout()))
            .setStderrDigest(bytes(r.stderr()))
            .setActionId(r.actionId())
            .setProducedAtMillis(r.producedAt().toEpochMilli())
            .setWeakFingerprint(bytes(weak.digest()))
            .setPathSetIdentity(bytes(set.identity()));
    r.outputs().forEach((path, output) -> b.addOutputs(encodeOutput(path, output)));
    b.setDeterminismValue(r.determinism().verdict().ordinal())
        .addAllNondeterministicOutputs(PathBytes.toWire(r.determinism().differing()));
    r.request().ifPresent(request -> b.setRequest(RequestRecords.encode(request)));
    return b.build();
  }

  private static CachedOutput encodeOutput(String path, Output output) {
    CachedOutput.Builder b = CachedOutput.newBuilder().setPath(PathBytes.toWire(path));
    if (output instanceof Output.RegularFile f) {
      b.setFile(CachedFileOutput.newBuilder().setDigest(bytes(f.digest())).setMode(f.mode()));
    } else if (output instanceof Output.Symlink s) {
      b.setSymlinkTarget(PathBytes.toWire(s.target()));
    } else if (output instanceof Output.Directory d) {
      b.setDirectoryMode(d.mode());
    } else {
      b.setDeleted(true);
    }
    return b.build();
  }

  static StoredResult decodeResult(byte[] value) throws InvalidProtocolBufferException {
    return decodeResult(CachedActionResult.parseFrom(value));
  }

  /**
   * The result {@code r} records, if it hangs from {@code weak} and {@code set}.
   *
   * @throws InvalidProtocolBufferException when it is unreadable or hangs from another key
   */
  public static CachedResult resultOf(CachedActionResult r, WeakFingerprint weak, PathSet set)
      throws InvalidProtocolBufferException {
    StoredResult stored = decodeResult(r);
    if (!stored.weak().equals(weak.digest()) || !stored.pathSetIdentity().equals(set.identity())) {
      throw new InvalidProtocolBufferException("the record belongs to another key");
    }
    return stored.result();
  }

  private static StoredResult decodeResult(CachedActionResult r)
      throws InvalidProtocolBufferException {
    Map<String, Output> outputs = new TreeMap<>();
    for (CachedOutput o : r.getOutputsList()) {
      outputs.put(PathBytes.fromWire(o.getPath()), decodeOutput(o));
    }
    CachedResult result =
        CachedResult.of(
            r.getExitCode(),
            digest(r.getStdoutDigest()),
            digest(r.getStderrDigest()),
            outputs,
            r.getActionId(),
            Instant.ofEpochMilli(r.getProducedAtMillis()));
    result = result.withDeterminism(determinism(r));
    if (r.hasRequest()) {
      Optional<ActionRequest> request = RequestRecords.decode(r.getRequest());
      if (request.isPresent()) {
        result = result.withRequest(request.get());
      }
    }
    return new StoredResult(result, digest(r.getWeakFingerprint()), digest(r.getPathSetIdentity()));
  }

  private static Determinism determinism(CachedActionResult r)
      throws InvalidProtocolBufferException {
    List<String> differing = PathBytes.fromWire(r.getNondeterministicOutputsList());
    return switch (r.getDeterminism()) {
      case CACHED_DETERMINISM_UNCHECKED -> Determinism.UNCHECKED;
      case CACHED_DETERMINISM_DETERMINISTIC -> Determinism.DETERMINISTIC;
      case CACHED_DETERMINISM_NONDETERMINISTIC -> {
        if (differing.isEmpty()) {
          throw new InvalidProtocolBufferException("nondeterministic, but nothing differed");
        }
        yield Determinism.nondeterministic(differing);
      }
      default -> throw new InvalidProtocolBufferException("unknown determinism verdict");
    };
  }

  private static Output decodeOutput(CachedOutput o) throws InvalidProtocolBufferException {
    return switch (o.getKindCase()) {
      case FILE -> new Output.RegularFile(digest(o.getFile().getDigest()), o.getFile().getMode());
      case SYMLINK_TARGET -> new Output.Symlink(PathBytes.fromWire(o.getSymlinkTarget()));
      case DIRECTORY_MODE -> new Output.Directory(o.getDirectoryMode());
      case DELETED -> new Output.Deleted();
      default ->
          throw new InvalidProtocolBufferException(
              "unknown output at " + PathBytes.display(PathBytes.fromWire(o.getPath())));
    };
  }

  private static ByteString bytes(Digest d) {
    return ByteString.copyFrom(d.bytes());
  }

  private static Digest digest(ByteString b) throws InvalidProtocolBufferException {
    if (b.size() != Digest.LENGTH) {
      throw new InvalidProtocolBufferException("a stored digest has " + b.size() + " bytes");
    }
    return Digest.of(b.toByteArray());
  }
}
