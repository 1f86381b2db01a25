// Every difference between the LLVM versions the pass supports lives here, so the rest
// of the pass is written against one API.  Built and tested with LLVM 19; the branches
// for other versions follow their release notes and headers (LLVM 16 and 22 are
// targeted next) and must be compiled against those versions before they are trusted.
#ifndef MEMSCOPE_PASS_LLVMCOMPAT_H
#define MEMSCOPE_PASS_LLVMCOMPAT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/OptimizationLevel.h"
#include "llvm/Passes/PassBuilder.h"

// LLVM 22 moved the plugin entry point header from llvm/Passes/ to llvm/Plugins/.
#if __has_include("llvm/Plugins/PassPlugin.h")
#include "llvm/Plugins/PassPlugin.h"
#else
#include "llvm/Passes/PassPlugin.h"
#endif

#include <functional>

namespace memscope::compat {

// What llvmGetPassPluginInfo returns.  The struct gained members over time (plugin
// API version 2 in LLVM 22); unnamed trailing members stay value-initialised.
inline llvm::PassPluginLibraryInfo makePluginInfo(const char *Name, const char *Version,
                                                  void (*Register)(llvm::PassBuilder &)) {
  return {LLVM_PLUGIN_API_VERSION, Name, Version, Register};
}

// The optimizer-last extension point.  LLVM 20 added the LTO phase the pipeline is
// built for; the pass does not care yet (LTO is not supported, see docs/pass.md).
using OptimizerLastCallback =
    std::function<void(llvm::ModulePassManager &, llvm::OptimizationLevel)>;

inline void registerOptimizerLast(llvm::PassBuilder &PB, OptimizerLastCallback CB) {
#if LLVM_VERSION_MAJOR >= 20
  PB.registerOptimizerLastEPCallback(
      [CB = std::move(CB)](llvm::ModulePassManager &MPM, llvm::OptimizationLevel Level,
                           llvm::ThinOrFullLTOPhase) { CB(MPM, Level); });
#else
  PB.registerOptimizerLastEPCallback(std::move(CB));
#endif
}

// StringRef::starts_with replaced startswith in LLVM 17 (which LLVM 16 lacks).
inline bool startsWith(llvm::StringRef S, llvm::StringRef Prefix) {
#if LLVM_VERSION_MAJOR >= 17
  return S.starts_with(Prefix);
#else
  return S.startswith(Prefix);
#endif
}

} // namespace memscope::compat

#endif // MEMSCOPE_PASS_LLVMCOMPAT_H
