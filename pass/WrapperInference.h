// Allocation wrappers found without being listed (docs/pass.md, "Allocation wrappers").
//
// A defined function is an inferred wrapper when every value it returns is, through
// pointer casts, zero-offset GEPs, phis, selects and the loads of a local variable that
// only loads and stores use, either null or the result of a call the pass makes a site
// of: an allocation call, a call of a listed or declared wrapper, or a call of another
// inferred wrapper (found by iterating to a fixed point, so xmalloc2 -> xmalloc ->
// malloc chains are found; a function that returns its own result never is).  Those
// calls are its leaves.
//
// A call of an inferred wrapper makes one site per leaf *allocation* reached through
// it, in the caller, with the frames an inlined call would have: the leaf's own, then
// each wrapper call down the chain, then the caller's.  The wrapper's twin (Wrappers.h)
// passes its caller's sites to its leaves only; its other calls keep their own sites.
// Only callers in the same module see the body, so the twins are internal.
#ifndef MEMSCOPE_PASS_WRAPPERINFERENCE_H
#define MEMSCOPE_PASS_WRAPPERINFERENCE_H

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/ValueHandle.h"

namespace llvm {
class CallBase;
class Function;
class Module;
} // namespace llvm

namespace memscope {

struct InferredWrapper {
  // A call of the body whose result may be returned.
  struct Leaf {
    // The call; follows the pass's rewriting (rewriteCall replaces all uses).
    llvm::WeakTrackingVH Call;
    // The inferred wrapper it calls, or null (an allocation or a listed wrapper).
    llvm::Function *Inner = nullptr;
    unsigned Offset = 0; // its first site among the wrapper's
    unsigned Width = 1;  // its sites: 1, or Inner's width
  };
  llvm::SmallVector<Leaf, 2> Leaves; // in instruction order
  // The sites one call of the wrapper makes (the sum of its leaves' widths).  Its twin
  // takes one site pointer when it is 1, else a pointer to a list of that many.
  unsigned Width = 0;
};

class WrapperInference {
public:
  // A call of a wrapper wider than this makes it no wrapper: each call of it would
  // make that many sites.
  static constexpr unsigned MaxWidth = 8;

  // IsCandidate: a defined function that may be a wrapper (instrumented, not
  // variadic, not listed or declared, not a known function).  MakesSite: Call, a
  // direct call of an allocation function or of a listed or declared wrapper, is a
  // site of the pass.  CanBeSite: Call, a direct call, would be a site if its callee
  // were a wrapper (rewritable, not written in an opted-out function).
  WrapperInference(llvm::Module &M, llvm::function_ref<bool(const llvm::Function &)> IsCandidate,
                   llvm::function_ref<bool(const llvm::CallBase &)> MakesSite,
                   llvm::function_ref<bool(const llvm::CallBase &)> CanBeSite);

  const InferredWrapper *lookup(const llvm::Function &F) const;
  // The inferred wrappers, in module order.
  llvm::SmallVector<llvm::Function *, 8> functions() const;
  bool empty() const { return Wrappers.empty(); }

private:
  bool infer(llvm::Function &F, llvm::function_ref<bool(const llvm::CallBase &)> MakesSite,
             llvm::function_ref<bool(const llvm::CallBase &)> CanBeSite);

  llvm::MapVector<const llvm::Function *, InferredWrapper> Wrappers;
};

} // namespace memscope

#endif // MEMSCOPE_PASS_WRAPPERINFERENCE_H
