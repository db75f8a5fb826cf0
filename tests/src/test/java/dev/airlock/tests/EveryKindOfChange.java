package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A shell script that makes one change of each kind the commit engine handles (write, overwrite,
 * append, truncate, delete, rename, mkdir, rmdir, a deleted tree, symlinks, chmod, a file replaced
 * by a directory), the workspace it expects, and what a report lists for it.
 */
final class EveryKindOfChange {
  /** The script; set -e, so that any failing step fails the action. */
  static final String SCRIPT =
      """
      set -e
      umask 022
      printf 'new content\\n' > overwrite.txt
      printf 'second\\n' >> append.txt
      : > truncate.txt
      rm delete.txt
      mv rename-me.txt renamed.txt
      mkdir -p made/deeper
      printf 'deep\\n' > made/deeper/file.txt
      rmdir empty-dir
      rm -r tree
      ln -s renamed.txt new-link
      ln -sfn append.txt link
      chmod 755 exec.sh private
      chmod 600 overwrite.txt
      rm swap
      mkdir swap
      printf 'in\\n' > swap/in.txt
      printf 'created\\n' > created.txt
      """;

  /** What the report lists for {@link #SCRIPT}: kind, then workspace path, sorted. */
  static final List<String> REPORTED =
      List.of(
          "created created.txt",
          "created made/deeper/file.txt",
          "created renamed.txt",
          "created swap/in.txt",
          "deleted delete.txt",
          "deleted empty-dir",
          "deleted rename-me.txt",
          "deleted swap",
          "deleted tree",
          "directory-created made",
          "directory-created made/deeper",
          "directory-created swap",
          "mode-changed exec.sh",
          "mode-changed private",
          "modified append.txt",
          "modified overwrite.txt",
          "modified truncate.txt",
          "symlink-created link",
          "symlink-created new-link");

  private EveryKindOfChange() {}

  /** Fills {@code ws} with what {@link #SCRIPT} changes, and a few entries it leaves alone. */
  static void populate(Path ws) throws IOException {
    file(ws, "overwrite.txt", "old content\n");
    file(ws, "append.txt", "first\n");
    file(ws, "truncate.txt", "some bytes\n");
    file(ws, "delete.txt", "doomed\n");
    file(ws, "rename-me.txt", "moving\n");
    file(ws, "untouched.txt", "same as ever\n");
    file(ws, "exec.sh", "#!/bin/sh\necho hi\n");
    file(ws, "swap", "a file that becomes a directory\n");
    file(ws, "keep/inner.txt", "inner\n");
    file(ws, "tree/a.txt", "a\n");
    file(ws, "tree/sub/b.txt", "b\n");
    Files.createDirectory(ws.resolve("empty-dir"));
    Files.createDirectory(ws.resolve("private"));
    Files.setPosixFilePermissions(
        ws.resolve("private"), PosixFilePermissions.fromString("rwx------"));
    Files.createSymbolicLink(ws.resolve("link"), Path.of("overwrite.txt"));
  }

  /** Runs {@code script} with sh in {@code cwd}, directly: what an action should amount to. */
  static void runNatively(Path cwd, String script) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("sh", "-c", script)
            .directory(cwd.toFile())
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "the script fails without Airlock: " + output);
  }

  private static void file(Path ws, String path, String content) throws IOException {
    Path file = ws.resolve(path);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
  }
}
