package dev.airlock.daemon.cli;

/** One frame of a CLI session (see {@link CliFrames}). */
record CliFrame(byte type, byte[] payload) {}
