package dev.airlock.daemon.commit;

import dev.airlock.daemon.commit.CommitStep.Op;
import dev.airlock.daemon.commit.JournalEntry.State;
import dev.airlock.daemon.store.StateDatabase;
import dev.airlock.daemon.store.StateDatabase.Table;
import dev.airlock.protocol.PathBytes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Open commits in the state database's {@link Table#COMMIT_JOURNAL}, keyed by commit id. Every
 * write is durable when it returns (LMDB syncs on commit), which is what makes a state change a
 * commit point.
 */
public final class CommitJournal {
  private static final int FORMAT = 1;

  private final StateDatabase db;

  public CommitJournal(StateDatabase db) {
    this.db = db;
  }

  /** Stores {@code entry}, replacing the one with the same commit id. */
  public void put(JournalEntry entry) {
    byte[] key = key(entry.commitId());
    byte[] value = encode(entry);
    db.write(
        w -> {
          w.put(Table.COMMIT_JOURNAL, key, value);
          return null;
        });
  }

  /** The entry of {@code commitId}, if the commit is in flight. */
  public Optional<JournalEntry> get(String commitId) {
    byte[] value = db.read(r -> r.get(Table.COMMIT_JOURNAL, key(commitId)));
    return Optional.ofNullable(value).map(CommitJournal::decode);
  }

  /** Every entry, in commit id order. */
  public List<JournalEntry> entries() {
    List<JournalEntry> entries = new ArrayList<>();
    db.read(
        r -> {
          r.scan(
              Table.COMMIT_JOURNAL,
              new byte[0],
              (key, value) -> {
                entries.add(decode(value));
                return true;
              });
          return null;
        });
    return entries;
  }

  /** Removes the entry of {@code commitId}; returns whether there was one. */
  public boolean remove(String commitId) {
    byte[] key = key(commitId);
    return db.write(w -> w.delete(Table.COMMIT_JOURNAL, key));
  }

  private static byte[] key(String commitId) {
    JournalEntry.checkCommitId(commitId);
    return commitId.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] encode(JournalEntry entry) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeUTF(entry.commitId());
      out.writeByte(entry.state().ordinal());
      // Modified UTF-8 keeps every char, so escaped bytes of a file name survive (PathBytes).
      out.writeUTF(PathBytes.of(entry.workspace()));
      out.writeInt(entry.steps().size());
      for (CommitStep step : entry.steps()) {
        out.writeByte(step.op().ordinal());
        out.writeUTF(step.path());
        writeOptional(out, step.staged());
        writeOptional(out, step.retired());
        out.writeInt(step.mode());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot happen in memory", e);
    }
    return bytes.toByteArray();
  }

  static JournalEntry decode(byte[] value) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
      int format = in.readUnsignedByte();
      if (format != FORMAT) {
        throw new IllegalStateException("commit journal entry in unknown format " + format);
      }
      String commitId = in.readUTF();
      State state = State.values()[in.readUnsignedByte()];
      Path workspace = PathBytes.toPath(in.readUTF());
      int count = in.readInt();
      List<CommitStep> steps = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        Op op = Op.values()[in.readUnsignedByte()];
        steps.add(
            new CommitStep(op, in.readUTF(), readOptional(in), readOptional(in), in.readInt()));
      }
      return new JournalEntry(commitId, state, workspace, steps);
    } catch (IOException e) {
      throw new IllegalStateException("corrupt commit journal entry", e);
    }
  }

  private static void writeOptional(DataOutputStream out, String value) throws IOException {
    out.writeBoolean(value != null);
    if (value != null) {
      out.writeUTF(value);
    }
  }

  private static String readOptional(DataInputStream in) throws IOException {
    return in.readBoolean() ? in.readUTF() : null;
  }
}
