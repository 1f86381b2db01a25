// The plugin entry point, the pass, and the worker that drives one module:
// find the allocation calls, describe their sites, rewrite them, register the table.
#include "MemscopePass.h"

#include "AllocationCalls.h"
#include "LLVMCompat.h"
#include "RuntimeInterface.h"
#include "SiteTable.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace memscope {

namespace {

class ModuleInstrumenter {
public:
  explicit ModuleInstrumenter(Module &M) : M(M), Types(M) { collectOptOuts(); }
  bool instrument();

private:
  void collectOptOuts();
  bool shouldInstrument(const Function &F) const;
  bool writtenInOptedOutFunction(const CallBase &Call) const;
  SmallVector<AllocationCall, 16> findAllocationCalls();
  bool checkRuntimeSymbols(ArrayRef<AllocationCall> Calls);

  Module &M;
  RuntimeTypes Types;
  SmallPtrSet<const Function *, 8> OptedOut;
  // Their debug-info subprograms, to recognise their calls after inlining.
  SmallPtrSet<const DISubprogram *, 8> OptedOutSubprograms;
};

} // namespace

// The opt-out: the IR attribute "memscope-skip", or
// __attribute__((annotate("memscope_skip"))), which clang records in
// llvm.global.annotations as {function, string, file, line, args} entries.
void ModuleInstrumenter::collectOptOuts() {
  for (const Function &F : M)
    if (F.hasFnAttribute(SkipAttribute))
      OptedOut.insert(&F);

  if (const GlobalVariable *Annotations = M.getNamedGlobal("llvm.global.annotations"))
    if (const auto *Entries = dyn_cast_or_null<ConstantArray>(
            Annotations->hasInitializer() ? Annotations->getInitializer() : nullptr))
      for (const Use &Entry : Entries->operands()) {
        const auto *E = dyn_cast<ConstantStruct>(Entry.get());
        if (!E || E->getNumOperands() < 2)
          continue;
        const auto *F = dyn_cast<Function>(E->getOperand(0)->stripPointerCasts());
        const auto *Text = dyn_cast<GlobalVariable>(E->getOperand(1)->stripPointerCasts());
        if (!F || !Text || !Text->hasInitializer())
          continue;
        const auto *Data = dyn_cast<ConstantDataSequential>(Text->getInitializer());
        if (Data && Data->isCString() && Data->getAsCString() == SkipAnnotation)
          OptedOut.insert(F);
      }

  for (const Function *F : OptedOut)
    if (const DISubprogram *SP = F->getSubprogram())
      OptedOutSubprograms.insert(SP);
}

// The skip list, stated once.
bool ModuleInstrumenter::shouldInstrument(const Function &F) const {
  if (F.isDeclaration() || F.hasAvailableExternallyLinkage())
    return false; // no body, or a body that is not emitted in this object
  if (compat::startsWith(F.getName(), RuntimePrefix))
    return false; // the runtime itself, and our own constructors
  return !OptedOut.contains(&F);
}

// An opted-out function's calls stay uninstrumented when inlined elsewhere: the
// frames of an inlined call name the subprogram it was written in.
bool ModuleInstrumenter::writtenInOptedOutFunction(const CallBase &Call) const {
  if (OptedOutSubprograms.empty())
    return false;
  for (const DILocation *L = Call.getDebugLoc().get(); L; L = L->getInlinedAt())
    if (OptedOutSubprograms.contains(L->getScope()->getSubprogram()))
      return true;
  return false;
}

SmallVector<AllocationCall, 16> ModuleInstrumenter::findAllocationCalls() {
  SmallVector<AllocationCall, 16> Calls;
  for (Function &F : M) {
    if (!shouldInstrument(F))
      continue;
    unsigned Ordinal = 0;
    for (Instruction &I : instructions(F)) {
      auto *Call = dyn_cast<CallBase>(&I);
      if (!Call)
        continue;
      std::optional<AllocApi> Api = classifyAllocationCall(*Call, Types);
      if (!Api)
        continue;
      // Counted before the opt-out so that opting a callee out does not renumber
      // (and so re-identify) the calls around it.
      unsigned ThisOrdinal = Ordinal++;
      if (!writtenInOptedOutFunction(*Call))
        Calls.push_back({Call, *Api, ThisOrdinal});
    }
  }
  return Calls;
}

// All clashes are reported before anything changes, so a module with an error is
// left as it was.
bool ModuleInstrumenter::checkRuntimeSymbols(ArrayRef<AllocationCall> Calls) {
  bool Ok = checkRuntimeSymbol(M, RegisterModuleFn, Types.registrationFunction());
  Ok &= checkRuntimeSymbol(M, UnregisterModuleFn, Types.registrationFunction());
  for (AllocApi Api : {AllocApi::Malloc, AllocApi::Calloc, AllocApi::Realloc, AllocApi::Free})
    if (llvm::any_of(Calls, [Api](const AllocationCall &C) { return C.Api == Api; }))
      Ok &= checkRuntimeSymbol(M, runtimeFunctionName(Api), Types.allocFunction(Api));
  return Ok;
}

bool ModuleInstrumenter::instrument() {
  SmallVector<AllocationCall, 16> Calls = findAllocationCalls();
  // Nothing to do also means nothing to emit: no empty table, no constructor.  This is
  // also what makes a second run over an instrumented module a no-op.
  if (Calls.empty() || !checkRuntimeSymbols(Calls))
    return false;

  SiteTable Table(M, Types);
  for (const AllocationCall &Call : Calls)
    Table.addSite(Call);
  Table.emitSites();

  for (unsigned I = 0; I < Calls.size(); ++I)
    rewriteAllocationCall(Calls[I], declareAllocFunction(M, Types, Calls[I].Api),
                          Table.siteAddress(I));

  Table.emitRegistration(declareRegistrationFunction(M, Types, RegisterModuleFn),
                         declareRegistrationFunction(M, Types, UnregisterModuleFn));
  return true;
}

PreservedAnalyses MemscopePass::run(Module &M, ModuleAnalysisManager &) {
  if (!ModuleInstrumenter(M).instrument())
    return PreservedAnalyses::all();
  return PreservedAnalyses::none();
}

} // namespace memscope

// --- Plugin registration ---------------------------------------------------------------

static void registerCallbacks(PassBuilder &PB) {
  // opt -load-pass-plugin=MemscopePass.so -passes=memscope
  PB.registerPipelineParsingCallback(
      [](StringRef Name, ModulePassManager &MPM, ArrayRef<PassBuilder::PipelineElement>) {
        if (Name != "memscope")
          return false;
        MPM.addPass(memscope::MemscopePass());
        return true;
      });
  // clang -fpass-plugin=MemscopePass.so, at every optimisation level including -O0:
  // last, so that we see the calls that survived optimisation and their final
  // inlining, and so that nothing after us can drop a rewritten call.
  memscope::compat::registerOptimizerLast(
      PB, [](ModulePassManager &MPM, OptimizationLevel) { MPM.addPass(memscope::MemscopePass()); });
}

// The one exported symbol (the library is built with hidden visibility).
extern "C" __attribute__((visibility("default"))) LLVM_ATTRIBUTE_WEAK ::llvm::PassPluginLibraryInfo
llvmGetPassPluginInfo() {
  return memscope::compat::makePluginInfo("MemscopePass", MEMSCOPE_PASS_VERSION, registerCallbacks);
}
