package dev.airlock.daemon.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DigestTest {
  @Test
  void hashesLikeSha256sum() {
    // printf abc | sha256sum
    assertEquals(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        Digest.sha256("abc".getBytes(StandardCharsets.US_ASCII)).hex());
  }

  @Test
  void parseRoundTripsAndIsAValue() {
    Digest d = Digest.sha256(new byte[] {1, 2, 3});
    Digest parsed = Digest.parse(d.hex().toUpperCase());
    assertEquals(d, parsed);
    assertEquals(d.hashCode(), parsed.hashCode());
    assertArrayEquals(d.bytes(), Digest.of(d.bytes()).bytes());
    assertNotEquals(d, Digest.sha256(new byte[] {1, 2, 4}));
  }

  @Test
  void bytesAreCopied() {
    Digest d = Digest.sha256(new byte[0]);
    byte[] leaked = d.bytes();
    leaked[0] ^= 1;
    assertNotEquals(leaked[0], d.bytes()[0]);
  }

  @Test
  void rejectsWrongLengths() {
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("abcd"));
    assertThrows(IllegalArgumentException.class, () -> Digest.of(new byte[31]));
  }
}
