package dev.airlock.daemon;

import dev.airlock.protocol.AirlockConfigException;
import dev.airlock.protocol.AirlockPaths;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The daemon's private directory (mode 0700), held with an exclusive lock so two daemons never
 * share it. Also prepares the socket path: its directory, and the removal of a stale socket left by
 * a daemon that died.
 */
final class StateDirectory implements AutoCloseable {
  private static final String LOCK_FILE = "airlockd.lock";

  private final Path root;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private StateDirectory(Path root, FileChannel lockChannel, FileLock lock) {
    this.root = root;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Creates (0700) and locks the state directory.
   *
   * @throws AirlockConfigException when another daemon holds it or it cannot be used
   */
  static StateDirectory lock(Path root) throws IOException {
    createPrivateDirectory(root);
    FileChannel channel =
        FileChannel.open(
            root.resolve(LOCK_FILE),
            StandardOpenOption.CREATE,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    FileLock lock = channel.tryLock();
    if (lock == null) {
      String holder =
          new String(Files.readAllBytes(root.resolve(LOCK_FILE)), StandardCharsets.UTF_8).trim();
      channel.close();
      String served = servedSocket(root);
      throw new AlreadyRunningException(
          "another airlockd"
              + (holder.isEmpty() ? "" : " (pid " + holder + ")")
              + " already uses "
              + root
              + (served.isEmpty() ? "" : ", serving " + served));
    }
    channel.truncate(0);
    channel.write(
        ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)));
    channel.force(false);
    return new StateDirectory(root, channel, lock);
  }

  Path root() {
    return root;
  }

  /** Records the socket this daemon serves, for clients whose own daemon this one refused. */
  void recordServedSocket(Path socket) throws IOException {
    Path record = root.resolve(AirlockPaths.SERVED_SOCKET_FILE_NAME);
    Path temp = root.resolve(AirlockPaths.SERVED_SOCKET_FILE_NAME + ".tmp");
    Files.writeString(temp, socket + "\n");
    // Renamed into place: a client never reads half a path.
    Files.move(temp, record, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The socket the holder of the state dir recorded, or "" (not yet, or unreadable). */
  private static String servedSocket(Path root) {
    try {
      return Files.readString(root.resolve(AirlockPaths.SERVED_SOCKET_FILE_NAME)).trim();
    } catch (IOException e) {
      return "";
    }
  }

  Path logDirectory() {
    return root.resolve("logs");
  }

  Path libexecDirectory() {
    return root.resolve("libexec");
  }

  /**
   * Makes the socket path bindable: creates a missing parent directory with mode 0700 and removes a
   * socket file no daemon listens on.
   *
   * @throws AirlockConfigException when a live daemon (of another state dir) owns the socket
   */
  static void prepareSocketPath(Path socket) throws IOException {
    Path parent = socket.getParent();
    if (!Files.isDirectory(parent)) {
      createPrivateDirectory(parent);
    }
    if (!Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(socket));
      throw new AlreadyRunningException("another airlockd is listening on " + socket);
    } catch (IOException refused) {
      // Nobody accepts on it: the socket of a daemon that died. Replace it.
      Files.deleteIfExists(socket);
    }
  }

  private static void createPrivateDirectory(Path dir) throws IOException {
    Files.createDirectories(
        dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    if (!Files.isWritable(dir)) {
      throw new AirlockConfigException("cannot write to " + dir + "; check its owner and mode");
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
  }

  @Override
  public void close() throws IOException {
    if (lock.isValid()) {
      lock.release();
    }
    lockChannel.close();
  }

  /** Another daemon already serves this state directory or socket. */
  static final class AlreadyRunningException extends AirlockConfigException {
    private static final long serialVersionUID = 1L;

    AlreadyRunningException(String message) {
      super(message);
    }
  }
}
