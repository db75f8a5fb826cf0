package dev.airlock.tests.reapi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A small Bazel workspace (genrule, cc_library, cc_binary, cc_test, sh_test) that Debian's
 * bazel-bootstrap (Bazel 4.2) builds and tests offline. Bazel 4.2's built-in WORKSPACE suffix would
 * download {@code @rules_cc}, {@code @rules_java} and {@code @remote_coverage_tools}; local
 * stand-ins that forward to the native rules take their place.
 */
final class BazelWorkspace {
  private BazelWorkspace() {}

  /** Writes the workspace into {@code dir}; {@code extra} adds files (path to contents). */
  static void write(Path dir, Map<String, String> extra) throws IOException {
    Map<String, String> files = new LinkedHashMap<>();
    files.put(
        "WORKSPACE",
        """
        workspace(name = "bazeltest")
        local_repository(name = "rules_cc", path = "third_party/rules_cc_stub")
        local_repository(name = "rules_java", path = "third_party/rules_java_stub")
        local_repository(name = "remote_coverage_tools", path = "third_party/coverage_tools_stub")
        """);
    files.put(".bazelignore", "third_party\n");
    // Debian's /etc/bazel/bazelrc turns on --sandbox_debug (verbose, keeps sandboxes).
    files.put(".bazelrc", "build --nosandbox_debug\ntest --test_output=errors\n");
    files.put("third_party/rules_cc_stub/WORKSPACE", "");
    files.put("third_party/rules_cc_stub/BUILD", "");
    files.put(
        "third_party/rules_cc_stub/cc/BUILD",
        """
        package(default_visibility = ["//visibility:public"])
        alias(name = "toolchain_type", actual = "@bazel_tools//tools/cpp:toolchain_type")
        """);
    StringBuilder cc = new StringBuilder("# Forwards to Bazel's native C++ rules.\n");
    for (String rule :
        new String[] {
          "cc_binary",
          "cc_library",
          "cc_test",
          "cc_import",
          "cc_toolchain",
          "cc_toolchain_suite",
          "cc_proto_library",
          "objc_library",
          "fdo_profile"
        }) {
      cc.append("def ").append(rule).append("(**kw): native.").append(rule).append("(**kw)\n");
    }
    files.put("third_party/rules_cc_stub/cc/defs.bzl", cc.toString());
    files.put("third_party/rules_java_stub/WORKSPACE", "");
    files.put("third_party/rules_java_stub/BUILD", "");
    files.put(
        "third_party/rules_java_stub/java/BUILD",
        "package(default_visibility = [\"//visibility:public\"])\n");
    StringBuilder java = new StringBuilder("# Forwards to Bazel's native Java rules (loading).\n");
    for (String rule :
        new String[] {
          "java_binary",
          "java_import",
          "java_library",
          "java_test",
          "java_plugin",
          "java_proto_library",
          "java_lite_proto_library",
          "java_runtime",
          "java_toolchain"
        }) {
      java.append("def ").append(rule).append("(**kw): native.").append(rule).append("(**kw)\n");
    }
    files.put("third_party/rules_java_stub/java/defs.bzl", java.toString());
    files.put("third_party/coverage_tools_stub/WORKSPACE", "");
    files.put(
        "third_party/coverage_tools_stub/BUILD",
        """
        package(default_visibility = ["//visibility:public"])
        sh_binary(name = "coverage_report_generator", srcs = ["fail.sh"])
        sh_binary(name = "lcov_merger", srcs = ["fail.sh"])
        """);
    files.put(
        "third_party/coverage_tools_stub/fail.sh",
        "#!/bin/sh\necho 'coverage tools are not available offline' >&2\nexit 1\n");
    files.put(
        "BUILD",
        """
        genrule(
            name = "gen",
            srcs = ["in.txt"],
            outs = ["out.txt"],
            cmd = "tr a-z A-Z < $< > $@ && echo generated >> $@",
        )

        genrule(
            name = "genhdr",
            outs = ["gen.h"],
            cmd = "echo '#define GREETING \\"hello from genrule\\"' > $@",
        )

        cc_library(
            name = "greet",
            srcs = ["greet.c"],
            hdrs = ["greet.h", ":genhdr"],
        )

        cc_binary(
            name = "hello",
            srcs = ["main.c"],
            deps = [":greet"],
        )

        cc_test(
            name = "greet_test",
            srcs = ["greet_test.c"],
            deps = [":greet"],
        )

        sh_test(
            name = "sh_test",
            srcs = ["check.sh"],
            data = [":gen"],
        )
        """);
    files.put("in.txt", "some input text\n");
    files.put("greet.h", "#pragma once\nconst char *greeting(void);\n");
    files.put(
        "greet.c",
        "#include \"greet.h\"\n#include \"gen.h\"\n"
            + "const char *greeting(void) { return GREETING; }\n");
    files.put(
        "main.c",
        "#include <stdio.h>\n#include \"greet.h\"\n"
            + "int main(void) { printf(\"%s\\n\", greeting()); return 0; }\n");
    files.put(
        "greet_test.c",
        "#include <string.h>\n#include \"greet.h\"\n"
            + "int main(void) { return strcmp(greeting(), \"hello from genrule\") != 0; }\n");
    files.put(
        "check.sh",
        "#!/bin/sh\ngrep -q 'SOME INPUT TEXT' \"$TEST_SRCDIR/$TEST_WORKSPACE/out.txt\"\n");
    files.putAll(extra);
    for (Map.Entry<String, String> f : files.entrySet()) {
      Path p = dir.resolve(f.getKey());
      Files.createDirectories(p.getParent());
      Files.writeString(p, f.getValue());
      if (f.getKey().endsWith(".sh")) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }
  }
}
