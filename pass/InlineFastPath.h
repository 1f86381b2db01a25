// Inline fast paths for malloc, calloc, realloc, free, aligned_alloc, posix_memalign,
// memalign and the C++ operators new and delete (abi.h, "Inline sites").
//
// Such a call is not redirected to the runtime: the pass keeps the call and puts a few
// instructions around it that count the call in the calling thread's counter table,
// the runtime's, through a thread-local header.  In a module built for an executable
// the header is the module's own, local-exec TLS, which is only valid in the executable
// itself but makes every access one segment-relative instruction
// (%fs:__memscope_tls@TPOFF+offset on x86-64).  In the others (-fPIC: a shared library,
// linked or dlopen'ed) it is the runtime's, initial-exec (the offset loaded from the GOT
// once per function), and the module adds its slot base, a global the runtime sets when
// it registers the module: the shared form.  Only a sample point, a
// size outside the site's range so far, a free that may be of a sampled block, or a
// thread whose header is not armed calls the runtime.
//
// The header: { uint64_t sample_left; uint32_t disarmed; int32_t releases_at;
// counters }, where counters + tls_slot is the site's 32-byte slot { calls, bytes, lo,
// span } in the table (a free-like site uses calls only) and counters + releases_at the
// thread's realloc release counter.  The k-th inline site of the module (site order,
// from 0) has tls_slot 32 * (k + 1); the runtime gives the module's inline sites
// consecutive slots in that order.  A budget bounds the inline sites of a module
// (32 bytes each; the sites beyond it call the runtime).
#ifndef MEMSCOPE_PASS_INLINEFASTPATH_H
#define MEMSCOPE_PASS_INLINEFASTPATH_H

#include "Options.h"
#include "RuntimeInterface.h"

#include <cstdint>

#include "llvm/IR/IRBuilder.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"

namespace llvm {
class BasicBlock;
class CallBase;
class CallInst;
class Constant;
class Function;
class GlobalVariable;
class Module;
} // namespace llvm

namespace memscope {

// Whether M's calls get fast paths under Mode, and through which header.  auto: a
// local-exec header of the module in a module built for an executable (a PIE module),
// the runtime's elsewhere (local-exec TLS does not link into a shared library, and a
// dlopen'ed library must not need static TLS of its own); always: local-exec in every
// module (the user promises an executable); shared: the runtime's in every module.
enum class InlineForm { None, LocalExec, Shared };
InlineForm inlineFormOf(const llvm::Module &M, InlineMode Mode);

// Whether Call, a call of K that the pass would rewrite, can get a fast path instead: an
// API with one, not musttail, without operand bundles (a funclet's calls would need
// theirs on every call the fast path adds); malloc, calloc and realloc a plain `call`
// (their slow path replaces the call's result), the others a call or an invoke.
bool canInlineCall(const llvm::CallBase &Call, const KnownFunction &K);

// The thread-local block of one module and the fast paths that count into it.
class InlineFastPaths {
public:
  // Budget: the most bytes of table slots the module's inline sites take, 32 each (0:
  // no inline sites); never more than MEMSCOPE_INLINE_SLOTS_MAX sites.
  InlineFastPaths(llvm::Module &M, const RuntimeTypes &Types, uint32_t Budget,
                  InlineForm Form);

  // False, after reporting an error, when the module already has one of the fast
  // paths' runtime functions with another type (checkRuntimeSymbol).
  static bool checkRuntimeSymbols(llvm::Module &M, const RuntimeTypes &Types);

  // Makes the next site of API Api (one with a fast path) inline: returns its tls_slot
  // (never 0).  Returns 0 when it would take the module over the budget, and so for
  // every later site too: the inline sites are the first ones in site order, so that
  // which sites are inline depends on the module alone and is easy to tell.
  uint32_t addSlot(AllocApi Api);
  bool empty() const { return Slots == 0; }
  // Bytes of the module's thread-local block, the descriptor's tls_size: the header; 0
  // without inline sites or in the shared form (no TLS of its own).
  uint32_t size() const {
    return empty() || Shared ? 0 : uint32_t(sizeof(__memscope_tls_header));
  }

  // Emits the header (@__memscope_tls) and the function that returns the calling
  // thread's copy (@__memscope_tls_block, the descriptor's tls_block); in the shared
  // form, declares the runtime's header and emits the slot base (@__memscope_slot_base,
  // the descriptor's slot_base).  After the last addSlot(), before instrument().
  void emitBlock();
  llvm::Function *blockFunction() const { return BlockFn; }
  llvm::GlobalVariable *slotBase() const { return Base; }

  // Puts the fast path around Call, a call canInlineCall() accepted, of the site at
  // Site whose tls_slot is Slot; SoleCall: the site has no other call (a constant size
  // then skips the range test).  Call stays, unchanged but for its callee (a C
  // function's: __memscope_real_<name>) and a mark that keeps a second run of the pass
  // away from it.
  void instrument(llvm::CallBase &Call, const KnownFunction &K, llvm::Constant *Site,
                  uint32_t Slot, bool SoleCall);

  // What the program has established where each of these reallocs is (its block is not
  // NULL, its size is not 0: a test it made, a size it computed), so that their fast
  // paths skip those tests.  Before any instrument(): read off the unchanged code.
  void studyReallocs(llvm::ArrayRef<llvm::CallBase *> Reallocs);

private:
  void emitSharedBlock();
  llvm::Value *slotAt(llvm::IRBuilder<> &B, llvm::Value *Counters, uint32_t Slot);
  llvm::Value *countdown(llvm::IRBuilder<> &B, llvm::Value *Size64);
  void emitCount(llvm::IRBuilder<> &B, uint32_t Slot, llvm::Value *Size64, bool Fixed,
                 llvm::BasicBlock *Next, llvm::Value *Counters = nullptr);
  llvm::Value *filterByte(llvm::IRBuilder<> &B, llvm::Value *P);
  void setInner(llvm::IRBuilder<> &B, uint8_t V);
  llvm::Function *runtimeFunction(llvm::StringRef Name, llvm::FunctionType *Ty,
                                  bool NoAlias = false);
  void joinResults(llvm::CallInst &Call, llvm::BasicBlock *CallBB, llvm::Value *Sampled,
                   llvm::BasicBlock *Slow, llvm::BasicBlock *Join);
  void instrumentBefore(llvm::CallInst &Call, AllocApi Api, llvm::Constant *Site,
                        uint32_t Slot, bool SoleCall);
  void instrumentRealloc(llvm::CallInst &Call, llvm::Constant *Site, uint32_t Slot,
                         bool SoleCall);
  void instrumentAfter(llvm::CallBase &Call, const KnownFunction &K, llvm::Constant *Site,
                       uint32_t Slot, bool SoleCall);
  void instrumentFree(llvm::CallBase &Call, const KnownFunction &K, llvm::Constant *Site,
                      uint32_t Slot);

  llvm::Module &M;
  const RuntimeTypes &Types;
  bool Shared; // the runtime's header and a slot base (InlineForm::Shared)
  uint64_t Budget;
  bool Full = false; // a site did not fit: no later one is inline
  uint32_t Slots = 0; // inline sites so far
  llvm::GlobalVariable *Block = nullptr;
  llvm::GlobalVariable *Base = nullptr; // the shared form's slot base
  llvm::Function *BlockFn = nullptr;
  llvm::Function *Widen = nullptr;
  llvm::GlobalVariable *Filter = nullptr; // __memscope_free_filter, declared on first use
  struct ReallocFacts {
    bool OldNonNull = false, SizeNonZero = false;
  };
  llvm::DenseMap<const llvm::CallBase *, ReallocFacts> Facts; // studyReallocs()
};

} // namespace memscope

#endif // MEMSCOPE_PASS_INLINEFASTPATH_H
