package dev.airlock.daemon.commit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A workspace and an action that changes it in every way a change set can express, run in a real
 * overlay. The merged view is copied out ({@code cp -a}) before the namespace dies: that copy is
 * what the workspace must look like after the commit.
 */
final class CommitScenario {
  static final String SCRIPT =
      """
      echo changed > a.txt
      rm b.txt
      mkdir -p out/classes; echo A > out/classes/A.class; chmod 555 out/classes
      rm -rf src; mkdir src; echo 'new readme' > src/README
      ln -sfn b.gone link
      chmod 700 bin/tool
      rm -rf old
      rm -rf dirfile; echo 'now a file' > dirfile
      rm filedir; mkdir filedir; echo in > filedir/f
      echo hi > new.txt
      touch -d 2001-01-01 keep.txt
      exec 3<>same.txt; exec 3>&-
      """;

  final OverlayFixture overlay;
  final Path workspace;
  final Path expected;
  final Map<String, String> before;

  private CommitScenario(OverlayFixture overlay, Path expected, Map<String, String> before) {
    this.overlay = overlay;
    this.workspace = overlay.lower;
    this.expected = expected;
    this.before = before;
  }

  /** Sets up the workspace under {@code root} and runs {@code script} in an overlay over it. */
  static CommitScenario run(Path root, String script) throws Exception {
    OverlayFixture overlay = new OverlayFixture(root);
    populate(overlay.lower);
    Map<String, String> before = TreeSnapshot.of(overlay.lower);
    Path expected = Files.createDirectories(root.resolve("expected"));
    overlay.run(script + "\ncp -a . " + expected + "/\n");
    return new CommitScenario(overlay, expected, before);
  }

  static CommitScenario run(Path root) throws Exception {
    return run(root, SCRIPT);
  }

  static void populate(Path lower) throws IOException {
    write(lower.resolve("a.txt"), "alpha\n", 0644);
    write(lower.resolve("b.txt"), "bravo\n", 0644);
    write(lower.resolve("keep.txt"), "keep\n", 0644);
    write(lower.resolve("same.txt"), "same\n", 0600);
    write(lower.resolve("src/main/Main.java"), "class Main {}\n", 0644);
    write(lower.resolve("src/README"), "old readme\n", 0644);
    write(lower.resolve("bin/tool"), "#!/bin/sh\n", 0755);
    write(lower.resolve("old/deep/x"), "x\n", 0444);
    write(lower.resolve("dirfile/inner"), "inner\n", 0644);
    write(lower.resolve("filedir"), "was a file\n", 0644);
    Files.createSymbolicLink(lower.resolve("link"), Path.of("a.txt"));
  }

  private static void write(Path path, String content, int mode) throws IOException {
    Files.createDirectories(path.getParent());
    Files.writeString(path, content);
    PosixFiles.chmod(path, mode);
  }

  ChangeSet changes() throws IOException {
    return overlay.changes();
  }

  Map<String, String> after() throws IOException {
    return TreeSnapshot.of(expected);
  }

  Map<String, String> now() throws IOException {
    return TreeSnapshot.of(workspace);
  }
}
