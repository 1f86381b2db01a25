// Allocation functions used as values (`pool->alloc = malloc`, `pthread_key_create(&k,
// free)`, a table of function pointers): each such use is a site, and the address it
// hands out is that of a thunk that calls the runtime with the site, so calls through
// the pointer (from anywhere, instrumented or not) are recorded where the address was
// taken.
//
// One consequence: the pointer no longer compares equal to `malloc` itself (each use
// gets its own thunk).  Comparisons with the function are left alone, so `fp == malloc`
// is false for a pointer stored elsewhere; docs/pass.md states this.
#ifndef MEMSCOPE_PASS_FUNCTIONPOINTERS_H
#define MEMSCOPE_PASS_FUNCTIONPOINTERS_H

#include "RuntimeInterface.h"

#include "llvm/ADT/SmallVector.h"

namespace llvm {
class Constant;
class Function;
class GlobalVariable;
class Module;
class Use;
} // namespace llvm

namespace memscope {

// One use of a known allocation function's address.
struct AddressUse {
  llvm::Use *U = nullptr;                 // an operand of an instruction, or
  llvm::GlobalVariable *Global = nullptr; // a global whose initializer holds it
  llvm::Function *Callee = nullptr;       // the function whose address it is
  const KnownFunction *Known = nullptr;
};

// The uses of Callee's address in global variable initializers (outside llvm.* and the
// memscope tables), one per variable.
llvm::SmallVector<AddressUse, 2> globalAddressUses(llvm::Function &Callee,
                                                   const KnownFunction &K);

// An internal function with Callee's prototype that calls Entry (its runtime entry
// point or C++ helper) with Site appended: what the use's address becomes.
llvm::Function *emitThunk(llvm::Module &M, const KnownFunction &K, llvm::Function &Callee,
                          llvm::Function *Entry, llvm::Constant *Site);

// Replaces the use's address of Callee by Thunk.
void redirectAddressUse(const AddressUse &Use, llvm::Function *Thunk);

} // namespace memscope

#endif // MEMSCOPE_PASS_FUNCTIONPOINTERS_H
