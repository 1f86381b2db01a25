// Recognising allocation calls (and calls to allocation wrappers) and redirecting them
// to the runtime with a site pointer appended.
#ifndef MEMSCOPE_PASS_ALLOCATIONCALLS_H
#define MEMSCOPE_PASS_ALLOCATIONCALLS_H

#include "RuntimeInterface.h"

namespace llvm {
class CallBase;
class Function;
class Value;
} // namespace llvm

namespace memscope {

// The known function F is, when it is an external function whose name is in the table
// and whose type and calling convention are the table's prototype.  A static function
// that happens to be called malloc, or a malloc with another prototype, is not.
const KnownFunction *classifyFunction(const llvm::Function &F, const RuntimeTypes &Types);

// True when Call is a `call` or `invoke` that can take one more argument: not callbr,
// not musttail (whose prototype must match the caller's), not through a type other
// than the callee's (a K&R-style call hands over arguments nobody can trust).
bool isRewritableCall(const llvm::CallBase &Call, const llvm::Function &Callee);

// The function Call calls, looking through pointer casts; nullptr when indirect.
llvm::Function *calledFunction(const llvm::CallBase &Call);

// Replaces Call by the same kind of call (or invoke, to the same destinations) to
// Target with Site appended to the arguments; keeps the debug location, name, calling
// convention, tail-call kind and operand bundles, and erases the original.  The
// original's attributes describe its callee and are dropped, except with
// KeepParamAttrs (a wrapper's twin: the same parameters, and byval, zeroext and the
// like are part of how they are passed).
void rewriteCall(llvm::CallBase &Call, llvm::Function *Target, llvm::Value *Site,
                 bool KeepParamAttrs = false);

} // namespace memscope

#endif // MEMSCOPE_PASS_ALLOCATIONCALLS_H
