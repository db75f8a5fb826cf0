package dev.airlock.policies;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.fuzz.Fuzz;
import dev.airlock.fuzz.Gen;
import dev.airlock.protocol.Network;
import dev.airlock.protocol.Policy;
import dev.airlock.protocol.PolicyMode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes {@link PolicyLoader} with random and mutated textproto: it returns a policy whose mode is
 * set, or throws a {@link PolicyException} with a message; never another exception.
 */
class PolicyLoaderFuzzTest {
  private static final List<String> FIELDS =
      List.of(
          "description",
          "extends",
          "mode",
          "readable",
          "writable",
          "executable",
          "hidden",
          "network",
          "env",
          "private_tmp",
          "allow_namespaces",
          "limits",
          "bogus");
  private static final List<String> VALUES =
      List.of(
          "MODE_AUDIT",
          "MODE_ENFORCE",
          "MODE_UNSPECIFIED",
          "NETWORK_NONE",
          "NETWORK_FULL",
          "0",
          "1",
          "2",
          "99",
          "-1",
          "true",
          "false",
          "18446744073709551616",
          "\"build\"",
          "\"hermetic\"",
          "\"base.textproto\"",
          "\"self.textproto\"",
          "\"dir\"",
          "\"missing.textproto\"",
          "\"/\"",
          "\"${workspace}\"",
          "\"${home}/.ssh\"",
          "\"${inputs}\"",
          "\"${nope}\"",
          "\"/a/../b\"",
          "\"\\0\"",
          "\"a\\0b/c\"",
          "\"\\xff\\xfe\"",
          "\"\\n\"",
          "\"FOO_*\"",
          "{ processes: 1 }",
          "{ }",
          "{ bogus: 1 }");

  @TempDir Path dir;
  private PolicyLoader loader;
  private List<byte[]> seeds;

  @BeforeEach
  void policyFiles() throws IOException {
    loader = new PolicyLoader(dir);
    Files.writeString(dir.resolve("base.textproto"), "mode: MODE_AUDIT\nreadable: \"/usr\"\n");
    Files.writeString(dir.resolve("self.textproto"), "extends: \"self.textproto\"\n");
    Files.write(dir.resolve("bad.textproto"), new byte[] {'m', (byte) 0xff, ':'});
    Files.createDirectories(dir.resolve("dir"));
    seeds = new ArrayList<>();
    for (String name : PolicyLoader.shippedNames()) {
      try (InputStream in =
          PolicyLoader.class.getResourceAsStream("/dev/airlock/policies/" + name + ".textproto")) {
        seeds.add(in.readAllBytes());
      }
    }
  }

  @Test
  void randomAndMutatedTextGivesAPolicyWithAModeOrAPolicyException() {
    Fuzz.forAll(
        1500,
        r -> {
          byte[] text =
              switch (r.nextInt(3)) {
                case 0 -> Gen.bytes(r, 200);
                case 1 -> Gen.mutate(r, Gen.pick(r, seeds));
                default -> Gen.mutate(r, fields(r).getBytes(StandardCharsets.UTF_8));
              };
          check(new String(text, StandardCharsets.UTF_8));
        });
  }

  @Test
  void wellFormedFieldsWithOddValuesGiveAPolicyWithAModeOrAPolicyException() {
    Fuzz.forAll(1500, r -> check(fields(r)));
  }

  /** Found by the fuzzer: a NUL in extends reached Path.resolve, which threw unchecked. */
  @Test
  void anExtendsWithANulByteIsAPolicyException() {
    PolicyException e =
        assertThrows(
            PolicyException.class,
            () -> loader.loadInline("mode: MODE_AUDIT\nextends: \"a\\0b/c\"\n"));
    assertTrue(e.getMessage().contains("<inline policy>:2:1: extends: "), e.getMessage());
    assertThrows(PolicyException.class, () -> loader.load("x\0.textproto"));
  }

  private void check(String text) {
    Policy policy;
    try {
      policy = loader.loadInline(text);
    } catch (PolicyException e) {
      assertNotNull(e.getMessage());
      assertFalse(e.getMessage().isBlank());
      return;
    }
    assertTrue(
        policy.getMode() == PolicyMode.MODE_AUDIT || policy.getMode() == PolicyMode.MODE_ENFORCE,
        "accepted a policy whose mode is " + policy.getMode() + ":\n" + text);
    assertTrue(policy.getNetwork() != Network.UNRECOGNIZED, "accepted network number:\n" + text);
  }

  /** Found by the fuzzer: proto3 text format takes an enum's number, named or not. */
  @Test
  void aModeOrNetworkNumberTheEnumDoesNotNameIsRefused() {
    PolicyException mode =
        assertThrows(PolicyException.class, () -> loader.loadInline("mode: 99\n"));
    assertTrue(
        mode.getMessage().contains("mode: use MODE_AUDIT or MODE_ENFORCE"), mode.getMessage());
    PolicyException network =
        assertThrows(
            PolicyException.class, () -> loader.loadInline("mode: MODE_AUDIT\nnetwork: 7\n"));
    assertTrue(network.getMessage().contains("<inline policy>:2:"), network.getMessage());
  }

  private static String fields(Random r) {
    StringBuilder text = new StringBuilder();
    for (int i = r.nextInt(6); i > 0; i--) {
      String field = Gen.pick(r, FIELDS);
      String value = Gen.pick(r, VALUES);
      text.append(field).append(value.startsWith("{") ? " " : ": ").append(value).append('\n');
    }
    return text.toString();
  }
}
