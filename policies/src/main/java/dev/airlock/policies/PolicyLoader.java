package dev.airlock.policies;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.TextFormat;
import com.google.protobuf.TextFormatParseInfoTree;
import com.google.protobuf.TextFormatParseLocation;
import dev.airlock.protocol.FileErrors;
import dev.airlock.protocol.Network;
import dev.airlock.protocol.Policy;
import dev.airlock.protocol.PolicyMode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads policies: shipped ones by name (resources of the policies module), files by path, and
 * inline text. Each file is checked on its own (unknown fields, relative paths, bad variables, with
 * file:line:column), then the {@code extends} chain is merged and checked as a whole (a mode must
 * be set, nothing may be both hidden and granted).
 */
public final class PolicyLoader {
  private static final String SHIPPED = "/dev/airlock/policies/";
  private static final int MAX_EXTENDS_DEPTH = 8;
  private static final Pattern PATH_ENTRY =
      Pattern.compile("(/.*)|(\\$\\{(workspace|home|tmp)\\}(/.*)?)|(\\$\\{(inputs|outputs)\\})");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]*)}");
  private static final List<String> VARIABLES =
      List.of("workspace", "home", "tmp", "inputs", "outputs");
  private static final Pattern ENV_ENTRY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*\\*?");

  private static final java.util.concurrent.ConcurrentMap<String, Policy> SHIPPED_CACHE =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final Path policyDirectory;

  /**
   * @param policyDirectory where relative policy file names given by clients resolve (cwd)
   */
  public PolicyLoader(Path policyDirectory) {
    this.policyDirectory = policyDirectory;
  }

  /** The names of the policies shipped with Airlock. */
  public static List<String> shippedNames() {
    return List.of("audit", "build", "declared", "hermetic", "provision");
  }

  /**
   * Loads a shipped policy by name, or a policy file by path (absolute, or relative to the loader's
   * directory), with its whole {@code extends} chain.
   */
  public Policy load(String nameOrPath) throws PolicyException {
    return resolve(nameOrPath, 0);
  }

  /** Parses inline policy text (from a request); it may extend shipped policies or files. */
  public Policy loadInline(String text) throws PolicyException {
    return finish(withBase(parse("<inline policy>", text), 0), "<inline policy>");
  }

  private Policy resolve(String nameOrPath, int depth) throws PolicyException {
    boolean shipped = isShippedName(nameOrPath);
    if (shipped) {
      Policy cached = SHIPPED_CACHE.get(nameOrPath);
      if (cached != null) {
        return cached;
      }
    }
    Source source = read(nameOrPath);
    Policy policy = finish(withBase(parse(source.name(), source.text()), depth), source.name());
    if (shipped) {
      // Shipped policies are resources of this jar: parsed once per daemon. Files are read
      // anew each time, since they may have changed.
      SHIPPED_CACHE.put(nameOrPath, policy);
    }
    return policy;
  }

  private static boolean isShippedName(String nameOrPath) {
    return !nameOrPath.contains("/") && !nameOrPath.endsWith(".textproto");
  }

  private Policy withBase(Parsed parsed, int depth) throws PolicyException {
    Policy policy = parsed.policy();
    if (policy.getExtends().isEmpty()) {
      return policy;
    }
    // Errors about the base are the extends field's: they point at it.
    String extendsAt = at(parsed.name(), parsed.locations(), field("extends"), -1) + "extends: ";
    if (depth >= MAX_EXTENDS_DEPTH) {
      throw new PolicyException(
          extendsAt
              + "the chain of policies is longer than "
              + MAX_EXTENDS_DEPTH
              + " (a cycle?) at '"
              + policy.getExtends()
              + "'");
    }
    Source baseSource;
    try {
      baseSource = read(policy.getExtends());
    } catch (PolicyException e) {
      throw new PolicyException(extendsAt + e.getMessage());
    }
    Policy base = withBase(parse(baseSource.name(), baseSource.text()), depth + 1);
    // Repeated fields append and set scalars replace: protobuf's own merge semantics.
    return base.toBuilder().mergeFrom(policy).setExtends("").build();
  }

  private static Policy finish(Policy merged, String name) throws PolicyException {
    if (!merged.hasMode() || merged.getMode() == PolicyMode.MODE_UNSPECIFIED) {
      throw new PolicyException(name + ": 'mode' is not set (MODE_AUDIT or MODE_ENFORCE)");
    }
    for (String hidden : merged.getHiddenList()) {
      for (FieldDescriptor field :
          List.of(field("readable"), field("writable"), field("executable"))) {
        for (Object entry : (List<?>) merged.getField(field)) {
          String granted = (String) entry;
          if (granted.equals(hidden) || granted.startsWith(hidden + "/")) {
            throw new PolicyException(
                name
                    + ": '"
                    + granted
                    + "' is both "
                    + field.getName()
                    + " and hidden (by '"
                    + hidden
                    + "')");
          }
        }
      }
    }
    return merged;
  }

  /** One file parsed and checked, with where each field was. */
  private record Parsed(Policy policy, String name, TextFormatParseInfoTree locations) {}

  /** Parses and checks one file on its own. */
  private Parsed parse(String name, String text) throws PolicyException {
    Policy.Builder builder = Policy.newBuilder();
    TextFormatParseInfoTree.Builder tree = TextFormatParseInfoTree.builder();
    try {
      TextFormat.Parser.newBuilder().setParseInfoTreeBuilder(tree).build().merge(text, builder);
    } catch (TextFormat.ParseException e) {
      throw new PolicyException(name + ":" + PolicyParseErrors.describe(e));
    }
    Policy policy = builder.build();
    TextFormatParseInfoTree locations = tree.build();
    for (String fieldName : List.of("readable", "writable", "executable", "hidden")) {
      FieldDescriptor field = field(fieldName);
      List<?> entries = (List<?>) policy.getField(field);
      for (int i = 0; i < entries.size(); i++) {
        String entry = (String) entries.get(i);
        if (!PATH_ENTRY.matcher(entry).matches()
            || entry.contains("/../")
            || entry.endsWith("/..")) {
          throw new PolicyException(
              at(name, locations, field, i)
                  + fieldName
                  + ": '"
                  + entry
                  + "' "
                  + pathProblem(entry));
        }
      }
    }
    FieldDescriptor env = field("env");
    for (int i = 0; i < policy.getEnvCount(); i++) {
      if (!ENV_ENTRY.matcher(policy.getEnv(i)).matches()) {
        throw new PolicyException(
            at(name, locations, env, i)
                + "env: '"
                + policy.getEnv(i)
                + "' is not a variable name or NAME_PREFIX*");
      }
    }
    // A number the enum does not name (mode: 99) parses as UNRECOGNIZED in proto3 text format.
    if (policy.hasMode()
        && policy.getMode() != PolicyMode.MODE_AUDIT
        && policy.getMode() != PolicyMode.MODE_ENFORCE) {
      throw new PolicyException(
          at(name, locations, field("mode"), -1) + "mode: use MODE_AUDIT or MODE_ENFORCE");
    }
    if (policy.hasNetwork() && policy.getNetwork() == Network.UNRECOGNIZED) {
      throw new PolicyException(
          at(name, locations, field("network"), -1)
              + "network: use NETWORK_NONE, NETWORK_LOOPBACK or NETWORK_FULL");
    }
    return new Parsed(policy, name, locations);
  }

  /** Why a path entry is refused: an unknown variable, a list variable in a path, or the form. */
  private static String pathProblem(String entry) {
    Matcher variable = VARIABLE.matcher(entry);
    while (variable.find()) {
      if (!VARIABLES.contains(variable.group(1))) {
        return "uses unknown variable ${"
            + variable.group(1)
            + "}; known: "
            + VARIABLES.stream().map(v -> "${" + v + "}").collect(Collectors.joining(", "));
      }
    }
    return "must be an absolute path without '..', or start with ${workspace}, ${home} or"
        + " ${tmp}, or be exactly ${inputs} or ${outputs}";
  }

  private record Source(String name, String text) {}

  private Source read(String nameOrPath) throws PolicyException {
    if (nameOrPath.indexOf('\0') >= 0) {
      // No file name holds a NUL, and Path.of refuses it with an unchecked InvalidPathException.
      throw new PolicyException(
          "'" + nameOrPath.replace("\0", "\\0") + "' is not a policy name or path (a NUL byte)");
    }
    if (isShippedName(nameOrPath)) {
      try (InputStream in =
          PolicyLoader.class.getResourceAsStream(SHIPPED + nameOrPath + ".textproto")) {
        if (in == null) {
          throw new PolicyException(
              "no shipped policy named '"
                  + nameOrPath
                  + "' (shipped: "
                  + String.join(", ", shippedNames())
                  + "; a file needs a path)");
        }
        return new Source(
            "policies/" + nameOrPath + ".textproto",
            new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new PolicyException(
            "cannot read shipped policy '" + nameOrPath + "': " + e.getMessage());
      }
    }
    Path file = policyDirectory.resolve(nameOrPath);
    try {
      return new Source(file.toString(), Files.readString(file));
    } catch (IOException e) {
      throw new PolicyException("cannot read policy file " + file + ": " + FileErrors.reason(e));
    }
  }

  private static FieldDescriptor field(String name) {
    return Policy.getDescriptor().findFieldByName(name);
  }

  private static String at(
      String name, TextFormatParseInfoTree tree, FieldDescriptor field, int index) {
    Optional<TextFormatParseLocation> location = Optional.empty();
    try {
      location = Optional.of(tree.getLocation(field, Math.max(index, 0)));
    } catch (IllegalArgumentException e) {
      // no location recorded
    }
    // Parse-tree locations are 0-based; people (and the parser's own errors) count from 1.
    return location
        .map(l -> name + ":" + (l.getLine() + 1) + ":" + (l.getColumn() + 1) + ": ")
        .orElse(name + ": ");
  }
}
