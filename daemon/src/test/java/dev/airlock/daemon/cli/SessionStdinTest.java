package dev.airlock.daemon.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SessionStdinTest {
  private final List<Integer> asked = new CopyOnWriteArrayList<>();
  private final SessionStdin stdin = new SessionStdin(asked::add);

  @Test
  void asksForNothingUntilTheCommandReads() {
    stdin.end();
    assertEquals(List.of(), asked);
  }

  @Test
  void aReadAsksForOneWindowAndGetsWhatArrives() throws Exception {
    CompletableFuture<byte[]> read =
        CompletableFuture.supplyAsync(
            () -> {
              byte[] b = new byte[10];
              int n = stdin.read(b, 0, b.length);
              return java.util.Arrays.copyOf(b, n);
            });
    while (asked.isEmpty()) {
      Thread.sleep(1);
    }
    stdin.received("hello".getBytes());

    assertArrayEquals("hello".getBytes(), read.get(10, TimeUnit.SECONDS));
    assertEquals(List.of(SessionStdin.WINDOW), asked);
  }

  @Test
  void asksAgainOnlyOnceTheWindowIsUsedUp() throws Exception {
    stdin.received(new byte[0]);
    Thread reader =
        new Thread(
            () -> {
              byte[] b = new byte[SessionStdin.WINDOW];
              int total = 0;
              while (total < SessionStdin.WINDOW + 1) {
                int n = stdin.read(b, 0, b.length);
                if (n < 0) {
                  return;
                }
                total += n;
              }
            });
    reader.start();
    while (asked.isEmpty()) {
      Thread.sleep(1);
    }
    stdin.received(new byte[SessionStdin.WINDOW / 2]);
    stdin.received(new byte[SessionStdin.WINDOW / 2]);
    while (asked.size() < 2) {
      Thread.sleep(1);
    }
    stdin.received(new byte[1]);
    reader.join(10_000);

    assertEquals(List.of(SessionStdin.WINDOW, SessionStdin.WINDOW), asked);
  }

  @Test
  void moreThanWasAskedForBreaksTheProtocol() {
    assertThrows(CliProtocolException.class, () -> stdin.received(new byte[1]));
  }

  @Test
  void theEndIsEndOfFileAfterWhatArrived() throws Exception {
    CompletableFuture<Integer> first = CompletableFuture.supplyAsync(stdin::read);
    while (asked.isEmpty()) {
      Thread.sleep(1);
    }
    stdin.received(new byte[] {42});
    stdin.end();

    assertEquals(42, first.get(10, TimeUnit.SECONDS));
    assertEquals(-1, stdin.read());
  }
}
