// Every difference between the LLVM versions the pass supports lives here, so the rest
// of the pass is written against one API.  Built and tested with LLVM 16, 19 and 22
// (scripts/llvm-matrix).
#ifndef MEMSCOPE_PASS_LLVMCOMPAT_H
#define MEMSCOPE_PASS_LLVMCOMPAT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/SpecialCaseList.h"
#include "llvm/Support/VirtualFileSystem.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/OptimizationLevel.h"
#include "llvm/Passes/PassBuilder.h"

// LLVM 22 moved the plugin entry point header from llvm/Passes/ to llvm/Plugins/.
#if __has_include("llvm/Plugins/PassPlugin.h")
#include "llvm/Plugins/PassPlugin.h"
#else
#include "llvm/Passes/PassPlugin.h"
#endif

// Triple.h moved from ADT to TargetParser in LLVM 17.
#if __has_include("llvm/TargetParser/Triple.h")
#include "llvm/TargetParser/Triple.h"
#else
#include "llvm/ADT/Triple.h"
#endif

#include <functional>
#include <memory>
#include <string>

namespace memscope::compat {

// What llvmGetPassPluginInfo returns.  The struct gained members over time (plugin
// API version 2 in LLVM 22); unnamed trailing members stay value-initialised.
inline llvm::PassPluginLibraryInfo makePluginInfo(const char *Name, const char *Version,
                                                  void (*Register)(llvm::PassBuilder &)) {
  return {LLVM_PLUGIN_API_VERSION, Name, Version, Register};
}

// The optimizer-last extension point.  LLVM 20 added the LTO phase the pipeline is
// built for; the pass does not need it: running it again in a later phase finds
// nothing left to do (docs/pass.md, "LTO").
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

// The pipeline-start extension point has kept its signature since LLVM 12.
using PipelineStartCallback =
    std::function<void(llvm::ModulePassManager &, llvm::OptimizationLevel)>;

inline void registerPipelineStart(llvm::PassBuilder &PB, PipelineStartCallback CB) {
  PB.registerPipelineStartEPCallback(std::move(CB));
}

// Module::getTargetTriple returns a Triple from LLVM 21 on, a string before.
inline llvm::Triple targetTriple(const llvm::Module &M) {
  return llvm::Triple(M.getTargetTriple());
}

// A special case list (the sanitizers' format) read from Path; nullptr and Error set
// when it cannot be read or parsed.
inline std::unique_ptr<llvm::SpecialCaseList> loadSpecialCaseList(const std::string &Path,
                                                                  std::string &Error) {
  return llvm::SpecialCaseList::create(std::vector<std::string>{Path},
                                       *llvm::vfs::getRealFileSystem(), Error);
}

// StringRef::starts_with replaced startswith in LLVM 17 (which LLVM 16 lacks).
inline bool startsWith(llvm::StringRef S, llvm::StringRef Prefix) {
#if LLVM_VERSION_MAJOR >= 17
  return S.starts_with(Prefix);
#else
  return S.startswith(Prefix);
#endif
}

inline bool endsWith(llvm::StringRef S, llvm::StringRef Suffix) {
#if LLVM_VERSION_MAJOR >= 17
  return S.ends_with(Suffix);
#else
  return S.endswith(Suffix);
#endif
}

// Whether V is known non-zero at CxtI (known bits, attributes, dominating conditions);
// LLVM 19 gathered the query's parts into a SimplifyQuery.
inline bool isKnownNonZeroAt(const llvm::Value *V, const llvm::DataLayout &DL,
                             const llvm::Instruction *CxtI, const llvm::DominatorTree *DT) {
#if LLVM_VERSION_MAJOR >= 19
  return llvm::isKnownNonZero(V, llvm::SimplifyQuery(DL, DT, /*AC=*/nullptr, CxtI));
#else
  return llvm::isKnownNonZero(V, DL, 0, /*AC=*/nullptr, CxtI, DT);
#endif
}

} // namespace memscope::compat

#endif // MEMSCOPE_PASS_LLVMCOMPAT_H
