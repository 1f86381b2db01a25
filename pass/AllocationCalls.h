// Recognising calls to the C allocation functions and redirecting them to the runtime.
#ifndef MEMSCOPE_PASS_ALLOCATIONCALLS_H
#define MEMSCOPE_PASS_ALLOCATIONCALLS_H

#include "RuntimeInterface.h"

#include <optional>

namespace llvm {
class CallBase;
class Constant;
class Function;
} // namespace llvm

namespace memscope {

// One call to rewrite, in the function that contains it now (after inlining).
struct AllocationCall {
  llvm::CallBase *Call;
  AllocApi Api;
  // Position among the allocation calls of its function, counted in instruction order;
  // part of the site ID when the call has no debug location.
  unsigned OrdinalInFunction;
};

// The API when Call is a plain `call` or `invoke` whose callee, looking through pointer
// casts, is the external C function malloc, calloc, realloc or free with its C
// signature (size_t being the target's pointer-sized integer) and the C calling
// convention.  Anything else (indirect calls, other prototypes, musttail calls, a
// static function that happens to be called malloc) is not an allocation call.
std::optional<AllocApi> classifyAllocationCall(const llvm::CallBase &Call,
                                               const RuntimeTypes &Types);

// Replaces the call by the same kind of call (or invoke, to the same destinations) to
// Runtime with Site appended to the arguments; keeps the debug location, name,
// calling convention, tail-call kind and operand bundles, and erases the original.
void rewriteAllocationCall(const AllocationCall &Call, llvm::Function *Runtime,
                           llvm::Constant *Site);

} // namespace memscope

#endif // MEMSCOPE_PASS_ALLOCATIONCALLS_H
