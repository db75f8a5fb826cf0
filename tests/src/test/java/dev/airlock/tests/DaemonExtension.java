package dev.airlock.tests;

import dev.airlock.client.AirlockClient;
import dev.airlock.protocol.ExecuteRequest;
import java.io.File;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link DaemonFixture} started in a temporary directory of its own before the tests and stopped
 * (then the directory deleted) after them:
 *
 * <pre>{@code
 * @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();
 * }</pre>
 *
 * <p>In a static field one daemon serves the whole class; in an instance field each test gets a
 * fresh one. The fixture's methods that tests use are available here directly.
 */
final class DaemonExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  private final List<String> options;
  private boolean perClass;
  private Path dir;
  private DaemonFixture fixture;

  private DaemonExtension(List<String> options) {
    this.options = options;
  }

  /** A daemon started with {@code options} (see {@link DaemonFixture#start(Path, String...)}). */
  static DaemonExtension started(String... options) {
    return new DaemonExtension(List.of(options));
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    perClass = true;
    start();
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    if (!perClass) {
      start();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws IOException {
    if (!perClass) {
      stop();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    stop();
  }

  private void start() throws IOException, InterruptedException {
    dir = Files.createTempDirectory("airlock-e2e-");
    fixture = DaemonFixture.start(dir, options.toArray(String[]::new));
  }

  /** Stops the daemon (failing when it does not stop cleanly), then deletes its directory. */
  private void stop() throws IOException {
    DaemonFixture stopping = fixture;
    Path deleting = dir;
    fixture = null;
    dir = null;
    try {
      if (stopping != null) {
        stopping.close();
      }
    } finally {
      if (deleting != null) {
        deleteTree(deleting);
      }
    }
  }

  /** The started daemon, for helpers that take one. */
  DaemonFixture fixture() {
    if (fixture == null) {
      throw new IllegalStateException("the daemon runs only while the tests run");
    }
    return fixture;
  }

  /** The daemon's directory: its state dir and socket are in it, tests put their files there. */
  Path dir() {
    if (dir == null) {
      throw new IllegalStateException("the daemon's directory exists only while the tests run");
    }
    return dir;
  }

  Path stateDir() {
    return fixture().stateDir();
  }

  Path socket() {
    return fixture().socket();
  }

  long pid() {
    return fixture().pid();
  }

  Process process() {
    return fixture().process();
  }

  AirlockClient client() {
    return fixture().client();
  }

  ExecuteRequest.Builder request(String... argv) {
    return fixture().request(argv);
  }

  CliProcess cli(String... args) throws IOException {
    return fixture().cli(args);
  }

  CliProcess cli(byte[] stdin, String... args) throws IOException {
    return fixture().cli(stdin, args);
  }

  CliProcess.Result runCli(Duration timeout, String... args)
      throws IOException, InterruptedException {
    return fixture().runCli(timeout, args);
  }

  /**
   * Deletes a directory tree as JUnit's {@code @TempDir} does, giving the owner back access to
   * directories a test left unreadable or read-only.
   */
  private static void deleteTree(Path root) throws IOException {
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            deleteWithAccess(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            // A directory that could not be listed: open it up and walk it again.
            if (!Files.isDirectory(file) || !grantOwner(file)) {
              throw e;
            }
            deleteTree(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            deleteWithAccess(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static void deleteWithAccess(Path path) throws IOException {
    try {
      Files.delete(path);
    } catch (AccessDeniedException e) {
      if (!grantOwner(path.getParent())) {
        throw e;
      }
      Files.delete(path);
    }
  }

  /** Gives the owner read, write and search permission on a directory; false when it cannot. */
  private static boolean grantOwner(Path directory) {
    File f = directory.toFile();
    return f.setReadable(true, true) && f.setWritable(true, true) && f.setExecutable(true, true);
  }
}
