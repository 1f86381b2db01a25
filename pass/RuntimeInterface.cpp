// abi.h's layouts and prototypes as LLVM types, and declaring the runtime's functions.
#include "RuntimeInterface.h"

#include "llvm/ADT/SmallVector.h"
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
  // Field for field the structs of abi.h (version 3).
  Frame = namedStruct(Ctx, "memscope.frame", {Ptr, Ptr, I32, I32});
  // {id, frames, nframes, api, index, flags, tls_slot, reserved}
  Site = namedStruct(Ctx, "memscope.site", {I64, Ptr, I32, I32, I32, I32, I32, I32});
  // {abi_version, nsites, sites, name, next, tls_block, tls_size, reserved, slot_base}
  ModuleDesc =
      namedStruct(Ctx, "memscope.module", {I32, I32, Ptr, Ptr, Ptr, Ptr, I32, I32, Ptr});
}

// Every function the pass recognises.  Entry points are abi.h's.
static const KnownFunction KnownFunctions[] = {
    // C.
    {"malloc", AllocApi::Malloc, "p", "s", "__memscope_malloc"},
    {"calloc", AllocApi::Calloc, "p", "ss", "__memscope_calloc"},
    {"realloc", AllocApi::Realloc, "p", "ps", "__memscope_realloc"},
    {"free", AllocApi::Free, "v", "p", "__memscope_free"},
    {"reallocarray", AllocApi::ReallocArray, "p", "pss", "__memscope_reallocarray"},
    {"aligned_alloc", AllocApi::AlignedAlloc, "p", "ss", "__memscope_aligned_alloc"},
    {"posix_memalign", AllocApi::PosixMemalign, "i", "pss", "__memscope_posix_memalign"},
    {"memalign", AllocApi::Memalign, "p", "ss", "__memscope_memalign"},
    {"valloc", AllocApi::Valloc, "p", "s", "__memscope_valloc"},
    {"pvalloc", AllocApi::Pvalloc, "p", "s", "__memscope_pvalloc"},
    {"strdup", AllocApi::Strdup, "p", "p", "__memscope_strdup"},
    {"__strdup", AllocApi::Strdup, "p", "p", "__memscope_strdup"},
    {"strndup", AllocApi::Strndup, "p", "ps", "__memscope_strndup"},
    {"__strndup", AllocApi::Strndup, "p", "ps", "__memscope_strndup"},
    {"mmap", AllocApi::Mmap, "p", "psiiil", "__memscope_mmap"},
    {"mmap64", AllocApi::Mmap, "p", "psiiil", "__memscope_mmap"},
    {"munmap", AllocApi::Munmap, "i", "ps", "__memscope_munmap"},
    // C++ replaceable allocation functions: plain, nothrow, aligned, aligned nothrow.
    {"_Znwm", AllocApi::New, "p", "s", nullptr},
    {"_Znam", AllocApi::NewArray, "p", "s", nullptr},
    {"_ZnwmRKSt9nothrow_t", AllocApi::New, "p", "sp", nullptr},
    {"_ZnamRKSt9nothrow_t", AllocApi::NewArray, "p", "sp", nullptr},
    {"_ZnwmSt11align_val_t", AllocApi::New, "p", "ss", nullptr},
    {"_ZnamSt11align_val_t", AllocApi::NewArray, "p", "ss", nullptr},
    {"_ZnwmSt11align_val_tRKSt9nothrow_t", AllocApi::New, "p", "ssp", nullptr},
    {"_ZnamSt11align_val_tRKSt9nothrow_t", AllocApi::NewArray, "p", "ssp", nullptr},
    // ... and deallocation functions: plain, sized, aligned, sized aligned, nothrow,
    // aligned nothrow.
    {"_ZdlPv", AllocApi::Delete, "v", "p", nullptr},
    {"_ZdaPv", AllocApi::DeleteArray, "v", "p", nullptr},
    {"_ZdlPvm", AllocApi::Delete, "v", "ps", nullptr},
    {"_ZdaPvm", AllocApi::DeleteArray, "v", "ps", nullptr},
    {"_ZdlPvSt11align_val_t", AllocApi::Delete, "v", "ps", nullptr},
    {"_ZdaPvSt11align_val_t", AllocApi::DeleteArray, "v", "ps", nullptr},
    {"_ZdlPvmSt11align_val_t", AllocApi::Delete, "v", "pss", nullptr},
    {"_ZdaPvmSt11align_val_t", AllocApi::DeleteArray, "v", "pss", nullptr},
    {"_ZdlPvRKSt9nothrow_t", AllocApi::Delete, "v", "pp", nullptr},
    {"_ZdaPvRKSt9nothrow_t", AllocApi::DeleteArray, "v", "pp", nullptr},
    {"_ZdlPvSt11align_val_tRKSt9nothrow_t", AllocApi::Delete, "v", "psp", nullptr},
    {"_ZdaPvSt11align_val_tRKSt9nothrow_t", AllocApi::DeleteArray, "v", "psp", nullptr},
};

ArrayRef<KnownFunction> knownFunctions() { return KnownFunctions; }

const KnownFunction *lookupKnownFunction(StringRef Name) {
  for (const KnownFunction &K : KnownFunctions)
    if (Name == K.Name)
      return &K;
  return nullptr;
}

static Type *typeOf(char Letter, const RuntimeTypes &T) {
  switch (Letter) {
  case 'p':
    return T.Ptr;
  case 's':
    return T.SizeT;
  case 'i':
    return T.I32;
  case 'l':
    return T.I64;
  case 'v':
    return Type::getVoidTy(T.Ptr->getContext());
  }
  llvm_unreachable("unknown type letter in the KnownFunctions table");
}

FunctionType *RuntimeTypes::knownType(const KnownFunction &K) const {
  SmallVector<Type *, 6> Params;
  for (const char *P = K.Params; *P; ++P)
    Params.push_back(typeOf(*P, *this));
  return FunctionType::get(typeOf(K.Result[0], *this), Params, /*isVarArg=*/false);
}

FunctionType *RuntimeTypes::entryType(const KnownFunction &K) const {
  FunctionType *C = knownType(K);
  SmallVector<Type *, 7> Params(C->params());
  Params.push_back(Ptr);
  return FunctionType::get(C->getReturnType(), Params, /*isVarArg=*/false);
}

FunctionType *RuntimeTypes::noteAllocFunction() const {
  return FunctionType::get(Type::getVoidTy(Ptr->getContext()), {SizeT, Ptr, Ptr}, false);
}

FunctionType *RuntimeTypes::noteFreeFunction() const {
  return FunctionType::get(Type::getVoidTy(Ptr->getContext()), {Ptr, Ptr}, false);
}

FunctionType *RuntimeTypes::registrationFunction() const {
  return FunctionType::get(Type::getVoidTy(Ptr->getContext()), {Ptr}, false);
}

FunctionType *RuntimeTypes::mallocInlineSlowFunction() const {
  return FunctionType::get(Ptr, {SizeT, Ptr, Ptr}, false);
}

FunctionType *RuntimeTypes::callocInlineSlowFunction() const {
  return FunctionType::get(Ptr, {SizeT, SizeT, Ptr, Ptr}, false);
}

FunctionType *RuntimeTypes::reallocInlineSlowFunction() const {
  return FunctionType::get(Ptr, {Ptr, SizeT, Ptr, Ptr}, false);
}

FunctionType *RuntimeTypes::allocInlineSlowFunction() const {
  return FunctionType::get(Type::getVoidTy(Ptr->getContext()), {SizeT, Ptr, SizeT, Ptr, Ptr},
                           false);
}

FunctionType *RuntimeTypes::freeInlineSlowFunction() const {
  return FunctionType::get(Type::getVoidTy(Ptr->getContext()), {Ptr, Ptr, Ptr}, false);
}

FunctionType *RuntimeTypes::inlineWidenFunction() const {
  return FunctionType::get(Type::getVoidTy(Ptr->getContext()), {Ptr, I64}, false);
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

Function *declareRuntimeFunction(Module &M, StringRef Name, FunctionType *Ty,
                                 bool NoAliasResult) {
  if (Function *Existing = M.getFunction(Name))
    return Existing; // the user's own declaration, already checked to match
  Function *F = Function::Create(Ty, GlobalValue::ExternalLinkage, Name, M);
  // A fresh block's address aliases nothing, which helps alias analysis in later
  // passes (realloc's may be the old block, so it gets nothing).  Deliberately nothing
  // that lets the optimizer delete, merge or move a call (no allocator kind, memory
  // effects or willreturn): every call is an event the runtime must see.
  if (NoAliasResult)
    F->addRetAttr(Attribute::NoAlias);
  return F;
}

Function *declareEntryPoint(Module &M, const RuntimeTypes &T, const KnownFunction &K) {
  assert(!K.isCxxOperator() && "C++ operators go through helpers");
  bool Fresh = K.Result[0] == 'p' && K.Api != AllocApi::Realloc &&
               K.Api != AllocApi::ReallocArray && K.Api != AllocApi::Mmap;
  return declareRuntimeFunction(M, K.Runtime, T.entryType(K), Fresh);
}

Function *declareRegistrationFunction(Module &M, const RuntimeTypes &T, StringRef Name) {
  if (Function *Existing = M.getFunction(Name))
    return Existing;
  return Function::Create(T.registrationFunction(), GlobalValue::ExternalLinkage, Name, M);
}

} // namespace memscope
