// The inline fast paths of every API that has one, their thread-local header and how
// they count in the thread's table (see InlineFastPath.h; the contract is abi.h's
// "Inline sites").
#include "InlineFastPath.h"

#include "CxxHelpers.h"
#include "LLVMCompat.h"

#include "llvm/IR/BasicBlock.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PatternMatch.h"

#include <algorithm>
#include <cstring>
#include <cstddef>
#include <memory>

using namespace llvm;

namespace memscope {

// abi.h's layouts, read off its own structs (the header's fields are those of the LLVM
// struct emitBlock() builds, at the same offsets on every target).
static constexpr uint32_t HeaderSize = sizeof(__memscope_tls_header);
static constexpr uint32_t SampleLeftAt = offsetof(__memscope_tls_header, sample_left);
static constexpr uint32_t DisarmedAt = offsetof(__memscope_tls_header, disarmed);
static constexpr uint32_t ReleasesAt = offsetof(__memscope_tls_header, releases_at);
static constexpr uint32_t CountersAt = offsetof(__memscope_tls_header, counters);
static constexpr uint32_t SlotSize = sizeof(__memscope_tls_alloc); // every API alike
static constexpr uint32_t CallsAt = offsetof(__memscope_tls_alloc, calls);
static constexpr uint32_t BytesAt = offsetof(__memscope_tls_alloc, bytes);
static constexpr uint32_t LoAt = offsetof(__memscope_tls_alloc, lo);
static constexpr uint32_t SpanAt = offsetof(__memscope_tls_alloc, span);
static_assert(SampleLeftAt == 0 && DisarmedAt == 8 && ReleasesAt == 12 && CountersAt == 16 &&
                  HeaderSize == 24,
              "the header is { i64, i32, i32, ptr }");
static_assert(SlotSize == 32, "an inline slot is a table slot");

InlineForm inlineFormOf(const Module &M, InlineMode Mode) {
  switch (Mode) {
  case InlineMode::Never:
    return InlineForm::None;
  case InlineMode::Always:
    return InlineForm::LocalExec;
  case InlineMode::Shared:
    return InlineForm::Shared;
  case InlineMode::Auto:
    // -fPIE (or -pie): the object is for an executable.  A -fPIC object may end up in
    // a shared library, where local-exec TLS fails to link, and one dlopen'ed must not
    // need static TLS of its own (a dlopen that runs out of it fails): the runtime's
    // header, which is in the process from its start.
    return M.getPIELevel() != PIELevel::Default ? InlineForm::LocalExec : InlineForm::Shared;
  }
  return InlineForm::None;
}

// How an API's fast path is shaped (abi.h, "Inline sites"):
//   Before: decided before the call, the slow path makes the call itself (malloc,
//           calloc, realloc: the call is redirected to the allocator underneath);
//   After:  the call first (a block of the right alignment, or an operator new that may
//           throw), counted when it returned a block (the aligned forms, operator new);
//   Free:   the filter test and the count before the call (free, operator delete).
enum class Shape { None, Before, After, Free };
static Shape shapeOf(AllocApi Api) {
  switch (Api) {
  case AllocApi::Malloc:
  case AllocApi::Calloc:
  case AllocApi::Realloc:
    return Shape::Before;
  case AllocApi::AlignedAlloc:
  case AllocApi::PosixMemalign:
  case AllocApi::Memalign:
  case AllocApi::New:
  case AllocApi::NewArray:
    return Shape::After;
  case AllocApi::Free:
  case AllocApi::Delete:
  case AllocApi::DeleteArray:
    return Shape::Free;
  default:
    return Shape::None;
  }
}

bool canInlineCall(const CallBase &Call, const KnownFunction &K) {
  Shape S = shapeOf(K.Api);
  if (S == Shape::None || Call.hasOperandBundles())
    return false;
  if (const auto *CI = dyn_cast<CallInst>(&Call))
    return !CI->isMustTailCall();
  // An invoke keeps its place (After and Free shapes only: Before replaces the call's
  // result on the slow path by the runtime's call, which does not unwind).
  return isa<InvokeInst>(Call) && S != Shape::Before;
}

InlineFastPaths::InlineFastPaths(Module &M, const RuntimeTypes &Types, uint32_t Budget,
                                 InlineForm Form)
    : M(M), Types(Types), Shared(Form == InlineForm::Shared),
      // Never beyond what the runtime's scratch covers (abi.h).
      Budget(std::min<uint64_t>(Budget, uint64_t(SlotSize) * MEMSCOPE_INLINE_SLOTS_MAX)) {}

// The prototypes of the allocator underneath (__memscope_real_<name>): those of the
// C functions themselves.
static FunctionType *realFunctionType(const RuntimeTypes &Types, AllocApi Api) {
  Type *Void = Type::getVoidTy(Types.Ptr->getContext());
  switch (Api) {
  case AllocApi::Malloc:
    return FunctionType::get(Types.Ptr, {Types.SizeT}, false);
  case AllocApi::Calloc:
  case AllocApi::AlignedAlloc:
  case AllocApi::Memalign:
    return FunctionType::get(Types.Ptr, {Types.SizeT, Types.SizeT}, false);
  case AllocApi::Realloc:
    return FunctionType::get(Types.Ptr, {Types.Ptr, Types.SizeT}, false);
  case AllocApi::PosixMemalign:
    return FunctionType::get(Types.I32, {Types.Ptr, Types.SizeT, Types.SizeT}, false);
  case AllocApi::Free:
    return FunctionType::get(Void, {Types.Ptr}, false);
  default:
    return nullptr; // the C++ operators are called themselves
  }
}

static constexpr AllocApi RealApis[] = {AllocApi::Malloc,       AllocApi::Calloc,
                                        AllocApi::Realloc,      AllocApi::Free,
                                        AllocApi::AlignedAlloc, AllocApi::PosixMemalign,
                                        AllocApi::Memalign};
static const char *apiName(AllocApi Api) {
  switch (Api) {
  case AllocApi::Malloc: return "malloc";
  case AllocApi::Calloc: return "calloc";
  case AllocApi::Realloc: return "realloc";
  case AllocApi::Free: return "free";
  case AllocApi::AlignedAlloc: return "aligned_alloc";
  case AllocApi::PosixMemalign: return "posix_memalign";
  case AllocApi::Memalign: return "memalign";
  default: return nullptr;
  }
}

bool InlineFastPaths::checkRuntimeSymbols(Module &M, const RuntimeTypes &Types) {
  bool Ok = checkRuntimeSymbol(M, MallocInlineSlowFn, Types.mallocInlineSlowFunction());
  Ok &= checkRuntimeSymbol(M, CallocInlineSlowFn, Types.callocInlineSlowFunction());
  Ok &= checkRuntimeSymbol(M, ReallocInlineSlowFn, Types.reallocInlineSlowFunction());
  Ok &= checkRuntimeSymbol(M, AllocInlineSlowFn, Types.allocInlineSlowFunction());
  Ok &= checkRuntimeSymbol(M, FreeInlineSlowFn, Types.freeInlineSlowFunction());
  Ok &= checkRuntimeSymbol(M, InlineWidenFn, Types.inlineWidenFunction());
  for (AllocApi Api : RealApis)
    Ok &= checkRuntimeSymbol(M, std::string(RealFnPrefix) + apiName(Api),
                             realFunctionType(Types, Api));
  return Ok;
}

uint32_t InlineFastPaths::addSlot(AllocApi Api) {
  assert(shapeOf(Api) != Shape::None && "an API without a fast path");
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
  if (Shared) {
    emitSharedBlock();
    return;
  }
  // A thread's first calls see sample_left 0 and disarmed 1 and take the slow paths,
  // which arm the header; counters starts at the runtime's scratch, never NULL (abi.h:
  // a signal handler's malloc may take a fast path the header did not arm).
  GlobalVariable *Scratch = M.getNamedGlobal(InlineScratchGlobal);
  if (!Scratch)
    Scratch = new GlobalVariable(M, ArrayType::get(Types.I64, 0), /*isConstant=*/false,
                                 GlobalValue::ExternalLinkage, nullptr, InlineScratchGlobal);
  auto *Ty = StructType::get(M.getContext(), {Types.I64, Types.I32, Types.I32, Types.Ptr});
  Constant *Init = ConstantStruct::get(
      Ty, {ConstantInt::get(Types.I64, 0), ConstantInt::get(Types.I32, 1),
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

// The shared form: the runtime's header, initial-exec (one GOT load of its offset per
// function, then %fs-relative accesses; valid in a shared library, linked or
// dlopen'ed, since the runtime's TLS is static: it is in the process from its start or
// loaded with the library, and its own TLS is initial-exec already), and the module's
// slot base, which the runtime sets when it registers the module (abi.h).  No TLS of
// the module's own, so a dlopen of its library never needs static TLS for it.
void InlineFastPaths::emitSharedBlock() {
  auto *Ty = StructType::get(M.getContext(), {Types.I64, Types.I32, Types.I32, Types.Ptr});
  Block = M.getNamedGlobal(SharedTlsGlobal);
  if (!Block)
    Block = new GlobalVariable(M, Ty, /*isConstant=*/false, GlobalValue::ExternalLinkage,
                               nullptr, SharedTlsGlobal, /*InsertBefore=*/nullptr,
                               GlobalValue::InitialExecTLSModel);
  // Before registration, the table's last slots, which no site has (abi.h).  Written by
  // the runtime through the descriptor, so the optimizer cannot fold it.
  Base = new GlobalVariable(M, Types.I64, /*isConstant=*/false, GlobalValue::InternalLinkage,
                            ConstantInt::get(Types.I64, MEMSCOPE_UNREGISTERED_BASE),
                            SlotBaseGlobal);
  Base->setAlignment(Align(8));
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

// The calling thread's counters of this module: the header's pointer into its table
// (the table itself in the shared form: slotAt() adds the module's base).  Loaded in
// the block that counts, after the branch, so the fast path pays one load.
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

// The slot at tls_slot Slot from the header's Counters: counters + base + Slot, where
// base is the module's slot base in the shared form (one load, RIP-relative), nothing
// in the local-exec form.
Value *InlineFastPaths::slotAt(IRBuilder<> &B, Value *Counters, uint32_t Slot) {
  if (Base) {
    Value *Offset = B.CreateAlignedLoad(Types.I64, Base, Align(8), "ms.base");
    Counters = B.CreateGEP(B.getInt8Ty(), Counters, Offset, "ms.module.counters");
  }
  return at(B, Counters, Slot, "ms.slot");
}

// *At += Amount, a plain (non-atomic) update: the block belongs to one thread.
static void addTo(IRBuilder<> &B, Value *At, Value *Amount, const Twine &Name) {
  LoadInst *Old = B.CreateAlignedLoad(B.getInt64Ty(), At, Align(8), Name);
  B.CreateAlignedStore(B.CreateAdd(Old, Amount, Name + ".new"), At, Align(8));
}


// The countdown, in front of an allocation of Size64 bytes (at B's insertion point):
//   left = h->sample_left; h->sample_left = left - n;  returns left <= n
// The store is unconditional: the slow paths repair it (add n back).
// A constant size goes through an empty inline asm on x86-64: the code generator turns
// `left <= C` into `left < C + 1`, a compare of its own (lea, mov, cmp: 5 instructions
// in all), where an opaque register lets the subtraction's flags decide (mov $C, sub
// from memory, jbe: 3).
Value *InlineFastPaths::countdown(IRBuilder<> &B, Value *Size64) {
  if (isa<ConstantInt>(Size64) && compat::targetTriple(M).getArch() == Triple::x86_64) {
    auto *Opaque = InlineAsm::get(FunctionType::get(Types.I64, {Types.I64}, false), "", "=r,0",
                                  /*hasSideEffects=*/false);
    Size64 = B.CreateCall(Opaque, {Size64}, "ms.size.reg");
  }
  Value *LeftAt = at(B, threadBlock(B, Block), SampleLeftAt);
  LoadInst *Left = B.CreateAlignedLoad(Types.I64, LeftAt, Align(8), "ms.left");
  B.CreateAlignedStore(B.CreateSub(Left, Size64, "ms.left.new"), LeftAt, Align(8));
  return B.CreateICmpULE(Left, Size64, "ms.sample");
}

// count(s, n) of abi.h at the end of B's block, which then goes on to Next (through
// ms.widen when the size is outside the slot's range).  Counters: the header's pointer,
// when the block loaded it already.  Fixed: every call of the site has this constant
// size, so the range can only be [n, n] once set: one compare of lo with n instead of
// the range test (a first call, or the first of a session, finds lo != n and widens).
void InlineFastPaths::emitCount(IRBuilder<> &B, uint32_t Slot, Value *Size64, bool Fixed,
                                BasicBlock *Next, Value *Counters) {
  LLVMContext &Ctx = M.getContext();
  if (!Counters)
    Counters = threadCounters(B, Block, Types);
  Value *SlotPtr = slotAt(B, Counters, Slot);
  addTo(B, at(B, SlotPtr, CallsAt), B.getInt64(1), "ms.calls");
  addTo(B, at(B, SlotPtr, BytesAt, "ms.bytes.ptr"), Size64, "ms.bytes");
  LoadInst *Lo = B.CreateAlignedLoad(Types.I64, at(B, SlotPtr, LoAt, "ms.lo.ptr"), Align(8), "ms.lo");
  Value *Outside;
  if (Fixed) {
    Outside = B.CreateICmpNE(Lo, Size64, "ms.outside");
  } else {
    Value *SpanAtPtr = at(B, SlotPtr, SpanAt, "ms.span.ptr");
    LoadInst *Span = B.CreateAlignedLoad(Types.I64, SpanAtPtr, Align(8), "ms.span");
    // One unsigned comparison tests both ends of [lo, lo + span] (below lo wraps around).
    Outside = B.CreateICmpUGT(B.CreateSub(Size64, Lo, "ms.offset"), Span, "ms.outside");
  }
  BasicBlock *WidenBB =
      BasicBlock::Create(Ctx, "ms.widen", B.GetInsertBlock()->getParent(), Next);
  B.CreateCondBr(Outside, WidenBB, Next, unlikely(Ctx));
  IRBuilder<> W(WidenBB);
  W.SetCurrentDebugLocation(B.getCurrentDebugLocation());
  W.CreateCall(Widen, {SlotPtr, Size64});
  W.CreateBr(Next);
}

// A runtime function of this file's, declared on first use.
Function *InlineFastPaths::runtimeFunction(StringRef Name, FunctionType *Ty, bool NoAlias) {
  return declareRuntimeFunction(M, Name, Ty, NoAlias);
}

// Splits Call's block around it: Head (Call's block, without terminator, for the code
// in front of the call), CallBB (the call, then br Join), Join (the rest).
static void splitAround(CallInst &Call, BasicBlock *&Head, BasicBlock *&CallBB,
                        BasicBlock *&Join) {
  Head = Call.getParent();
  CallBB = Head->splitBasicBlock(&Call, "ms.call");
  Join = CallBB->splitBasicBlock(Call.getNextNode(), "ms.join");
  CallBB->getTerminator()->setDebugLoc(Call.getDebugLoc());
  Head->getTerminator()->eraseFromParent();
}

// A block that runs right after Call returned normally, only then, ending in a branch to
// Join (no phis): the code after the call goes there.
static BasicBlock *splitAfter(CallBase &Call, BasicBlock *&Join) {
  LLVMContext &Ctx = Call.getContext();
  if (auto *II = dyn_cast<InvokeInst>(&Call)) {
    BasicBlock *Normal = II->getNormalDest();
    Function *F = Call.getFunction();
    BasicBlock *After = BasicBlock::Create(Ctx, "ms.after", F, Normal);
    Join = BasicBlock::Create(Ctx, "ms.join", F, Normal);
    BranchInst::Create(Join, After)->setDebugLoc(Call.getDebugLoc());
    BranchInst::Create(Normal, Join)->setDebugLoc(Call.getDebugLoc());
    Normal->replacePhiUsesWith(Call.getParent(), Join);
    II->setNormalDest(After);
    return After;
  }
  BasicBlock *Head = Call.getParent();
  Join = Head->splitBasicBlock(Call.getNextNode(), "ms.join");
  Head->getTerminator()->setDebugLoc(Call.getDebugLoc());
  return Head;
}

// __memscope_inner = V (CxxHelpers.cpp: the interposed malloc and free do not count the
// operator's own call), at B's insertion point.
void InlineFastPaths::setInner(IRBuilder<> &B, uint8_t V) {
  B.CreateStore(B.getInt8(V), B.CreateThreadLocalAddress(getOrDeclareInnerFlag(M)));
}

// Whether every call of the site has the constant size Size64 (Fixed of emitCount).
static bool fixedSize(Value *Size64, bool SoleCall) {
  return SoleCall && isa<ConstantInt>(Size64);
}

//   head:     left = h->sample_left; h->sample_left = left - n; br (left <= n) ms.slow, ms.fast
//   ms.fast:  count(s, n); br ms.call            (through ms.widen when out of range)
//   ms.call:  the original call, to __memscope_real_<name>
//   ms.slow:  __memscope_<name>_inline_slow(args, site, h)
//   ms.join:  phi of the two results, then the rest of the original block
// n is malloc's size, or calloc's product (UINT64_MAX when it overflows: always slow).
void InlineFastPaths::instrumentBefore(CallInst &Call, AllocApi Api, Constant *Site,
                                       uint32_t Slot, bool SoleCall) {
  LLVMContext &Ctx = M.getContext();
  BasicBlock *Head, *CallBB, *Join;
  splitAround(Call, Head, CallBB, Join);
  Function *F = Head->getParent();
  BasicBlock *Fast = BasicBlock::Create(Ctx, "ms.fast", F, CallBB);
  BasicBlock *Slow = BasicBlock::Create(Ctx, "ms.slow", F, Join);

  IRBuilder<> B(Head);
  B.SetCurrentDebugLocation(Call.getDebugLoc());
  Value *Size64;
  Function *SlowFn;
  if (Api == AllocApi::Calloc) {
    Value *N = B.CreateZExtOrTrunc(Call.getArgOperand(0), Types.I64);
    Value *Each = B.CreateZExtOrTrunc(Call.getArgOperand(1), Types.I64);
    auto *CN = dyn_cast<ConstantInt>(N), *CE = dyn_cast<ConstantInt>(Each);
    bool Overflow = false;
    if (CN && CE) {
      APInt Product = CN->getValue().umul_ov(CE->getValue(), Overflow);
      Size64 = ConstantInt::get(Types.I64, Overflow ? APInt::getMaxValue(64) : Product);
    } else {
      Value *Mul = B.CreateBinaryIntrinsic(Intrinsic::umul_with_overflow, N, Each);
      Size64 = B.CreateSelect(B.CreateExtractValue(Mul, 1), B.getInt64(UINT64_MAX),
                              B.CreateExtractValue(Mul, 0), "ms.size");
    }
    SlowFn = runtimeFunction(CallocInlineSlowFn, Types.callocInlineSlowFunction(), true);
  } else {
    Size64 = B.CreateZExtOrTrunc(Call.getArgOperand(0), Types.I64); // nothing on LP64
    SlowFn = runtimeFunction(MallocInlineSlowFn, Types.mallocInlineSlowFunction(), true);
  }
  B.CreateCondBr(countdown(B, Size64), Slow, Fast, unlikely(Ctx));

  B.SetInsertPoint(Fast);
  emitCount(B, Slot, Size64, fixedSize(Size64, SoleCall), CallBB);

  B.SetInsertPoint(Slow);
  SmallVector<Value *, 4> Args(Call.args());
  Args.push_back(Site);
  Args.push_back(threadBlock(B, Block));
  CallInst *Sampled = B.CreateCall(SlowFn, Args, "ms.sampled");
  B.CreateBr(Join);
  joinResults(Call, CallBB, Sampled, Slow, Join);
}

// The call's result where the original block went on: the kept call's or the slow
// path's.
void InlineFastPaths::joinResults(CallInst &Call, BasicBlock *CallBB, Value *Sampled,
                                  BasicBlock *Slow, BasicBlock *Join) {
  if (Call.use_empty())
    return;
  IRBuilder<> B(Join, Join->begin());
  B.SetCurrentDebugLocation(Call.getDebugLoc()); // not the next instruction's
  PHINode *Result = B.CreatePHI(Call.getType(), 2, "ms.result");
  Call.replaceAllUsesWith(Result);
  Result->addIncoming(&Call, CallBB);
  Result->addIncoming(Sampled, Slow);
}

// Whether the free filter's byte for pointer P is set, at B's insertion point: the
// byte at disarmed << 20 | (uint32_t)P >> 12 (abi.h).  On x86-64 the index is one
// `shld $20` of P's low half into the loaded `disarmed` (an inline asm: the code
// generator would shift a copy of P with `shrd` instead, one more instruction), so the
// test is as long as an `and` with a mask: load, shld, cmpb, jne (the filter's address
// hoisted out of a loop).  The 32-bit shld clears the register's upper half, so the
// asm's 64-bit result is the index.  Elsewhere, a funnel shift.
Value *InlineFastPaths::filterByte(IRBuilder<> &B, Value *P) {
  if (!Filter) {
    Filter = M.getNamedGlobal(FreeFilterGlobal);
    if (!Filter)
      Filter = new GlobalVariable(M, ArrayType::get(B.getInt8Ty(), 0), /*isConstant=*/false,
                                  GlobalValue::ExternalLinkage, nullptr, FreeFilterGlobal);
  }
  Value *DisarmedAt_ = at(B, threadBlock(B, Block), DisarmedAt, "ms.disarmed.ptr");
  Value *Disarmed = B.CreateAlignedLoad(Types.I32, DisarmedAt_, Align(8), "ms.disarmed");
  Value *Addr = B.CreatePtrToInt(P, Types.I64, "ms.addr");
  Value *Index;
  if (compat::targetTriple(M).getArch() == Triple::x86_64) {
    auto *Shld = InlineAsm::get(FunctionType::get(Types.I64, {Types.I64, Types.I64}, false),
                                "shldl $$20, ${2:k}, ${0:k}", "=r,0,r", /*hasSideEffects=*/false);
    Index = B.CreateCall(Shld, {B.CreateZExt(Disarmed, Types.I64, "ms.disarmed64"), Addr},
                         "ms.index64");
  } else {
    Value *Low = B.CreateTrunc(Addr, Types.I32, "ms.addr.lo");
    Value *Shifted = B.CreateIntrinsic(Intrinsic::fshl, {Types.I32},
                                       {Disarmed, Low, B.getInt32(32 - MEMSCOPE_FILTER_SHIFT)},
                                       nullptr, "ms.index");
    Index = B.CreateZExt(Shifted, Types.I64, "ms.index64");
  }
  Value *ByteAt = B.CreateInBoundsGEP(B.getInt8Ty(), Filter, Index, "ms.filter.ptr");
  LoadInst *Byte = B.CreateAlignedLoad(B.getInt8Ty(), ByteAt, Align(1), "ms.filter");
  // Sampling threads update the byte with compare-and-swap.  A plain byte load is what
  // x86 does for a relaxed atomic one, and it folds into the compare; under
  // ThreadSanitizer the load is declared atomic so that it is not reported as a race.
  if (B.GetInsertBlock()->getParent()->hasFnAttribute(Attribute::SanitizeThread))
    Byte->setAtomic(AtomicOrdering::Monotonic);
  return B.CreateICmpNE(Byte, B.getInt8(0), "ms.maysample");
}

// Whether V is not 0 at At: what ValueTracking knows, or a dominating branch on
// `V == 0 || ...` (or on V != 0) that At is reached from its false (true) edge only,
// as `if (!p || !q) abort();` leaves it (ValueTracking follows `and` only).
static bool knownNonZeroAt(Value *V, Instruction *At, const DominatorTree &DT) {
  using namespace PatternMatch;
  if (compat::isKnownNonZeroAt(V, At->getModule()->getDataLayout(), At, &DT))
    return true;
  for (User *U : V->users()) {
    auto *Cmp = dyn_cast<ICmpInst>(U); // (no predicate-binding matcher: its type changed)
    if (!Cmp || !Cmp->isEquality() ||
        !match(Cmp->getOperand(Cmp->getOperand(0) == V ? 1 : 0), m_Zero()))
      continue;
    bool ZeroIfTrue = Cmp->getPredicate() == ICmpInst::ICMP_EQ;
    SmallVector<User *, 4> Work(U->users().begin(), U->users().end());
    SmallPtrSet<User *, 8> Seen;
    while (!Work.empty()) {
      User *Cur = Work.pop_back_val();
      if (!Seen.insert(Cur).second)
        continue;
      // Both false on an `or`'s false edge; both true on an `and`'s true edge.
      if (ZeroIfTrue ? match(Cur, m_LogicalOr(m_Value(), m_Value()))
                     : match(Cur, m_LogicalAnd(m_Value(), m_Value()))) {
        Work.append(Cur->user_begin(), Cur->user_end());
        continue;
      }
      auto *Br = dyn_cast<BranchInst>(Cur);
      if (!Br || !Br->isConditional())
        continue;
      BasicBlockEdge Edge(Br->getParent(), Br->getSuccessor(ZeroIfTrue ? 1 : 0));
      if (Edge.isSingleEdge() && DT.dominates(Edge, At->getParent()))
        return true;
    }
  }
  return false;
}

void InlineFastPaths::studyReallocs(ArrayRef<CallBase *> Reallocs) {
  DenseMap<Function *, std::unique_ptr<DominatorTree>> Trees;
  for (CallBase *Call : Reallocs) {
    std::unique_ptr<DominatorTree> &DT = Trees[Call->getFunction()];
    if (!DT)
      DT = std::make_unique<DominatorTree>(*Call->getFunction());
    Facts[Call] = {knownNonZeroAt(Call->getArgOperand(0), Call, *DT),
                   knownNonZeroAt(Call->getArgOperand(1), Call, *DT)};
  }
}

//   head:       br (old == NULL) ms.rnew, ms.rold
//   ms.rnew:    COUNTDOWN; br (left <= n) ms.slow, ms.fast    (realloc(NULL, n): an allocation)
//   ms.fast:    count(s, n); br ms.call
//   ms.rold:    br FILTER(old) ms.rfirst, ms.rsize            (an old block that may be sampled)
//   ms.rsize:   br (n == 0) ms.rfirst, ms.rleft               (frees old: the slow path counts)
//   ms.rleft:   COUNTDOWN; br (left <= n) ms.slow, ms.release
//   ms.release: c = h->counters; *(c + h->releases_at) += 1; count(s, n); br ms.call
//   ms.call:    the original call, to __memscope_real_realloc
//   ms.rfirst:  h->sample_left -= n; br ms.slow               (the slow path gives n back)
//   ms.slow:    __memscope_realloc_inline_slow(old, n, site, h)
//   ms.join:    phi of the two results
// where COUNTDOWN is left = h->sample_left; h->sample_left = left - n.  Each countdown
// is right before its branch, so that it compiles to one subtraction from memory and a
// jump on its flags.  A test whose answer the program has established already
// (studyReallocs: old is not NULL, n is not 0) is left out, with the blocks only it
// reaches: 2 instructions each, and the jump that joins ms.fast's count with
// ms.release's.
void InlineFastPaths::instrumentRealloc(CallInst &Call, Constant *Site, uint32_t Slot,
                                        bool SoleCall) {
  LLVMContext &Ctx = M.getContext();
  ReallocFacts Known = Facts.lookup(&Call);
  BasicBlock *Head, *CallBB, *Join;
  splitAround(Call, Head, CallBB, Join);
  Function *F = Head->getParent();
  auto NewBB = [&](const char *Name, BasicBlock *Before) {
    return BasicBlock::Create(Ctx, Name, F, Before);
  };
  BasicBlock *RNew = Known.OldNonNull ? nullptr : NewBB("ms.rnew", CallBB),
             *Fast = Known.OldNonNull ? nullptr : NewBB("ms.fast", CallBB),
             *ROld = NewBB("ms.rold", CallBB),
             *RSize = Known.SizeNonZero ? nullptr : NewBB("ms.rsize", CallBB),
             *RLeft = NewBB("ms.rleft", CallBB), *Release = NewBB("ms.release", CallBB),
             *RFirst = NewBB("ms.rfirst", Join), *Slow = NewBB("ms.slow", Join);

  IRBuilder<> B(Head);
  B.SetCurrentDebugLocation(Call.getDebugLoc());
  Value *Old = Call.getArgOperand(0);
  Value *Size64 = B.CreateZExtOrTrunc(Call.getArgOperand(1), Types.I64);
  if (RNew) {
    B.CreateCondBr(B.CreateIsNull(Old, "ms.fresh"), RNew, ROld);
    B.SetInsertPoint(RNew);
    B.CreateCondBr(countdown(B, Size64), Slow, Fast, unlikely(Ctx));
    B.SetInsertPoint(Fast);
    emitCount(B, Slot, Size64, fixedSize(Size64, SoleCall), CallBB);
  } else {
    B.CreateBr(ROld);
  }

  B.SetInsertPoint(ROld);
  B.CreateCondBr(filterByte(B, Old), RFirst, RSize ? RSize : RLeft, unlikely(Ctx));
  if (RSize) {
    B.SetInsertPoint(RSize);
    B.CreateCondBr(B.CreateICmpEQ(Size64, B.getInt64(0), "ms.frees"), RFirst, RLeft,
                   unlikely(Ctx));
  }
  B.SetInsertPoint(RLeft);
  B.CreateCondBr(countdown(B, Size64), Slow, Release, unlikely(Ctx));
  B.SetInsertPoint(Release);
  Value *Counters = threadCounters(B, Block, Types);
  Value *RelAtPtr = at(B, threadBlock(B, Block), ReleasesAt, "ms.releases.at.ptr");
  Value *RelAt = B.CreateSExt(B.CreateAlignedLoad(Types.I32, RelAtPtr, Align(4), "ms.releases.at"),
                              Types.I64);
  addTo(B, B.CreateInBoundsGEP(B.getInt8Ty(), Counters, RelAt, "ms.releases.ptr"), B.getInt64(1),
        "ms.releases");
  emitCount(B, Slot, Size64, fixedSize(Size64, SoleCall), CallBB, Counters);

  B.SetInsertPoint(RFirst);
  cast<Instruction>(countdown(B, Size64))->eraseFromParent(); // (the sample test)
  B.CreateBr(Slow);

  B.SetInsertPoint(Slow);
  CallInst *Sampled =
      B.CreateCall(runtimeFunction(ReallocInlineSlowFn, Types.reallocInlineSlowFunction()),
                   {Old, Call.getArgOperand(1), Site, threadBlock(B, Block)}, "ms.sampled");
  B.CreateBr(Join);
  joinResults(Call, CallBB, Sampled, Slow, Join);
}

//   (operator new: __memscope_inner = 1 before the call)
//   p = the call (to __memscope_real_<name>, or the operator itself; posix_memalign:
//       p = rc == 0 ? *memptr : NULL)
//   ms.after:  (operator new: __memscope_inner = 0)
//              left = h->sample_left; h->sample_left = left - n;
//              br (left <= n || p == NULL) ms.slow, ms.fast
//   ms.fast:   count(s, n); br ms.join
//   ms.slow:   __memscope_alloc_inline_slow(n, p, align, site, h); br ms.join
// A failed call (NULL, an error number) is not counted, as at the entry points; an
// operator new that throws unwinds from the call, before anything was counted.
void InlineFastPaths::instrumentAfter(CallBase &Call, const KnownFunction &K, Constant *Site,
                                      uint32_t Slot, bool SoleCall) {
  LLVMContext &Ctx = M.getContext();
  bool Operator = K.isCxxOperator();
  Value *Size = Call.getArgOperand(Operator ? 0 : K.Api == AllocApi::PosixMemalign ? 2 : 1);
  Value *Alignment = Operator ? ConstantInt::get(Types.SizeT, 0)
                              : Call.getArgOperand(K.Api == AllocApi::PosixMemalign ? 1 : 0);
  if (Operator) {
    IRBuilder<> Before(&Call);
    Before.SetCurrentDebugLocation(Call.getDebugLoc());
    setInner(Before, 1);
  }
  BasicBlock *Join;
  BasicBlock *After = splitAfter(Call, Join);
  Function *F = After->getParent();
  After->getTerminator()->eraseFromParent();
  BasicBlock *Fast = BasicBlock::Create(Ctx, "ms.fast", F, Join);
  BasicBlock *Slow = BasicBlock::Create(Ctx, "ms.slow", F, Join);

  IRBuilder<> B(After);
  B.SetCurrentDebugLocation(Call.getDebugLoc());
  if (Operator)
    setInner(B, 0);
  Value *Size64 = B.CreateZExtOrTrunc(Size, Types.I64);
  Value *P = &Call;
  if (K.Api == AllocApi::PosixMemalign) {
    // The block is *memptr, read only on the way to the slow path (the fast path does
    // not need it) and only when the call returned 0 (it is left alone otherwise).
    BasicBlock *Ok = BasicBlock::Create(Ctx, "ms.ok", F, Fast);
    BasicBlock *Sampled = BasicBlock::Create(Ctx, "ms.psampled", F, Slow);
    BasicBlock *Failed = BasicBlock::Create(Ctx, "ms.pfailed", F, Slow);
    B.CreateCondBr(B.CreateIsNull(&Call, "ms.succeeded"), Ok, Failed);
    B.SetInsertPoint(Ok);
    B.CreateCondBr(countdown(B, Size64), Sampled, Fast, unlikely(Ctx));
    B.SetInsertPoint(Sampled);
    Value *Block = B.CreateAlignedLoad(Types.Ptr, Call.getArgOperand(0),
                                       M.getDataLayout().getPointerABIAlignment(0), "ms.p");
    B.CreateBr(Slow);
    B.SetInsertPoint(Failed); // the slow path gives back what the countdown took
    cast<Instruction>(countdown(B, Size64))->eraseFromParent(); // (the sample test)
    B.CreateBr(Slow);
    IRBuilder<> S(Slow);
    S.SetCurrentDebugLocation(Call.getDebugLoc());
    PHINode *SlowP = S.CreatePHI(Types.Ptr, 2, "ms.p.slow");
    SlowP->addIncoming(Block, Sampled);
    SlowP->addIncoming(ConstantPointerNull::get(Types.Ptr), Failed);
    P = SlowP;
  } else if (Operator && !std::strchr(K.Params, 'p')) {
    // A throwing operator new never returns NULL: it throws instead.
    B.CreateCondBr(countdown(B, Size64), Slow, Fast, unlikely(Ctx));
  } else {
    Value *Sample = countdown(B, Size64);
    Value *Failed = B.CreateIsNull(P, "ms.failed");
    B.CreateCondBr(B.CreateOr(Sample, Failed, "ms.slowly"), Slow, Fast, unlikely(Ctx));
  }

  B.SetInsertPoint(Fast);
  emitCount(B, Slot, Size64, fixedSize(Size64, SoleCall), Join);

  B.SetInsertPoint(Slow); // (after the phi, if any)
  B.CreateCall(runtimeFunction(AllocInlineSlowFn, Types.allocInlineSlowFunction()),
               {Size, P, Alignment, Site, threadBlock(B, Block)});
  B.CreateBr(Join);
}

//   head:     br FILTER(p) ms.fslow, ms.ffast
//   ms.ffast: (h->counters + slot)->calls++; br ms.join
//   ms.fslow: br (p == NULL) ms.fnull, ms.fcall
//   ms.fnull: br (h->disarmed == 0) ms.join, ms.fcall    (a volatile load, see below)
//   ms.fcall: __memscope_free_inline_slow(p, site, h); br ms.join
//   ms.join:  the original call (operator delete: between __memscope_inner = 1 and = 0),
//             then the rest of the original block
// The filter byte of a live sampled block is never 0, so its free always reaches the
// runtime; so does every free of a thread whose block is not armed (it reads the
// filter's all-set half), NULL included (full mode records it; byte 0 is always set).
// free(NULL) with the header armed has nothing to count or record and stops at
// ms.fnull: 4 instructions instead of a call.  `disarmed` is loaded there again,
// volatile so that it is not merged with the first load: reusing that one would keep
// it alive in a register across the fast path (one more instruction on every free).
// The slow path only counts and records, the free itself is the call's.
void InlineFastPaths::instrumentFree(CallBase &Call, const KnownFunction &K, Constant *Site,
                                     uint32_t Slot) {
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
  B.CreateCondBr(filterByte(B, P), Slow, Fast, unlikely(Ctx));

  B.SetInsertPoint(Fast);
  addTo(B, slotAt(B, threadCounters(B, Block, Types), Slot), B.getInt64(1), "ms.calls");
  B.CreateBr(Join);

  BasicBlock *Null = BasicBlock::Create(Ctx, "ms.fnull", F, Join);
  BasicBlock *SlowCall = BasicBlock::Create(Ctx, "ms.fcall", F, Join);
  B.SetInsertPoint(Slow);
  B.CreateCondBr(B.CreateIsNull(P, "ms.null"), Null, SlowCall);
  B.SetInsertPoint(Null);
  LoadInst *Disarmed = B.CreateAlignedLoad(
      Types.I32, at(B, threadBlock(B, Block), DisarmedAt, "ms.disarmed.ptr"), Align(8),
      /*isVolatile=*/true, "ms.disarmed.again");
  B.CreateCondBr(B.CreateIsNull(Disarmed, "ms.armed"), Join, SlowCall);
  B.SetInsertPoint(SlowCall);
  B.CreateCall(runtimeFunction(FreeInlineSlowFn, Types.freeInlineSlowFunction()),
               {P, Site, threadBlock(B, Block)});
  B.CreateBr(Join);

  if (K.isCxxOperator()) {
    IRBuilder<> Around(&Call);
    Around.SetCurrentDebugLocation(Call.getDebugLoc());
    setInner(Around, 1);
    BasicBlock *Rest;
    BasicBlock *After = splitAfter(Call, Rest);
    Around.SetInsertPoint(After->getTerminator());
    setInner(Around, 0);
  }
}

void InlineFastPaths::instrument(CallBase &Call, const KnownFunction &K, Constant *Site,
                                 uint32_t Slot, bool SoleCall) {
  assert(Block && "emitBlock() first");
  if (!Widen)
    Widen = runtimeFunction(InlineWidenFn, Types.inlineWidenFunction());
  switch (shapeOf(K.Api)) {
  case Shape::Before:
    if (K.Api == AllocApi::Realloc)
      instrumentRealloc(cast<CallInst>(Call), Site, Slot, SoleCall);
    else
      instrumentBefore(cast<CallInst>(Call), K.Api, Site, Slot, SoleCall);
    break;
  case Shape::After:
    instrumentAfter(Call, K, Site, Slot, SoleCall);
    break;
  case Shape::Free:
    instrumentFree(Call, K, Site, Slot);
    break;
  case Shape::None:
    llvm_unreachable("canInlineCall() accepted it");
  }
  // A kept C call goes to the allocator underneath: the program's malloc may be the
  // runtime's interposed one, which would count it a second time.  Same prototype, so
  // the call's arguments and attributes stay as they are.  The operators stay: the
  // inner flag keeps their malloc and free from being counted.
  if (!K.isCxxOperator()) {
    bool Fresh = K.Api != AllocApi::Realloc && K.Api != AllocApi::Free &&
                 K.Api != AllocApi::PosixMemalign;
    Call.setCalledFunction(runtimeFunction(std::string(RealFnPrefix) + apiName(K.Api),
                                           realFunctionType(Types, K.Api), Fresh));
  }
  // The call is now counted where it is: a later run of the pass (over LTO bitcode,
  // say) must not make it a site again.
  Call.addFnAttr(Attribute::get(M.getContext(), CountedAttribute));
}

} // namespace memscope
