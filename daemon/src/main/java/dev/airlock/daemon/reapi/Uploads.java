package dev.airlock.daemon.reapi;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * ByteStream writes in progress, by resource name, so that an interrupted upload can be resumed
 * where it stopped ({@code QueryWriteStatus}). Small uploads stay in memory; one that grows past
 * {@link #SPILL_BYTES} goes on in a file. Each upload is stored only when it is complete and hashes
 * to its name; uploads of one blob under different names never share state, and the content store
 * makes storing the same blob twice at once safe.
 */
public final class Uploads {
  /** Past this size an upload is kept in a file instead of the heap. */
  static final int SPILL_BYTES = 4 << 20;

  /** An upload not written to for this long is dropped. */
  private static final long IDLE_NANOS = TimeUnit.HOURS.toNanos(1);

  private final BlobStore blobs;
  private final Path spillDir;
  private final Map<String, Upload> active = new ConcurrentHashMap<>();

  /**
   * @param spillDir where large uploads are kept until complete (emptied now)
   */
  public Uploads(BlobStore blobs, Path spillDir) throws IOException {
    this.blobs = blobs;
    this.spillDir = spillDir;
    Files.createDirectories(spillDir);
    try (var stale = Files.newDirectoryStream(spillDir)) {
      for (Path p : stale) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** How much of an upload the server holds, and whether it is complete. */
  public record Status(long committedSize, boolean complete) {}

  /**
   * The upload under {@code name}: the one in progress (to resume) or a new one. A blob already
   * stored counts as complete.
   */
  public Upload open(ResourceName name, String key) {
    expireIdle();
    return active.computeIfAbsent(key, k -> new Upload(k, name.blob()));
  }

  /** What the server holds of the upload {@code name}. */
  public Status status(ResourceName name, String key) {
    Upload upload = active.get(key);
    if (upload != null) {
      return upload.status();
    }
    return blobs.contains(name.blob())
        ? new Status(name.blob().size(), true)
        : new Status(0, false);
  }

  private void expireIdle() {
    long now = System.nanoTime();
    for (Iterator<Upload> it = active.values().iterator(); it.hasNext(); ) {
      Upload u = it.next();
      if (u.idleSince(now) > IDLE_NANOS) {
        it.remove();
        u.discard();
      }
    }
  }

  /** One blob being written, possibly over several streams. */
  public final class Upload {
    private final String key;
    private final BlobId blob;
    private ByteArrayOutputStream memory = new ByteArrayOutputStream();
    private Path file;
    private OutputStream fileOut;
    private long committed;
    private boolean complete;
    private long lastWrite = System.nanoTime();

    private Upload(String key, BlobId blob) {
      this.key = key;
      this.blob = blob;
    }

    public BlobId blob() {
      return blob;
    }

    public synchronized Status status() {
      return new Status(committed, complete);
    }

    /**
     * Appends {@code data} at {@code offset}, which must be where the upload stands.
     *
     * @throws ReapiException OUT_OF_RANGE for another offset, INVALID_ARGUMENT for more bytes than
     *     the blob has
     */
    public synchronized void append(long offset, byte[] data) throws ReapiException, IOException {
      lastWrite = System.nanoTime();
      if (complete) {
        return;
      }
      if (offset != committed) {
        throw new ReapiException(
            ReapiException.Kind.OUT_OF_RANGE,
            "write of "
                + blob
                + " at offset "
                + offset
                + ", but the server holds "
                + committed
                + " bytes of it",
            java.util.List.of());
      }
      if (committed + data.length > blob.size()) {
        drop();
        throw ReapiException.invalid(
            "more bytes were sent for blob " + blob + " than its size; the upload is dropped");
      }
      if (file == null && memory.size() + data.length > SPILL_BYTES) {
        file = spillDir.resolve(UUID.randomUUID().toString());
        fileOut = Files.newOutputStream(file);
        memory.writeTo(fileOut);
        memory = null;
      }
      (file == null ? memory : fileOut).write(data);
      committed += data.length;
    }

    /**
     * Ends the upload: stores the blob if all of it arrived and it hashes to its name.
     *
     * @throws ReapiException INVALID_ARGUMENT for a short upload or wrong bytes (the upload is then
     *     dropped, nothing stored)
     */
    public synchronized long finish() throws ReapiException, IOException {
      if (complete) {
        return blob.size();
      }
      try {
        if (committed != blob.size()) {
          throw ReapiException.invalid(
              "the upload of blob "
                  + blob
                  + " ended after "
                  + committed
                  + " of its "
                  + blob.size()
                  + " bytes; nothing stored");
        }
        if (file == null) {
          blobs.put(blob, memory.toByteArray());
        } else {
          fileOut.close();
          blobs.put(blob, file);
        }
        complete = true;
        return blob.size();
      } finally {
        // A finished upload, stored or refused, is no longer resumable.
        drop();
      }
    }

    private long idleSince(long now) {
      return now - lastWrite;
    }

    private void drop() {
      active.remove(key, this);
      discard();
    }

    private synchronized void discard() {
      memory = null;
      if (file != null) {
        try {
          fileOut.close();
          Files.deleteIfExists(file);
        } catch (IOException e) {
          // A leftover is removed at the next start.
        }
      }
    }
  }
}
