// The pass's options: cl::opt flags (opt -memscope-..., clang -mllvm -memscope-...),
// each with an environment variable read when the flag is not given, for builds that
// cannot pass -mllvm to a plugin (docs/pass.md lists them).
#ifndef MEMSCOPE_PASS_OPTIONS_H
#define MEMSCOPE_PASS_OPTIONS_H

#include "memscope/abi.h"

#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class DISubprogram;
class Function;
class Module;
class SpecialCaseList;
} // namespace llvm

namespace memscope {

// -memscope-inline: where the allocation calls get inline fast paths, and through which
// header (InlineFastPath.h).
enum class InlineMode {
  Auto,   // everywhere: local-exec in a module built for an executable (PIE), else shared
  Always, // local-exec in every module: the user promises it goes into an executable
  Shared, // the runtime's header in every module (initial-exec)
  Never,  // nowhere: every call calls the runtime
};

// -memscope-inline-tls-budget: the most bytes of counter-table slots one module's
// inline sites may take, 32 each (docs/pass.md, "The inline budget").  Since ABI 3
// the counts are in the runtime's table and a module's static TLS is a 24-byte header
// whatever the budget (the name is kept from when the counts were in TLS); by default
// every site up to the most the runtime arms (MEMSCOPE_INLINE_SLOTS_MAX).
constexpr unsigned DefaultInlineTlsBudget = 32u * MEMSCOPE_INLINE_SLOTS_MAX;

// The settings for one module, with the ignore list and wrapper list loaded.
class PassOptions {
public:
  // Reads the flags, the environment and the list files; a list that cannot be read
  // is reported through M's LLVMContext (an error: the build should not go on as if
  // nothing was ignored) and treated as empty.
  explicit PassOptions(llvm::Module &M);
  ~PassOptions();

  // Functions the source declares as allocators (__attribute__((malloc)), alloc_size)
  // are wrappers.
  bool DeclaredWrappers = true;
  // Functions that return what an allocation (or another wrapper) returned are
  // wrappers of their callers in the module (WrapperInference.h).
  bool InferWrappers = true;
  // Uses of an allocation function's address get a site (function pointers).
  bool AddressTaken = true;
  // Which modules count malloc and free inline.
  InlineMode Inline = InlineMode::Auto;
  // Bytes of table slots of the module's inline sites at most, 32 each; 0: none.
  unsigned InlineTlsBudget = DefaultInlineTlsBudget;

  // The ignore list names F (fun:) or its file (src:), by symbol or source name.
  bool ignores(const llvm::Function &F) const;
  // The ignore list names the function an inlined call was written in.
  bool ignores(const llvm::DISubprogram &SP) const;
  // F is named as a wrapper, by -memscope-wrappers or the wrapper list.
  bool namesWrapper(const llvm::Function &F) const;

private:
  bool listed(const llvm::SpecialCaseList *List, llvm::StringRef Prefix,
              llvm::StringRef Name) const;

  std::unique_ptr<llvm::SpecialCaseList> IgnoreList, WrapperList;
  std::vector<std::string> WrapperNames;
  std::string ModuleFile;
};

} // namespace memscope

#endif // MEMSCOPE_PASS_OPTIONS_H
