package dev.airlock.daemon.reapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.airlock.fuzz.Fuzz;
import dev.airlock.fuzz.Gen;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes {@link ResourceName} with random, mutated and well-formed ByteStream resource names: a
 * name parses, and what it parsed to parses back the same from its canonical form, or it is refused
 * with an INVALID_ARGUMENT {@link ReapiException}; never another exception.
 */
class ResourceNameFuzzTest {
  private static final List<String> SEGMENTS =
      List.of(
          "blobs",
          "uploads",
          "compressed-blobs",
          "actions",
          "main",
          "",
          "zstd",
          "0",
          "-1",
          "+7",
          "9223372036854775808",
          "3b4c",
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
          "1b2c3d4e-0000-4000-8000-000000000000",
          "..",
          "\0",
          "\uDC80",
          "é");

  @Test
  void anyNameParsesConsistentlyOrIsAnInvalidArgument() {
    Fuzz.forAll(
        5000,
        r -> {
          String name =
              switch (r.nextInt(3)) {
                case 0 -> new String(Gen.bytes(r, 120), StandardCharsets.UTF_8);
                case 1 -> segments(r);
                default ->
                    new String(
                        Gen.mutate(r, wellFormed(r).getBytes(StandardCharsets.UTF_8)),
                        StandardCharsets.UTF_8);
              };
          check(name);
        });
  }

  @Test
  void aWellFormedNameParsesToItsParts() {
    Fuzz.forAll(
        5000,
        r -> {
          String instance = r.nextBoolean() ? "" : "ci/main";
          String hash = HexFormat.of().formatHex(bytes(r, 32));
          long size = r.nextInt(4) == 0 ? Long.MAX_VALUE : r.nextInt(1 << 20);
          String blob = "blobs/" + hash + "/" + size;
          String prefix = instance.isEmpty() ? "" : instance + "/";
          ResourceName read = ResourceName.forRead(prefix + blob);
          assertEquals(instance, read.instance());
          assertEquals(hash, read.blob().hash().hex());
          assertEquals(size, read.blob().size());
          String uuid = java.util.UUID.nameUUIDFromBytes(bytes(r, 8)).toString();
          String tail = r.nextBoolean() ? "" : "/metadata/" + new String(Gen.fileName(r, 20));
          ResourceName write =
              ResourceName.forWrite(prefix + "uploads/" + uuid + "/" + blob + tail);
          assertEquals(instance, write.instance());
          assertEquals(uuid, write.upload().orElseThrow());
          assertEquals(read.blob(), write.blob());
        });
  }

  private static void check(String name) {
    for (boolean write : new boolean[] {false, true}) {
      ResourceName parsed;
      try {
        parsed = write ? ResourceName.forWrite(name) : ResourceName.forRead(name);
      } catch (ReapiException e) {
        assertEquals(ReapiException.Kind.INVALID_ARGUMENT, e.kind(), e.getMessage());
        assertNotNull(e.getMessage());
        continue;
      }
      assertFalse(parsed.blob().size() < 0, name);
      String prefix = parsed.instance().isEmpty() ? "" : parsed.instance() + "/";
      String blob = "blobs/" + parsed.blob().hash().hex() + "/" + parsed.blob().size();
      try {
        ResourceName again =
            write
                ? ResourceName.forWrite(
                    prefix + "uploads/" + parsed.upload().orElseThrow() + "/" + blob)
                : ResourceName.forRead(prefix + blob);
        assertEquals(parsed, again, name);
      } catch (ReapiException e) {
        throw new AssertionError("'" + name + "' parsed, its canonical form did not", e);
      }
    }
  }

  private static String wellFormed(Random r) {
    String hash = HexFormat.of().formatHex(bytes(r, 32));
    String blob = "blobs/" + hash + "/" + r.nextInt(1000);
    return (r.nextBoolean() ? "inst/" : "") + (r.nextBoolean() ? "uploads/u-1/" : "") + blob;
  }

  private static String segments(Random r) {
    List<String> parts = new ArrayList<>();
    for (int i = r.nextInt(8); i >= 0; i--) {
      parts.add(Gen.pick(r, SEGMENTS));
    }
    return String.join("/", parts);
  }

  private static byte[] bytes(Random r, int n) {
    byte[] out = new byte[n];
    r.nextBytes(out);
    return out;
  }
}
