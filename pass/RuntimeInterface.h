// Everything the pass knows about libmemscope, in one place.
//
// The authority is include/memscope/abi.h (shared with the runtime); this header only
// gives its names and numbers C++ spellings and adds what is private to the pass
// (names of emitted globals, the constructor priority, the opt-out spellings).
// The same structs and prototypes as LLVM types are at the end (RuntimeInterface.cpp).
#ifndef MEMSCOPE_PASS_RUNTIMEINTERFACE_H
#define MEMSCOPE_PASS_RUNTIMEINTERFACE_H

#include "memscope/abi.h"

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

inline constexpr char MallocFn[] = "__memscope_malloc";
inline constexpr char CallocFn[] = "__memscope_calloc";
inline constexpr char ReallocFn[] = "__memscope_realloc";
inline constexpr char FreeFn[] = "__memscope_free";

// The ABI version is part of these names, so objects and a runtime that disagree on
// the layouts below fail to link instead of misreading each other.
inline constexpr char RegisterModuleFn[] = MEMSCOPE_REGISTER_FN;
inline constexpr char UnregisterModuleFn[] = MEMSCOPE_UNREGISTER_FN;
inline constexpr uint32_t AbiVersion = MEMSCOPE_ABI_VERSION;

// --- Layouts (abi.h) --------------------------------------------------------------------
// struct __memscope_frame  { const char *function, *file; uint32_t line, column; }
// struct __memscope_site   { uint64_t id; const __memscope_frame *frames;
//                            uint32_t nframes, api, index, flags; }
// struct __memscope_module { uint32_t abi_version, nsites; __memscope_site *sites;
//                            const char *name; __memscope_module *next; }
// RuntimeTypes below spells them field by field; tests/lit/abi-layout.c checks the
// result against abi.h with a real program.

// The allocation APIs; values are enum memscope_api and end up in the record files.
enum class AllocApi : uint32_t {
  Malloc = MEMSCOPE_API_MALLOC,
  Calloc = MEMSCOPE_API_CALLOC,
  Realloc = MEMSCOPE_API_REALLOC,
  Free = MEMSCOPE_API_FREE,
};

// --- What the pass emits ----------------------------------------------------------------
inline constexpr char SitesGlobal[] = "__memscope_sites";   // [N x site], writable
inline constexpr char FramesGlobal[] = "__memscope_frames"; // [F x frame], constant
inline constexpr char StringGlobal[] = "__memscope_str";    // one per distinct string
inline constexpr char ModuleGlobal[] = "__memscope_module"; // the descriptor, writable
inline constexpr char ModuleCtor[] = "__memscope_module_ctor";
inline constexpr char ModuleDtor[] = "__memscope_module_dtor";

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

// --- The same contract as LLVM types -----------------------------------------------------
// abi.h's structs and prototypes spelled for one module (size_t is the target's
// pointer-sized integer).  Defined in RuntimeInterface.cpp.
struct RuntimeTypes {
  explicit RuntimeTypes(llvm::Module &M);

  llvm::IntegerType *I32, *I64, *SizeT;
  llvm::PointerType *Ptr;
  llvm::StructType *Frame, *Site, *ModuleDesc;

  // void *__memscope_malloc(size_t, site *) and friends.
  llvm::FunctionType *allocFunction(AllocApi Api) const;
  // void __memscope_register_module_v1(module *), also the unregister function.
  llvm::FunctionType *registrationFunction() const;
};

// "__memscope_malloc" for AllocApi::Malloc, and so on.
llvm::StringRef runtimeFunctionName(AllocApi Api);

// False, after reporting an error through the module's LLVMContext, when the module
// already has a symbol Name that is not a function of type Ty (a user declaration
// clashing with the runtime).  Changes nothing.
bool checkRuntimeSymbol(llvm::Module &M, llvm::StringRef Name, llvm::FunctionType *Ty);

// The runtime function Name (which checkRuntimeSymbol accepted), declared if the
// module does not have it yet.
llvm::Function *declareAllocFunction(llvm::Module &M, const RuntimeTypes &T, AllocApi Api);
llvm::Function *declareRegistrationFunction(llvm::Module &M, const RuntimeTypes &T,
                                            llvm::StringRef Name);

} // namespace memscope

#endif // MEMSCOPE_PASS_RUNTIMEINTERFACE_H
