// The per-module site table: one struct __memscope_site per site (a rewritten or
// inline-counted call, a wrapper call, an address use), its frames and strings, the
// module descriptor, and the constructor/destructor that register it.
#ifndef MEMSCOPE_PASS_SITETABLE_H
#define MEMSCOPE_PASS_SITETABLE_H

#include "RuntimeInterface.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class Constant;
class GlobalVariable;
class Instruction;
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
  uint64_t Id = 0;                        // never 0; set by emitSites()
  // What the ID is made of (docs/pass.md, "Site IDs"): the key without lines and
  // columns, and the lines and columns that rank the site among those with that key.
  std::string IdKey;
  std::vector<uint32_t> Position;
  uint32_t TlsSlot = 0; // an inline site's counters in the thread-local block; 0: none
};

class SiteTable {
public:
  SiteTable(llvm::Module &M, const RuntimeTypes &Types);

  // Describes a site at instruction At (a call, or where an allocation function's
  // address is used) and gives it its ID; Ordinal is its rank among the sites of its
  // function, in instruction order, used in the ID when At has no debug location.
  // Sites are numbered in the order they are first added (instruction order, so the
  // table is deterministic); returns the number, that of the existing site when one
  // with the same frames and API was added before.
  unsigned addSite(const llvm::Instruction &At, AllocApi Api, unsigned Ordinal);
  // One level of a site made through inferred wrappers: a call and its ordinal.
  struct Level {
    const llvm::Instruction *At;
    unsigned Ordinal;
  };
  // A site through inferred wrappers (WrapperInference.h): Levels innermost first, the
  // leaf call in the innermost wrapper, then each wrapper call, then the caller's call;
  // the frames are each level's in turn, as if the wrappers had been inlined.  One
  // level is addSite().
  unsigned addChainSite(llvm::ArrayRef<Level> Levels, AllocApi Api);
  // A site for an allocation function's address stored in the initializer of GV:
  // one frame naming the variable, where its debug info says it is declared.
  unsigned addGlobalSite(const llvm::GlobalVariable &GV, AllocApi Api);
  bool empty() const { return Sites.empty(); }
  unsigned size() const { return Sites.size(); }
  AllocApi api(unsigned Index) const { return Sites[Index].Api; }
  // An inline site's tls_slot (InlineFastPath.h); before emitSites(), which writes it
  // into the site.
  void setTlsSlot(unsigned Index, uint32_t Offset) { Sites[Index].TlsSlot = Offset; }
  uint32_t tlsSlot(unsigned Index) const { return Sites[Index].TlsSlot; }

  struct DescribedFrame; // a frame and the file name its ID uses (SiteTable.cpp)

  // Emits the strings, frames and the site array; afterwards siteAddress(I) is the
  // address of the I-th site, to pass to the runtime.
  void emitSites();
  llvm::Constant *siteAddress(unsigned Index) const;

  // Emits the module descriptor, and a constructor/destructor pair that hands it to
  // Register/Unregister (MEMSCOPE_REGISTER_FN / MEMSCOPE_UNREGISTER_FN).  TlsBlock
  // returns the thread-local block of TlsSize bytes of the inline sites; null and 0
  // when the module has none.  SlotBase: the shared form's slot base (abi.h), or null.
  void emitRegistration(llvm::Function *Register, llvm::Function *Unregister,
                        llvm::Function *TlsBlock, uint32_t TlsSize,
                        llvm::GlobalVariable *SlotBase);

private:
  void assignIds();
  llvm::Constant *string(llvm::StringRef S);
  // NoLocation: for each level without a debug location, innermost first, the symbol
  // of its function and its ordinal.
  unsigned add(AllocApi Api, llvm::SmallVectorImpl<DescribedFrame> &Frames,
               llvm::ArrayRef<std::pair<std::string, unsigned>> NoLocation);

  llvm::Module &M;
  const RuntimeTypes &Types;
  std::vector<SiteDescriptor> Sites;
  // The site of each ID key seen so far (see add()).
  llvm::StringMap<unsigned> KeyIndex;
  llvm::StringMap<llvm::Constant *> Strings;
  llvm::GlobalVariable *SitesGV = nullptr;
};

} // namespace memscope

#endif // MEMSCOPE_PASS_SITETABLE_H
