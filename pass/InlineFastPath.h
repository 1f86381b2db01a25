// Inline fast paths for malloc and free (abi.h, "Inline sites").
//
// In a module built for an executable, a malloc or free call is not redirected to the
// runtime: the pass keeps the call and puts a few instructions in front of it that
// count the call in a thread-local block of the module.  The block is local-exec TLS,
// which is only valid in the executable itself but makes every access one
// segment-relative instruction (%fs:__memscope_tls@TPOFF+offset on x86-64).  Only a
// sample point, a size outside the site's range so far, a free that may be of a
// sampled block, or a thread whose block is still zero calls the runtime.
//
// The block: a header { uint64_t sample_left; uint32_t free_mask, reserved; }, then
// the counters of each inline site at its tls_slot, in site order: a malloc site's
// { calls, bytes, lo, span }, a free site's { calls }.  glibc carves the static TLS of
// every thread out of its stack, so the block has a budget: the sites that would take
// it over call the runtime, whose per-thread table is not static TLS.
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
  // Budget: the most bytes the block may take, header included (0: no inline sites).
  InlineFastPaths(llvm::Module &M, const RuntimeTypes &Types, uint32_t Budget);

  // False, after reporting an error, when the module already has one of the fast
  // paths' runtime functions with another type (checkRuntimeSymbol).
  static bool checkRuntimeSymbols(llvm::Module &M, const RuntimeTypes &Types);

  // Reserves the counters of an inline site of API Api (malloc or free) at the end of
  // the block; returns their offset, the site's tls_slot (never 0).  Returns 0 when
  // they would take the block over the budget, and so for every later site too: the
  // inline sites are the first ones in site order, whatever their sizes, so that which
  // sites are inline depends on the module alone and is easy to tell.
  uint32_t addSlot(AllocApi Api);
  bool empty() const { return Size == 0; }
  // Bytes of the block: the descriptor's tls_size; 0 without inline sites.
  uint32_t size() const { return Size; }

  // Emits the block (@__memscope_tls) and the function that returns the calling
  // thread's copy (@__memscope_tls_block, the descriptor's tls_block).  After the
  // last addSlot(), before instrument().
  void emitBlock();
  llvm::Function *blockFunction() const { return BlockFn; }

  // Puts the fast path in front of Call, a call canInlineCall() accepted, of the site
  // at Site whose counters are at Slot.  Call stays, unchanged but for a mark that
  // keeps a second run of the pass away from it.
  void instrument(llvm::CallInst &Call, const KnownFunction &K, llvm::Constant *Site,
                  uint32_t Slot);

private:
  void instrumentMalloc(llvm::CallInst &Call, llvm::Constant *Site, uint32_t Slot);
  void instrumentFree(llvm::CallInst &Call, llvm::Constant *Site, uint32_t Slot);

  llvm::Module &M;
  const RuntimeTypes &Types;
  uint32_t Budget;
  bool Full = false; // a site did not fit: no later one is inline
  uint32_t Size = 0;
  llvm::GlobalVariable *Block = nullptr;
  llvm::GlobalVariable *Filter = nullptr; // __memscope_free_filter, declared on first use
  llvm::Function *BlockFn = nullptr;
  llvm::Function *MallocSlow = nullptr, *FreeSlow = nullptr, *Widen = nullptr;
};

} // namespace memscope

#endif // MEMSCOPE_PASS_INLINEFASTPATH_H
