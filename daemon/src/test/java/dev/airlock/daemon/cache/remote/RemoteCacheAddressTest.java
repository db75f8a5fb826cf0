package dev.airlock.daemon.cache.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RemoteCacheAddressTest {
  @Test
  void aPlainAddressHasNoInstanceAndNoTls() {
    RemoteCacheAddress a = RemoteCacheAddress.parse("grpc://127.0.0.1:8980");
    assertEquals(new RemoteCacheAddress("127.0.0.1", 8980, "", false), a);
    assertEquals("grpc://127.0.0.1:8980", a.toString());
  }

  @Test
  void anInstanceNameMayHoldSlashesAndGrpcsMeansTls() {
    RemoteCacheAddress a = RemoteCacheAddress.parse("grpcs://cache.example:443/team/main/");
    assertEquals(new RemoteCacheAddress("cache.example", 443, "team/main", true), a);
  }

  @Test
  void badAddressesSayWhatIsExpected() {
    for (String bad :
        new String[] {"http://h:1", "grpc://h", "grpc://:80", "grpc://h:1?x=y", "h:80", "%%"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> RemoteCacheAddress.parse(bad), bad);
      assertTrue(e.getMessage().contains("grpc://HOST:PORT"), e.getMessage());
    }
  }
}
