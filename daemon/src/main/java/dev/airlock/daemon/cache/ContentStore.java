package dev.airlock.daemon.cache;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * A content-addressed store of blobs under {@code <state-dir>/cas/}, named by their SHA-256 and
 * fanned out by the first byte ({@code cas/ab/cdef…}).
 *
 * <p>A blob is written as a temporary file in {@code cas/tmp/}, fsynced, then renamed into place,
 * so a reader never sees a partial blob; whatever a killed writer left in {@code tmp/} is removed
 * by {@link #open}. Every read verifies the hash, and a blob that fails is deleted so it is never
 * served twice. The state directory's lock makes the daemon the only writer.
 */
public final class ContentStore {
  private static final Set<PosixFilePermission> READ_ONLY =
      EnumSet.of(
          PosixFilePermission.OWNER_READ,
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.OTHERS_READ);
  private static final int BUFFER = 64 * 1024;

  private final Path root;
  private final Path tmp;

  private ContentStore(Path root) {
    this.root = root;
    this.tmp = root.resolve("tmp");
  }

  /** Opens (creating if needed) the store in {@code stateDir/cas} and removes stale temp files. */
  public static ContentStore open(Path stateDir) throws IOException {
    ContentStore store = new ContentStore(stateDir.resolve("cas"));
    Files.createDirectories(store.tmp);
    try (DirectoryStream<Path> stale = Files.newDirectoryStream(store.tmp)) {
      for (Path p : stale) {
        Files.deleteIfExists(p);
      }
    }
    return store;
  }

  /** Stores {@code data}; storing a blob that is already there only refreshes its age. */
  public Digest put(byte[] data) throws IOException {
    return put(new ByteArrayInputStream(data));
  }

  /** Stores the content of the regular file {@code file}. */
  public Digest put(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return put(in);
    }
  }

  /** Stores everything {@code in} yields, hashing while it copies (one pass over the bytes). */
  public Digest put(InputStream in) throws IOException {
    return put(in, null);
  }

  /**
   * Stores what {@code in} yields only if it hashes to {@code expected} (an upload whose name the
   * client chose); otherwise stores nothing.
   *
   * @throws CorruptBlobException when the bytes hash to something else
   */
  public void putExpecting(InputStream in, Digest expected) throws IOException {
    put(in, expected);
  }

  private Digest put(InputStream in, Digest expected) throws IOException {
    Path temp = tmp.resolve("put-" + UUID.randomUUID());
    Digest digest;
    try {
      try (FileChannel channel =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        digest = copyHashing(in, Channels.newOutputStream(channel));
        if (expected != null && !digest.equals(expected)) {
          throw new CorruptBlobException(expected, digest);
        }
        channel.force(true);
      }
      Path target = pathOf(digest);
      if (refresh(target)) {
        return digest;
      }
      Files.setPosixFilePermissions(temp, READ_ONLY);
      Files.createDirectories(target.getParent());
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      syncDirectory(target.getParent());
      return digest;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Marks an existing blob as just stored: a newer mtime tells gc the blob is wanted again, even
   * before the entry that needs it is recorded. False if it is not there (or gc just took it).
   */
  private static boolean refresh(Path blob) throws IOException {
    try {
      Files.setLastModifiedTime(blob, FileTime.fromMillis(System.currentTimeMillis()));
      return true;
    } catch (NoSuchFileException absent) {
      return false;
    }
  }

  /** Whether the blob is stored (its content is verified only when read). */
  public boolean contains(Digest digest) {
    return Files.isRegularFile(pathOf(digest));
  }

  /**
   * The blob's size in bytes.
   *
   * @throws NoSuchFileException when it is not stored
   */
  public long sizeOf(Digest digest) throws IOException {
    return Files.size(pathOf(digest));
  }

  /**
   * Opens the blob for reading. The hash is checked when the stream reaches its end, which throws
   * {@link CorruptBlobException} (and deletes the blob) on a mismatch, so a consumer must not act
   * on the bytes before it has read to the end.
   *
   * @throws NoSuchFileException when it is not stored
   */
  public InputStream open(Digest digest) throws IOException {
    return new VerifyingInputStream(Files.newInputStream(pathOf(digest)), digest);
  }

  /**
   * Whether the stored blob still hashes to its name. Unlike reading it, finding it corrupt changes
   * nothing (for a check that must leave the store as it is).
   *
   * @throws NoSuchFileException when it is not stored
   */
  public boolean intact(Digest digest) throws IOException {
    return Digest.sha256(pathOf(digest)).equals(digest);
  }

  /** Opens the blob for positional reads, unverified: check it with {@link #intact} first. */
  public FileChannel openUnverified(Digest digest) throws IOException {
    return FileChannel.open(pathOf(digest), StandardOpenOption.READ);
  }

  /** The whole blob, verified. */
  public byte[] read(Digest digest) throws IOException {
    try (InputStream in = open(digest)) {
      return in.readAllBytes();
    }
  }

  /**
   * Writes the blob to {@code target} with permission bits {@code mode & 0777}, atomically
   * replacing whatever is there.
   *
   * <p>It copies rather than hard-linking: a hard link shares the inode, so a consumer that later
   * writes to or chmods its file would silently change the stored blob. A reflink would be safe,
   * but ext4 has none and JDK 17's {@code Files.copy} never clones; copying through the verifying
   * stream also means a corrupt blob is never materialized.
   */
  public void materialize(Digest digest, Path target, int mode) throws IOException {
    Path temp = target.resolveSibling("." + target.getFileName() + ".airlock-" + UUID.randomUUID());
    try {
      try (InputStream in = open(digest);
          FileChannel channel =
              FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        in.transferTo(Channels.newOutputStream(channel));
        channel.force(true);
      }
      Files.setPosixFilePermissions(temp, Modes.permissions(mode));
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Makes {@code target} a hard link to the stored blob (read-only, mode 0444), for a consumer that
   * never writes to it; false when the blob is absent or the link cannot be made (another file
   * system), and the caller copies instead.
   */
  public boolean linkTo(Digest digest, Path target) throws IOException {
    try {
      Files.createLink(target, pathOf(digest));
      return true;
    } catch (java.nio.file.FileAlreadyExistsException e) {
      throw e;
    } catch (java.nio.file.FileSystemException e) {
      // Absent, another file system (EXDEV), too many links (EMLINK): the caller copies.
      return false;
    }
  }

  /** Removes the blob; returns whether it was there. */
  public boolean delete(Digest digest) throws IOException {
    return Files.deleteIfExists(pathOf(digest));
  }

  /** Bytes used by all blobs. */
  public long totalBytes() throws IOException {
    long total = 0;
    for (Digest d : digests()) {
      try {
        total += sizeOf(d);
      } catch (NoSuchFileException deletedMeanwhile) {
        // Counted as gone.
      }
    }
    return total;
  }

  /** Every stored blob, for gc. */
  public List<Digest> digests() throws IOException {
    List<Digest> all = new ArrayList<>();
    try (DirectoryStream<Path> fans = Files.newDirectoryStream(root, p -> isFanOut(p))) {
      for (Path fan : fans) {
        String prefix = fan.getFileName().toString();
        try (DirectoryStream<Path> blobs = Files.newDirectoryStream(fan)) {
          for (Path blob : blobs) {
            String name = prefix + blob.getFileName();
            if (name.length() == 2 * Digest.LENGTH) {
              all.add(Digest.parse(name));
            }
          }
        }
      }
    }
    return all;
  }

  /** When the blob was last stored (written, or put again); gc spares recent orphans. */
  FileTime lastStored(Digest digest) throws IOException {
    return Files.getLastModifiedTime(pathOf(digest));
  }

  Path pathOf(Digest digest) {
    String hex = digest.hex();
    return root.resolve(hex.substring(0, 2)).resolve(hex.substring(2));
  }

  private static boolean isFanOut(Path p) {
    String name = p.getFileName().toString();
    return name.length() == 2 && Files.isDirectory(p);
  }

  private static Digest copyHashing(InputStream in, OutputStream out) throws IOException {
    MessageDigest hasher = Digest.newHasher();
    byte[] buffer = new byte[BUFFER];
    for (int n; (n = in.read(buffer)) != -1; ) {
      hasher.update(buffer, 0, n);
      out.write(buffer, 0, n);
    }
    out.flush();
    return Digest.finish(hasher);
  }

  // The rename is durable only once its directory is; LMDB commits that name the blob come after.
  private static void syncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  /** Hashes what passes through and checks it against the blob's name at the end. */
  private final class VerifyingInputStream extends FilterInputStream {
    private final Digest expected;
    private final MessageDigest hasher = Digest.newHasher();
    private boolean verified;

    VerifyingInputStream(InputStream in, Digest expected) {
      super(in);
      this.expected = expected;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n == -1) {
        verify();
      } else {
        hasher.update(b, off, n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      // Skipped bytes are read anyway: they must reach the hash.
      byte[] sink = new byte[(int) Math.min(BUFFER, Math.max(n, 0))];
      long skipped = 0;
      while (skipped < n) {
        int r = read(sink, 0, (int) Math.min(sink.length, n - skipped));
        if (r == -1) {
          break;
        }
        skipped += r;
      }
      return skipped;
    }

    @Override
    public boolean markSupported() {
      return false;
    }

    private void verify() throws IOException {
      if (verified) {
        return;
      }
      verified = true;
      Digest actual = Digest.finish(hasher);
      if (!actual.equals(expected)) {
        Files.deleteIfExists(pathOf(expected));
        throw new CorruptBlobException(expected, actual);
      }
    }
  }
}
