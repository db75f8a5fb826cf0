package dev.airlock.tests;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the daemon and the client as uid/gid 65534 (nobody) through setpriv. The jars are copied to
 * a world-readable directory first: the build's own may sit under a directory other users cannot
 * enter (e.g. /root).
 */
final class OtherUser {
  static final int UID = 65534;

  private final Path jars;
  private final Path home;

  private OtherUser(Path jars, Path home) {
    this.jars = jars;
    this.home = home;
  }

  /** Prepares {@code dir} (made 0755): public copies of the jars and a home owned by 65534. */
  static OtherUser in(Path dir) throws IOException, InterruptedException {
    openUp(dir);
    Path jars = Files.createDirectories(dir.resolve("jars"));
    copyJars(
        DaemonFixture.REPO.resolve("daemon/target"), "airlock-daemon.jar", jars.resolve("daemon"));
    copyJars(
        DaemonFixture.REPO.resolve("client/target"), "airlock-client.jar", jars.resolve("client"));
    Procs.run("chmod", "-R", "u=rwX,go=rX", jars.toString());
    Path home = Files.createDirectories(dir.resolve("home"));
    chown(home);
    return new OtherUser(jars, home);
  }

  /** Makes {@code dir} 0755 and checks that other users can reach it. */
  static void openUp(Path dir) throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    for (Path p = dir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
      if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
        throw new IOException(
            "uid "
                + UID
                + " cannot reach "
                + dir
                + " because "
                + p
                + " is not world-traversable"
                + " (set java.io.tmpdir to a directory under /tmp)");
      }
    }
  }

  static void chown(Path path) throws IOException, InterruptedException {
    Procs.run("chown", UID + ":" + UID, path.toString());
  }

  private static void copyJars(Path target, String mainJar, Path to) throws IOException {
    Files.createDirectories(to.resolve("lib"));
    Files.copy(target.resolve(mainJar), to.resolve(mainJar), StandardCopyOption.REPLACE_EXISTING);
    try (DirectoryStream<Path> libs = Files.newDirectoryStream(target.resolve("lib"), "*.jar")) {
      for (Path lib : libs) {
        Files.copy(
            lib, to.resolve("lib").resolve(lib.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  Path home() {
    return home;
  }

  static String java() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private static List<String> asUser(String classpath, String mainClass, String... jvmFlags) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "setpriv",
                "--reuid=" + UID,
                "--regid=" + UID,
                "--clear-groups",
                "--",
                java(),
                "-XX:-UsePerfData"));
    command.addAll(List.of(jvmFlags));
    command.addAll(List.of("-cp", classpath, mainClass));
    return command;
  }

  /** The command line that execs airlockd as uid 65534 (for {@link DaemonFixture#start}). */
  List<String> daemonCommand() {
    Path d = jars.resolve("daemon");
    return asUser(
        d.resolve("airlock-daemon.jar") + ":" + d.resolve("lib") + "/*",
        "dev.airlock.daemon.AirlockDaemon",
        "--enable-native-access=ALL-UNNAMED");
  }

  /** Starts the client CLI (no daemon autostart) as uid 65534 in its home directory. */
  CliProcess cli(String... args) throws IOException {
    Path c = jars.resolve("client");
    List<String> command =
        asUser(
            c.resolve("airlock-client.jar") + ":" + c.resolve("lib") + "/*",
            "dev.airlock.client.cli.AirlockCli");
    command.addAll(List.of(args));
    Map<String, String> env = DaemonFixture.cliEnvironment();
    env.put("HOME", home.toString());
    env.put("USER", "nobody");
    env.put("LOGNAME", "nobody");
    env.put("XDG_RUNTIME_DIR", null);
    env.put("XDG_CACHE_HOME", null);
    return CliProcess.start(command, env, home, null);
  }
}
