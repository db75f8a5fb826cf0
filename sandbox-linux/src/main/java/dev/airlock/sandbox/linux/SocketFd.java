package dev.airlock.sandbox.linux;

/**
 * The descriptor of a connected stream socket the daemon serves (from its event loop), for the one
 * question the event loop cannot answer: whether the peer went away entirely.
 *
 * @param value the descriptor number
 */
public record SocketFd(int value) {
  public SocketFd {
    if (value < 0) {
      throw new IllegalArgumentException("not a descriptor: " + value);
    }
  }

  /**
   * Whether the peer closed the socket entirely, as opposed to shutting down only its sending side
   * (a client that has sent its request and still reads the result): the kernel reports POLLHUP
   * only when both directions are shut. An epoll loop sees both as the same EPOLLRDHUP.
   */
  public boolean peerHungUp() {
    com.sun.jna.Memory pollFd = LinuxLibc.allocate(LinuxLibc.POLLFD_BYTES);
    pollFd.setInt(0, value);
    pollFd.setShort(4, LinuxLibc.POLLRDHUP);
    return LinuxLibc.poll(pollFd, 1, 0) > 0 && (pollFd.getShort(6) & LinuxLibc.POLLHUP) != 0;
  }
}
