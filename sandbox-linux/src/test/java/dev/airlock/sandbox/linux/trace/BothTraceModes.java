package dev.airlock.sandbox.linux.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

/** Runs a {@link TraceTest} in both {@link TraceMode}s and compares what the two recorded. */
final class BothTraceModes implements TestTemplateInvocationContextProvider {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(BothTraceModes.class);

  @Override
  public boolean supportsTestTemplate(ExtensionContext context) {
    return context.getRequiredTestMethod().isAnnotationPresent(TraceTest.class);
  }

  @Override
  public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(
      ExtensionContext context) {
    return Stream.of(invocation(TraceMode.STRICT), invocation(TraceMode.FAST));
  }

  private static TestTemplateInvocationContext invocation(TraceMode mode) {
    return new TestTemplateInvocationContext() {
      @Override
      public String getDisplayName(int index) {
        return "[" + mode.name().toLowerCase(java.util.Locale.ROOT) + "]";
      }

      @Override
      public List<Extension> getAdditionalExtensions() {
        return List.of(new ModeCallbacks(mode));
      }
    };
  }

  /** Sets the harness's mode for one invocation and compares the fast run with the strict one. */
  private record ModeCallbacks(TraceMode mode) implements BeforeEachCallback, AfterEachCallback {
    @Override
    public void beforeEach(ExtensionContext context) {
      TraceHarness.mode = mode;
      TraceHarness.ringSlots = FastPath.DEFAULT_SLOTS;
      synchronized (TraceHarness.recorded) {
        TraceHarness.recorded.clear();
      }
    }

    @Override
    public void afterEach(ExtensionContext context) {
      TraceHarness.mode = TraceMode.STRICT;
      List<SortedSet<String>> mine;
      synchronized (TraceHarness.recorded) {
        mine = new ArrayList<>(TraceHarness.recorded);
      }
      ExtensionContext.Store store = context.getParent().orElseThrow().getStore(NAMESPACE);
      if (mode == TraceMode.STRICT) {
        store.put("strict", context.getExecutionException().isPresent() ? null : mine);
        return;
      }
      @SuppressWarnings("unchecked")
      List<SortedSet<String>> strict = (List<SortedSet<String>>) store.get("strict");
      String why = context.getRequiredTestMethod().getAnnotation(TraceTest.class).incomparable();
      if (strict == null || !why.isEmpty() || context.getExecutionException().isPresent()) {
        return;
      }
      assertEquals(strict.size(), mine.size(), "both modes traced as many actions");
      for (int i = 0; i < mine.size(); i++) {
        SortedSet<String> onlyStrict = new TreeSet<>(strict.get(i));
        onlyStrict.removeAll(mine.get(i));
        SortedSet<String> onlyFast = new TreeSet<>(mine.get(i));
        onlyFast.removeAll(strict.get(i));
        assertEquals(
            "",
            (onlyStrict.isEmpty() ? "" : "only strict: " + onlyStrict + "\n")
                + (onlyFast.isEmpty() ? "" : "only fast: " + onlyFast),
            "action " + (i + 1) + " recorded the same (kind, path, errno) in both modes");
      }
    }
  }
}
