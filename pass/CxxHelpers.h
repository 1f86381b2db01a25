// C++ operator new and delete: a call to one is redirected to a helper the pass emits
// into the module, which calls the real operator and reports to the runtime around it.
// The operator is called from code compiled with the program's own exception model,
// so a throwing operator new unwinds straight to the program's handler and the runtime
// stays plain C (docs/pass.md, "C++ operators").
#ifndef MEMSCOPE_PASS_CXXHELPERS_H
#define MEMSCOPE_PASS_CXXHELPERS_H

#include "RuntimeInterface.h"

namespace llvm {
class Function;
class GlobalVariable;
class Module;
} // namespace llvm

namespace memscope {

// "__memscope_cxx." + the operator's symbol.
std::string cxxHelperName(const KnownFunction &K);

// The helper for operator K, of type Types.entryType(K), emitted if the module does
// not define it yet (checkRuntimeSymbol must have accepted its name and the note
// functions' beforehand).  linkonce_odr hidden (in a comdat where the object format
// has them) so that one copy per linked image remains, and noinline so that the
// operator call never reappears in instrumented code, where a second run of the pass
// (an LTO step) would count it again.
// The runtime's thread-local __memscope_inner flag, declared once per module.
llvm::GlobalVariable *getOrDeclareInnerFlag(llvm::Module &M);

llvm::Function *getOrEmitCxxHelper(llvm::Module &M, const RuntimeTypes &Types,
                                   const KnownFunction &K);

} // namespace memscope

#endif // MEMSCOPE_PASS_CXXHELPERS_H
