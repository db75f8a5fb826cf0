package dev.airlock.policies;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.TextFormat;
import dev.airlock.protocol.Policy;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Protobuf's text-format errors in a policy author's words. A misspelt field comes out of the
 * parser as "Input contains unknown fields and/or extensions: 2:1: airlock.v1.Policy.readabel",
 * which names neither the mistake nor the fix; it becomes "2:1: unknown field 'readabel' (fields:
 * description, extends, mode, readable, ...)".
 */
final class PolicyParseErrors {
  /** One unknown field as the parser lists it: line:column, a tab, Message.full.name.field. */
  private static final Pattern UNKNOWN_FIELD =
      Pattern.compile("(\\d+):(\\d+):\\t([\\w.]+)\\.(\\w+)");

  private PolicyParseErrors() {}

  /** "LINE:COLUMN: what is wrong", for the file name to be put in front. */
  static String describe(TextFormat.ParseException e) {
    String message = e.getMessage();
    Matcher unknown = UNKNOWN_FIELD.matcher(message);
    if (message.contains("unknown fields") && unknown.find()) {
      String fields =
          message(unknown.group(3))
              .map(
                  type ->
                      type.getFields().stream()
                          .map(FieldDescriptor::getName)
                          .collect(Collectors.joining(", ", " (fields: ", ")")))
              .orElse("");
      return unknown.group(1)
          + ":"
          + unknown.group(2)
          + ": unknown field '"
          + unknown.group(4)
          + "'"
          + fields;
    }
    return e.getLine() + ":" + e.getColumn() + ": " + message.replaceFirst("^\\d+:\\d+: ", "");
  }

  /** The message type of that full name: Policy, or one of the messages it holds. */
  private static Optional<Descriptor> message(String fullName) {
    return find(Policy.getDescriptor(), fullName, 0);
  }

  private static Optional<Descriptor> find(Descriptor type, String fullName, int depth) {
    if (type.getFullName().equals(fullName)) {
      return Optional.of(type);
    }
    if (depth > 4) {
      return Optional.empty();
    }
    for (FieldDescriptor field : type.getFields()) {
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        Optional<Descriptor> found = find(field.getMessageType(), fullName, depth + 1);
        if (found.isPresent()) {
          return found;
        }
      }
    }
    return Optional.empty();
  }
}
