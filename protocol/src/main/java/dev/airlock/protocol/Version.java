package dev.airlock.protocol;

/** Airlock's release version, from the jar manifest ("dev" when run from unpacked classes). */
public final class Version {
  private Version() {}

  public static String current() {
    String version = Version.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }
}
