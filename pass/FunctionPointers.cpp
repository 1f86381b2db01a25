// Thunks for allocation functions used as values (see FunctionPointers.h).
#include "FunctionPointers.h"

#include "LLVMCompat.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

using namespace llvm;

namespace memscope {

// The global variables whose initializers contain C, through any nesting of constant
// structs, arrays and expressions.
static void collectGlobals(Constant *C, SmallPtrSetImpl<GlobalVariable *> &Seen,
                           SmallVectorImpl<GlobalVariable *> &Out) {
  for (User *U : C->users()) {
    if (auto *GV = dyn_cast<GlobalVariable>(U)) {
      if (Seen.insert(GV).second)
        Out.push_back(GV);
    } else if (auto *Inner = dyn_cast<Constant>(U); Inner && !isa<GlobalValue>(Inner)) {
      collectGlobals(Inner, Seen, Out);
    }
  }
}

SmallVector<AddressUse, 2> globalAddressUses(Function &Callee, const KnownFunction &K) {
  SmallPtrSet<GlobalVariable *, 4> Seen;
  SmallVector<GlobalVariable *, 4> Found;
  collectGlobals(&Callee, Seen, Found);
  SmallVector<AddressUse, 2> Uses;
  // Module order, so that sites are numbered deterministically.
  for (GlobalVariable &GV : Callee.getParent()->globals()) {
    if (!Seen.contains(&GV))
      continue;
    // llvm.used and friends, annotations, our own tables: not calls waiting to happen.
    if (compat::startsWith(GV.getName(), "llvm.") ||
        compat::startsWith(GV.getName(), RuntimePrefix) || GV.getSection() == "llvm.metadata")
      continue;
    AddressUse Use;
    Use.Global = &GV;
    Use.Callee = &Callee;
    Use.Known = &K;
    Uses.push_back(Use);
  }
  return Uses;
}

Function *emitThunk(Module &M, const KnownFunction &K, Function &Callee, Function *Entry,
                    Constant *Site) {
  Function *Thunk = Function::createWithDefaultAttr(
      Callee.getFunctionType(), GlobalValue::InternalLinkage,
      M.getDataLayout().getProgramAddressSpace(), std::string(ThunkPrefix) + K.Name, &M);
  SmallVector<Value *, 6> Args;
  for (Argument &A : Thunk->args())
    Args.push_back(&A);
  Args.push_back(Site);
  IRBuilder<> B(BasicBlock::Create(M.getContext(), "", Thunk));
  CallInst *Call = B.CreateCall(Entry, Args);
  if (Call->getType()->isVoidTy())
    B.CreateRetVoid();
  else
    B.CreateRet(Call);
  return Thunk;
}

void redirectAddressUse(const AddressUse &Use, Function *Thunk) {
  if (Use.U) {
    Use.U->set(Thunk);
    return;
  }
  // Rebuild the initializer with the thunk in place of the function.
  ValueToValueMapTy VMap;
  VMap[Use.Callee] = Thunk;
  Use.Global->setInitializer(MapValue(Use.Global->getInitializer(), VMap));
}

} // namespace memscope
