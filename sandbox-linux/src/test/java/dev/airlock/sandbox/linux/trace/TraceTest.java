package dev.airlock.sandbox.linux.trace;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A trace test, run twice: in strict mode (every traced syscall a ptrace stop), then with the fast
 * path (the shim). Each run's assertions must hold, and both runs must record the same (kind, path,
 * errno) set for each action they trace, in the same order of actions.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@TestTemplate
@ExtendWith(BothTraceModes.class)
@interface TraceTest {
  /**
   * Why the two runs' records cannot be compared (empty: they must be identical); the assertions of
   * each run still hold.
   */
  String incomparable() default "";
}
