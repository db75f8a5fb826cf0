package dev.airlock.sandbox.linux.trace;

import dev.airlock.protocol.PathBytes;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Renders a struct sockaddr read from a tracee as the address part of a CONNECT record. */
final class SocketAddresses {
  /** The prefix of a unix socket's address: {@code unix:/path}, {@code unix:@abstract}. */
  static final String UNIX = "unix:";

  private static final int AF_UNIX = 1;
  private static final int AF_INET = 2;
  private static final int AF_INET6 = 10;

  private SocketAddresses() {}

  /**
   * {@code inet:1.2.3.4:80}, {@code inet6:[::1]:80}, {@code unix:/path}, {@code unix:@name}, or
   * null for an unreadable address or another family (netlink, AF_UNSPEC disconnects, ...).
   */
  static String describe(byte[] sockaddr) {
    if (sockaddr == null || sockaddr.length < 2) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(sockaddr);
    int family = b.order(ByteOrder.nativeOrder()).getShort(0) & 0xffff;
    b.order(ByteOrder.BIG_ENDIAN);
    try {
      switch (family) {
        case AF_INET -> {
          if (sockaddr.length < 8) {
            return null;
          }
          String host =
              InetAddress.getByAddress(Arrays.copyOfRange(sockaddr, 4, 8)).getHostAddress();
          return "inet:" + host + ":" + (b.getShort(2) & 0xffff);
        }
        case AF_INET6 -> {
          if (sockaddr.length < 24) {
            return null;
          }
          String host =
              InetAddress.getByAddress(Arrays.copyOfRange(sockaddr, 8, 24)).getHostAddress();
          return "inet6:[" + host + "]:" + (b.getShort(2) & 0xffff);
        }
        case AF_UNIX -> {
          if (sockaddr.length <= 2) {
            return "unix:(unnamed)";
          }
          boolean abstractName = sockaddr[2] == 0;
          int start = abstractName ? 3 : 2;
          int end = start;
          while (end < sockaddr.length && sockaddr[end] != 0) {
            end++;
          }
          String name = PathBytes.decode(sockaddr, start, end - start);
          return "unix:" + (abstractName ? "@" : "") + name;
        }
        default -> {
          return null;
        }
      }
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
