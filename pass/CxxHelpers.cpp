// The helpers behind C++ operator new and delete (see CxxHelpers.h):
//
//   ptr __memscope_cxx._Znwm(i64 %size, ptr %site) {
//     store i8 1, ptr @__memscope_inner      ; thread-local (see below)
//     %p = call ptr @_Znwm(i64 %size)        ; may throw: no landing pad here
//     store i8 0, ptr @__memscope_inner
//     call void @__memscope_note_alloc(i64 %size, ptr %p, ptr %site)
//     ret ptr %p
//   }
//   void __memscope_cxx._ZdlPvm(ptr %p, i64 %size, ptr %site) {
//     call void @__memscope_note_free(ptr %p, ptr %site)
//     store i8 1, ptr @__memscope_inner
//     call void @_ZdlPvm(ptr %p, i64 %size)
//     store i8 0, ptr @__memscope_inner
//     ret void
//   }
//
// __memscope_inner tells the runtime's interposed malloc and free (which count the
// calls of uninstrumented code) that the next call is the operator's own, already
// reported here: they consume the flag without counting.  Clearing it afterwards covers
// an operator that never called malloc; if the operator throws, the malloc that failed
// consumed it already.  Two thread-local stores per operator, no call.
#include "CxxHelpers.h"

#include "LLVMCompat.h"

#include "llvm/IR/Function.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace memscope {

GlobalVariable *getOrDeclareInnerFlag(Module &M) {
  if (GlobalVariable *GV = M.getGlobalVariable(InnerFlagVar))
    return GV;
  auto *GV = new GlobalVariable(M, Type::getInt8Ty(M.getContext()), /*isConstant=*/false,
                                GlobalValue::ExternalLinkage, nullptr, InnerFlagVar, nullptr,
                                GlobalValue::InitialExecTLSModel);
  return GV;
}

std::string cxxHelperName(const KnownFunction &K) {
  return std::string(CxxHelperPrefix) + K.Name;
}

Function *getOrEmitCxxHelper(Module &M, const RuntimeTypes &Types, const KnownFunction &K) {
  std::string Name = cxxHelperName(K);
  FunctionType *Ty = Types.entryType(K);
  Function *Helper = M.getFunction(Name);
  if (Helper && !Helper->isDeclaration())
    return Helper; // emitted by an earlier run, or linked in from another module
  if (!Helper)
    Helper = Function::createWithDefaultAttr(Ty, GlobalValue::LinkOnceODRLinkage,
                                             M.getDataLayout().getProgramAddressSpace(),
                                             Name, &M);
  Helper->setLinkage(GlobalValue::LinkOnceODRLinkage);
  Helper->setVisibility(GlobalValue::HiddenVisibility);
  Helper->addFnAttr(Attribute::NoInline);
  // Unwind information even where the module would not have it by default: operator
  // new throws through this frame.
  Helper->setUWTableKind(UWTableKind::Async);
  if (compat::targetTriple(M).supportsCOMDAT())
    Helper->setComdat(M.getOrInsertComdat(Name));

  FunctionType *OpTy = Types.knownType(K);
  FunctionCallee Operator = M.getOrInsertFunction(K.Name, OpTy);
  SmallVector<Value *, 4> Args;
  for (Argument &A : Helper->args())
    Args.push_back(&A);
  Value *Site = Args.pop_back_val();

  IRBuilder<> B(BasicBlock::Create(M.getContext(), "", Helper));
  GlobalVariable *Inner = getOrDeclareInnerFlag(M);
  auto SetInner = [&](uint64_t V) {
    B.CreateStore(B.getInt8(V), B.CreateThreadLocalAddress(Inner));
  };
  if (K.allocates()) {
    SetInner(1);
    CallInst *P = B.CreateCall(Operator, Args);
    SetInner(0);
    FunctionCallee Note = M.getOrInsertFunction(NoteAllocFn, Types.noteAllocFunction());
    B.CreateCall(Note, {Args[0], P, Site});
    B.CreateRet(P);
  } else {
    FunctionCallee Note = M.getOrInsertFunction(NoteFreeFn, Types.noteFreeFunction());
    B.CreateCall(Note, {Args[0], Site});
    SetInner(1);
    B.CreateCall(Operator, Args);
    SetInner(0);
    B.CreateRetVoid();
  }
  return Helper;
}

} // namespace memscope
