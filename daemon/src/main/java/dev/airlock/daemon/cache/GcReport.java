package dev.airlock.daemon.cache;

/** What a garbage collection removed, and the content store's size before and after. */
public record GcReport(int entriesRemoved, int blobsRemoved, long bytesBefore, long bytesAfter) {}
