# lit configuration for the pass's tests; loaded by the generated lit.site.cfg.py,
# which sets the paths below.
import os

import lit.formats

config.name = "memscope-pass"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".ll", ".c"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = config.memscope_obj_root

# %opt / %clang load the plugin themselves; %plugin is the bare path for RUN lines
# that need it elsewhere.  lit substitutes in list order, so a name must come before
# any other name that is a prefix of it (%clang_noplugin before %clang).
config.substitutions.append(("%plugin", config.memscope_plugin))
config.substitutions.append(
    ("%opt", "%s -load-pass-plugin=%s" % (config.opt, config.memscope_plugin)))
config.substitutions.append(("%clang_noplugin", config.clang))
config.substitutions.append(
    ("%clang", "%s -fpass-plugin=%s" % (config.clang, config.memscope_plugin)))
config.substitutions.append(("%memscope_include", config.memscope_include))

# For tests that only hold for one LLVM version: REQUIRES: llvm-19.
config.available_features.add("llvm-" + config.llvm_version_major)

# FileCheck, not and friends by their usual bare names, from this LLVM version first.
config.environment["PATH"] = os.pathsep.join(
    [config.llvm_tools_dir, config.environment.get("PATH", os.environ.get("PATH", ""))])
