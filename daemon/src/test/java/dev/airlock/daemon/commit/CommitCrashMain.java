package dev.airlock.daemon.commit;

import dev.airlock.daemon.store.StateDatabase;
import java.nio.file.Path;

/**
 * Commits an upper dir into a workspace and stops dead at one observer point, printing "paused" so
 * that a test can SIGKILL it there. Arguments: db dir, workspace, upper dir, point.
 */
public final class CommitCrashMain {
  private CommitCrashMain() {}

  public static void main(String[] args) throws Exception {
    Path workspace = Path.of(args[1]);
    ChangeSet changes = ChangeSetReader.read(Path.of(args[2]), workspace);
    String pausePoint = args[3];
    try (StateDatabase db = StateDatabase.open(Path.of(args[0]))) {
      CommitObserver observer =
          (id, phase, step) -> {
            String point = step < 0 ? phase.name() : phase + ":" + step;
            if (point.equals(pausePoint)) {
              System.out.println("paused");
              System.out.flush();
              try {
                Thread.sleep(Long.MAX_VALUE);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          };
      new WorkspaceCommitter(db, observer).commit(workspace, changes);
    }
  }
}
