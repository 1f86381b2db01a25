// Flags, their environment fallbacks, and the two list files.
#include "Options.h"

#include "LLVMCompat.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/SpecialCaseList.h"

#include <cstdlib>

using namespace llvm;

namespace memscope {

static cl::opt<std::string>
    IgnoreListFlag("memscope-ignorelist", cl::value_desc("file"),
                   cl::desc("memscope: functions (fun:) and files (src:) not to instrument, "
                            "in the sanitizers' special case list format "
                            "[env MEMSCOPE_PASS_IGNORELIST]"));
static cl::list<std::string>
    WrappersFlag("memscope-wrappers", cl::CommaSeparated, cl::value_desc("name,..."),
                 cl::desc("memscope: allocation wrappers, by symbol or source name "
                          "[env MEMSCOPE_PASS_WRAPPERS]"));
static cl::opt<std::string>
    WrapperListFlag("memscope-wrapper-list", cl::value_desc("file"),
                    cl::desc("memscope: allocation wrappers (fun:), special case list format "
                             "[env MEMSCOPE_PASS_WRAPPER_LIST]"));
static cl::opt<bool> DeclaredWrappersFlag(
    "memscope-declared-wrappers", cl::init(true),
    cl::desc("memscope: functions declared as allocators (malloc, alloc_size attributes) "
             "are allocation wrappers [env MEMSCOPE_PASS_DECLARED_WRAPPERS=0|1]"));
static cl::opt<bool> InferWrappersFlag(
    "memscope-infer-wrappers", cl::init(true),
    cl::desc("memscope: functions that return what an allocation call or another wrapper "
             "returned are allocation wrappers of their callers in the same module "
             "[env MEMSCOPE_PASS_INFER_WRAPPERS=0|1]"));
static cl::opt<bool> AddressTakenFlag(
    "memscope-address-taken", cl::init(true),
    cl::desc("memscope: calls through a taken address of an allocation function are "
             "recorded where the address was taken [env MEMSCOPE_PASS_ADDRESS_TAKEN=0|1]"));

static cl::opt<InlineMode> InlineFlag(
    "memscope-inline", cl::init(InlineMode::Auto),
    cl::desc("memscope: count malloc, calloc, realloc, free, the aligned allocators and "
             "C++ new/delete in the caller, through a thread-local header, instead of "
             "calling the runtime [env MEMSCOPE_PASS_INLINE, formerly MEMSCOPE_INLINE]"),
    cl::values(clEnumValN(InlineMode::Auto, "auto",
                          "in every module: a local-exec header of its own in a PIE module, "
                          "the runtime's (initial-exec) in the others"),
               clEnumValN(InlineMode::Always, "always",
                          "a local-exec header in every module (it must be linked into an "
                          "executable)"),
               clEnumValN(InlineMode::Shared, "shared",
                          "the runtime's header (initial-exec) in every module"),
               clEnumValN(InlineMode::Never, "never", "never: call the runtime")));
static cl::opt<unsigned> InlineTlsBudgetFlag(
    "memscope-inline-tls-budget", cl::init(DefaultInlineTlsBudget), cl::value_desc("bytes"),
    cl::desc("memscope: the most bytes of counter slots (32 per site) a module's inline "
             "sites may take; sites beyond it, in site order, call the runtime (0: none "
             "inline) "
             "[env MEMSCOPE_PASS_INLINE_TLS_BUDGET]"));

// The flag when given, else the environment variable when set, else the default.
static std::string stringSetting(const cl::opt<std::string> &Flag, const char *Env) {
  if (Flag.getNumOccurrences() > 0)
    return Flag;
  const char *V = std::getenv(Env);
  return V ? V : "";
}

static bool boolSetting(const cl::opt<bool> &Flag, const char *Env) {
  if (Flag.getNumOccurrences() > 0)
    return Flag;
  const char *V = std::getenv(Env);
  if (!V || !*V)
    return Flag;
  StringRef S(V);
  return !(S == "0" || S.equals_insensitive("false") || S.equals_insensitive("no") ||
           S.equals_insensitive("off"));
}

// The flag when given, else MEMSCOPE_PASS_INLINE when set, else MEMSCOPE_INLINE (its
// former name, still read) when set, else auto.  The value is auto, always, shared or never;
// anything else is an error, so that a typo does not silently change the build.
static InlineMode inlineSetting(Module &M) {
  if (InlineFlag.getNumOccurrences() > 0)
    return InlineFlag;
  const char *Name = "MEMSCOPE_PASS_INLINE";
  const char *V = std::getenv(Name);
  if (!V || !*V) {
    Name = "MEMSCOPE_INLINE";
    V = std::getenv(Name);
  }
  if (!V || !*V)
    return InlineFlag;
  StringRef S = StringRef(V).trim();
  if (S.equals_insensitive("auto"))
    return InlineMode::Auto;
  if (S.equals_insensitive("always"))
    return InlineMode::Always;
  if (S.equals_insensitive("shared"))
    return InlineMode::Shared;
  if (S.equals_insensitive("never"))
    return InlineMode::Never;
  M.getContext().emitError("memscope: " + Twine(Name) + "='" + Twine(V) +
                           "' is none of auto, always, shared, never");
  return InlineFlag;
}

// The flag when given, else MEMSCOPE_PASS_INLINE_TLS_BUDGET when set (a number of
// bytes; anything else is an error, as for MEMSCOPE_PASS_INLINE), else the default.
static unsigned inlineTlsBudgetSetting(Module &M) {
  if (InlineTlsBudgetFlag.getNumOccurrences() > 0)
    return InlineTlsBudgetFlag;
  const char *V = std::getenv("MEMSCOPE_PASS_INLINE_TLS_BUDGET");
  if (!V || !*V)
    return InlineTlsBudgetFlag;
  unsigned Bytes = 0;
  if (StringRef(V).trim().getAsInteger(10, Bytes)) {
    M.getContext().emitError("memscope: MEMSCOPE_PASS_INLINE_TLS_BUDGET='" + Twine(V) +
                             "' is not a number of bytes");
    return InlineTlsBudgetFlag;
  }
  return Bytes;
}

static std::unique_ptr<SpecialCaseList> loadList(Module &M, const std::string &Path,
                                                 const char *What) {
  if (Path.empty())
    return nullptr;
  std::string Error;
  std::unique_ptr<SpecialCaseList> List = compat::loadSpecialCaseList(Path, Error);
  if (!List)
    M.getContext().emitError("memscope: cannot use the " + Twine(What) + " '" + Path +
                             "': " + Error);
  return List;
}

PassOptions::PassOptions(Module &M) : ModuleFile(M.getSourceFileName()) {
  DeclaredWrappers = boolSetting(DeclaredWrappersFlag, "MEMSCOPE_PASS_DECLARED_WRAPPERS");
  InferWrappers = boolSetting(InferWrappersFlag, "MEMSCOPE_PASS_INFER_WRAPPERS");
  AddressTaken = boolSetting(AddressTakenFlag, "MEMSCOPE_PASS_ADDRESS_TAKEN");
  Inline = inlineSetting(M);
  InlineTlsBudget = inlineTlsBudgetSetting(M);
  IgnoreList = loadList(M, stringSetting(IgnoreListFlag, "MEMSCOPE_PASS_IGNORELIST"),
                        "ignore list");
  WrapperList = loadList(M, stringSetting(WrapperListFlag, "MEMSCOPE_PASS_WRAPPER_LIST"),
                         "wrapper list");
  if (WrappersFlag.getNumOccurrences() > 0) {
    WrapperNames.assign(WrappersFlag.begin(), WrappersFlag.end());
  } else if (const char *Env = std::getenv("MEMSCOPE_PASS_WRAPPERS")) {
    SmallVector<StringRef, 8> Names;
    StringRef(Env).split(Names, ',', -1, /*KeepEmpty=*/false);
    for (StringRef N : Names)
      WrapperNames.push_back(N.trim().str());
  }
}

PassOptions::~PassOptions() = default;

// Sections: entries under [memscope] or before any section header (which the list
// format puts in a section that matches every name).
bool PassOptions::listed(const SpecialCaseList *List, StringRef Prefix, StringRef Name) const {
  return List && !Name.empty() && List->inSection("memscope", Prefix, Name);
}

static std::string subprogramFile(const DISubprogram &SP) {
  return SP.getFile() ? SP.getFile()->getFilename().str() : std::string();
}

bool PassOptions::ignores(const Function &F) const {
  if (!IgnoreList)
    return false;
  const DISubprogram *SP = F.getSubprogram();
  return listed(IgnoreList.get(), "fun", F.getName()) ||
         (SP && ignores(*SP)) || listed(IgnoreList.get(), "src", ModuleFile);
}

bool PassOptions::ignores(const DISubprogram &SP) const {
  return IgnoreList && (listed(IgnoreList.get(), "fun", SP.getName()) ||
                        listed(IgnoreList.get(), "fun", SP.getLinkageName()) ||
                        listed(IgnoreList.get(), "src", subprogramFile(SP)));
}

bool PassOptions::namesWrapper(const Function &F) const {
  StringRef Source = F.getSubprogram() ? F.getSubprogram()->getName() : StringRef();
  for (const std::string &N : WrapperNames)
    if (N == F.getName() || (!Source.empty() && N == Source))
      return true;
  return listed(WrapperList.get(), "fun", F.getName()) ||
         listed(WrapperList.get(), "fun", Source);
}

} // namespace memscope
