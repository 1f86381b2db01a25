// The inline fast paths of malloc and free, their thread-local header and how they count
// in the thread's table (see InlineFastPath.h; the contract is abi.h's "Inline sites").
#include "InlineFastPath.h"

#include "llvm/IR/BasicBlock.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/Module.h"

#include <algorithm>
#include <cstddef>

using namespace llvm;

namespace memscope {

// abi.h's layouts, read off its own structs (the header's fields are those of the LLVM
// struct emitBlock() builds, at the same offsets on every target).
static constexpr uint32_t HeaderSize = sizeof(__memscope_tls_header);
static constexpr uint32_t SampleLeftAt = offsetof(__memscope_tls_header, sample_left);
static constexpr uint32_t FreeMaskAt = offsetof(__memscope_tls_header, free_mask);
static constexpr uint32_t CountersAt = offsetof(__memscope_tls_header, counters);
static constexpr uint32_t SlotSize = sizeof(__memscope_tls_alloc); // malloc and free alike
static constexpr uint32_t CallsAt = offsetof(__memscope_tls_alloc, calls);
static constexpr uint32_t BytesAt = offsetof(__memscope_tls_alloc, bytes);
static constexpr uint32_t LoAt = offsetof(__memscope_tls_alloc, lo);
static constexpr uint32_t SpanAt = offsetof(__memscope_tls_alloc, span);
static_assert(SampleLeftAt == 0 && FreeMaskAt == 8 && CountersAt == 16 && HeaderSize == 24,
              "the header is { i64, i32, i32, ptr }");
static_assert(SlotSize == 32, "an inline slot is a table slot");

bool inlineFastPathsAllowed(const Module &M, InlineMode Mode) {
  switch (Mode) {
  case InlineMode::Never:
    return false;
  case InlineMode::Always:
    return true;
  case InlineMode::Auto:
    // -fPIE (or -pie): the object is for an executable.  A -fPIC object may end up in
    // a shared library, where local-exec TLS fails to link.
    return M.getPIELevel() != PIELevel::Default;
  }
  return false;
}

bool canInlineCall(const CallBase &Call, const KnownFunction &K) {
  if (K.Api != AllocApi::Malloc && K.Api != AllocApi::Free)
    return false;
  const auto *CI = dyn_cast<CallInst>(&Call);
  return CI && !CI->isMustTailCall() && !CI->hasOperandBundles();
}

InlineFastPaths::InlineFastPaths(Module &M, const RuntimeTypes &Types, uint32_t Budget)
    : M(M), Types(Types),
      // Never beyond what the runtime's scratch covers (abi.h).
      Budget(std::min<uint64_t>(Budget, uint64_t(SlotSize) * MEMSCOPE_INLINE_SLOTS_MAX)) {}

// malloc's and free's own prototypes.
static FunctionType *realMallocType(const RuntimeTypes &Types) {
  return FunctionType::get(Types.Ptr, {Types.SizeT}, /*isVarArg=*/false);
}
static FunctionType *realFreeType(const RuntimeTypes &Types) {
  return FunctionType::get(Type::getVoidTy(Types.Ptr->getContext()), {Types.Ptr},
                           /*isVarArg=*/false);
}

bool InlineFastPaths::checkRuntimeSymbols(Module &M, const RuntimeTypes &Types) {
  bool Ok = checkRuntimeSymbol(M, MallocInlineSlowFn, Types.mallocInlineSlowFunction());
  Ok &= checkRuntimeSymbol(M, FreeInlineSlowFn, Types.freeInlineSlowFunction());
  Ok &= checkRuntimeSymbol(M, InlineWidenFn, Types.inlineWidenFunction());
  Ok &= checkRuntimeSymbol(M, RealMallocFn, realMallocType(Types));
  Ok &= checkRuntimeSymbol(M, RealFreeFn, realFreeType(Types));
  return Ok;
}

uint32_t InlineFastPaths::addSlot(AllocApi Api) {
  assert((Api == AllocApi::Malloc || Api == AllocApi::Free) && "only malloc and free inline");
  (void)Api;
  // The k-th inline site (from 0) is at 32 * (k + 1): never 0, and the bytes its
  // slots take so far.
  uint64_t Slot = uint64_t(Slots + 1) * SlotSize;
  if (Full || Slot > Budget) {
    Full = true;
    return 0;
  }
  ++Slots;
  return static_cast<uint32_t>(Slot);
}

void InlineFastPaths::emitBlock() {
  assert(!empty() && !Block && "emitBlock() once, after addSlot()");
  // A thread's first calls see sample_left and free_mask 0 and take the slow paths,
  // which arm the header; counters starts at the runtime's scratch, never NULL (abi.h:
  // a signal handler's malloc may take a fast path the header did not arm).
  GlobalVariable *Scratch = M.getNamedGlobal(InlineScratchGlobal);
  if (!Scratch)
    Scratch = new GlobalVariable(M, ArrayType::get(Types.I64, 0), /*isConstant=*/false,
                                 GlobalValue::ExternalLinkage, nullptr, InlineScratchGlobal);
  auto *Ty = StructType::get(M.getContext(), {Types.I64, Types.I32, Types.I32, Types.Ptr});
  Constant *Init = ConstantStruct::get(
      Ty, {ConstantInt::get(Types.I64, 0), ConstantInt::get(Types.I32, 0),
           ConstantInt::get(Types.I32, 0), Scratch});
  Block = new GlobalVariable(M, Ty, /*isConstant=*/false, GlobalValue::InternalLinkage, Init,
                             TlsGlobal, /*InsertBefore=*/nullptr, GlobalValue::LocalExecTLSModel);
  Block->setAlignment(Align(8));

  // How the runtime finds a thread's copy (it cannot name a local-exec variable of
  // another object): `ptr __memscope_tls_block(void)`, with the module's default
  // function attributes like any compiler-made function.
  BlockFn = Function::createWithDefaultAttr(FunctionType::get(Types.Ptr, /*isVarArg=*/false),
                                            GlobalValue::InternalLinkage,
                                            M.getDataLayout().getProgramAddressSpace(),
                                            TlsBlockFn, &M);
  IRBuilder<> B(BasicBlock::Create(M.getContext(), "", BlockFn));
  B.CreateRet(B.CreateThreadLocalAddress(Block));
}

// The slow branches (a sample point, a size outside the range so far, a free that may
// be of a sampled block) are rare: weighted so, the fast path is laid out as straight
// code and the calls go out of line.
static MDNode *unlikely(LLVMContext &Ctx) {
  return MDBuilder(Ctx).createBranchWeights(1, 2000);
}

// The calling thread's block.  Each basic block takes the address itself rather than
// sharing one: an address live across blocks would be computed into a register
// (movq %fs:0, then an add) where each access can otherwise be one %fs-relative
// instruction.
static Value *threadBlock(IRBuilder<> &B, GlobalVariable *Block) {
  CallInst *Address = B.CreateThreadLocalAddress(Block);
  Address->setName("ms.block");
  return Address;
}

// The calling thread's counters of this module: the header's pointer into its table.
// Loaded in the block that counts, after the branch, so the fast path pays one load.
static Value *threadCounters(IRBuilder<> &B, GlobalVariable *Block, const RuntimeTypes &Types) {
  Value *At = B.CreateConstInBoundsGEP1_64(B.getInt8Ty(), threadBlock(B, Block), CountersAt,
                                           "ms.counters.ptr");
  return B.CreateAlignedLoad(Types.Ptr, At, Align(8), "ms.counters");
}

// Offset bytes into the block at Base.
static Value *at(IRBuilder<> &B, Value *Base, uint32_t Offset, const Twine &Name = "") {
  if (Offset == 0)
    return Base;
  return B.CreateConstInBoundsGEP1_64(B.getInt8Ty(), Base, Offset, Name);
}

// *At += Amount, a plain (non-atomic) update: the block belongs to one thread.
static void addTo(IRBuilder<> &B, Value *At, Value *Amount, const Twine &Name) {
  LoadInst *Old = B.CreateAlignedLoad(B.getInt64Ty(), At, Align(8), Name);
  B.CreateAlignedStore(B.CreateAdd(Old, Amount, Name + ".new"), At, Align(8));
}

//   head:     left = h->sample_left; h->sample_left = left - size;
//             br (left <= size) ms.slow, ms.fast
//   ms.fast:  s = h->counters + slot;
//             s->calls++; s->bytes += size; br (size - s->lo > s->span) ms.widen, ms.call
//   ms.widen: __memscope_inline_widen(s, size); br ms.call
//   ms.call:  the original call
//   ms.slow:  __memscope_malloc_inline_slow(size, site, h)
//   ms.join:  phi of the two results, then the rest of the original block
// The store of sample_left is unconditional: the slow path repairs it.
void InlineFastPaths::instrumentMalloc(CallInst &Call, Constant *Site, uint32_t Slot) {
  if (!MallocSlow) {
    MallocSlow = declareRuntimeFunction(M, MallocInlineSlowFn, Types.mallocInlineSlowFunction(),
                                        /*NoAliasResult=*/true);
    Widen = declareRuntimeFunction(M, InlineWidenFn, Types.inlineWidenFunction());
  }
  LLVMContext &Ctx = M.getContext();
  BasicBlock *Head = Call.getParent();
  Function *F = Head->getParent();
  BasicBlock *CallBB = Head->splitBasicBlock(&Call, "ms.call");
  BasicBlock *Join = CallBB->splitBasicBlock(Call.getNextNode(), "ms.join");
  CallBB->getTerminator()->setDebugLoc(Call.getDebugLoc());
  BasicBlock *Fast = BasicBlock::Create(Ctx, "ms.fast", F, CallBB);
  BasicBlock *WidenBB = BasicBlock::Create(Ctx, "ms.widen", F, CallBB);
  BasicBlock *Slow = BasicBlock::Create(Ctx, "ms.slow", F, Join);
  Head->getTerminator()->eraseFromParent();

  IRBuilder<> B(Head);
  B.SetCurrentDebugLocation(Call.getDebugLoc());
  Value *Size = Call.getArgOperand(0);
  Value *Size64 = B.CreateZExtOrTrunc(Size, Types.I64); // nothing on LP64

  Value *Header = threadBlock(B, Block);
  Value *LeftAt = at(B, Header, SampleLeftAt);
  LoadInst *Left = B.CreateAlignedLoad(Types.I64, LeftAt, Align(8), "ms.left");
  B.CreateAlignedStore(B.CreateSub(Left, Size64, "ms.left.new"), LeftAt, Align(8));
  B.CreateCondBr(B.CreateICmpULE(Left, Size64, "ms.sample"), Slow, Fast, unlikely(Ctx));

  B.SetInsertPoint(Fast);
  Value *SlotPtr = at(B, threadCounters(B, Block, Types), Slot, "ms.slot");
  addTo(B, at(B, SlotPtr, CallsAt), B.getInt64(1), "ms.calls");
  addTo(B, at(B, SlotPtr, BytesAt, "ms.bytes.ptr"), Size64, "ms.bytes");
  Value *LoAtPtr = at(B, SlotPtr, LoAt, "ms.lo.ptr");
  LoadInst *Lo = B.CreateAlignedLoad(Types.I64, LoAtPtr, Align(8), "ms.lo");
  Value *SpanAtPtr = at(B, SlotPtr, SpanAt, "ms.span.ptr");
  LoadInst *Span = B.CreateAlignedLoad(Types.I64, SpanAtPtr, Align(8), "ms.span");
  // One unsigned comparison tests both ends of [lo, lo + span] (below lo wraps around).
  Value *Outside = B.CreateICmpUGT(B.CreateSub(Size64, Lo, "ms.offset"), Span, "ms.outside");
  B.CreateCondBr(Outside, WidenBB, CallBB, unlikely(Ctx));

  B.SetInsertPoint(WidenBB);
  B.CreateCall(Widen, {SlotPtr, Size64}); // (ms.fast dominates ms.widen)
  B.CreateBr(CallBB);

  B.SetInsertPoint(Slow);
  CallInst *Sampled = B.CreateCall(MallocSlow, {Size, Site, threadBlock(B, Block)}, "ms.sampled");
  B.CreateBr(Join);

  if (!Call.use_empty()) {
    B.SetInsertPoint(Join, Join->begin());
    B.SetCurrentDebugLocation(Call.getDebugLoc()); // not the next instruction's
    PHINode *Result = B.CreatePHI(Types.Ptr, 2, "ms.result");
    Call.replaceAllUsesWith(Result);
    Result->addIncoming(&Call, CallBB);
    Result->addIncoming(Sampled, Slow);
  }
}

//   head:     br (__memscope_free_filter[(uint32_t)(uintptr_t)p & h->free_mask] != 0)
//                ms.fslow, ms.ffast
//   ms.ffast: (h->counters + slot)->calls++; br ms.join
//   ms.fslow: __memscope_free_inline_slow(p, site, h); br ms.join
//   ms.join:  the original call, then the rest of the original block
// The filter byte of a live sampled block is never 0, so its free always reaches the
// runtime; so does every free of a thread whose block is not armed (mask 0: byte 0 is
// always set).  The slow path only counts and records, the free itself is the call's.
void InlineFastPaths::instrumentFree(CallInst &Call, Constant *Site, uint32_t Slot) {
  if (!FreeSlow) {
    FreeSlow = declareRuntimeFunction(M, FreeInlineSlowFn, Types.freeInlineSlowFunction());
    LLVMContext &Ctx0 = M.getContext();
    Filter = M.getNamedGlobal(FreeFilterGlobal);
    if (!Filter)
      Filter = new GlobalVariable(M, ArrayType::get(Type::getInt8Ty(Ctx0), 0), /*isConstant=*/false,
                                  GlobalValue::ExternalLinkage, nullptr, FreeFilterGlobal);
  }
  LLVMContext &Ctx = M.getContext();
  BasicBlock *Head = Call.getParent();
  Function *F = Head->getParent();
  BasicBlock *Join = Head->splitBasicBlock(&Call, "ms.join");
  BasicBlock *Fast = BasicBlock::Create(Ctx, "ms.ffast", F, Join);
  BasicBlock *Slow = BasicBlock::Create(Ctx, "ms.fslow", F, Join);
  Head->getTerminator()->eraseFromParent();

  IRBuilder<> B(Head);
  B.SetCurrentDebugLocation(Call.getDebugLoc());
  Value *P = Call.getArgOperand(0);
  Value *MaskAt = at(B, threadBlock(B, Block), FreeMaskAt, "ms.mask.ptr");
  LoadInst *Mask = B.CreateAlignedLoad(Types.I32, MaskAt, Align(8), "ms.mask");
  Value *Low = B.CreateTrunc(B.CreatePtrToInt(P, Types.SizeT, "ms.addr"), Types.I32, "ms.addr.lo");
  Value *Index = B.CreateZExt(B.CreateAnd(Low, Mask, "ms.index"), Types.I64, "ms.index64");
  Value *ByteAt = B.CreateInBoundsGEP(B.getInt8Ty(), Filter, Index, "ms.filter.ptr");
  LoadInst *Byte = B.CreateAlignedLoad(B.getInt8Ty(), ByteAt, Align(1), "ms.filter");
  // Sampling threads update the byte with compare-and-swap.  A plain byte load is what
  // x86 does for a relaxed atomic one, and it folds into the compare; under
  // ThreadSanitizer the load is declared atomic so that it is not reported as a race.
  if (F->hasFnAttribute(Attribute::SanitizeThread))
    Byte->setAtomic(AtomicOrdering::Monotonic);
  Value *MaySample = B.CreateICmpNE(Byte, B.getInt8(0), "ms.sample");
  B.CreateCondBr(MaySample, Slow, Fast, unlikely(Ctx));

  B.SetInsertPoint(Fast);
  addTo(B, at(B, threadCounters(B, Block, Types), Slot, "ms.slot"), B.getInt64(1), "ms.calls");
  B.CreateBr(Join);

  B.SetInsertPoint(Slow);
  B.CreateCall(FreeSlow, {P, Site, threadBlock(B, Block)});
  B.CreateBr(Join);
}

void InlineFastPaths::instrument(CallInst &Call, const KnownFunction &K, Constant *Site,
                                 uint32_t Slot) {
  assert(Block && "emitBlock() first");
  bool IsMalloc = K.Api == AllocApi::Malloc;
  if (IsMalloc)
    instrumentMalloc(Call, Site, Slot);
  else
    instrumentFree(Call, Site, Slot);
  // The kept call goes to the allocator underneath: the program's malloc may be the
  // runtime's interposed one, which would count it a second time.  Same prototype,
  // so the call's arguments and attributes stay as they are.
  Call.setCalledFunction(IsMalloc ? declareRuntimeFunction(M, RealMallocFn, realMallocType(Types),
                                                           /*NoAliasResult=*/true)
                                  : declareRuntimeFunction(M, RealFreeFn, realFreeType(Types)));
  // The call is now counted where it is: a later run of the pass (over LTO bitcode,
  // say) must not make it a site again.
  Call.addFnAttr(Attribute::get(M.getContext(), CountedAttribute));
}

} // namespace memscope
