package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.fuzz.Fuzz;
import dev.airlock.fuzz.Gen;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes {@link ChangeSetReader} with random lower trees and random upper dirs over them, as an
 * overlay would leave them: copied-up and opaque directories, whiteouts (0/0 char devices and
 * xattr-marked files), replaced, re-moded and identical files, symlinks, and names with newlines
 * and bytes that are not UTF-8. The oracle: the change set applied to the lower tree gives the
 * overlay's merged view.
 */
// No class-wide @Timeout: scripts/fuzz runs the property for minutes.
class ChangeSetReaderFuzzTest {
  private static final int[] MODES = {0644, 0600, 0755, 0700, 0750, 0444};

  @TempDir Path root;

  /** A tree in memory: a file, a directory or a symlink; in an upper dir also a whiteout. */
  private sealed interface Node permits File, Dir, Link, Whiteout {}

  private record File(byte[] content, int mode) implements Node {
    @Override
    public boolean equals(Object o) {
      return o instanceof File f && Arrays.equals(content, f.content) && mode == f.mode;
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(content) * 31 + mode;
    }

    @Override
    public String toString() {
      return "File[" + PathBytes.display(PathBytes.decode(content)) + ", " + mode + "]";
    }
  }

  private record Dir(int mode, boolean opaque, TreeMap<String, Node> children) implements Node {}

  private record Link(String target) implements Node {}

  private record Whiteout() implements Node {}

  @Test
  void theChangeSetAppliedToTheLowerGivesTheMergedView() {
    boolean mknod = canMknod();
    int[] tryNumber = {0};
    Fuzz.forAll(
        300,
        r -> {
          Path dir = Files.createDirectory(root.resolve("try-" + tryNumber[0]++));
          Path lower = Files.createDirectory(dir.resolve("lower"));
          Path upper = Files.createDirectory(dir.resolve("upper"));
          Dir lowerTree = new Dir(0755, false, new TreeMap<>());
          randomTree(r, lowerTree, 0);
          Dir upperTree = new Dir(0755, false, new TreeMap<>());
          randomUpper(r, upperTree, lowerTree, 0);
          write(lower, lowerTree, false);
          write(upper, upperTree, mknod && r.nextBoolean());

          ChangeSet changes = ChangeSetReader.read(upper, lower);

          Dir applied = copy(lowerTree);
          for (Change change : changes.changes()) {
            apply(applied, change);
          }
          Dir merged = merge(upperTree, lowerTree);
          assertEquals(merged, applied, "changes: " + changes);
          deleteQuietly(dir);
        });
  }

  /**
   * Found by ResourceExhaustionTest: the reader recursed once per level, and a tree some 2000
   * levels deep overflowed a runner thread's stack; the action then never finished. Here, on a
   * thread with a 64 KiB stack, 1000 levels (the recursive reader overflowed it).
   */
  @Test
  @Timeout(60)
  void aTreeDeeperThanAThreadStackIsReadWithoutRecursion() throws Exception {
    Path lower = Files.createDirectory(root.resolve("lower"));
    Path upper = Files.createDirectory(root.resolve("upper"));
    int depth = 1000;
    Path dir = upper;
    for (int i = 0; i < depth; i++) {
      dir = Files.createDirectory(dir.resolve("d"));
    }
    Files.writeString(dir.resolve("f"), "bottom");
    ChangeSet[] read = new ChangeSet[1];
    Throwable[] failed = new Throwable[1];
    Thread reader =
        new Thread(
            null,
            () -> {
              try {
                read[0] = ChangeSetReader.read(upper, lower);
              } catch (Throwable e) {
                failed[0] = e;
              }
            },
            "small-stack",
            64 << 10);
    reader.start();
    reader.join();
    // JUnit's @TempDir cleanup resolves every directory's real path: minutes at this depth.
    PosixFiles.deleteTree(upper);
    if (failed[0] != null) {
      throw new AssertionError("reading a tree " + depth + " deep failed", failed[0]);
    }
    assertEquals(depth, read[0].count(Change.Kind.CREATE_DIR));
    assertEquals(1, read[0].count(Change.Kind.CREATE_FILE));
  }

  private static void randomTree(Random r, Dir dir, int depth) {
    for (int i = r.nextInt(depth == 0 ? 6 : 4); i > 0; i--) {
      String name = PathBytes.decode(Gen.fileName(r, r.nextInt(8) == 0 ? 255 : 12));
      dir.children().put(name, randomNode(r, depth));
    }
  }

  private static Node randomNode(Random r, int depth) {
    int kind = r.nextInt(depth < 3 ? 3 : 2);
    return switch (kind) {
      case 0 -> new File(Gen.bytes(r, 40), MODES[r.nextInt(MODES.length)]);
      case 1 -> new Link(PathBytes.decode(Gen.fileName(r, 30)));
      default -> {
        Dir d = new Dir(MODES[r.nextInt(MODES.length)] | 0700, false, new TreeMap<>());
        randomTree(r, d, depth + 1);
        yield d;
      }
    };
  }

  /** What an action could leave in the upper dir over {@code lower} (null: nothing below). */
  private static void randomUpper(Random r, Dir upper, Dir lower, int depth) {
    if (lower != null) {
      for (Map.Entry<String, Node> entry : lower.children().entrySet()) {
        Node below = entry.getValue();
        switch (r.nextInt(6)) {
          case 0 -> upper.children().put(entry.getKey(), new Whiteout());
          case 1 -> {
            if (below instanceof File f) { // copied up: same content, maybe another mode
              int mode = r.nextBoolean() ? f.mode() : MODES[r.nextInt(MODES.length)];
              upper.children().put(entry.getKey(), new File(f.content(), mode));
            } else {
              upper.children().put(entry.getKey(), randomNode(r, depth));
            }
          }
          case 2 -> {
            if (below instanceof Dir d) { // copied up, or made opaque (deleted and re-created)
              boolean opaque = r.nextInt(3) == 0;
              int mode = r.nextBoolean() ? d.mode() : MODES[r.nextInt(MODES.length)] | 0700;
              Dir up = new Dir(mode, opaque, new TreeMap<>());
              randomUpper(r, up, opaque ? null : d, depth + 1);
              upper.children().put(entry.getKey(), up);
            } else {
              upper.children().put(entry.getKey(), randomNode(r, depth));
            }
          }
          case 3 -> upper.children().put(entry.getKey(), randomNode(r, depth));
          default -> {} // untouched
        }
      }
    }
    for (int i = r.nextInt(3); i > 0; i--) {
      String name = PathBytes.decode(Gen.fileName(r, 12));
      if (!upper.children().containsKey(name)) {
        // A whiteout over nothing: the action created and deleted the name.
        upper.children().put(name, r.nextInt(4) == 0 ? new Whiteout() : randomNode(r, depth + 1));
      }
    }
  }

  private static void write(Path at, Dir dir, boolean mknod) throws Exception {
    if (dir.opaque()) {
      xattr(at, "overlay.opaque", "y");
    }
    for (Map.Entry<String, Node> entry : dir.children().entrySet()) {
      Path path = PathBytes.resolve(at, entry.getKey());
      Node node = entry.getValue();
      if (node instanceof File f) {
        Files.write(path, f.content());
        PosixFiles.chmod(path, f.mode());
      } else if (node instanceof Link l) {
        Files.createSymbolicLink(path, PathBytes.toPath(l.target()));
      } else if (node instanceof Dir d) {
        Files.createDirectory(path);
        write(path, d, mknod);
        PosixFiles.chmod(path, d.mode());
      } else if (mknod && PathBytes.of(path).chars().allMatch(c -> c < 0x80)) {
        // mknod(1) takes the path as a string, which the JDK encodes in the locale's charset.
        Process p =
            new ProcessBuilder("mknod", "--", path.toString(), "c", "0", "0")
                .redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "mknod: " + output);
      } else {
        Files.createFile(path);
        xattr(path, "overlay.whiteout", "y");
      }
    }
  }

  private static Dir merge(Dir upper, Dir lower) {
    TreeMap<String, Node> out = new TreeMap<>();
    if (lower != null && !upper.opaque()) {
      out.putAll(copy(lower).children());
    }
    for (Map.Entry<String, Node> entry : upper.children().entrySet()) {
      Node below = lower == null || upper.opaque() ? null : lower.children().get(entry.getKey());
      Node node = entry.getValue();
      if (node instanceof Whiteout) {
        out.remove(entry.getKey());
      } else if (node instanceof Dir d) {
        Dir shown = below instanceof Dir bd && !d.opaque() ? bd : null;
        out.put(entry.getKey(), new Dir(d.mode(), false, merge(d, shown).children()));
      } else {
        out.put(entry.getKey(), node);
      }
    }
    return new Dir(upper.mode(), false, out);
  }

  private static void apply(Dir tree, Change change) throws IOException {
    String[] parts = change.path().split("/", -1);
    Dir parent = tree;
    for (int i = 0; i < parts.length - 1; i++) {
      Node next = parent.children().get(parts[i]);
      assertTrue(next instanceof Dir, change + ": no directory at " + parts[i]);
      parent = (Dir) next;
    }
    String name = parts[parts.length - 1];
    Node there = parent.children().get(name);
    switch (change.kind()) {
      case DELETE -> assertNotNull(parent.children().remove(name), change + ": nothing there");
      case CREATE_DIR -> {
        assertNull(there, change + ": something there");
        parent.children().put(name, new Dir(change.mode(), false, new TreeMap<>()));
      }
      case CREATE_FILE, REPLACE_FILE -> {
        assertEquals(change.kind() == Change.Kind.REPLACE_FILE, there != null, change.toString());
        assertTrue(!(there instanceof Dir), change + ": a directory there");
        byte[] content = Files.readAllBytes(change.source());
        assertEquals(content.length, change.size(), change.toString());
        parent.children().put(name, new File(content, change.mode()));
      }
      case CREATE_SYMLINK -> {
        assertTrue(!(there instanceof Dir), change + ": a directory there");
        parent.children().put(name, new Link(change.linkTarget()));
      }
      case CHMOD -> {
        if (there instanceof File f) {
          parent.children().put(name, new File(f.content(), change.mode()));
        } else if (there instanceof Dir d) {
          parent.children().put(name, new Dir(change.mode(), false, d.children()));
        } else {
          throw new AssertionError(change + ": no file or directory there");
        }
      }
    }
  }

  private static Dir copy(Dir dir) {
    TreeMap<String, Node> children = new TreeMap<>();
    dir.children().forEach((k, v) -> children.put(k, v instanceof Dir d ? copy(d) : v));
    return new Dir(dir.mode(), false, children);
  }

  private static void xattr(Path path, String name, String value) throws IOException {
    Files.getFileAttributeView(path, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .write(name, ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
  }

  private boolean canMknod() {
    try {
      Process p =
          new ProcessBuilder("mknod", root.resolve("probe").toString(), "c", "0", "0").start();
      return p.waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void deleteQuietly(Path dir) throws IOException {
    PosixFiles.deleteTree(dir);
  }
}
