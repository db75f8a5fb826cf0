package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.ContentStore;
import dev.airlock.daemon.cache.CorruptBlobException;
import dev.airlock.daemon.cache.Digest;
import dev.airlock.daemon.request.PinnedOutput;
import dev.airlock.protocol.CommitOutcome;
import dev.airlock.protocol.FileErrors;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks a fixed-output action's pinned outputs after a successful run: each must be a regular file
 * with exactly its pinned content. One that is not fails the action (OUTPUT_HASH_MISMATCH, naming
 * the path, the expected and the actual digest) and discards every change, so nothing is committed.
 * When the request lets the cache record, each file is hashed as it is copied into the content
 * store, which keeps it only when it matches.
 */
final class VerifyPinnedOutputs implements FinishingStep {
  @Override
  public void apply(Finishing run) {
    List<PinnedOutput> pins = run.action().request().pinnedOutputs();
    if (pins.isEmpty() || !run.succeeded() || run.outcome() != Outcome.COMPLETED) {
      return;
    }
    boolean store = CacheKeys.writes(run.action().request().cacheMode());
    ContentStore cas = run.cache.stores().cas();
    List<String> wrong = new ArrayList<>();
    List<PinnedBlob> verified = new ArrayList<>();
    for (PinnedOutput pin : pins) {
      Digest expected = Digest.parse(pin.sha256());
      String name = PathBytes.display(PathBytes.of(pin.path()));
      try {
        PinnedFiles.Located at = PinnedFiles.locate(run.changes, pin.path());
        if (at.file().isEmpty()) {
          wrong.add(name + ": expected " + expected + ", found " + at.missing());
          continue;
        }
        Digest actual =
            store ? stored(cas, at.file().get(), expected) : Digest.sha256(at.file().get());
        if (!actual.equals(expected)) {
          wrong.add(name + ": expected " + expected + ", got " + actual);
        } else {
          verified.add(new PinnedBlob(pin.path(), expected, at.mode(), Optional.empty(), false));
        }
      } catch (IOException e) {
        wrong.add(
            name + ": expected " + expected + ", but it cannot be read: " + FileErrors.describe(e));
      }
    }
    if (wrong.isEmpty()) {
      run.pinned = verified;
      return;
    }
    run.writes.decide(CommitOutcome.DISCARDED, "a pinned output does not have its pinned content");
    run.fail(
        Outcome.OUTPUT_HASH_MISMATCH,
        (wrong.size() == 1
                ? "a pinned output has other content: "
                : "pinned outputs have other content: ")
            + String.join("; ", wrong)
            + " (nothing was committed)");
  }

  /** The file's digest, its content kept in the store when it is {@code expected}. */
  private static Digest stored(ContentStore cas, Path file, Digest expected) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      cas.putExpecting(in, expected);
      return expected;
    } catch (CorruptBlobException e) {
      return e.actual();
    }
  }
}
