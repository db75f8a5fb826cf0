package dev.airlock.daemon.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class FingerprintsTest {
  private static final PlatformKey PLATFORM = PlatformKey.of("6.18.2-amd64", "amd64");

  private static WeakFingerprint.Builder base() {
    return WeakFingerprint.builder()
        .argv(List.of("cc", "-c", "a.c"))
        .environment(Map.of("PATH", "/usr/bin", "LANG", "C"))
        .cwd("/w")
        .policy("policy".getBytes(StandardCharsets.UTF_8))
        .platform(PLATFORM);
  }

  private static WeakFingerprint weak(UnaryOperator<WeakFingerprint.Builder> change) {
    return change.apply(base()).build();
  }

  @Test
  void everyKnownInputChangesTheWeakFingerprint() {
    WeakFingerprint reference = base().build();
    List<WeakFingerprint> variants =
        List.of(
            weak(b -> b.argv(List.of("cc", "-c", "b.c"))),
            weak(b -> b.environment(Map.of("PATH", "/usr/bin", "LANG", "en_US"))),
            weak(b -> b.cwd("/w2")),
            weak(b -> b.policy(new byte[] {1})),
            weak(b -> b.declaredInput("/w/a.c", Digest.sha256(new byte[] {1}))),
            weak(b -> b.platform(PlatformKey.of("6.19.0", "amd64"))),
            weak(b -> b.platform(PlatformKey.of("6.18.2", "aarch64"))));
    for (WeakFingerprint v : variants) {
      assertNotEquals(reference, v);
    }
    assertEquals(variants.size(), variants.stream().distinct().count());
  }

  @Test
  void environmentOrderAndPatchReleaseDoNotMatter() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("LANG", "C");
    env.put("PATH", "/usr/bin");
    assertEquals(base().build(), weak(b -> b.environment(env)));
    assertEquals(base().build(), weak(b -> b.platform(PlatformKey.of("6.18.9-cloud", "amd64"))));
    assertEquals("6.18", PLATFORM.kernel());
  }

  @Test
  void theEncodingIsUnambiguous() {
    assertNotEquals(weak(b -> b.argv(List.of("ab", "c"))), weak(b -> b.argv(List.of("a", "bc"))));
    assertNotEquals(
        weak(b -> b.environment(Map.of("A", "B=C"))), weak(b -> b.environment(Map.of("A=B", "C"))));
  }

  @Test
  void aMissingFieldIsReported() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> WeakFingerprint.builder().argv(List.of("x")).cwd("rel").build());
    assertTrue(e.getMessage().contains("environment"), e.getMessage());
    assertTrue(e.getMessage().contains("absolute cwd"), e.getMessage());
  }

  @Test
  void theStrongFingerprintFollowsEachState() {
    WeakFingerprint weak = base().build();
    PathSet set =
        PathSet.of(
            List.of(
                new ObservedPath("/w/a", ObservationKind.CONTENT),
                new ObservedPath("/w/b", ObservationKind.EXISTENCE)));
    Digest a = Digest.sha256(new byte[] {'a'});
    StrongFingerprint reference =
        StrongFingerprint.of(weak, set, List.of(new PathState.FileContent(a), PathState.ABSENT));
    assertEquals(
        reference,
        StrongFingerprint.of(weak, set, List.of(new PathState.FileContent(a), PathState.ABSENT)));
    List<List<PathState>> others =
        List.of(
            List.of(new PathState.FileContent(Digest.sha256(new byte[] {'b'})), PathState.ABSENT),
            List.of(new PathState.FileContent(a), new PathState.Exists(FileType.FILE)),
            List.of(new PathState.Symlink("a"), PathState.ABSENT),
            List.of(new PathState.DirectoryListing(a), PathState.ABSENT));
    for (List<PathState> states : others) {
      assertNotEquals(reference, StrongFingerprint.of(weak, set, states), states.toString());
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> StrongFingerprint.of(weak, set, List.of(PathState.ABSENT)));
  }
}
