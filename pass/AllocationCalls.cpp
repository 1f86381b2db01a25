// Recognising allocation calls and rewriting them into calls that carry a site.
#include "AllocationCalls.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"

using namespace llvm;

namespace memscope {

const KnownFunction *classifyFunction(const Function &F, const RuntimeTypes &Types) {
  if (F.hasLocalLinkage() || F.isIntrinsic())
    return nullptr;
  const KnownFunction *K = lookupKnownFunction(F.getName());
  if (!K || F.getFunctionType() != Types.knownType(*K) ||
      F.getCallingConv() != CallingConv::C)
    return nullptr;
  return K;
}

Function *calledFunction(const CallBase &Call) {
  return dyn_cast<Function>(Call.getCalledOperand()->stripPointerCasts());
}

bool isRewritableCall(const CallBase &Call, const Function &Callee) {
  auto *CI = dyn_cast<CallInst>(&Call);
  if (!CI && !isa<InvokeInst>(Call))
    return false;
  if (CI && CI->isMustTailCall())
    return false;
  return Call.getFunctionType() == Callee.getFunctionType() &&
         Call.getCallingConv() == Callee.getCallingConv();
}

void rewriteCall(CallBase &Old, Function *Target, Value *Site, bool KeepParamAttrs) {
  SmallVector<Value *, 8> Args(Old.args());
  Args.push_back(Site);
  // Bundles such as "funclet" tie the call to its EH pad and must survive.
  SmallVector<OperandBundleDef, 1> Bundles;
  Old.getOperandBundlesAsDefs(Bundles);

  IRBuilder<> B(&Old);
  CallBase *New;
  if (auto *Invoke = dyn_cast<InvokeInst>(&Old)) {
    New = B.CreateInvoke(Target->getFunctionType(), Target, Invoke->getNormalDest(),
                         Invoke->getUnwindDest(), Args, Bundles);
  } else {
    CallInst *NewCall = B.CreateCall(Target->getFunctionType(), Target, Args, Bundles);
    NewCall->setTailCallKind(cast<CallInst>(Old).getTailCallKind());
    New = NewCall;
  }
  // The call-site attributes of the original (allocsize, builtin, ...) describe the
  // original callee and are dropped with it.
  if (KeepParamAttrs) {
    AttributeList Attrs = Old.getAttributes();
    SmallVector<AttributeSet, 8> Params;
    for (unsigned I = 0; I < Old.arg_size(); ++I)
      Params.push_back(Attrs.getParamAttrs(I));
    New->setAttributes(AttributeList::get(Old.getContext(), AttributeSet(), AttributeSet(), Params));
  }
  New->setCallingConv(Old.getCallingConv());
  New->setDebugLoc(Old.getDebugLoc());
  New->takeName(&Old);
  Old.replaceAllUsesWith(New);
  Old.eraseFromParent();
}

} // namespace memscope
