// Allocation wrappers (xmalloc and friends): a call to one is a site of its own, at the
// caller, and the allocations made inside it are counted there and only there.
//
// Pass-only scheme (docs/pass.md, "Allocation wrappers"): every wrapper defined in a
// module gets a twin, "<name>.memscope", with the site as an extra last parameter; the
// twin is the wrapper's (instrumented) body with each site it would pass to the runtime
// replaced by that parameter.  Instrumented calls to the wrapper call the twin with
// their own site.  A module that calls a wrapper it does not define also gets a weak
// hidden fallback twin that calls the plain wrapper, so linking with a wrapper built
// without the plugin still works (its allocations then count where they are made).
//
// Inferred wrappers (WrapperInference.h) get an internal twin, for the callers of their
// module: only its leaves take the caller's sites.
#ifndef MEMSCOPE_PASS_WRAPPERS_H
#define MEMSCOPE_PASS_WRAPPERS_H

#include "RuntimeInterface.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

#include <memory>

namespace llvm {
class Argument;
class Function;
class Module;
class TargetLibraryInfo;
class TargetLibraryInfoImpl;
} // namespace llvm

namespace memscope {

class PassOptions;
struct InferredWrapper;

class WrapperSet {
public:
  // IsSkipped tells whether a defined function is excluded from instrumentation (an
  // excluded function is no wrapper).
  WrapperSet(llvm::Module &M, const RuntimeTypes &Types, const PassOptions &Options,
             std::function<bool(const llvm::Function &)> IsSkipped);
  ~WrapperSet();

  // F is an allocation wrapper: named by the user, or (unless disabled) declared as an
  // allocator with a noalias result, allocsize or allockind; never a function the
  // pass knows itself, a library function LLVM knows by name, a variadic function,
  // a twin, or a runtime function.
  bool isWrapper(const llvm::Function &F) const;
  // F may be a wrapper at all: none of the functions isWrapper() excludes.
  bool mayBeWrapper(const llvm::Function &F) const;

  // The twin of wrapper W, declared now; a defined W's twin gets its body from
  // emitTwins(), an undefined W's twin is the fallback.
  llvm::Function *twin(llvm::Function &W);
  // The internal twin of W, an inferred wrapper defined here, described by Info; it
  // takes one site when Info.Width is 1, else a list of Info.Width sites.  Its body
  // comes from emitTwins().
  llvm::Function *inferredTwin(llvm::Function &W, const InferredWrapper &Info);

  // Wrappers defined here whose twin does not exist yet.  Each gets one from
  // emitTwins, after the module has been instrumented.
  llvm::SmallVector<llvm::Function *, 4> definitionsNeedingTwins() const;

  // Gives every twin declared by twin() its body: a copy of the wrapper's (already
  // instrumented) body in which sites passed to the runtime or to other twins are
  // replaced by the twin's site parameter; or, for a wrapper not defined here, a call
  // of the plain wrapper.
  void emitTwins();

  // F is a twin (by name): never instrumented as a function of its own.
  static bool isTwin(const llvm::Function &F);

private:
  void emitFallback(llvm::Function &W, llvm::Function &Twin);
  void emitClone(llvm::Function &W, llvm::Function &Twin);
  void emitInferredClone(llvm::Function &W, llvm::Function &Twin, const InferredWrapper &Info);
  llvm::Argument *cloneBody(llvm::Function &W, llvm::Function &Twin,
                            llvm::ValueToValueMapTy &VMap);

  llvm::Module &M;
  const RuntimeTypes &Types;
  const PassOptions &Options;
  std::function<bool(const llvm::Function &)> IsSkipped;
  std::unique_ptr<llvm::TargetLibraryInfoImpl> TLII;
  std::unique_ptr<llvm::TargetLibraryInfo> TLI;
  // Twins declared by this run, in the order they were declared.
  struct PendingTwin {
    llvm::Function *Wrapper, *Twin;
    const InferredWrapper *Inferred; // null for a listed or declared wrapper
  };
  llvm::SmallVector<PendingTwin, 4> Pending;
};

} // namespace memscope

#endif // MEMSCOPE_PASS_WRAPPERS_H
