package dev.airlock.tests;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a directory tree holds, entry by entry: type, permission bits, size and content hash of
 * files, symlink targets and mtimes. Two snapshots are equal when the trees are, so a test can say
 * "unchanged byte for byte and in metadata" with one comparison and print what differs.
 *
 * @param entries by path relative to the root ("" for the root itself), sorted
 */
record TreeSnapshot(Map<String, Entry> entries) {
  /** One entry; {@code mtime} is null once {@link #withoutMtimes} dropped it. */
  record Entry(String type, int mode, long size, String sha256, String target, FileTime mtime) {
    @Override
    public String toString() {
      return type
          + String.format(" %04o", mode)
          + (type.equals("file") ? " size " + size + " sha256 " + sha256.substring(0, 12) : "")
          + (target == null ? "" : " -> " + target)
          + (mtime == null ? "" : " mtime " + mtime);
    }
  }

  TreeSnapshot {
    entries = Map.copyOf(entries);
  }

  /** Reads every entry under {@code root} (symlinks are not followed). */
  static TreeSnapshot of(Path root) throws IOException {
    Map<String, Entry> entries = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        entries.put(root.relativize(p).toString(), entry(p));
      }
    }
    return new TreeSnapshot(entries);
  }

  private static Entry entry(Path p) throws IOException {
    Map<String, Object> a =
        Files.readAttributes(p, "unix:mode,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) a.get("mode") & 07777;
    FileTime mtime = (FileTime) a.get("lastModifiedTime");
    if (Files.isSymbolicLink(p)) {
      return new Entry("symlink", 0, 0, null, Files.readSymbolicLink(p).toString(), mtime);
    }
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      // A directory's size is the filesystem's business (it does not shrink when emptied).
      return new Entry("dir", mode, 0, null, null, mtime);
    }
    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      return new Entry("file", mode, (Long) a.get("size"), sha256(p), null, mtime);
    }
    return new Entry("other", mode, 0, null, null, mtime);
  }

  /** The same tree without any mtime: what the content of a tree is, not when it was written. */
  TreeSnapshot withoutMtimes() {
    Map<String, Entry> copy = new TreeMap<>();
    entries.forEach(
        (path, e) -> copy.put(path, new Entry(e.type, e.mode, e.size, e.sha256, e.target, null)));
    return new TreeSnapshot(copy);
  }

  /**
   * The same tree without the mtimes of directories: a commit that staged a temp beside its target
   * and then removed it (abandoned or rolled back) changed no entry, but did touch the directory.
   */
  TreeSnapshot withoutDirectoryMtimes() {
    Map<String, Entry> copy = new TreeMap<>();
    entries.forEach(
        (path, e) ->
            copy.put(
                path,
                e.type.equals("dir")
                    ? new Entry(e.type, e.mode, e.size, e.sha256, e.target, null)
                    : e));
    return new TreeSnapshot(copy);
  }

  /** What differs from {@code other}, one line per path ("" when the trees are equal). */
  String differences(TreeSnapshot other) {
    Set<String> paths = new TreeSet<>(entries.keySet());
    paths.addAll(other.entries.keySet());
    StringBuilder out = new StringBuilder();
    for (String path : paths) {
      Entry mine = entries.get(path);
      Entry theirs = other.entries.get(path);
      if (mine == null || !mine.equals(theirs)) {
        out.append("\n  '")
            .append(path)
            .append("': ")
            .append(mine == null ? "(absent)" : mine)
            .append(" => ")
            .append(theirs == null ? "(absent)" : theirs);
      }
    }
    return out.toString();
  }

  /** The paths under {@code root} whose name starts with ".airlock-" (commit temps, overlays). */
  static List<String> airlockTemps(Path root) throws IOException {
    List<String> temps = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      walk.filter(p -> p.getFileName().toString().startsWith(".airlock-"))
          .forEach(p -> temps.add(p.toString()));
    }
    return temps;
  }

  private static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[64 * 1024];
      int n;
      while ((n = in.read(buffer)) > 0) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
