// Inferring allocation wrappers from what functions return (see WrapperInference.h).
#include "WrapperInference.h"

#include "AllocationCalls.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"

#include <vector>

using namespace llvm;

namespace memscope {

namespace {

// The values a function may return, traced back to where they are made.
class ReturnedValues {
public:
  explicit ReturnedValues(Function &F) : F(F) {}
  // The calls whose results may be returned, in instruction order; false when some
  // returned value is neither null nor a call's result, or cannot be followed.
  bool collect(SmallVectorImpl<CallBase *> &Calls);

private:
  bool storedValues(AllocaInst &A, SmallVectorImpl<Value *> &Out);

  Function &F;
  // Local variables whose stored values were queued already (true) or that cannot be
  // followed (false).
  DenseMap<const AllocaInst *, bool> Variables;
};

} // namespace

// A local pointer variable (at -O0, every variable and the return value's slot) is
// followed when its only uses are loads and stores of a pointer in it, and lifetime
// markers: then what it holds is one of the values stored.  Flow-insensitive, so a
// store that never reaches the return still counts: a superset, on the safe side.
bool ReturnedValues::storedValues(AllocaInst &A, SmallVectorImpl<Value *> &Out) {
  auto [It, Fresh] = Variables.try_emplace(&A, false);
  if (!Fresh)
    return It->second;
  if (!A.getAllocatedType()->isPointerTy() || A.isArrayAllocation())
    return false;
  SmallVector<Value *, 4> Stored;
  for (User *U : A.users()) {
    if (auto *L = dyn_cast<LoadInst>(U); L && L->isSimple() && L->getType()->isPointerTy())
      continue;
    if (auto *S = dyn_cast<StoreInst>(U);
        S && S->isSimple() && S->getPointerOperand() == &A &&
        S->getValueOperand()->getType()->isPointerTy()) {
      Stored.push_back(S->getValueOperand());
      continue;
    }
    if (auto *II = dyn_cast<IntrinsicInst>(U); II && II->isLifetimeStartOrEnd())
      continue;
    return false;
  }
  It->second = true;
  Out.append(Stored.begin(), Stored.end());
  return true;
}

bool ReturnedValues::collect(SmallVectorImpl<CallBase *> &Calls) {
  SmallVector<Value *, 8> Work;
  for (BasicBlock &BB : F)
    if (auto *Ret = dyn_cast<ReturnInst>(BB.getTerminator()))
      if (Value *V = Ret->getReturnValue())
        Work.push_back(V);
  SmallPtrSet<const Value *, 16> Seen;
  SmallSetVector<CallBase *, 2> Found;
  while (!Work.empty()) {
    Value *V = Work.pop_back_val()->stripPointerCasts(); // casts, zero-offset GEPs
    if (!Seen.insert(V).second || isa<ConstantPointerNull>(V))
      continue;
    if (auto *Phi = dyn_cast<PHINode>(V)) {
      Work.append(Phi->op_begin(), Phi->op_end());
    } else if (auto *Sel = dyn_cast<SelectInst>(V)) {
      Work.push_back(Sel->getTrueValue());
      Work.push_back(Sel->getFalseValue());
    } else if (auto *Load = dyn_cast<LoadInst>(V)) {
      auto *Var = dyn_cast<AllocaInst>(Load->getPointerOperand());
      if (!Load->isSimple() || !Var || Var->getFunction() != &F || !storedValues(*Var, Work))
        return false;
    } else if (auto *Call = dyn_cast<CallBase>(V)) {
      Found.insert(Call);
    } else {
      return false; // a parameter, a global, a computed pointer, ...
    }
  }
  Calls.assign(Found.begin(), Found.end());
  // Instruction order, so that a wrapper's sites come out the same in every build.
  DenseMap<const Instruction *, unsigned> Order;
  for (Instruction &I : instructions(F))
    Order[&I] = Order.size();
  llvm::sort(Calls, [&](CallBase *A, CallBase *B) { return Order[A] < Order[B]; });
  return true;
}

bool WrapperInference::infer(Function &F, function_ref<bool(const CallBase &)> MakesSite,
                             function_ref<bool(const CallBase &)> CanBeSite) {
  SmallVector<CallBase *, 2> Calls;
  if (!ReturnedValues(F).collect(Calls) || Calls.empty())
    return false; // returns something else, or only null
  InferredWrapper W;
  for (CallBase *Call : Calls) {
    InferredWrapper::Leaf L;
    L.Call = Call;
    L.Offset = W.Width;
    Function *Callee = calledFunction(*Call);
    auto Inner = Callee ? Wrappers.find(Callee) : Wrappers.end();
    if (Inner != Wrappers.end() && CanBeSite(*Call)) {
      L.Inner = Callee;
      L.Width = Inner->second.Width;
    } else if (!Callee || !MakesSite(*Call)) {
      return false; // any other call, or one not inferred yet (a later round may)
    }
    W.Width += L.Width;
    W.Leaves.push_back(std::move(L));
  }
  if (W.Width > MaxWidth)
    return false;
  Wrappers.insert({&F, std::move(W)});
  return true;
}

WrapperInference::WrapperInference(Module &M, function_ref<bool(const Function &)> IsCandidate,
                                   function_ref<bool(const CallBase &)> MakesSite,
                                   function_ref<bool(const CallBase &)> CanBeSite) {
  std::vector<Function *> Candidates;
  for (Function &F : M)
    if (F.getReturnType()->isPointerTy() && !F.isDeclaration() && IsCandidate(F))
      Candidates.push_back(&F);
  // Each round adds the functions whose leaves are all known now; a chain of N
  // wrappers takes N rounds.  Functions that call themselves are never added (the
  // width of their calls would be unbounded).
  for (bool Changed = true; Changed;) {
    Changed = false;
    for (Function *F : Candidates)
      if (!Wrappers.count(F))
        Changed |= infer(*F, MakesSite, CanBeSite);
  }
}

const InferredWrapper *WrapperInference::lookup(const Function &F) const {
  auto It = Wrappers.find(&F);
  return It == Wrappers.end() ? nullptr : &It->second;
}

SmallVector<Function *, 8> WrapperInference::functions() const {
  SmallVector<Function *, 8> Result;
  for (const auto &Entry : Wrappers)
    Result.push_back(const_cast<Function *>(Entry.first));
  return Result;
}

} // namespace memscope
