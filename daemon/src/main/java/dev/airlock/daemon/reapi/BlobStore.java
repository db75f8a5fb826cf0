package dev.airlock.daemon.reapi;

import dev.airlock.daemon.cache.ContentStore;
import dev.airlock.daemon.cache.CorruptBlobException;
import dev.airlock.daemon.cache.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The CAS as REAPI sees it, over the daemon's one content store: blobs named by hash and size,
 * uploads stored only when they hash to the name the client gave, the empty blob always present.
 */
public final class BlobStore {
  private final ContentStore cas;

  public BlobStore(ContentStore cas) {
    this.cas = cas;
  }

  /** Whether the blob is stored with this size. */
  public boolean contains(BlobId blob) {
    if (blob.equals(BlobId.EMPTY)) {
      return true;
    }
    try {
      return cas.contains(blob.hash()) && cas.sizeOf(blob.hash()) == blob.size();
    } catch (IOException e) {
      return false;
    }
  }

  /** The blobs of {@code blobs} that are not stored, in order, each once. */
  public List<BlobId> missing(Collection<BlobId> blobs) {
    List<BlobId> missing = new ArrayList<>();
    for (BlobId blob : blobs) {
      if (!contains(blob) && !missing.contains(blob)) {
        missing.add(blob);
      }
    }
    return missing;
  }

  /**
   * The whole blob, verified.
   *
   * @throws ReapiException NOT_FOUND when it is not stored (or was corrupt, and is now removed)
   */
  public byte[] read(BlobId blob) throws ReapiException, IOException {
    if (blob.size() == 0) {
      requireEmpty(blob);
      return new byte[0];
    }
    try {
      byte[] data = cas.read(blob.hash());
      if (data.length != blob.size()) {
        throw ReapiException.notFound("blob " + blob + " is not in the CAS (its size differs)");
      }
      return data;
    } catch (NoSuchFileException | CorruptBlobException e) {
      throw ReapiException.notFound("blob " + blob + " is not in the CAS");
    }
  }

  /**
   * Opens the blob for streaming; the content store checks the hash at the end of the stream.
   *
   * @throws ReapiException NOT_FOUND when it is not stored
   */
  public InputStream open(BlobId blob) throws ReapiException, IOException {
    if (blob.size() == 0) {
      requireEmpty(blob);
      return InputStream.nullInputStream();
    }
    if (!contains(blob)) {
      throw ReapiException.notFound("blob " + blob + " is not in the CAS");
    }
    try {
      return cas.open(blob.hash());
    } catch (NoSuchFileException e) {
      throw ReapiException.notFound("blob " + blob + " is not in the CAS");
    }
  }

  /**
   * Stores an upload under the name the client gave it: nothing is stored unless the size and the
   * hash match.
   *
   * @throws ReapiException INVALID_ARGUMENT when they do not
   */
  public void put(BlobId blob, byte[] data) throws ReapiException, IOException {
    if (data.length != blob.size()) {
      throw ReapiException.invalid(
          "blob " + blob + " was sent with " + data.length + " bytes, not " + blob.size());
    }
    Digest actual = Digest.sha256(data);
    if (!actual.equals(blob.hash())) {
      throw ReapiException.invalid(
          "the bytes sent as blob " + blob + " hash to " + actual.hex() + "; nothing stored");
    }
    if (!contains(blob)) {
      cas.putExpecting(new ByteArrayInputStream(data), blob.hash());
    }
  }

  /** As {@link #put(BlobId, byte[])}, streaming from a file of {@code size} bytes. */
  public void put(BlobId blob, Path file) throws ReapiException, IOException {
    long size = Files.size(file);
    if (size != blob.size()) {
      throw ReapiException.invalid(
          "blob " + blob + " was sent with " + size + " bytes, not " + blob.size());
    }
    try (InputStream in = Files.newInputStream(file)) {
      cas.putExpecting(in, blob.hash());
    } catch (CorruptBlobException e) {
      throw ReapiException.invalid(
          "the bytes sent as blob " + blob + " hash to " + e.actual().hex() + "; nothing stored");
    }
  }

  /** Stores bytes the server made (an output, a Tree, a log) and names them. */
  public BlobId store(byte[] data) throws IOException {
    BlobId blob = BlobId.of(data);
    if (!contains(blob)) {
      cas.put(data);
    }
    return blob;
  }

  /** Stores a file an action made and names it. */
  public BlobId store(Path file) throws IOException {
    Digest digest = cas.put(file);
    return new BlobId(digest, cas.sizeOf(digest));
  }

  /**
   * Puts the blob at {@code target} (which must not exist) as an input file: a hard link to the
   * stored copy when {@code link} allows it (the file then stays read-only, mode 0444, and must
   * never be written), a copy otherwise, with mode 0555 or 0444.
   */
  public void materialize(BlobId blob, Path target, boolean executable, boolean link)
      throws IOException, ReapiException {
    if (blob.size() == 0) {
      requireEmpty(blob);
      Files.createFile(target);
      Files.setPosixFilePermissions(
          target, PosixFilePermissions.fromString(executable ? "r-xr-xr-x" : "r--r--r--"));
      return;
    }
    if (link && !executable && cas.linkTo(blob.hash(), target)) {
      return;
    }
    try {
      cas.materialize(blob.hash(), target, mode(executable));
    } catch (NoSuchFileException | CorruptBlobException e) {
      throw ReapiException.missing("an input", List.of(blob));
    }
  }

  private static int mode(boolean executable) {
    return executable ? 0555 : 0444;
  }

  private static void requireEmpty(BlobId blob) throws ReapiException {
    if (!blob.equals(BlobId.EMPTY)) {
      throw ReapiException.notFound("blob " + blob + " is not in the CAS");
    }
  }
}
