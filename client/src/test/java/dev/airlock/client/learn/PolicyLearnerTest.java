package dev.airlock.client.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.policies.PolicyLoader;
import dev.airlock.protocol.Access;
import dev.airlock.protocol.AccessKind;
import dev.airlock.protocol.Network;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Policy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyLearnerTest {
  private static final String WS = "/build/ws";

  private final List<Access> accesses = new ArrayList<>();

  private void saw(AccessKind kind, String path) {
    saw(kind, path, 0);
  }

  private void saw(AccessKind kind, String path, int errno) {
    accesses.add(
        Access.newBuilder().setKind(kind).setPath(PathBytes.toWire(path)).setErrno(errno).build());
  }

  private LearnedPolicy learn(int threshold) throws Exception {
    return learn(LearnedPolicy.empty("hermetic"), threshold);
  }

  private LearnedPolicy learn(LearnedPolicy earlier, int threshold) throws Exception {
    return learnIn(WS, earlier, threshold);
  }

  private LearnedPolicy learnIn(String workspace, LearnedPolicy earlier, int threshold)
      throws Exception {
    Policy hermetic = new PolicyLoader(Path.of("/")).load("hermetic");
    PolicyLearner learner =
        PolicyLearner.forBase("hermetic", hermetic, workspace, Optional.of("/home/u"), threshold);
    return learner.learn(earlier, new ObservedRun(workspace, List.of("make"), accesses, true));
  }

  @Test
  void aWorkspaceUnderTheHostsTmpIsLearnedThoughTheBasesTmpIsPrivate() throws Exception {
    saw(AccessKind.READ, "/tmp/ws/a.c");
    saw(AccessKind.CREATE, "/tmp/ws/a.o");
    saw(AccessKind.READ, "/tmp/other.txt"); // the host's /tmp: absent in the private one

    LearnedPolicy p = learnIn("/tmp/ws", LearnedPolicy.empty("hermetic"), 3);

    assertEquals(List.of("${workspace}/a.c"), List.copyOf(readable(p).keySet()));
    assertEquals(List.of("${workspace}/a.o"), List.copyOf(p.grants(GrantKind.WRITABLE).keySet()));
  }

  private static Map<String, Tally> readable(LearnedPolicy p) {
    return p.grants(GrantKind.READABLE);
  }

  @Test
  void aWorkspaceWithManyReadEntriesIsGrantedWholeAndWrittenAsAVariable() throws Exception {
    saw(AccessKind.READ, WS + "/src/a.c");
    saw(AccessKind.READ, WS + "/src/b.c");
    saw(AccessKind.READ, WS + "/src/c.c");
    saw(AccessKind.READ, WS + "/include/x.h");
    saw(AccessKind.READ, WS + "/Makefile");

    LearnedPolicy p = learn(3);

    assertEquals(List.of("${workspace}"), List.copyOf(readable(p).keySet()));
    assertEquals(5, readable(p).get("${workspace}").count());
  }

  @Test
  void belowTheThresholdEachPathIsGrantedOnItsOwn() throws Exception {
    saw(AccessKind.READ, WS + "/src/a.c");
    saw(AccessKind.READ, WS + "/src/b.c");
    saw(AccessKind.READ, WS + "/src/c.c");
    saw(AccessKind.READ, WS + "/include/x.h");
    saw(AccessKind.READ, WS + "/Makefile");

    LearnedPolicy p = learn(4);

    assertEquals(
        List.of(
            "${workspace}/Makefile",
            "${workspace}/include/x.h",
            "${workspace}/src/a.c",
            "${workspace}/src/b.c",
            "${workspace}/src/c.c"),
        List.copyOf(readable(p).keySet()));
  }

  @Test
  void whatTheBaseGrantsAndThePrivateTmpAreLeftOut() throws Exception {
    saw(AccessKind.READ, "/usr/include/stdio.h");
    saw(AccessKind.EXEC, "/usr/bin/gcc");
    saw(AccessKind.READ, "/etc/ld.so.cache");
    saw(AccessKind.CREATE, "/tmp/cc123.s");
    saw(AccessKind.READ, "/tmp/cc123.s");
    saw(AccessKind.WRITE, "/dev/null");
    saw(AccessKind.READ, "/proc/4711/status");

    LearnedPolicy p = learn(3);

    for (GrantKind kind : GrantKind.values()) {
      assertEquals(Map.of(), p.grants(kind), kind.field());
    }
    assertEquals(Network.NETWORK_NONE, p.network());
  }

  @Test
  void aProgramInABinDirectoryGrantsItsWholeInstallation() throws Exception {
    saw(AccessKind.EXEC, "/opt/cross/bin/gcc");
    saw(AccessKind.READ, "/opt/cross/lib/gcc/crt1.o");
    saw(AccessKind.READ, "/opt/cross/include/stdio.h");

    LearnedPolicy p = learn(10);

    assertEquals(List.of("/opt/cross"), List.copyOf(readable(p).keySet()));
    assertEquals(3, readable(p).get("/opt/cross").count());
    assertEquals(List.of("/opt/cross"), List.copyOf(p.grants(GrantKind.EXECUTABLE).keySet()));
  }

  @Test
  void nothingCollapsesIntoTheRootATopLevelDirectoryOrHome() throws Exception {
    saw(AccessKind.READ, "/etc/a.conf");
    saw(AccessKind.READ, "/etc/b.conf");
    saw(AccessKind.READ, "/etc/c.conf");
    saw(AccessKind.READ, "/home/u/.a");
    saw(AccessKind.READ, "/home/u/.b");
    saw(AccessKind.READ, "/home/u/.c");
    saw(AccessKind.READ, "/srv/data/x");
    saw(AccessKind.READ, "/srv/data/y");
    saw(AccessKind.READ, "/srv/data/z");

    LearnedPolicy p = learn(3);

    assertEquals(
        List.of(
            "${home}/.a",
            "${home}/.b",
            "${home}/.c",
            "/etc/a.conf",
            "/etc/b.conf",
            "/etc/c.conf",
            "/srv/data"),
        List.copyOf(readable(p).keySet()));
  }

  @Test
  void aDirectoryTheActionMadeAndWroteIntoIsWritableWhole() throws Exception {
    saw(AccessKind.CREATE, WS + "/obj");
    saw(AccessKind.CREATE, WS + "/obj/a.o");
    saw(AccessKind.WRITE, WS + "/obj/a.o");
    saw(AccessKind.CREATE, WS + "/app");
    saw(AccessKind.WRITE, WS + "/app");

    LearnedPolicy p = learn(3);

    assertEquals(
        List.of("${workspace}/app", "${workspace}/obj"),
        List.copyOf(p.grants(GrantKind.WRITABLE).keySet()));
  }

  @Test
  void failedAccessesAbsentProbesAndEscapesGrantNothing() throws Exception {
    saw(AccessKind.READ, "/srv/secret", 13);
    saw(AccessKind.ABSENT_PROBE, "/srv/missing");
    saw(AccessKind.ESCAPE, "/srv/mounted");
    saw(AccessKind.STAT_PROBE, "/build"); // the walk down to the workspace

    LearnedPolicy p = learn(3);

    assertEquals(Map.of(), readable(p));
  }

  @Test
  void aLookAtADirectoryOnTheWayToAGrantIsNoGrantOfItsOwn() throws Exception {
    saw(AccessKind.STAT_PROBE, "/srv/data");
    saw(AccessKind.ENUMERATE, "/srv/data");
    saw(AccessKind.READ, "/srv/data/x");
    saw(AccessKind.ENUMERATE, "/etc"); // on the way to the base's /etc/ld.so.cache
    saw(AccessKind.STAT_PROBE, WS);
    saw(AccessKind.READ, WS + "/a.c");
    saw(AccessKind.STAT_PROBE, "/opt/lonely.conf");

    LearnedPolicy p = learn(3);

    assertEquals(
        List.of("${workspace}/a.c", "/opt/lonely.conf", "/srv/data/x"),
        List.copyOf(readable(p).keySet()));
  }

  @Test
  void theNetworkIsGrantedAtTheLevelTheConnectsNeeded() throws Exception {
    saw(AccessKind.CONNECT, "inet:127.0.0.1:8080");
    assertEquals(Network.NETWORK_LOOPBACK, learn(3).network());

    saw(AccessKind.CONNECT, "inet:93.184.216.34:443");
    LearnedPolicy p = learn(3);
    assertEquals(Network.NETWORK_FULL, p.network());
    assertTrue(
        p.render().contains("network: NETWORK_FULL  # 2 connects, e.g. inet:127.0.0.1:8080"));
  }

  @Test
  void aNameThatIsNotUtf8IsGrantedThroughItsParent() throws Exception {
    String bad =
        PathBytes.fromWire(
            com.google.protobuf.ByteString.copyFrom(
                (WS + "/data/bad\u00ff").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
    saw(AccessKind.READ, bad);

    LearnedPolicy p = learn(3);

    assertEquals(List.of("${workspace}/data"), List.copyOf(readable(p).keySet()));
  }

  @Test
  void learningAgainFromTheWrittenFileMergesTheRuns() throws Exception {
    saw(AccessKind.READ, WS + "/a.c");
    LearnedPolicy first = LearnedPolicy.parse(learn(3).render());
    accesses.clear();
    saw(AccessKind.READ, WS + "/a.c");
    saw(AccessKind.READ, WS + "/b.c");

    LearnedPolicy second = learn(first, 3);

    assertEquals(2, second.runs());
    assertEquals(2, readable(second).get("${workspace}/a.c").count());
    assertEquals(1, readable(second).get("${workspace}/b.c").count());
    assertEquals("hermetic", second.base());
  }

  @Test
  void theWrittenPolicyLoadsAsAPolicyExtendingItsBase(@TempDir Path dir) throws Exception {
    saw(AccessKind.READ, WS + "/src/a.c");
    saw(AccessKind.CREATE, WS + "/out \"quoted\"");
    saw(AccessKind.CONNECT, "inet:10.0.0.1:80");
    Path file = dir.resolve("learned.textproto");
    Files.writeString(file, learn(3).render());

    Policy loaded = new PolicyLoader(dir).load(file.toString());

    assertTrue(loaded.getReadableList().contains("${workspace}/src/a.c"));
    assertTrue(loaded.getReadableList().contains("/usr"), "the base's grants come with it");
    assertTrue(loaded.getWritableList().contains("${workspace}/out \"quoted\""));
    assertEquals(Network.NETWORK_FULL, loaded.getNetwork());
  }

  @Test
  void aFileNotWrittenByLearnIsNotMergedInto() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LearnedPolicy.parse("extends: \"build\"\nreadable: \"/x\"\n"));
    assertTrue(e.getMessage().contains("not written by 'airlock policy learn'"), e.getMessage());
  }
}
