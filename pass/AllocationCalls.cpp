// Recognising calls to malloc/calloc/realloc/free and rewriting them into calls to
// __memscope_<api>(args..., site).
#include "AllocationCalls.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"

using namespace llvm;

namespace memscope {

static std::optional<AllocApi> apiForName(StringRef Name) {
  if (Name == "malloc")
    return AllocApi::Malloc;
  if (Name == "calloc")
    return AllocApi::Calloc;
  if (Name == "realloc")
    return AllocApi::Realloc;
  if (Name == "free")
    return AllocApi::Free;
  return std::nullopt;
}

// The C prototype, which is the runtime's without the trailing site pointer.
static FunctionType *libcType(AllocApi Api, const RuntimeTypes &T) {
  FunctionType *Runtime = T.allocFunction(Api);
  return FunctionType::get(Runtime->getReturnType(), Runtime->params().drop_back(),
                           /*isVarArg=*/false);
}

std::optional<AllocApi> classifyAllocationCall(const CallBase &Call, const RuntimeTypes &Types) {
  // callbr and friends never call an allocator; musttail requires the callee's
  // prototype to match the caller's, which an extra argument would break.
  auto *CI = dyn_cast<CallInst>(&Call);
  if (!CI && !isa<InvokeInst>(Call))
    return std::nullopt;
  if (CI && CI->isMustTailCall())
    return std::nullopt;

  auto *Callee = dyn_cast<Function>(Call.getCalledOperand()->stripPointerCasts());
  if (!Callee || Callee->hasLocalLinkage() || Callee->isIntrinsic())
    return std::nullopt;
  std::optional<AllocApi> Api = apiForName(Callee->getName());
  if (!Api)
    return std::nullopt;

  // Both the callee and the call must have the C prototype: a K&R-style call through
  // another type would hand the runtime arguments it cannot trust.
  FunctionType *Expected = libcType(*Api, Types);
  if (Callee->getFunctionType() != Expected || Call.getFunctionType() != Expected)
    return std::nullopt;
  if (Call.getCallingConv() != CallingConv::C || Callee->getCallingConv() != CallingConv::C)
    return std::nullopt;
  return Api;
}

void rewriteAllocationCall(const AllocationCall &Call, Function *Runtime, Constant *Site) {
  CallBase &Old = *Call.Call;
  SmallVector<Value *, 4> Args(Old.args());
  Args.push_back(Site);
  // Bundles such as "funclet" tie the call to its EH pad and must survive.
  SmallVector<OperandBundleDef, 1> Bundles;
  Old.getOperandBundlesAsDefs(Bundles);

  IRBuilder<> B(&Old);
  CallBase *New;
  if (auto *Invoke = dyn_cast<InvokeInst>(&Old)) {
    New = B.CreateInvoke(Runtime->getFunctionType(), Runtime, Invoke->getNormalDest(),
                         Invoke->getUnwindDest(), Args, Bundles);
  } else {
    CallInst *NewCall = B.CreateCall(Runtime->getFunctionType(), Runtime, Args, Bundles);
    NewCall->setTailCallKind(cast<CallInst>(Old).getTailCallKind());
    New = NewCall;
  }
  // The call-site attributes of the original (allocsize, builtin, ...) describe libc's
  // function and are dropped with it.
  New->setCallingConv(Old.getCallingConv());
  New->setDebugLoc(Old.getDebugLoc());
  New->takeName(&Old);
  Old.replaceAllUsesWith(New);
  Old.eraseFromParent();
}

} // namespace memscope
