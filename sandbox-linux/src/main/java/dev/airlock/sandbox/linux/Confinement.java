package dev.airlock.sandbox.linux;

import dev.airlock.protocol.PathBytes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The kernel-side confinement of one action, applied by the launcher before exec: namespaces, the
 * mount view, resource limits and Landlock rules. {@link #options()} is its half of the launcher's
 * documented command line.
 */
public record Confinement(
    boolean namespaces,
    boolean pidNamespace,
    Network network,
    boolean readOnlyRoot,
    boolean privateTmp,
    List<Path> writable,
    List<Overlay> overlays,
    List<Path> keep,
    List<Path> hidden,
    Limits limits,
    List<Path> landlockRead,
    List<Path> landlockExecute,
    List<Path> landlockWrite,
    List<Path> landlockList) {

  /**
   * Resource limits the launcher sets (empty: none): processes per user and address space per
   * process (rlimits), CPU seconds per process, the size of the private /tmp, and the largest file
   * any process may write (RLIMIT_FSIZE: a write past it fails with EFBIG after SIGXFSZ).
   */
  public record Limits(
      OptionalLong processes,
      OptionalLong memoryBytes,
      OptionalLong cpuSeconds,
      OptionalLong tmpBytes,
      OptionalLong fileBytes) {
    /** No limits. */
    public static final Limits NONE =
        new Limits(
            OptionalLong.empty(),
            OptionalLong.empty(),
            OptionalLong.empty(),
            OptionalLong.empty(),
            OptionalLong.empty());

    /** Whether any rlimit is set (the tmpfs size is not one). */
    public boolean anyRlimit() {
      return processes.isPresent()
          || memoryBytes.isPresent()
          || cpuSeconds.isPresent()
          || fileBytes.isPresent();
    }
  }

  /** What the action's network namespace allows. */
  public enum Network {
    /** The host's network (no network namespace). */
    HOST,
    /** A network namespace with nothing in it, not even loopback. */
    NONE,
    /** A network namespace with only loopback up. */
    LOOPBACK
  }

  /**
   * A copy-on-write writable root: {@code root} is overlaid in the action's mount namespace and its
   * writes land in {@code layerDir}/upper ({@code layerDir}/work is overlayfs' own).
   */
  public record Overlay(Path root, Path layerDir) {
    public Overlay {
      // overlayfs takes its directories in a comma-separated option string.
      for (Path p : List.of(root, layerDir)) {
        if (!p.isAbsolute()
            || PathBytes.of(p)
                .chars()
                .anyMatch(ch -> ch == ',' || ch == ':' || ch == '\\' || ch == '\n')) {
          throw new IllegalArgumentException(
              "an overlay path must be absolute and free of ',', ':' and '\\': " + p);
        }
      }
    }

    /** Where the action's writes to {@link #root} land. */
    public Path upper() {
      return layerDir.resolve("upper");
    }

    /** overlayfs' work directory (same filesystem as {@link #upper}). */
    public Path work() {
      return layerDir.resolve("work");
    }
  }

  /** No confinement beyond what the tracer and seccomp do. */
  public static final Confinement NONE =
      new Confinement(
          false,
          false,
          Network.HOST,
          false,
          false,
          List.of(),
          List.of(),
          List.of(),
          List.of(),
          Limits.NONE,
          List.of(),
          List.of(),
          List.of(),
          List.of());

  /** Namespaces only (user, mount, network as given): no mount changes, no limits. */
  public static Confinement namespacesOnly(Network network) {
    return new Confinement(
        true,
        false,
        network,
        false,
        false,
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        Limits.NONE,
        List.of(),
        List.of(),
        List.of(),
        List.of());
  }

  /** This confinement with (or without) a pid namespace of its own. */
  public Confinement withPidNamespace(boolean pid) {
    return with(pid, overlays);
  }

  /** This confinement with these copy-on-write roots. */
  public Confinement withOverlays(List<Overlay> layers) {
    return with(pidNamespace, layers);
  }

  private Confinement with(boolean pid, List<Overlay> layers) {
    return new Confinement(
        namespaces,
        pid,
        network,
        readOnlyRoot,
        privateTmp,
        writable,
        layers,
        keep,
        hidden,
        limits,
        landlockRead,
        landlockExecute,
        landlockWrite,
        landlockList);
  }

  public Confinement {
    writable = List.copyOf(writable);
    overlays = List.copyOf(overlays);
    keep = List.copyOf(keep);
    hidden = List.copyOf(hidden);
    landlockRead = List.copyOf(landlockRead);
    landlockExecute = List.copyOf(landlockExecute);
    landlockWrite = List.copyOf(landlockWrite);
    landlockList = List.copyOf(landlockList);
    if (!namespaces
        && (network != Network.HOST
            || pidNamespace
            || readOnlyRoot
            || privateTmp
            || !hidden.isEmpty()
            || !overlays.isEmpty())) {
      throw new IllegalArgumentException("mount and network confinement need namespaces");
    }
  }

  /** Whether Landlock rules are part of it. */
  public boolean landlock() {
    return !landlockRead.isEmpty()
        || !landlockExecute.isEmpty()
        || !landlockWrite.isEmpty()
        || !landlockList.isEmpty();
  }

  /** The launcher options for this confinement. */
  public List<String> options() {
    List<String> o = new ArrayList<>();
    if (namespaces) {
      o.add("--userns");
    }
    if (pidNamespace) {
      o.add("--pidns");
    }
    switch (network) {
      case NONE -> o.addAll(List.of("--netns", "none"));
      case LOOPBACK -> o.addAll(List.of("--netns", "loopback"));
      case HOST -> {}
    }
    for (Overlay layer : overlays) {
      o.addAll(List.of("--overlay", name(layer.root()), "--overlay-dir", name(layer.layerDir())));
    }
    writable.forEach(p -> o.addAll(List.of("--rw", name(p))));
    if (privateTmp) {
      o.add("--private-tmp");
      keep.forEach(p -> o.addAll(List.of("--keep", name(p))));
      limits.tmpBytes().ifPresent(n -> o.addAll(List.of("--tmp-size", Long.toString(n))));
    }
    hidden.forEach(p -> o.addAll(List.of("--hide", name(p))));
    if (readOnlyRoot) {
      o.add("--ro-root");
    }
    limits.processes().ifPresent(n -> o.addAll(List.of("--rlimit", "nproc=" + n)));
    limits.memoryBytes().ifPresent(n -> o.addAll(List.of("--rlimit", "as=" + n)));
    limits.cpuSeconds().ifPresent(n -> o.addAll(List.of("--rlimit", "cpu=" + n)));
    limits.fileBytes().ifPresent(n -> o.addAll(List.of("--rlimit", "fsize=" + n)));
    landlockRead.forEach(p -> o.addAll(List.of("--ll-ro", name(p))));
    landlockExecute.forEach(p -> o.addAll(List.of("--ll-rx", name(p))));
    landlockWrite.forEach(p -> o.addAll(List.of("--ll-rw", name(p))));
    landlockList.forEach(p -> o.addAll(List.of("--ll-dir", name(p))));
    return o;
  }

  /** A path as a launcher argument: its exact bytes, which the launcher gets unchanged. */
  private static String name(Path p) {
    return PathBytes.of(p);
  }
}
