package dev.airlock.sandbox.linux.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.sandbox.linux.LaunchSpec;
import dev.airlock.sandbox.linux.LaunchedProcess;
import dev.airlock.sandbox.linux.Launcher;
import dev.airlock.sandbox.linux.LauncherBinary;
import dev.airlock.sandbox.linux.seccomp.SyscallTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** How the daemon runs one command traced and reads what it touched; read it as a guide. */
@Timeout(60)
class TracingWalkthroughTest {
  @TempDir Path libexec;
  @TempDir Path work;

  @Test
  void launchTraceAndReadTheAccessRecord() throws Exception {
    Files.writeString(work.resolve("in.txt"), "hello\n");

    // 1. The C launcher ships inside the jar: extract it (the daemon does so into its state dir).
    Launcher launcher = new Launcher(LauncherBinary.extractTo(libexec));

    // 2. A seccomp filter for this machine: path syscalls stop for the tracer, the rest run free.
    SyscallTable table = SyscallTable.current();
    byte[] filter = Tracer.filter(table).toBytes();

    // 3. The command, its whole environment (never the daemon's) and its working directory.
    LaunchSpec spec =
        new LaunchSpec(
            List.of("sh", "-c", "cat in.txt > out.txt && test ! -e missing.txt"),
            Map.of("PATH", "/usr/bin:/bin"),
            work,
            false);

    // 4. Launch and seize on this thread: ptrace requests must come from the attaching thread,
    //    and the launcher waits before exec until the tracer holds it.
    TraceResult result;
    try (LaunchedProcess process = launcher.launchTraced(spec, filter)) {
      Tracer tracer = new Tracer(table);
      tracer.seize(process);
      // 5. Let it exec, and follow it and every process it starts until all have ended.
      result = tracer.run(process);
    }

    // 6. How it ended, and the process tree: the shell at the top, cat its child.
    assertEquals(0, result.rootStatus().exitCode(), result.rootStatus()::toString);
    TracedProcess sh = result.processes().get(0);
    TracedProcess cat = result.processes().get(1);
    assertEquals(0, sh.parentPid());
    assertEquals(List.of("cat", "in.txt"), cat.argv());
    assertEquals(sh.pid(), cat.parentPid());

    // 7. One record per distinct (kind, path), paths absolute, each with the process that made
    //    it: the shell created and wrote out.txt and probed for missing.txt, cat read in.txt.
    Set<String> inWork =
        result.accesses().stream()
            .filter(a -> work.equals(Path.of(a.path()).getParent()))
            .map(a -> a.kind() + " " + Path.of(a.path()).getFileName() + " by " + a.pid())
            .collect(Collectors.toSet());
    assertEquals(
        Set.of(
            "CREATE out.txt by " + sh.pid(),
            "WRITE out.txt by " + sh.pid(),
            "READ in.txt by " + cat.pid(),
            "ABSENT_PROBE missing.txt by " + sh.pid()),
        inWork);

    // 8. Nothing escaped observation: an empty list of gaps means the record is complete.
    assertTrue(result.observationGaps().isEmpty(), result.observationGaps()::toString);
  }
}
