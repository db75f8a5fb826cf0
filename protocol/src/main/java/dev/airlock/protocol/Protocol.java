package dev.airlock.protocol;

/** Constants of the client–daemon wire contract that both sides must agree on. */
public final class Protocol {
  /** Version carried in every frame; bumped on any incompatible change. */
  public static final int VERSION = 1;

  /**
   * Largest frame either side accepts. Requests are small (argv, env); output chunks are capped far
   * below this, so anything bigger is garbage or abuse.
   */
  public static final int MAX_FRAME_BYTES = 8 * 1024 * 1024;

  /** Largest stdout/stderr payload the daemon puts in one OutputChunk. */
  public static final int MAX_OUTPUT_CHUNK_BYTES = 64 * 1024;

  private Protocol() {}
}
