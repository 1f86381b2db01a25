// Inline fast paths for malloc and free (abi.h, "Inline sites").
//
// In a module built for an executable, a malloc or free call is not redirected to the
// runtime: the pass keeps the call and puts a few instructions in front of it that
// count the call in the calling thread's counter table, the runtime's, through a
// thread-local header of the module.  The header is local-exec TLS, which is only
// valid in the executable itself but makes every access one segment-relative
// instruction (%fs:__memscope_tls@TPOFF+offset on x86-64).  Only a sample point, a
// size outside the site's range so far, a free that may be of a sampled block, or a
// thread whose header is not armed calls the runtime.
//
// The header: { uint64_t sample_left; uint32_t free_mask, reserved; counters }, where
// counters + tls_slot is the site's 32-byte slot { calls, bytes, lo, span } in the
// table (a free site uses calls only).  The k-th inline site of the module (site order,
// from 0) has tls_slot 32 * (k + 1); the runtime gives the module's inline sites
// consecutive slots in that order.  A budget bounds the inline sites of a module
// (32 bytes each; the sites beyond it call the runtime).
#ifndef MEMSCOPE_PASS_INLINEFASTPATH_H
#define MEMSCOPE_PASS_INLINEFASTPATH_H

#include "Options.h"
#include "RuntimeInterface.h"

#include <cstdint>

namespace llvm {
class CallBase;
class CallInst;
class Constant;
class Function;
class GlobalVariable;
class Module;
} // namespace llvm

namespace memscope {

// Whether M's malloc and free calls get fast paths under Mode.  auto: only in a module
// built for an executable (a PIE module), since local-exec TLS does not link into a
// shared library; always: in every module (the user promises an executable).
bool inlineFastPathsAllowed(const llvm::Module &M, InlineMode Mode);

// Whether Call, a call of K that the pass would rewrite, can get a fast path instead: a
// malloc or free, a plain `call` (not invoke, not musttail) without operand bundles
// (a funclet's calls would need theirs on every call the fast path adds).
bool canInlineCall(const llvm::CallBase &Call, const KnownFunction &K);

// The thread-local block of one module and the fast paths that count into it.
class InlineFastPaths {
public:
  // Budget: the most bytes of table slots the module's inline sites take, 32 each (0:
  // no inline sites); never more than MEMSCOPE_INLINE_SLOTS_MAX sites.
  InlineFastPaths(llvm::Module &M, const RuntimeTypes &Types, uint32_t Budget);

  // False, after reporting an error, when the module already has one of the fast
  // paths' runtime functions with another type (checkRuntimeSymbol).
  static bool checkRuntimeSymbols(llvm::Module &M, const RuntimeTypes &Types);

  // Makes the next site of API Api (malloc or free) inline: returns its tls_slot
  // (never 0).  Returns 0 when it would take the module over the budget, and so for
  // every later site too: the inline sites are the first ones in site order, so that
  // which sites are inline depends on the module alone and is easy to tell.
  uint32_t addSlot(AllocApi Api);
  bool empty() const { return Slots == 0; }
  // Bytes of the thread-local block, the descriptor's tls_size: the header; 0 without
  // inline sites.
  uint32_t size() const { return empty() ? 0 : uint32_t(sizeof(__memscope_tls_header)); }

  // Emits the header (@__memscope_tls) and the function that returns the calling
  // thread's copy (@__memscope_tls_block, the descriptor's tls_block).  After the
  // last addSlot(), before instrument().
  void emitBlock();
  llvm::Function *blockFunction() const { return BlockFn; }

  // Puts the fast path in front of Call, a call canInlineCall() accepted, of the site
  // at Site whose tls_slot is Slot.  Call stays, unchanged but for a mark that
  // keeps a second run of the pass away from it.
  void instrument(llvm::CallInst &Call, const KnownFunction &K, llvm::Constant *Site,
                  uint32_t Slot);

private:
  void instrumentMalloc(llvm::CallInst &Call, llvm::Constant *Site, uint32_t Slot);
  void instrumentFree(llvm::CallInst &Call, llvm::Constant *Site, uint32_t Slot);

  llvm::Module &M;
  const RuntimeTypes &Types;
  uint64_t Budget;
  bool Full = false; // a site did not fit: no later one is inline
  uint32_t Slots = 0; // inline sites so far
  llvm::GlobalVariable *Block = nullptr;
  llvm::GlobalVariable *Filter = nullptr; // __memscope_free_filter, declared on first use
  llvm::Function *BlockFn = nullptr;
  llvm::Function *MallocSlow = nullptr, *FreeSlow = nullptr, *Widen = nullptr;
};

} // namespace memscope

#endif // MEMSCOPE_PASS_INLINEFASTPATH_H
