package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.commit.Change.Kind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Each case runs shell commands in a real overlay and reads the upper dir it leaves. */
@Timeout(60)
class ChangeSetReaderTest {
  @TempDir Path root;
  private OverlayFixture overlay;

  @BeforeEach
  void lowerWorkspace() throws Exception {
    overlay = new OverlayFixture(root);
    Path lower = overlay.lower;
    write(lower.resolve("a.txt"), "alpha\n");
    write(lower.resolve("b.txt"), "bravo\n");
    Files.createDirectories(lower.resolve("src/main"));
    write(lower.resolve("src/main/Main.java"), "class Main {}\n");
    write(lower.resolve("src/README"), "read me\n");
    Files.createDirectories(lower.resolve("empty"));
    Files.createSymbolicLink(lower.resolve("link"), Path.of("a.txt"));
  }

  private static void write(Path path, String content) throws Exception {
    Files.writeString(path, content, StandardCharsets.UTF_8);
    PosixFiles.chmod(path, 0644);
  }

  private List<String> changesAfter(String script) throws Exception {
    overlay.run(script);
    return describe(overlay.changes());
  }

  static List<String> describe(ChangeSet changes) {
    return changes.changes().stream()
        .map(
            c ->
                c.kind()
                    + " "
                    + c.path()
                    + (c.mode() != 0 ? " " + Integer.toOctalString(c.mode()) : "")
                    + (c.linkTarget() != null ? " -> " + c.linkTarget() : ""))
        .collect(Collectors.toList());
  }

  @Test
  void nothingDoneIsNoChange() throws Exception {
    assertEquals(List.of(), changesAfter("cat a.txt src/main/Main.java > /dev/null; ls -R"));
  }

  @Test
  void aNewFileIsCreatedWithItsModeSizeAndContentInUpper() throws Exception {
    ChangeSet changes;
    overlay.run("printf 'new file' > new.txt; chmod 640 new.txt");
    changes = overlay.changes();
    assertEquals(List.of("CREATE_FILE new.txt 640"), describe(changes));
    Change created = changes.changes().get(0);
    assertEquals(8, created.size());
    assertEquals(8, changes.bytes());
    assertEquals("new file", Files.readString(created.source()));
    assertTrue(created.source().startsWith(overlay.upper), "the content is read from upper");
  }

  @Test
  void overwriteAppendAndTruncateReplaceTheFile() throws Exception {
    assertEquals(
        List.of("REPLACE_FILE a.txt 644", "REPLACE_FILE b.txt 644", "REPLACE_FILE src/README 644"),
        changesAfter("echo other > a.txt; echo more >> b.txt; : > src/README"));
  }

  @Test
  void aRewriteWithTheSameBytesIsNoChange() throws Exception {
    assertEquals(List.of(), changesAfter("echo alpha > a.txt"));
  }

  @Test
  void deletingAFileOrAnEmptyDirIsADeletion() throws Exception {
    assertEquals(List.of("DELETE b.txt", "DELETE empty"), changesAfter("rm b.txt; rmdir empty"));
  }

  @Test
  void renamingAFileIsADeletionAndACreation() throws Exception {
    assertEquals(
        List.of("DELETE a.txt", "CREATE_FILE src/a.txt 644"), changesAfter("mv a.txt src/"));
  }

  @Test
  void renamingADirectoryIsADeletionAndACopy() throws Exception {
    // rename(2) gives EXDEV without redirect_dir, so mv falls back to copy and delete.
    assertEquals(
        List.of(
            "CREATE_DIR source 755",
            "CREATE_FILE source/README 644",
            "CREATE_DIR source/main 755",
            "CREATE_FILE source/main/Main.java 644",
            "DELETE src"),
        changesAfter("mv src source"));
  }

  @Test
  void aNewDirectoryTreeIsCreatedParentsFirst() throws Exception {
    assertEquals(
        List.of(
            "CREATE_DIR out 755", "CREATE_DIR out/classes 700", "CREATE_FILE out/classes/A 644"),
        changesAfter("mkdir -p out/classes; chmod 700 out/classes; echo x > out/classes/A"));
  }

  @Test
  void rmRfThenMkdirMakesAnOpaqueDirectoryThatDeletesTheOldTree() throws Exception {
    assertEquals(
        List.of("DELETE src", "CREATE_DIR src 755", "CREATE_FILE src/README 644"),
        changesAfter("rm -rf src; mkdir src; echo 'read me' > src/README"));
  }

  @Test
  void newAndRetargetedSymlinks() throws Exception {
    assertEquals(
        List.of("CREATE_SYMLINK link -> b.txt", "CREATE_SYMLINK up -> ../x"),
        changesAfter("ln -sfn b.txt link; ln -s ../x up"));
  }

  @Test
  void chmodAloneIsAModeChange() throws Exception {
    assertEquals(
        List.of("CHMOD a.txt 4755", "CHMOD src 700"),
        changesAfter("chmod 4755 a.txt; chmod 700 src"));
  }

  @Test
  void touchOfAnExistingFileIsNoContentChange() throws Exception {
    overlay.run("touch -d 2001-01-01 a.txt");
    assertTrue(Files.exists(overlay.upper.resolve("a.txt")), "touch copies the file up");
    assertEquals(List.of(), describe(overlay.changes()));
  }

  @Test
  void openingReadWriteWithoutWritingIsNoChange() throws Exception {
    overlay.run("exec 3<>a.txt; exec 3>&-");
    assertTrue(Files.exists(overlay.upper.resolve("a.txt")), "O_RDWR copies the file up");
    assertEquals(List.of(), describe(overlay.changes()));
  }

  @Test
  void aFileReplacedByADirectoryAndBack() throws Exception {
    ChangeSet changes;
    overlay.run("rm a.txt; mkdir a.txt; echo in > a.txt/f; rm -r empty; echo was-dir > empty");
    changes = overlay.changes();
    assertEquals(
        List.of(
            "DELETE a.txt",
            "CREATE_DIR a.txt 755",
            "CREATE_FILE a.txt/f 644",
            "DELETE empty",
            "CREATE_FILE empty 644"),
        describe(changes));
    assertEquals(2, changes.count(Kind.DELETE));
    assertEquals(Kind.CREATE_FILE, changes.changes().get(4).kind());
  }

  @Test
  void aFileCreatedThenDeletedLeavesNothing() throws Exception {
    assertEquals(List.of(), changesAfter("echo tmp > scratch; rm scratch; mkdir d; rmdir d"));
  }
}
