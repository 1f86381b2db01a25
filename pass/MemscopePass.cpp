// The plugin entry point, the passes, and the worker that drives one module: find the
// sites (allocation calls, wrapper calls, allocation functions used as values),
// describe them, rewrite them (or, for the common APIs in an executable, count them
// inline), give wrappers (listed, declared or inferred) their twins, register the table.
#include "MemscopePass.h"

#include "AllocationCalls.h"
#include "CxxHelpers.h"
#include "FunctionPointers.h"
#include "InlineFastPath.h"
#include "LLVMCompat.h"
#include "Options.h"
#include "RuntimeInterface.h"
#include "SiteTable.h"
#include "WrapperInference.h"
#include "Wrappers.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/ErrorHandling.h"

#include <map>
#include <optional>
#include <set>

using namespace llvm;

namespace memscope {

namespace {

// One site to create, in the order sites are numbered.
struct PlannedSite {
  enum Kind {
    AllocationCall,
    WrapperCall,         // a listed or declared wrapper: one site, API wrapper
    InferredWrapperCall, // one site per allocation reached (WrapperInference.h)
    AddressInCode,
    AddressInGlobal
  } What = AllocationCall;
  Instruction *At = nullptr;         // the call or the instruction using the address
  Function *Callee = nullptr;        // the allocation function or the wrapper
  const KnownFunction *Known = nullptr; // null for a wrapper call
  GlobalVariable *Global = nullptr;  // AddressInGlobal
  Use *Operand = nullptr;            // AddressInCode
  unsigned Ordinal = 0;
  bool Inline = false;               // an AllocationCall counted by an inline fast path
  // A leaf of an inferred wrapper that will be deleted: only its twin's copy runs,
  // with its caller's site, so the plain call gets no site of its own.
  bool Placeholder = false;
};

class ModuleInstrumenter {
public:
  explicit ModuleInstrumenter(Module &M)
      : M(M), Types(M), Options(M),
        Wrappers(M, Types, Options, [this](const Function &F) { return !shouldInstrument(F); }) {
    collectOptOuts();
  }
  bool instrument();

private:
  void collectOptOuts();
  bool shouldInstrument(const Function &F) const;
  bool writtenInOptedOutFunction(const Instruction &I) const;
  bool canBeSite(const CallBase &Call) const;
  void inferWrappers();
  void planFunction(Function &F);
  void addInferredSites(SiteTable &Table, const InferredWrapper &W,
                        SmallVectorImpl<SiteTable::Level> &Outer, SmallVectorImpl<unsigned> &Out);
  Constant *siteList(SiteTable &Table, ArrayRef<unsigned> Sites);
  void planGlobals();
  void chooseInlineCalls();
  void findDeadWrappers();
  bool checkRuntimeSymbols();
  Function *entryPoint(const KnownFunction &K);

  Module &M;
  RuntimeTypes Types;
  PassOptions Options;
  WrapperSet Wrappers;
  SmallPtrSet<const Function *, 8> OptedOut;
  // Their debug-info subprograms, to recognise their calls after inlining.
  SmallPtrSet<const DISubprogram *, 8> OptedOutSubprograms;
  std::optional<WrapperInference> Inferred;
  // Inferred wrappers every use of which is a call the pass rewrites, and that no other
  // module can call: deleted once their twins exist.
  SmallPtrSet<Function *, 8> DeadWrappers;
  std::vector<PlannedSite> Plan;
  // Every site call's ordinal in its function (for the frames of inferred wrappers'
  // leaves, planned with their own function).
  DenseMap<const Instruction *, unsigned> OrdinalOf;
  // Site lists already emitted, by their sites.
  std::map<std::vector<unsigned>, Constant *> SiteLists;
};

} // namespace

// The opt-out: the IR attribute "memscope-skip", or
// __attribute__((annotate("memscope_skip"))), which clang records in
// llvm.global.annotations as {function, string, file, line, args} entries; and the
// ignore list.
void ModuleInstrumenter::collectOptOuts() {
  for (const Function &F : M)
    if (F.hasFnAttribute(SkipAttribute) || (!F.isDeclaration() && Options.ignores(F)))
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
    return false; // the runtime itself, our constructors, helpers and thunks
  if (WrapperSet::isTwin(F))
    return false; // a copy of an instrumented wrapper, made by WrapperSet
  // A replacement allocation function (the program's own operator new, or malloc): the
  // sites that call it record the block, and the malloc or free inside it would count
  // it a second time.  Where it was inlined its call is gone, and the calls it inlined
  // are the sites.
  if (lookupKnownFunction(F.getName()))
    return false;
  return !OptedOut.contains(&F);
}

// An opted-out (or ignored) function's calls stay uninstrumented when inlined
// elsewhere: the frames of an inlined call name the subprogram it was written in.
bool ModuleInstrumenter::writtenInOptedOutFunction(const Instruction &I) const {
  for (const DILocation *L = I.getDebugLoc().get(); L; L = L->getInlinedAt()) {
    const DISubprogram *SP = L->getScope()->getSubprogram();
    if (SP && (OptedOutSubprograms.contains(SP) || Options.ignores(*SP)))
      return true;
  }
  return false;
}

// Call would be a site if its callee were an allocation function or a wrapper.
bool ModuleInstrumenter::canBeSite(const CallBase &Call) const {
  Function *Callee = calledFunction(Call);
  return Callee && isRewritableCall(Call, *Callee) &&
         !Call.getAttributes().hasFnAttr(CountedAttribute) && // counted inline by a former run
         !writtenInOptedOutFunction(Call);
}

// Before planning: which of the module's functions are wrappers of their callers here.
// A function that already has a twin (from an earlier run) is left alone.
void ModuleInstrumenter::inferWrappers() {
  if (!Options.InferWrappers)
    return;
  Inferred.emplace(
      M,
      [this](const Function &F) {
        return shouldInstrument(F) && Wrappers.mayBeWrapper(F) && !Wrappers.isWrapper(F) &&
               !M.getFunction((F.getName() + WrapperCloneSuffix).str());
      },
      [this](const CallBase &Call) {
        Function *Callee = calledFunction(Call);
        return Callee && canBeSite(Call) &&
               (classifyFunction(*Callee, Types) || Wrappers.isWrapper(*Callee));
      },
      [this](const CallBase &Call) { return canBeSite(Call); });
}

// Sites of F in instruction order.  Ordinals count every candidate, including those
// left alone because they were written in an opted-out function, so that opting one
// function out does not renumber (and so re-identify) its neighbours.
void ModuleInstrumenter::planFunction(Function &F) {
  unsigned Ordinal = 0;
  for (Instruction &I : instructions(F)) {
    auto *Call = dyn_cast<CallBase>(&I);
    if (Function *Callee = Call ? calledFunction(*Call) : nullptr;
        Callee && isRewritableCall(*Call, *Callee) &&
        !Call->getAttributes().hasFnAttr(CountedAttribute)) { // counted inline by a former run
      const KnownFunction *K = classifyFunction(*Callee, Types);
      bool Listed = !K && Wrappers.isWrapper(*Callee);
      bool Infer = !K && !Listed && Inferred && Inferred->lookup(*Callee);
      if (K || Listed || Infer) {
        PlannedSite P;
        P.What = K ? PlannedSite::AllocationCall
                   : Listed ? PlannedSite::WrapperCall : PlannedSite::InferredWrapperCall;
        OrdinalOf[Call] = Ordinal;
        P.At = Call;
        P.Callee = Callee;
        P.Known = K;
        P.Ordinal = Ordinal++;
        if (!writtenInOptedOutFunction(I))
          Plan.push_back(P);
      }
    }
    if (!Options.AddressTaken || isa<ICmpInst>(I))
      continue; // comparisons with the function keep comparing with the function
    for (Use &U : I.operands()) {
      auto *Fn = dyn_cast<Function>(U.get());
      if (!Fn || (Call && Call->isCallee(&U)))
        continue;
      const KnownFunction *K = classifyFunction(*Fn, Types);
      if (!K)
        continue;
      PlannedSite P;
      P.What = PlannedSite::AddressInCode;
      P.At = &I;
      P.Callee = Fn;
      P.Known = K;
      P.Operand = &U;
      P.Ordinal = Ordinal++;
      if (!writtenInOptedOutFunction(I))
        Plan.push_back(P);
    }
  }
}

void ModuleInstrumenter::planGlobals() {
  if (!Options.AddressTaken)
    return;
  for (Function &Fn : M) {
    const KnownFunction *K = classifyFunction(Fn, Types);
    if (!K)
      continue;
    for (const AddressUse &U : globalAddressUses(Fn, *K)) {
      PlannedSite P;
      P.What = PlannedSite::AddressInGlobal;
      P.Callee = &Fn;
      P.Known = K;
      P.Global = U.Global;
      Plan.push_back(P);
    }
  }
}

// The allocation calls that may get an inline fast path instead of a runtime call;
// instrument() keeps those whose site fits in the module's budget.
void ModuleInstrumenter::chooseInlineCalls() {
  if (inlineFormOf(M, Options.Inline) == InlineForm::None)
    return;
  // The leaves of an inferred wrapper called here: the twin passes them its caller's
  // sites.
  SmallPtrSet<const Value *, 8> Leaves;
  for (const PlannedSite &P : Plan)
    if (P.What == PlannedSite::InferredWrapperCall)
      for (const InferredWrapper::Leaf &L : Inferred->lookup(*P.Callee)->Leaves)
        Leaves.insert(L.Call);
  for (PlannedSite &P : Plan)
    P.Inline = P.What == PlannedSite::AllocationCall &&
               canInlineCall(*cast<CallBase>(P.At), *P.Known) &&
               // A wrapper's body is copied into its twin, which must pass its caller's
               // site to the runtime; counters in this module's block would keep the
               // wrapper's own site.
               !Wrappers.isWrapper(*P.At->getFunction()) && !Leaves.contains(P.At);
}

// All clashes are reported before anything changes, so a module with an error is
// left as it was.
bool ModuleInstrumenter::checkRuntimeSymbols() {
  bool Ok = checkRuntimeSymbol(M, RegisterModuleFn, Types.registrationFunction());
  Ok &= checkRuntimeSymbol(M, UnregisterModuleFn, Types.registrationFunction());
  std::set<const KnownFunction *> Used;
  bool AnyInline = false;
  for (const PlannedSite &P : Plan) {
    AnyInline |= P.Inline;
    if (P.Known && !P.Inline)
      Used.insert(P.Known);
  }
  if (AnyInline)
    Ok &= InlineFastPaths::checkRuntimeSymbols(M, Types);
  bool Cxx = false;
  std::set<std::string> Checked;
  for (const KnownFunction *K : Used) {
    std::string Name = K->isCxxOperator() ? cxxHelperName(*K) : K->Runtime;
    Cxx |= K->isCxxOperator();
    if (Checked.insert(Name).second)
      Ok &= checkRuntimeSymbol(M, Name, Types.entryType(*K));
  }
  if (Cxx) {
    Ok &= checkRuntimeSymbol(M, NoteAllocFn, Types.noteAllocFunction());
    Ok &= checkRuntimeSymbol(M, NoteFreeFn, Types.noteFreeFunction());
  }
  return Ok;
}

Function *ModuleInstrumenter::entryPoint(const KnownFunction &K) {
  return K.isCxxOperator() ? getOrEmitCxxHelper(M, Types, K) : declareEntryPoint(M, Types, K);
}

// An inferred wrapper every use of which is a call of an instrumented function that will
// call its twin, and that no other module can call (static, inline, a template's
// instance), is dead once the twins exist: -O2 would delete it anyway, -O0 would keep
// both copies.  Its leaves then need no sites of their own.
void ModuleInstrumenter::findDeadWrappers() {
  if (!Inferred)
    return;
  for (Function *W : Inferred->functions()) {
    if (!W->isDiscardableIfUnused())
      continue;
    bool AllRewritten = all_of(W->uses(), [&](const Use &U) {
      const auto *Call = dyn_cast<CallBase>(U.getUser());
      return Call && Call->isCallee(&U) && shouldInstrument(*Call->getFunction()) &&
             canBeSite(*Call);
    });
    if (AllRewritten)
      DeadWrappers.insert(W);
  }
  if (DeadWrappers.empty())
    return;
  SmallPtrSet<const Value *, 8> Leaves;
  for (Function *W : DeadWrappers)
    for (const InferredWrapper::Leaf &L : Inferred->lookup(*W)->Leaves)
      Leaves.insert(L.Call);
  for (PlannedSite &P : Plan)
    P.Placeholder = (P.What == PlannedSite::AllocationCall || P.What == PlannedSite::WrapperCall ||
                     P.What == PlannedSite::InferredWrapperCall) &&
                    Leaves.contains(P.At);
}

// The sites a call of the inferred wrapper W makes, in the order of its twin's list:
// for each leaf, its allocation's site, or those of the inner wrapper it calls.  Outer
// holds the calls above (the caller's first), each level's frames come innermost first.
void ModuleInstrumenter::addInferredSites(SiteTable &Table, const InferredWrapper &W,
                                          SmallVectorImpl<SiteTable::Level> &Outer,
                                          SmallVectorImpl<unsigned> &Out) {
  for (const InferredWrapper::Leaf &L : W.Leaves) {
    auto *Call = cast<CallBase>(L.Call);
    Outer.push_back({Call, OrdinalOf.lookup(Call)});
    if (L.Inner) {
      addInferredSites(Table, *Inferred->lookup(*L.Inner), Outer, Out);
    } else {
      SmallVector<SiteTable::Level, 4> Levels(Outer.rbegin(), Outer.rend());
      const KnownFunction *K = classifyFunction(*calledFunction(*Call), Types);
      Out.push_back(Table.addChainSite(Levels, K ? K->Api : AllocApi::Wrapper));
    }
    Outer.pop_back();
  }
}

// A constant [N x ptr] of the sites' addresses, for a call of an inferred wrapper that
// makes N > 1 sites; one per distinct list.
Constant *ModuleInstrumenter::siteList(SiteTable &Table, ArrayRef<unsigned> Sites) {
  Constant *&Slot = SiteLists[std::vector<unsigned>(Sites.begin(), Sites.end())];
  if (!Slot) {
    SmallVector<Constant *, 4> Addresses;
    for (unsigned S : Sites)
      Addresses.push_back(Table.siteAddress(S));
    auto *Ty = ArrayType::get(Types.Ptr, Addresses.size());
    auto *GV = new GlobalVariable(M, Ty, /*isConstant=*/true, GlobalValue::PrivateLinkage,
                                  ConstantArray::get(Ty, Addresses), WrapperSitesGlobal);
    GV->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
    Slot = GV;
  }
  return Slot;
}

bool ModuleInstrumenter::instrument() {
  inferWrappers();
  for (Function &F : M)
    if (shouldInstrument(F))
      planFunction(F);
  planGlobals();
  // Wrappers other modules may call need their twin even when nothing here calls them.
  SmallVector<Function *, 4> ExportedWrappers;
  for (Function *W : Wrappers.definitionsNeedingTwins())
    if (!W->hasLocalLinkage() && !W->hasLinkOnceLinkage())
      ExportedWrappers.push_back(W);
  // Nothing to do also means nothing to emit: no empty table, no constructor.  This is
  // also what makes a second run over an instrumented module a no-op.
  if (Plan.empty() && ExportedWrappers.empty())
    return false;
  findDeadWrappers();
  chooseInlineCalls();

  // Describing the sites changes nothing in the module yet (emitSites() does).
  SiteTable Table(M, Types);
  // The first (for all but inferred wrapper calls: the only) site of each plan entry,
  // and all the sites of an inferred wrapper call.
  constexpr unsigned NoSite = ~0u;
  std::vector<unsigned> SiteOf;
  std::vector<SmallVector<unsigned, 2>> SitesOf(Plan.size());
  for (unsigned I = 0; I < Plan.size(); ++I) {
    const PlannedSite &P = Plan[I];
    if (P.Placeholder) {
      SiteOf.push_back(NoSite);
    } else if (P.What == PlannedSite::AddressInGlobal) {
      SiteOf.push_back(Table.addGlobalSite(*P.Global, P.Known->Api));
    } else if (P.What == PlannedSite::InferredWrapperCall) {
      SmallVector<SiteTable::Level, 4> Outer{{P.At, P.Ordinal}};
      addInferredSites(Table, *Inferred->lookup(*P.Callee), Outer, SitesOf[I]);
      SiteOf.push_back(SitesOf[I].front());
    } else {
      SiteOf.push_back(
          Table.addSite(*P.At, P.Known ? P.Known->Api : AllocApi::Wrapper, P.Ordinal));
    }
  }
  // A site with an inline call gets a tls_slot, in site order, while the module stays
  // within its budget; its other calls, if any, still call the
  // runtime with the site.  The calls of a site that did not fit call the runtime too.
  // Before checkRuntimeSymbols(), which must see which entry points are used, and
  // before emitSites(): the offsets are in the sites.
  InlineFastPaths FastPaths(M, Types, Options.InlineTlsBudget,
                            inlineFormOf(M, Options.Inline));
  std::vector<bool> InlineSite(Table.size(), false);
  for (unsigned I = 0; I < Plan.size(); ++I)
    if (Plan[I].Inline && SiteOf[I] != NoSite)
      InlineSite[SiteOf[I]] = true;
  for (unsigned S = 0; S < Table.size(); ++S)
    if (InlineSite[S])
      Table.setTlsSlot(S, FastPaths.addSlot(Table.api(S)));
  for (unsigned I = 0; I < Plan.size(); ++I)
    Plan[I].Inline &= SiteOf[I] != NoSite && Table.tlsSlot(SiteOf[I]) != 0;
  // The calls of each site: a site with one call only may skip the range test for a
  // constant size (InlineFastPaths::instrument).
  std::vector<unsigned> CallsOfSite(Table.size(), 0);
  for (unsigned I = 0; I < Plan.size(); ++I)
    for (unsigned S : SitesOf[I].empty() ? ArrayRef<unsigned>(SiteOf[I]) : ArrayRef<unsigned>(SitesOf[I]))
      if (S != NoSite)
        ++CallsOfSite[S];

  if (!checkRuntimeSymbols())
    return false;
  if (!Table.empty())
    Table.emitSites();
  if (!FastPaths.empty())
    FastPaths.emitBlock();
  // The inline reallocs' known facts, while the code is still the program's own.
  SmallVector<CallBase *, 8> InlineReallocs;
  for (const PlannedSite &P : Plan)
    if (P.What == PlannedSite::AllocationCall && P.Inline && P.Known->Api == AllocApi::Realloc)
      InlineReallocs.push_back(cast<CallBase>(P.At));
  FastPaths.studyReallocs(InlineReallocs);

  for (unsigned I = 0; I < Plan.size(); ++I) {
    const PlannedSite &P = Plan[I];
    // A placeholder's call is replaced in the twin, and deleted with the plain wrapper.
    Constant *Site = SiteOf[I] == NoSite ? ConstantPointerNull::get(Types.Ptr)
                                         : Table.siteAddress(SiteOf[I]);
    switch (P.What) {
    case PlannedSite::AllocationCall:
      if (P.Inline)
        FastPaths.instrument(*cast<CallBase>(P.At), *P.Known, Site, Table.tlsSlot(SiteOf[I]),
                             CallsOfSite[SiteOf[I]] == 1);
      else
        rewriteCall(*cast<CallBase>(P.At), entryPoint(*P.Known), Site);
      break;
    case PlannedSite::WrapperCall:
      rewriteCall(*cast<CallBase>(P.At), Wrappers.twin(*P.Callee), Site, /*KeepParamAttrs=*/true);
      break;
    case PlannedSite::InferredWrapperCall: {
      const InferredWrapper &W = *Inferred->lookup(*P.Callee);
      rewriteCall(*cast<CallBase>(P.At), Wrappers.inferredTwin(*P.Callee, W),
                  W.Width == 1 || P.Placeholder ? Site : siteList(Table, SitesOf[I]),
                  /*KeepParamAttrs=*/true);
      break;
    }
    case PlannedSite::AddressInCode:
    case PlannedSite::AddressInGlobal: {
      AddressUse Use;
      Use.U = P.Operand;
      Use.Global = P.Global;
      Use.Callee = P.Callee;
      Use.Known = P.Known;
      redirectAddressUse(Use, emitThunk(M, *P.Known, *P.Callee, entryPoint(*P.Known), Site));
      break;
    }
    }
  }

  for (Function *W : ExportedWrappers)
    Wrappers.twin(*W);
  // After the rewriting: a twin is a copy of its wrapper's instrumented body.
  Wrappers.emitTwins();
  for (Function *W : DeadWrappers) {
    if (!W->use_empty())
      report_fatal_error("memscope: a dead wrapper still has uses: " + W->getName());
    W->eraseFromParent();
  }

  if (!Table.empty())
    Table.emitRegistration(declareRegistrationFunction(M, Types, RegisterModuleFn),
                           declareRegistrationFunction(M, Types, UnregisterModuleFn),
                           FastPaths.blockFunction(), FastPaths.size(), FastPaths.slotBase());
  return true;
}

PreservedAnalyses MemscopePass::run(Module &M, ModuleAnalysisManager &) {
  if (!ModuleInstrumenter(M).instrument())
    return PreservedAnalyses::all();
  return PreservedAnalyses::none();
}

PreservedAnalyses MarkDeclaredAllocatorsPass::run(Module &M, ModuleAnalysisManager &) {
  bool Changed = false;
  for (Function &F : M)
    if (!F.isIntrinsic() && !compat::startsWith(F.getName(), RuntimePrefix) &&
        !lookupKnownFunction(F.getName()) &&
        F.getReturnType()->isPointerTy() &&
        F.hasRetAttribute(Attribute::NoAlias) && !F.hasFnAttribute(DeclaredAllocatorAttribute)) {
      F.addFnAttr(DeclaredAllocatorAttribute);
      Changed = true;
    }
  // A string attribute changes no analysis result.
  (void)Changed;
  return PreservedAnalyses::all();
}

} // namespace memscope

// --- Plugin registration ---------------------------------------------------------------

static void registerCallbacks(PassBuilder &PB) {
  // opt -load-pass-plugin=MemscopePass.so -passes=memscope (both passes, as clang runs
  // them), or each on its own.
  PB.registerPipelineParsingCallback(
      [](StringRef Name, ModulePassManager &MPM, ArrayRef<PassBuilder::PipelineElement>) {
        if (Name == "memscope") {
          MPM.addPass(memscope::MarkDeclaredAllocatorsPass());
          MPM.addPass(memscope::MemscopePass());
          return true;
        }
        if (Name == "memscope-instrument") {
          MPM.addPass(memscope::MemscopePass());
          return true;
        }
        if (Name == "memscope-mark-allocators") {
          MPM.addPass(memscope::MarkDeclaredAllocatorsPass());
          return true;
        }
        return false;
      });
  // clang -fpass-plugin=MemscopePass.so, at every optimisation level including -O0.
  // First, the source's own allocator declarations, before any inference:
  memscope::compat::registerPipelineStart(PB, [](ModulePassManager &MPM, OptimizationLevel) {
    MPM.addPass(memscope::MarkDeclaredAllocatorsPass());
  });
  // Last, so that we see the calls that survived optimisation and their final
  // inlining, and so that nothing after us can drop a rewritten call.
  memscope::compat::registerOptimizerLast(
      PB, [](ModulePassManager &MPM, OptimizationLevel) { MPM.addPass(memscope::MemscopePass()); });
}

// The one exported symbol (the library is built with hidden visibility).
extern "C" __attribute__((visibility("default"))) LLVM_ATTRIBUTE_WEAK ::llvm::PassPluginLibraryInfo
llvmGetPassPluginInfo() {
  return memscope::compat::makePluginInfo("MemscopePass", MEMSCOPE_PASS_VERSION, registerCallbacks);
}
