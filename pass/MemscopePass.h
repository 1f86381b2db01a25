// MemscopePass: rewrites malloc/calloc/realloc/free calls into calls to the memscope
// runtime and emits the module's site table.  See docs/pass.md.
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

} // namespace memscope

#endif // MEMSCOPE_PASS_MEMSCOPEPASS_H
