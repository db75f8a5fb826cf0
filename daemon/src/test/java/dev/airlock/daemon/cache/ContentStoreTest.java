package dev.airlock.daemon.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentStoreTest {
  @TempDir Path stateDir;
  @TempDir Path work;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void storesUnderFanOutAndReadsBack() throws Exception {
    ContentStore cas = ContentStore.open(stateDir);
    Digest d = cas.put(b("hello"));
    assertEquals(Digest.sha256(b("hello")), d);
    Path blob =
        stateDir.resolve("cas").resolve(d.hex().substring(0, 2)).resolve(d.hex().substring(2));
    assertTrue(Files.isRegularFile(blob), "fan-out layout ab/cdef…");
    assertArrayEquals(b("hello"), cas.read(d));
    assertEquals(5, cas.sizeOf(d));
    assertTrue(cas.contains(d));
    assertEquals(List.of(d), cas.digests());
  }

  @Test
  void putIsIdempotentAndStreamsFromFilesAndStreams() throws Exception {
    ContentStore cas = ContentStore.open(stateDir);
    Path file = work.resolve("f");
    byte[] big = new byte[300_000];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    Files.write(file, big);
    Digest fromFile = cas.put(file);
    Digest fromStream = cas.put(new ByteArrayInputStream(big));
    Digest fromBytes = cas.put(big);
    assertEquals(fromFile, fromStream);
    assertEquals(fromFile, fromBytes);
    assertEquals(1, cas.digests().size());
    assertEquals(big.length, cas.totalBytes());
    assertEquals(0, Files.list(stateDir.resolve("cas/tmp")).count(), "no temp file left");
  }

  @Test
  void aCorruptBlobIsDetectedAndRemoved() throws Exception {
    ContentStore cas = ContentStore.open(stateDir);
    Digest d = cas.put(b("original"));
    corrupt(cas, d, "tampered");
    CorruptBlobException e = assertThrows(CorruptBlobException.class, () -> cas.read(d));
    assertEquals(d, e.expected());
    assertEquals(Digest.sha256(b("tampered")), e.actual());
    assertFalse(cas.contains(d), "never served again");
    assertThrows(NoSuchFileException.class, () -> cas.read(d));
  }

  @Test
  void intactFindsACorruptBlobAndLeavesItWhereItIs() throws Exception {
    ContentStore cas = ContentStore.open(stateDir);
    Digest good = cas.put(b("kept"));
    Digest bad = cas.put(b("original"));
    corrupt(cas, bad, "tampered");

    assertTrue(cas.intact(good));
    assertFalse(cas.intact(bad));
    assertTrue(cas.contains(bad), "a check changes nothing");
  }

  @Test
  void aStreamVerifiesAtItsEnd() throws Exception {
    ContentStore cas = ContentStore.open(stateDir);
    Digest d = cas.put(b("abcdef"));
    corrupt(cas, d, "abcdeX");
    try (InputStream in = cas.open(d)) {
      assertEquals('a', in.read());
      assertEquals(3, in.skip(3), "skipped bytes still hashed");
      assertThrows(CorruptBlobException.class, in::readAllBytes);
    }
    assertFalse(cas.contains(d));
  }

  @Test
  void materializeCopiesWithTheModeAndLeavesTheBlobAlone() throws Exception {
    ContentStore cas = ContentStore.open(stateDir);
    Digest d = cas.put(b("#!/bin/sh\necho hi\n"));
    Path target = work.resolve("tool.sh");
    Files.writeString(target, "old content");
    cas.materialize(d, target, 0755);
    assertEquals("#!/bin/sh\necho hi\n", Files.readString(target));
    assertEquals(
        PosixFilePermissions.fromString("rwxr-xr-x"), Files.getPosixFilePermissions(target));
    Files.writeString(target, "consumer edits its copy");
    assertArrayEquals(b("#!/bin/sh\necho hi\n"), cas.read(d), "a copy, not a hard link");
    assertEquals(1, (int) Files.getAttribute(cas.pathOf(d), "unix:nlink"), "no second name");
  }

  @Test
  void materializingACorruptBlobLeavesTheTargetUntouched() throws Exception {
    ContentStore cas = ContentStore.open(stateDir);
    Digest d = cas.put(b("good"));
    corrupt(cas, d, "evil");
    Path target = work.resolve("out");
    Files.writeString(target, "before");
    assertThrows(CorruptBlobException.class, () -> cas.materialize(d, target, 0644));
    assertEquals("before", Files.readString(target));
    assertEquals(List.of(target), Files.list(work).toList(), "no temp file left beside it");
  }

  @Test
  void openCollectsTempFilesOfAKilledWrite() throws Exception {
    ContentStore.open(stateDir);
    Path stale = stateDir.resolve("cas/tmp/put-killed");
    Files.writeString(stale, "half a blob");
    ContentStore cas = ContentStore.open(stateDir);
    assertFalse(Files.exists(stale));
    assertEquals(List.of(), cas.digests(), "a temp file is never a blob");
  }

  @Test
  void deleteAndTotals() throws Exception {
    ContentStore cas = ContentStore.open(stateDir);
    Digest a = cas.put(b("aaa"));
    Digest bb = cas.put(b("bbbbb"));
    assertEquals(8, cas.totalBytes());
    assertTrue(cas.delete(a));
    assertFalse(cas.delete(a));
    assertEquals(Set.of(bb), Set.copyOf(cas.digests()));
    assertEquals(5, cas.totalBytes());
    assertNotEquals(a, bb);
  }

  private static void corrupt(ContentStore cas, Digest d, String content) throws Exception {
    Path blob = cas.pathOf(d);
    Files.setPosixFilePermissions(blob, PosixFilePermissions.fromString("rw-r--r--"));
    Files.writeString(blob, content);
  }
}
