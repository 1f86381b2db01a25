// Allocation wrappers and their site-taking twins (see Wrappers.h).
#include "Wrappers.h"

#include "LLVMCompat.h"
#include "Options.h"
#include "WrapperInference.h"

#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

using namespace llvm;

namespace memscope {

WrapperSet::WrapperSet(Module &M, const RuntimeTypes &Types, const PassOptions &Options,
                       std::function<bool(const Function &)> IsSkipped)
    : M(M), Types(Types), Options(Options), IsSkipped(std::move(IsSkipped)),
      TLII(std::make_unique<TargetLibraryInfoImpl>(compat::targetTriple(M))),
      TLI(std::make_unique<TargetLibraryInfo>(*TLII)) {}

WrapperSet::~WrapperSet() = default;

bool WrapperSet::isTwin(const Function &F) {
  return compat::endsWith(F.getName(), WrapperCloneSuffix);
}

static bool declaredAllocator(const Function &F) {
  if (F.hasFnAttribute(DeclaredAllocatorAttribute) || F.hasFnAttribute(Attribute::AllocSize))
    return true;
  Attribute Kind = F.getFnAttribute(Attribute::AllocKind);
  return Kind.isValid() &&
         (Kind.getAllocKind() & (AllocFnKind::Alloc | AllocFnKind::Realloc)) != AllocFnKind::Unknown;
}

bool WrapperSet::isWrapper(const Function &F) const {
  if (!mayBeWrapper(F))
    return false;
  if (Options.namesWrapper(F))
    return true;
  return Options.DeclaredWrappers && declaredAllocator(F);
}

bool WrapperSet::mayBeWrapper(const Function &F) const {
  if (F.isIntrinsic() || F.isVarArg() || isTwin(F) || lookupKnownFunction(F.getName()) ||
      compat::startsWith(F.getName(), RuntimePrefix))
    return false;
  if (!F.isDeclaration() && IsSkipped(F))
    return false;
  if (F.isDeclaration() && Options.ignores(F))
    return false;
  // fopen, opendir, tmpfile... are declared __attribute__((malloc)) by glibc but are
  // nobody's allocation wrapper worth a site.
  LibFunc LF;
  return !TLI->getLibFunc(F, LF);
}

Function *WrapperSet::twin(Function &W) {
  std::string Name = (W.getName() + WrapperCloneSuffix).str();
  FunctionType *WTy = W.getFunctionType();
  SmallVector<Type *, 8> Params(WTy->params());
  Params.push_back(Types.Ptr);
  FunctionType *Ty = FunctionType::get(WTy->getReturnType(), Params, /*isVarArg=*/false);
  if (Function *Existing = M.getFunction(Name))
    if (Existing->getFunctionType() == Ty)
      return Existing; // made by an earlier run, or linked in from the wrapper's module
  for (const PendingTwin &P : Pending)
    if (P.Wrapper == &W)
      return P.Twin;
  // Declared with external linkage for now; emitTwins() sets the final one.
  Function *Twin = Function::Create(Ty, GlobalValue::ExternalLinkage,
                                    M.getDataLayout().getProgramAddressSpace(), Name, &M);
  Twin->setCallingConv(W.getCallingConv());
  Pending.push_back({&W, Twin, nullptr});
  return Twin;
}

// Internal: only this module's callers know W for a wrapper, and they and the twin
// agree on its leaves because they see the same body.  (A twin shared between modules
// could pair a caller with another module's copy of a linkonce_odr W, optimised into
// other leaves.)  The name still ends in ".memscope", so a later run leaves it alone.
Function *WrapperSet::inferredTwin(Function &W, const InferredWrapper &Info) {
  for (const PendingTwin &P : Pending)
    if (P.Wrapper == &W)
      return P.Twin;
  FunctionType *WTy = W.getFunctionType();
  SmallVector<Type *, 8> Params(WTy->params());
  Params.push_back(Types.Ptr);
  FunctionType *Ty = FunctionType::get(WTy->getReturnType(), Params, /*isVarArg=*/false);
  Function *Twin = Function::Create(Ty, GlobalValue::InternalLinkage,
                                    M.getDataLayout().getProgramAddressSpace(),
                                    W.getName() + WrapperCloneSuffix, &M);
  Twin->setCallingConv(W.getCallingConv());
  Pending.push_back({&W, Twin, &Info});
  return Twin;
}

SmallVector<Function *, 4> WrapperSet::definitionsNeedingTwins() const {
  SmallVector<Function *, 4> Result;
  for (Function &F : M)
    if (!F.isDeclaration() && !F.hasAvailableExternallyLinkage() && isWrapper(F) &&
        !M.getFunction((F.getName() + WrapperCloneSuffix).str()))
      Result.push_back(&F);
  return Result;
}

void WrapperSet::emitTwins() {
  for (const PendingTwin &P : Pending) {
    if (P.Inferred)
      emitInferredClone(*P.Wrapper, *P.Twin, *P.Inferred);
    else if (P.Wrapper->isDeclaration() || P.Wrapper->hasAvailableExternallyLinkage())
      emitFallback(*P.Wrapper, *P.Twin);
    else
      emitClone(*P.Wrapper, *P.Twin);
  }
  Pending.clear();
}

// weak hidden: a twin from the wrapper's own (instrumented) module wins at link time;
// hidden keeps each linked image to its own choice.  Marked memscope-skip so that a
// second run leaves its call of the plain wrapper alone, and noinline so that the
// call never reaches instrumented code (an LTO step would see a wrapper call again).
void WrapperSet::emitFallback(Function &W, Function &Twin) {
  Twin.setLinkage(GlobalValue::WeakAnyLinkage);
  Twin.setVisibility(GlobalValue::HiddenVisibility);
  Twin.addFnAttr(SkipAttribute);
  Twin.addFnAttr(Attribute::NoInline);
  SmallVector<Value *, 8> Args;
  for (Argument &A : Twin.args())
    Args.push_back(&A);
  Args.pop_back(); // the site: nothing in the plain wrapper can use it
  IRBuilder<> B(BasicBlock::Create(M.getContext(), "", &Twin));
  CallInst *Call = B.CreateCall(&W, Args);
  Call->setCallingConv(W.getCallingConv());
  if (Call->getType()->isVoidTy())
    B.CreateRetVoid();
  else
    B.CreateRet(Call);
}

// The site argument of a call the pass made: the last argument, when it points into a
// site table of this module.
static bool passesSite(const CallBase &Call) {
  if (Call.arg_size() == 0)
    return false;
  const Function *Callee = dyn_cast<Function>(Call.getCalledOperand()->stripPointerCasts());
  if (!Callee || !(compat::startsWith(Callee->getName(), RuntimePrefix) || WrapperSet::isTwin(*Callee)))
    return false;
  const auto *Table = dyn_cast<GlobalVariable>(
      Call.getArgOperand(Call.arg_size() - 1)->stripInBoundsConstantOffsets());
  return Table && compat::startsWith(Table->getName(), SitesGlobal);
}

// The list of sites a call of an inferred wrapper passes (MemscopePass.cpp).
static GlobalVariable *siteList(const CallBase &Call) {
  if (Call.arg_size() == 0)
    return nullptr;
  auto *List = dyn_cast<GlobalVariable>(Call.getArgOperand(Call.arg_size() - 1));
  return List && compat::startsWith(List->getName(), WrapperSitesGlobal) ? List : nullptr;
}

// Twin's body: a copy of W's.  Returns the site parameter.
Argument *WrapperSet::cloneBody(Function &W, Function &Twin, ValueToValueMapTy &VMap) {
  auto TwinArg = Twin.arg_begin();
  for (Argument &A : W.args()) {
    TwinArg->setName(A.getName());
    VMap[&A] = &*TwinArg++;
  }
  Argument *Site = &*TwinArg;
  Site->setName("memscope.site");
  SmallVector<ReturnInst *, 4> Returns;
  CloneFunctionInto(&Twin, &W, VMap, CloneFunctionChangeType::LocalChangesOnly, Returns);
  return Site;
}

void WrapperSet::emitClone(Function &W, Function &Twin) {
  ValueToValueMapTy VMap;
  Argument *Site = cloneBody(W, Twin, VMap);
  Twin.setLinkage(W.getLinkage());
  Twin.setVisibility(W.getVisibility());
  Twin.setDLLStorageClass(W.getDLLStorageClass());
  // Its own group, never the wrapper's: a copy of that group from a module built
  // without the plugin would otherwise win and leave the twin undefined.
  Twin.setComdat(nullptr);
  if (W.hasComdat() && compat::targetTriple(M).supportsCOMDAT())
    Twin.setComdat(M.getOrInsertComdat(Twin.getName()));

  Instruction *Entry = &*Twin.getEntryBlock().getFirstInsertionPt();
  for (Instruction &I : instructions(Twin)) {
    auto *Call = dyn_cast<CallBase>(&I);
    if (!Call)
      continue;
    if (passesSite(*Call)) {
      Call->setArgOperand(Call->arg_size() - 1, Site);
    } else if (GlobalVariable *List = siteList(*Call)) {
      // A call of an inferred wrapper that makes several sites: every one of them is
      // this wrapper's caller's site.
      unsigned N = cast<ArrayType>(List->getValueType())->getNumElements();
      IRBuilder<> B(Entry);
      AllocaInst *Sites = B.CreateAlloca(Types.Ptr, B.getInt32(N), "memscope.sites");
      for (unsigned J = 0; J < N; ++J)
        B.CreateStore(Site, B.CreateConstInBoundsGEP1_32(Types.Ptr, Sites, J));
      Call->setArgOperand(Call->arg_size() - 1, Sites);
    }
  }
}

// Only the leaves take the caller's sites: with one site, the parameter; with a list,
// each leaf its entry (a leaf that is itself a call of a wider wrapper, its part of the
// list).  The other calls keep the wrapper's own sites.
void WrapperSet::emitInferredClone(Function &W, Function &Twin, const InferredWrapper &Info) {
  ValueToValueMapTy VMap;
  Argument *Site = cloneBody(W, Twin, VMap);
  Twin.setLinkage(GlobalValue::InternalLinkage);
  Twin.setVisibility(GlobalValue::DefaultVisibility);
  Twin.setDLLStorageClass(GlobalValue::DefaultStorageClass);
  Twin.setComdat(nullptr);
  for (const InferredWrapper::Leaf &L : Info.Leaves) {
    auto *Call = cast_or_null<CallBase>(L.Call ? VMap.lookup(L.Call) : nullptr);
    assert(Call && "a leaf of an inferred wrapper is a call of its body");
    if (!Call)
      continue;
    Value *S = Site;
    if (Info.Width > 1) {
      IRBuilder<> B(Call);
      S = B.CreateConstInBoundsGEP1_32(Types.Ptr, Site, L.Offset);
      if (L.Width == 1)
        S = B.CreateLoad(Types.Ptr, S, "memscope.leaf.site");
    }
    Call->setArgOperand(Call->arg_size() - 1, S);
  }
}

} // namespace memscope
