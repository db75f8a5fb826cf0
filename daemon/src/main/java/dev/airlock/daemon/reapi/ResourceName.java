package dev.airlock.daemon.reapi;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A ByteStream resource name as REAPI defines it: {@code [instance/]blobs/{hash}/{size}} to read,
 * {@code [instance/]uploads/{uuid}/blobs/{hash}/{size}[/anything]} to write. The instance name may
 * have slashes of its own but no segment the API reserves.
 *
 * @param upload the upload's id, for a write
 */
public record ResourceName(String instance, Optional<String> upload, BlobId blob) {
  private static final List<String> RESERVED =
      List.of("blobs", "uploads", "actions", "actionResults", "operations", "capabilities");

  /** Parses a read's name. */
  public static ResourceName forRead(String name) throws ReapiException {
    List<String> parts = segments(name);
    int at = parts.indexOf("blobs");
    if (at < 0 || parts.size() != at + 3) {
      throw bad(name, "a read names {instance}/blobs/{hash}/{size}");
    }
    rejectCompressed(name, parts);
    return new ResourceName(instance(name, parts, at), Optional.empty(), blob(name, parts, at));
  }

  /** Parses a write's name. */
  public static ResourceName forWrite(String name) throws ReapiException {
    List<String> parts = segments(name);
    rejectCompressed(name, parts);
    int at = parts.indexOf("uploads");
    if (at < 0 || parts.size() < at + 5 || !parts.get(at + 2).equals("blobs")) {
      throw bad(name, "a write names {instance}/uploads/{uuid}/blobs/{hash}/{size}");
    }
    String uuid = parts.get(at + 1);
    if (uuid.isEmpty()) {
      throw bad(name, "its upload id is empty");
    }
    return new ResourceName(
        instance(name, parts, at), Optional.of(uuid), blob(name, parts, at + 2));
  }

  private static List<String> segments(String name) throws ReapiException {
    if (name.isEmpty()) {
      throw ReapiException.invalid("the resource name is empty");
    }
    return Arrays.asList(name.split("/", -1));
  }

  private static void rejectCompressed(String name, List<String> parts) throws ReapiException {
    if (parts.contains("compressed-blobs")) {
      throw bad(name, "compressed blobs are not supported (the capabilities list no compressor)");
    }
  }

  private static String instance(String name, List<String> parts, int end) throws ReapiException {
    for (String part : parts.subList(0, end)) {
      if (part.isEmpty() || RESERVED.contains(part)) {
        throw bad(name, "its instance name has an empty or reserved segment");
      }
    }
    return String.join("/", parts.subList(0, end));
  }

  private static BlobId blob(String name, List<String> parts, int blobsAt) throws ReapiException {
    String size = parts.get(blobsAt + 2);
    long bytes;
    try {
      bytes = Long.parseLong(size);
    } catch (NumberFormatException e) {
      throw bad(name, "'" + size + "' is not a size");
    }
    return BlobId.parse(parts.get(blobsAt + 1), bytes);
  }

  private static ReapiException bad(String name, String why) {
    String shown = name.length() > 200 ? name.substring(0, 197) + "..." : name;
    return ReapiException.invalid("bad resource name '" + shown + "': " + why);
  }
}
