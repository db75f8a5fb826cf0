package dev.airlock.client.learn;

/** The three path lists of a policy that learning fills, in the order a policy file lists them. */
public enum GrantKind {
  READABLE("readable", "reads"),
  EXECUTABLE("executable", "execs"),
  WRITABLE("writable", "writes");

  private final String field;
  private final String verb;

  GrantKind(String field, String verb) {
    this.field = field;
    this.verb = verb;
  }

  /** The policy field: {@code readable}, {@code executable}, {@code writable}. */
  public String field() {
    return field;
  }

  /** What a comment counts: {@code 12 reads}. */
  String verb() {
    return verb;
  }
}
