// Everything the pass knows about libmemscope, in one place.
//
// The authority is include/memscope/abi.h (shared with the runtime); this header only
// gives its names and numbers C++ spellings and adds what is private to the pass
// (names of emitted globals, the constructor priority, the opt-out spellings).
// The same structs and prototypes as LLVM types are at the end (RuntimeInterface.cpp).
#ifndef MEMSCOPE_PASS_RUNTIMEINTERFACE_H
#define MEMSCOPE_PASS_RUNTIMEINTERFACE_H

#include "memscope/abi.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace llvm {
class Function;
class FunctionType;
class IntegerType;
class Module;
class PointerType;
class StructType;
} // namespace llvm

namespace memscope {

// --- Symbols the runtime defines ------------------------------------------------------
// Every symbol of the runtime starts with this prefix; the pass never instruments a
// function whose name starts with it (its own constructors, the runtime if it is
// ever built with the plugin).
inline constexpr char RuntimePrefix[] = "__memscope_";

// The entry point of each C allocation function is "__memscope_" + its name (glibc's
// __strdup/__strndup and mmap64 share strdup's, strndup's and mmap's); the table in
// RuntimeInterface.cpp lists them.  C++ operators have none: the pass emits a helper
// per operator (CxxHelpers.h) that calls the real operator and reports through these.
inline constexpr char NoteAllocFn[] = "__memscope_note_alloc";
inline constexpr char NoteFreeFn[] = "__memscope_note_free";
// Thread-local i8 of the runtime (interpose.c): set around the C++ helpers' own
// operator new/delete calls so that the interposed malloc/free does not count them.
inline constexpr char InnerFlagVar[] = "__memscope_inner";
// Inline sites (abi.h, InlineFastPath.h): what the fast paths call when they cannot
// count on their own.
inline constexpr char MallocInlineSlowFn[] = "__memscope_malloc_inline_slow";
inline constexpr char CallocInlineSlowFn[] = "__memscope_calloc_inline_slow";
inline constexpr char ReallocInlineSlowFn[] = "__memscope_realloc_inline_slow";
inline constexpr char AllocInlineSlowFn[] = "__memscope_alloc_inline_slow";
inline constexpr char FreeInlineSlowFn[] = "__memscope_free_inline_slow";
inline constexpr char InlineWidenFn[] = "__memscope_inline_widen";
// Where an inline site's kept C call goes: the allocator underneath, never the
// runtime's interposed malloc and the rest (which would count the call again).  The
// C++ operators are called themselves, with __memscope_inner set around the call.
inline constexpr char RealFnPrefix[] = "__memscope_real_"; // + the function's name
inline constexpr char RealMallocFn[] = "__memscope_real_malloc";
inline constexpr char RealFreeFn[] = "__memscope_real_free";
// The runtime's filter of sampled blocks, which inline frees read (abi.h).
inline constexpr char FreeFilterGlobal[] = "__memscope_free_filter";
// Where a new thread's inline header points its counters (abi.h): the block's initial
// value refers to it.
inline constexpr char InlineScratchGlobal[] = "__memscope_inline_scratch";

// Names of the functions the pass itself emits.  The first two carry the runtime
// prefix, so they are never instrumented themselves.
inline constexpr char CxxHelperPrefix[] = "__memscope_cxx."; // + the operator's symbol
inline constexpr char ThunkPrefix[] = "__memscope_fp.";      // + the function's name
// An allocation wrapper's site-taking twin: "xmalloc" -> "xmalloc.memscope".
inline constexpr char WrapperCloneSuffix[] = ".memscope";

// The ABI version is part of these names, so objects and a runtime that disagree on
// the layouts below fail to link instead of misreading each other.
inline constexpr char RegisterModuleFn[] = MEMSCOPE_REGISTER_FN;
inline constexpr char UnregisterModuleFn[] = MEMSCOPE_UNREGISTER_FN;
inline constexpr uint32_t AbiVersion = MEMSCOPE_ABI_VERSION;

// --- Layouts (abi.h, version 6) ----------------------------------------------------------
// struct __memscope_frame  { const char *function, *file; uint32_t line, column; }
// struct __memscope_site   { uint64_t id; const __memscope_frame *frames;
//                            uint32_t nframes, api, index, flags, tls_slot, reserved; }
// struct __memscope_module { uint32_t abi_version, nsites; __memscope_site *sites;
//                            const char *name; __memscope_module *next;
//                            void *(*tls_block)(void); uint32_t tls_size, reserved;
//                            int64_t *slot_base; }
// The thread-local block of inline sites: a 24-byte header
// { uint64_t sample_left; uint32_t disarmed; int32_t releases_at; __memscope_tls_alloc *counters; }
// (InlineFastPath.h); the counters are in the runtime's per-thread table.
// RuntimeTypes below spells them field by field; tests/lit/abi-layout.c checks the
// result against abi.h with a real program.

// The allocation APIs; values are enum memscope_api and end up in the record files.
enum class AllocApi : uint32_t {
  Malloc = MEMSCOPE_API_MALLOC,
  Calloc = MEMSCOPE_API_CALLOC,
  Realloc = MEMSCOPE_API_REALLOC,
  Free = MEMSCOPE_API_FREE,
  ReallocArray = MEMSCOPE_API_REALLOCARRAY,
  AlignedAlloc = MEMSCOPE_API_ALIGNED_ALLOC,
  PosixMemalign = MEMSCOPE_API_POSIX_MEMALIGN,
  Memalign = MEMSCOPE_API_MEMALIGN,
  Valloc = MEMSCOPE_API_VALLOC,
  Pvalloc = MEMSCOPE_API_PVALLOC,
  Strdup = MEMSCOPE_API_STRDUP,
  Strndup = MEMSCOPE_API_STRNDUP,
  New = MEMSCOPE_API_NEW,
  NewArray = MEMSCOPE_API_NEW_ARRAY,
  Delete = MEMSCOPE_API_DELETE,
  DeleteArray = MEMSCOPE_API_DELETE_ARRAY,
  Mmap = MEMSCOPE_API_MMAP,
  Munmap = MEMSCOPE_API_MUNMAP,
  Wrapper = MEMSCOPE_API_WRAPPER,
};

// One function the pass recognises by name and prototype.  The prototype is spelled
// with one letter per type: p pointer, s size_t (the target's pointer-sized integer),
// i int (i32), l int64_t/off_t, v void.
struct KnownFunction {
  const char *Name;    // the symbol, e.g. "malloc" or "_ZnwmRKSt9nothrow_t"
  AllocApi Api;
  const char *Result;  // one letter
  const char *Params;  // one letter per parameter
  const char *Runtime; // its runtime entry point; nullptr for a C++ operator (helper)
  bool isCxxOperator() const { return Runtime == nullptr; }
  // operator new (any form): the helper reports after the call, not before.
  bool allocates() const { return Api == AllocApi::New || Api == AllocApi::NewArray; }
};

// The entry for Name, or nullptr.  C++ operators are known in their LP64 manglings
// (size_t is "m").
const KnownFunction *lookupKnownFunction(llvm::StringRef Name);
// Every known function, in table order.
llvm::ArrayRef<KnownFunction> knownFunctions();

// --- What the pass emits ----------------------------------------------------------------
inline constexpr char SitesGlobal[] = "__memscope_sites";   // [N x site], writable
inline constexpr char FramesGlobal[] = "__memscope_frames"; // [F x frame], constant
inline constexpr char StringGlobal[] = "__memscope_str";    // one per distinct string
inline constexpr char ModuleGlobal[] = "__memscope_module"; // the descriptor, writable
inline constexpr char ModuleCtor[] = "__memscope_module_ctor";
inline constexpr char ModuleDtor[] = "__memscope_module_dtor";
// A call of an inferred wrapper that makes several sites passes a list of them:
// [N x ptr], constant (WrapperInference.h).
inline constexpr char WrapperSitesGlobal[] = "__memscope_wrapper_sites";
// Modules with inline sites: the thread-local block, and the function that returns
// the calling thread's copy (the descriptor's tls_block).
inline constexpr char TlsGlobal[] = "__memscope_tls";
inline constexpr char TlsBlockFn[] = "__memscope_tls_block";
// The shared form (abi.h): the runtime's header, and the module's slot base.
inline constexpr char SharedTlsGlobal[] = "__memscope_shared_tls";
inline constexpr char SlotBaseGlobal[] = "__memscope_slot_base";
// The call-site attribute on a malloc or free call that an inline fast path already
// counts: a second run of the pass (LTO) leaves it alone.
inline constexpr char CountedAttribute[] = "memscope-counted";

// Priorities 0-100 are reserved for the C/C++ implementation; 101 is the first one
// user code may use, so registration runs before every user constructor that did not
// ask for 101 itself.  Destructors run in the opposite order, so unregistration at 101
// comes after user destructors (which may still free memory).
inline constexpr int CtorPriority = 101;

// --- Opt-out -----------------------------------------------------------------------------
// A function carrying the IR string attribute "memscope-skip", or declared in C/C++
// with __attribute__((annotate("memscope_skip"))), is not instrumented.
inline constexpr char SkipAttribute[] = "memscope-skip";
inline constexpr char SkipAnnotation[] = "memscope_skip";

// --- Allocation wrappers -------------------------------------------------------------------
// Set at the start of clang's pipeline on functions the source declares as allocators
// (a noalias result: __attribute__((malloc))), before the optimizer infers noalias
// results of its own, which would make the choice depend on the optimisation level.
inline constexpr char DeclaredAllocatorAttribute[] = "memscope-declared-allocator";

// --- The same contract as LLVM types -----------------------------------------------------
// abi.h's structs and prototypes spelled for one module (size_t is the target's
// pointer-sized integer).  Defined in RuntimeInterface.cpp.
struct RuntimeTypes {
  explicit RuntimeTypes(llvm::Module &M);

  llvm::IntegerType *I32, *I64, *SizeT;
  llvm::PointerType *Ptr;
  llvm::StructType *Frame, *Site, *ModuleDesc;

  // The C (or C++) prototype of K, e.g. ptr(i64) for malloc.
  llvm::FunctionType *knownType(const KnownFunction &K) const;
  // The same with the site pointer appended: K's runtime entry point or C++ helper.
  llvm::FunctionType *entryType(const KnownFunction &K) const;
  // void __memscope_note_alloc(size_t, ptr, site *) / __memscope_note_free(ptr, site *).
  llvm::FunctionType *noteAllocFunction() const;
  llvm::FunctionType *noteFreeFunction() const;
  // void __memscope_register_module_v6(module *), also the unregister function.
  llvm::FunctionType *registrationFunction() const;
  // Inline sites: ptr __memscope_malloc_inline_slow(size_t, site *, ptr block),
  // ptr __memscope_calloc_inline_slow(size_t, size_t, site *, ptr block),
  // ptr __memscope_realloc_inline_slow(ptr, size_t, site *, ptr block),
  // void __memscope_alloc_inline_slow(size_t, ptr, size_t, site *, ptr block),
  // void __memscope_free_inline_slow(ptr, site *, ptr block),
  // void __memscope_inline_widen(ptr slot, uint64_t size).
  llvm::FunctionType *mallocInlineSlowFunction() const;
  llvm::FunctionType *callocInlineSlowFunction() const;
  llvm::FunctionType *reallocInlineSlowFunction() const;
  llvm::FunctionType *allocInlineSlowFunction() const;
  llvm::FunctionType *freeInlineSlowFunction() const;
  llvm::FunctionType *inlineWidenFunction() const;
};

// False, after reporting an error through the module's LLVMContext, when the module
// already has a symbol Name that is not a function of type Ty (a user declaration
// clashing with the runtime).  Changes nothing.
bool checkRuntimeSymbol(llvm::Module &M, llvm::StringRef Name, llvm::FunctionType *Ty);

// The runtime function Name of type Ty (which checkRuntimeSymbol accepted), declared
// if the module does not have it yet.  NoAliasResult for malloc-like results.
llvm::Function *declareRuntimeFunction(llvm::Module &M, llvm::StringRef Name,
                                       llvm::FunctionType *Ty, bool NoAliasResult = false);
// K's runtime entry point (a C function; not for C++ operators).
llvm::Function *declareEntryPoint(llvm::Module &M, const RuntimeTypes &T, const KnownFunction &K);
llvm::Function *declareRegistrationFunction(llvm::Module &M, const RuntimeTypes &T,
                                            llvm::StringRef Name);

} // namespace memscope

#endif // MEMSCOPE_PASS_RUNTIMEINTERFACE_H
