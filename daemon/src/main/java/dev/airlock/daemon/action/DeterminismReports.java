package dev.airlock.daemon.action;

import dev.airlock.daemon.determinism.ContentDifference;
import dev.airlock.daemon.determinism.DeterminismCheck;
import dev.airlock.daemon.determinism.Difference;
import dev.airlock.protocol.DeterminismReport;
import dev.airlock.protocol.DifferenceKind;
import dev.airlock.protocol.OutputDifference;
import dev.airlock.protocol.PathBytes;

/** A determinism verdict as the result reports it. */
final class DeterminismReports {
  private DeterminismReports() {}

  static DeterminismReport of(DeterminismCheck check) {
    DeterminismReport.Builder report =
        DeterminismReport.newBuilder()
            .setChecked(check.checked())
            .setDeterministic(check.deterministic())
            .setReason(check.note());
    for (Difference d : check.differences()) {
      report.addDifferences(difference(d));
    }
    return report.build();
  }

  static OutputDifference difference(Difference d) {
    OutputDifference.Builder out =
        OutputDifference.newBuilder()
            .setSubject(PathBytes.toWire(d.subject()))
            .setKind(kind(d.kind()))
            .setFirstText(d.first())
            .setSecondText(d.second())
            .setDescription(d.describe());
    if (d.content().isPresent()) {
      ContentDifference c = d.content().get();
      out.setOffset(c.offset())
          .setFirstSize(c.firstSize())
          .setSecondSize(c.secondSize())
          .setLine(c.line());
      if (!c.binary()) {
        out.setFirstText(c.firstLine()).setSecondText(c.secondLine());
      }
    }
    return out.build();
  }

  private static DifferenceKind kind(Difference.Kind kind) {
    return switch (kind) {
      case TEXT -> DifferenceKind.DIFFERENCE_TEXT;
      case BINARY -> DifferenceKind.DIFFERENCE_BINARY;
      case MODE -> DifferenceKind.DIFFERENCE_MODE;
      case PRESENCE -> DifferenceKind.DIFFERENCE_PRESENCE;
      case LINK_TARGET -> DifferenceKind.DIFFERENCE_LINK_TARGET;
      case STATUS -> DifferenceKind.DIFFERENCE_STATUS;
    };
  }
}
