// abi.h's layouts and prototypes as LLVM types, and declaring the runtime's functions.
#include "RuntimeInterface.h"

#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

using namespace llvm;

namespace memscope {

// Named types make the emitted IR readable.  A type of that name left by an earlier run
// in the same context is reused when its body matches; otherwise LLVM picks a fresh name.
static StructType *namedStruct(LLVMContext &Ctx, StringRef Name, ArrayRef<Type *> Body) {
  if (StructType *Existing = StructType::getTypeByName(Ctx, Name))
    if (!Existing->isOpaque() && Existing->elements() == Body && !Existing->isPacked())
      return Existing;
  return StructType::create(Ctx, Body, Name);
}

RuntimeTypes::RuntimeTypes(Module &M) {
  LLVMContext &Ctx = M.getContext();
  I32 = Type::getInt32Ty(Ctx);
  I64 = Type::getInt64Ty(Ctx);
  SizeT = M.getDataLayout().getIntPtrType(Ctx);
  Ptr = PointerType::getUnqual(Ctx);
  // Field for field the structs of abi.h.
  Frame = namedStruct(Ctx, "memscope.frame", {Ptr, Ptr, I32, I32});
  Site = namedStruct(Ctx, "memscope.site", {I64, Ptr, I32, I32, I32, I32});
  ModuleDesc = namedStruct(Ctx, "memscope.module", {I32, I32, Ptr, Ptr, Ptr});
}

FunctionType *RuntimeTypes::allocFunction(AllocApi Api) const {
  Type *Void = Type::getVoidTy(Ptr->getContext());
  switch (Api) {
  case AllocApi::Malloc:
    return FunctionType::get(Ptr, {SizeT, Ptr}, false);
  case AllocApi::Calloc:
    return FunctionType::get(Ptr, {SizeT, SizeT, Ptr}, false);
  case AllocApi::Realloc:
    return FunctionType::get(Ptr, {Ptr, SizeT, Ptr}, false);
  case AllocApi::Free:
    return FunctionType::get(Void, {Ptr, Ptr}, false);
  }
  llvm_unreachable("unknown AllocApi");
}

FunctionType *RuntimeTypes::registrationFunction() const {
  return FunctionType::get(Type::getVoidTy(Ptr->getContext()), {Ptr}, false);
}

StringRef runtimeFunctionName(AllocApi Api) {
  switch (Api) {
  case AllocApi::Malloc:
    return MallocFn;
  case AllocApi::Calloc:
    return CallocFn;
  case AllocApi::Realloc:
    return ReallocFn;
  case AllocApi::Free:
    return FreeFn;
  }
  llvm_unreachable("unknown AllocApi");
}

bool checkRuntimeSymbol(Module &M, StringRef Name, FunctionType *Ty) {
  GlobalValue *GV = M.getNamedValue(Name);
  if (!GV)
    return true;
  auto *F = dyn_cast<Function>(GV);
  if (F && F->getFunctionType() == Ty)
    return true;

  std::string Found;
  raw_string_ostream OS(Found);
  if (F)
    F->getFunctionType()->print(OS);
  else
    OS << "a non-function symbol";
  std::string Expected;
  raw_string_ostream ES(Expected);
  Ty->print(ES);
  M.getContext().emitError("memscope: '" + Name + "' is already declared as " + OS.str() +
                           " but the memscope runtime defines it as " + ES.str() +
                           "; names starting with '" + RuntimePrefix +
                           "' are reserved for memscope (module not instrumented)");
  return false;
}

Function *declareAllocFunction(Module &M, const RuntimeTypes &T, AllocApi Api) {
  StringRef Name = runtimeFunctionName(Api);
  FunctionType *Ty = T.allocFunction(Api);
  if (Function *Existing = M.getFunction(Name))
    return Existing; // the user's own declaration, already checked to match
  Function *F = Function::Create(Ty, GlobalValue::ExternalLinkage, Name, M);
  // malloc's and calloc's result is a fresh block, which helps alias analysis in
  // later passes (realloc's may be the old block, so it gets nothing).  Deliberately
  // nothing that lets the optimizer delete, merge or move a call (no allocator kind,
  // memory effects or willreturn): every call is an event the runtime must see.
  if (Api == AllocApi::Malloc || Api == AllocApi::Calloc)
    F->addRetAttr(Attribute::NoAlias);
  return F;
}

Function *declareRegistrationFunction(Module &M, const RuntimeTypes &T, StringRef Name) {
  if (Function *Existing = M.getFunction(Name))
    return Existing;
  return Function::Create(T.registrationFunction(), GlobalValue::ExternalLinkage, Name, M);
}

} // namespace memscope
