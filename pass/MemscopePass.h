// MemscopePass: rewrites allocation calls into calls to the memscope runtime and emits
// the module's site table.  MarkDeclaredAllocatorsPass runs first, at the start of the
// pipeline, to note which functions the source declared as allocators.  See
// docs/pass.md.
#ifndef MEMSCOPE_PASS_MEMSCOPEPASS_H
#define MEMSCOPE_PASS_MEMSCOPEPASS_H

#include "llvm/IR/PassManager.h"

namespace memscope {

class MemscopePass : public llvm::PassInfoMixin<MemscopePass> {
public:
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &MAM);
  // Instrument optnone functions too: -O0 is the common way to profile a debug build.
  static bool isRequired() { return true; }
};

// Marks functions with a noalias result (__attribute__((malloc)) in C/C++) as declared
// allocators, before the optimizer infers noalias results by itself: allocation
// wrappers are then the same at every optimisation level.
class MarkDeclaredAllocatorsPass : public llvm::PassInfoMixin<MarkDeclaredAllocatorsPass> {
public:
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &MAM);
  static bool isRequired() { return true; }
};

} // namespace memscope

#endif // MEMSCOPE_PASS_MEMSCOPEPASS_H
