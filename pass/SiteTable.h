// The per-module site table: one struct __memscope_site per rewritten call, its frames
// and strings, the module descriptor, and the constructor/destructor that register it.
#ifndef MEMSCOPE_PASS_SITETABLE_H
#define MEMSCOPE_PASS_SITETABLE_H

#include "AllocationCalls.h"
#include "RuntimeInterface.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llvm {
class Constant;
class GlobalVariable;
class Module;
} // namespace llvm

namespace memscope {

// One source location of a site, as it will be stored in a struct __memscope_frame.
struct SiteFrame {
  std::string Function; // never empty
  std::string File;     // directory joined to a relative name; empty when unknown
  uint32_t Line = 0;
  uint32_t Column = 0;
};

struct SiteDescriptor {
  AllocApi Api;
  llvm::SmallVector<SiteFrame, 2> Frames; // innermost first
  uint64_t Id = 0;                        // never 0
};

class SiteTable {
public:
  SiteTable(llvm::Module &M, const RuntimeTypes &Types);

  // Describes the site of Call and gives it its ID; sites are numbered in the order
  // they are added (instruction order, so the table is deterministic).
  void addSite(const AllocationCall &Call);

  // Emits the strings, frames and the site array; afterwards siteAddress(I) is the
  // address of the I-th site, to pass to the runtime.
  void emitSites();
  llvm::Constant *siteAddress(unsigned Index) const;

  // Emits the module descriptor, and a constructor/destructor pair that hands it to
  // Register/Unregister (MEMSCOPE_REGISTER_FN / MEMSCOPE_UNREGISTER_FN).
  void emitRegistration(llvm::Function *Register, llvm::Function *Unregister);

private:
  llvm::Constant *string(llvm::StringRef S);

  llvm::Module &M;
  const RuntimeTypes &Types;
  std::vector<SiteDescriptor> Sites;
  // How many earlier sites of this module had the same ID key (see addSite).
  llvm::StringMap<unsigned> KeyCounts;
  llvm::StringMap<llvm::Constant *> Strings;
  llvm::GlobalVariable *SitesGV = nullptr;
};

} // namespace memscope

#endif // MEMSCOPE_PASS_SITETABLE_H
