// Allocation wrappers and their site-taking twins (see Wrappers.h).
#include "Wrappers.h"

#include "LLVMCompat.h"
#include "Options.h"

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
  if (TLI->getLibFunc(F, LF))
    return false;
  if (Options.namesWrapper(F))
    return true;
  return Options.DeclaredWrappers && declaredAllocator(F);
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
  for (auto &[Wrapper, Twin] : Pending)
    if (Wrapper == &W)
      return Twin;
  // Declared with external linkage for now; emitTwins() sets the final one.
  Function *Twin = Function::Create(Ty, GlobalValue::ExternalLinkage,
                                    M.getDataLayout().getProgramAddressSpace(), Name, &M);
  Twin->setCallingConv(W.getCallingConv());
  Pending.push_back({&W, Twin});
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
  for (auto &[W, Twin] : Pending) {
    if (W->isDeclaration() || W->hasAvailableExternallyLinkage())
      emitFallback(*W, *Twin);
    else
      emitClone(*W, *Twin);
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

void WrapperSet::emitClone(Function &W, Function &Twin) {
  ValueToValueMapTy VMap;
  auto TwinArg = Twin.arg_begin();
  for (Argument &A : W.args()) {
    TwinArg->setName(A.getName());
    VMap[&A] = &*TwinArg++;
  }
  Argument *Site = &*TwinArg;
  Site->setName("memscope.site");
  SmallVector<ReturnInst *, 4> Returns;
  CloneFunctionInto(&Twin, &W, VMap, CloneFunctionChangeType::LocalChangesOnly, Returns);
  Twin.setLinkage(W.getLinkage());
  Twin.setVisibility(W.getVisibility());
  Twin.setDLLStorageClass(W.getDLLStorageClass());
  // Its own group, never the wrapper's: a copy of that group from a module built
  // without the plugin would otherwise win and leave the twin undefined.
  Twin.setComdat(nullptr);
  if (W.hasComdat() && compat::targetTriple(M).supportsCOMDAT())
    Twin.setComdat(M.getOrInsertComdat(Twin.getName()));

  for (Instruction &I : instructions(Twin))
    if (auto *Call = dyn_cast<CallBase>(&I); Call && passesSite(*Call))
      Call->setArgOperand(Call->arg_size() - 1, Site);
}

} // namespace memscope
