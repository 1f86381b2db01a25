// Site descriptors (frames and stable IDs) and the data and constructor that hand them
// to the runtime.  docs/pass.md describes the ID recipe; changing anything in add() or
// assignIds() changes every site ID, so profiles from before and after no longer line up.
#include "SiteTable.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Demangle/Demangle.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstrTypes.h"
#include "llvm/IR/Instruction.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MD5.h"
#include "llvm/Support/Path.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include <algorithm>
#include <cstdlib>
#include <map>

using namespace llvm;

namespace memscope {

namespace {

// The bytes an ID is hashed from: fixed-width little-endian integers and
// length-prefixed strings, so that different keys never serialise alike.
class KeyWriter {
public:
  void u32(uint32_t V) {
    for (int Shift = 0; Shift < 32; Shift += 8)
      Bytes.push_back(static_cast<char>((V >> Shift) & 0xff));
  }
  void str(StringRef S) {
    u32(static_cast<uint32_t>(S.size()));
    Bytes.append(S.begin(), S.end());
  }
  const std::string &bytes() const { return Bytes; }

private:
  std::string Bytes;
};

} // namespace

// A frame as shown to users (File joined with the directory) and the file name as
// written in the debug info, which is what the ID uses: moving the build directory
// changes the former, not the latter.
struct SiteTable::DescribedFrame {
  SiteFrame Frame;
  std::string KeyFile;
};
using DescribedFrame = SiteTable::DescribedFrame;

// Shown with "." and ".." taken out (/usr/lib/gcc/x86_64-linux-gnu/12/../../../../include
// reads /usr/include), lexically: a path through a symlinked directory may then name
// another place, which is acceptable for display (the ID uses the name as written).
static std::string displayFile(StringRef Directory, StringRef Filename) {
  if (Filename.empty())
    return std::string();
  SmallString<256> Joined;
  if (!Directory.empty() && sys::path::is_relative(Filename))
    Joined = Directory;
  sys::path::append(Joined, Filename);
  sys::path::remove_dots(Joined, /*remove_dot_dot=*/true);
  return std::string(Joined.str());
}

// The qualified source name, "ns::Pool::process": the DISubprogram's name under the
// names of the namespaces and classes around it (from the debug info's scopes; no
// parameters, so that one function has one spelling).  A function in an anonymous
// namespace reads "(anonymous namespace)::f"; a member of a local class stops at the
// enclosing function.
static std::string subprogramName(const DISubprogram *SP) {
  if (!SP)
    return std::string();
  // A C++ function: its linkage name demangled without return type and parameters, the
  // spelling llvm-symbolizer's names take in the merge ("main::$_0::operator()"), so that
  // one function has one name whether a site or a stack names it.
  StringRef Linkage = SP->getLinkageName();
  if (Linkage.size() > 2 && Linkage[0] == '_' && Linkage[1] == 'Z') {
    std::string Mangled = Linkage.str(); // the demangler's tree points into it
    ItaniumPartialDemangler Demangler;
    if (!Demangler.partialDemangle(Mangled.c_str()) && Demangler.isFunction()) {
      size_t Size = 0;
      if (char *Name = Demangler.getFunctionName(nullptr, &Size)) {
        std::string Result(Name);
        std::free(Name);
        return Result;
      }
    }
  }
  if (SP->getName().empty())
    return SP->getLinkageName().str();
  std::string Name = SP->getName().str();
  for (const DIScope *Scope = SP->getScope(); Scope; Scope = Scope->getScope()) {
    StringRef Part;
    if (const auto *NS = dyn_cast<DINamespace>(Scope))
      Part = NS->getName().empty() ? StringRef("(anonymous namespace)") : NS->getName();
    else if (const auto *Type = dyn_cast<DICompositeType>(Scope))
      Part = Type->getName();
    else
      break; /* the file, the compile unit, or a function around a local class */
    if (Part.empty())
      break;
    Name = (Part + "::" + Name).str();
  }
  return Name;
}

// frames[0] is where the call is written, then one frame per inlined-at level; the
// last one is in the function that contains the call now.
static SmallVector<DescribedFrame, 2> framesFromDebugInfo(const DILocation *Loc,
                                                          const Function &Containing) {
  SmallVector<DescribedFrame, 2> Frames;
  for (const DILocation *L = Loc; L; L = L->getInlinedAt()) {
    DescribedFrame D;
    D.Frame.Function = subprogramName(L->getScope()->getSubprogram());
    if (D.Frame.Function.empty())
      D.Frame.Function = L->getInlinedAt() ? "<unknown>" : Containing.getName().str();
    D.Frame.File = displayFile(L->getDirectory(), L->getFilename());
    D.KeyFile = L->getFilename().str();
    D.Frame.Line = L->getLine();
    D.Frame.Column = L->getColumn();
    Frames.push_back(std::move(D));
  }
  return Frames;
}

// A call without a location: all we know is the function it is in now.  The file is
// that function's, when it has debug info, else the module's source file.
static DescribedFrame frameWithoutDebugInfo(const Function &F) {
  DescribedFrame D;
  const DISubprogram *SP = F.getSubprogram();
  D.Frame.Function = subprogramName(SP);
  if (D.Frame.Function.empty())
    D.Frame.Function = F.getName().str();
  if (SP && !SP->getFilename().empty()) {
    D.Frame.File = displayFile(SP->getDirectory(), SP->getFilename());
    D.KeyFile = SP->getFilename().str();
  } else {
    D.Frame.File = F.getParent()->getSourceFileName();
    D.KeyFile = D.Frame.File;
  }
  return D;
}

SiteTable::SiteTable(Module &M, const RuntimeTypes &Types) : M(M), Types(Types) {}

unsigned SiteTable::addSite(const Instruction &At, AllocApi Api, unsigned Ordinal) {
  return addChainSite({Level{&At, Ordinal}}, Api);
}

unsigned SiteTable::addChainSite(ArrayRef<Level> Levels, AllocApi Api) {
  SmallVector<DescribedFrame, 2> Frames;
  SmallVector<std::pair<std::string, unsigned>, 1> NoLocation;
  for (const Level &L : Levels) {
    const Function &F = *L.At->getFunction();
    if (const DILocation *Loc = L.At->getDebugLoc().get()) {
      Frames.append(framesFromDebugInfo(Loc, F));
    } else {
      // Without a location, the frame says little: the linkage name and the call's
      // rank in its function tell the calls of one function apart.
      Frames.push_back(frameWithoutDebugInfo(F));
      NoLocation.push_back({F.getName().str(), L.Ordinal});
    }
  }
  return add(Api, Frames, NoLocation);
}

unsigned SiteTable::addGlobalSite(const GlobalVariable &GV, AllocApi Api) {
  DescribedFrame D;
  D.Frame.Function = GV.getName().str();
  SmallVector<DIGlobalVariableExpression *, 1> Debug;
  GV.getDebugInfo(Debug);
  const DIGlobalVariable *Var = Debug.empty() ? nullptr : Debug.front()->getVariable();
  if (Var && !Var->getFilename().empty()) {
    D.Frame.File = displayFile(Var->getDirectory(), Var->getFilename());
    D.KeyFile = Var->getFilename().str();
    D.Frame.Line = Var->getLine();
  } else {
    D.Frame.File = M.getSourceFileName();
    D.KeyFile = D.Frame.File;
  }
  SmallVector<DescribedFrame, 2> Frames{std::move(D)};
  return add(Api, Frames, {{GV.getName().str(), 0u}});
}

unsigned SiteTable::add(AllocApi Api, SmallVectorImpl<DescribedFrame> &Frames,
                        ArrayRef<std::pair<std::string, unsigned>> NoLocation) {
  // What the site is, independent of where the build happens and of where its lines
  // are: the ID key (docs/pass.md) leaves lines and columns out, so that an edit above a
  // call (a comment, a new function) does not change its ID; assignIds() tells the
  // sites that share a key apart by the order of their positions.
  KeyWriter Key;
  Key.str("memscope.site.v2");
  Key.u32(static_cast<uint32_t>(Api));
  Key.u32(static_cast<uint32_t>(Frames.size()));
  for (const DescribedFrame &D : Frames) {
    Key.str(D.Frame.Function);
    Key.str(D.KeyFile);
  }
  for (const auto &[Name, Ordinal] : NoLocation) {
    Key.str(Name);
    Key.u32(Ordinal);
  }
  std::vector<uint32_t> Position;
  for (const DescribedFrame &D : Frames) {
    Position.push_back(D.Frame.Line);
    Position.push_back(D.Frame.Column);
  }
  // Identical keys and positions in one module are one site: the copies of an unrolled
  // loop, or two calls expanded from one macro use, have the same frames and no report
  // could tell them apart; as one site their counts add up where the source has one call.
  KeyWriter Whole;
  Whole.str(Key.bytes());
  for (uint32_t P : Position)
    Whole.u32(P);
  auto [It, Fresh] = KeyIndex.try_emplace(Whole.bytes(), static_cast<unsigned>(Sites.size()));
  if (!Fresh)
    return It->second;

  SiteDescriptor Site;
  Site.Api = Api;
  for (DescribedFrame &D : Frames)
    Site.Frames.push_back(std::move(D.Frame));
  Site.IdKey = Key.bytes();
  Site.Position = std::move(Position);
  Sites.push_back(std::move(Site));
  return Sites.size() - 1;
}

// Each site's ID: MD5 of its key and its rank, from 0, among the module's sites with
// that key, ordered by their positions (lines and columns, innermost frame first).
// Lines added or removed above a group of calls move all of them alike, so their ranks,
// and their IDs, stay.
void SiteTable::assignIds() {
  std::map<std::string, std::vector<unsigned>> Groups;
  for (unsigned I = 0; I < Sites.size(); ++I)
    Groups[Sites[I].IdKey].push_back(I);
  for (auto &[IdKey, Members] : Groups) {
    std::sort(Members.begin(), Members.end(), [&](unsigned A, unsigned B) {
      return Sites[A].Position < Sites[B].Position;
    });
    for (unsigned Rank = 0; Rank < Members.size(); ++Rank) {
      KeyWriter Key;
      Key.str(IdKey);
      Key.u32(Rank);
      MD5 Hash;
      Hash.update(Key.bytes());
      MD5::MD5Result Digest;
      Hash.final(Digest);
      uint64_t Id = Digest.low();
      Sites[Members[Rank]].Id = Id ? Id : 1; // 0 means "no known site" in the format
    }
  }
}

// A private NUL-terminated copy of S, shared by all users of the same text.
Constant *SiteTable::string(StringRef S) {
  Constant *&Slot = Strings[S];
  if (!Slot) {
    Constant *Init = ConstantDataArray::getString(M.getContext(), S, /*AddNull=*/true);
    auto *GV = new GlobalVariable(M, Init->getType(), /*isConstant=*/true,
                                  GlobalValue::PrivateLinkage, Init, StringGlobal);
    GV->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
    GV->setAlignment(Align(1));
    Slot = GV;
  }
  return Slot;
}

void SiteTable::emitSites() {
  assignIds();
  std::vector<Constant *> FrameInits;
  std::vector<unsigned> FirstFrame;
  for (const SiteDescriptor &Site : Sites) {
    FirstFrame.push_back(FrameInits.size());
    for (const SiteFrame &Frame : Site.Frames) {
      Constant *File =
          Frame.File.empty() ? ConstantPointerNull::get(Types.Ptr) : string(Frame.File);
      FrameInits.push_back(ConstantStruct::get(
          Types.Frame, {string(Frame.Function), File, ConstantInt::get(Types.I32, Frame.Line),
                        ConstantInt::get(Types.I32, Frame.Column)}));
    }
  }
  auto *FramesTy = ArrayType::get(Types.Frame, FrameInits.size());
  auto *FramesGV = new GlobalVariable(M, FramesTy, /*isConstant=*/true, GlobalValue::PrivateLinkage,
                                      ConstantArray::get(FramesTy, FrameInits), FramesGlobal);
  FramesGV->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);

  std::vector<Constant *> SiteInits;
  Constant *Zero = ConstantInt::get(Types.I32, 0);
  for (size_t I = 0; I < Sites.size(); ++I) {
    const SiteDescriptor &Site = Sites[I];
    Constant *Frames = ConstantExpr::getInBoundsGetElementPtr(
        FramesTy, FramesGV, ArrayRef<Constant *>{Zero, ConstantInt::get(Types.I32, FirstFrame[I])});
    SiteInits.push_back(ConstantStruct::get(
        Types.Site, {ConstantInt::get(Types.I64, Site.Id), Frames,
                     ConstantInt::get(Types.I32, Site.Frames.size()),
                     ConstantInt::get(Types.I32, static_cast<uint32_t>(Site.Api)),
                     /*index, set by the runtime=*/Zero, /*flags=*/Zero,
                     ConstantInt::get(Types.I32, Site.TlsSlot), /*reserved=*/Zero}));
  }
  // Writable: the runtime stores each site's process-wide index in it.
  auto *SitesTy = ArrayType::get(Types.Site, SiteInits.size());
  SitesGV = new GlobalVariable(M, SitesTy, /*isConstant=*/false, GlobalValue::InternalLinkage,
                               ConstantArray::get(SitesTy, SiteInits), SitesGlobal);
}

Constant *SiteTable::siteAddress(unsigned Index) const {
  assert(SitesGV && "emitSites() first");
  Constant *Zero = ConstantInt::get(Types.I32, 0);
  return ConstantExpr::getInBoundsGetElementPtr(
      SitesGV->getValueType(), SitesGV,
      ArrayRef<Constant *>{Zero, ConstantInt::get(Types.I32, Index)});
}

// `void Name(void) { Callee(Arg); }`, with the module's default function attributes
// (frame pointers, unwind tables) like any compiler-made function.
static Function *emitCallOnce(Module &M, StringRef Name, Function *Callee, Constant *Arg) {
  LLVMContext &Ctx = M.getContext();
  Function *F = Function::createWithDefaultAttr(
      FunctionType::get(Type::getVoidTy(Ctx), /*isVarArg=*/false), GlobalValue::InternalLinkage,
      M.getDataLayout().getProgramAddressSpace(), Name, &M);
  IRBuilder<> B(BasicBlock::Create(Ctx, "", F));
  B.CreateCall(Callee, {Arg});
  B.CreateRetVoid();
  return F;
}

void SiteTable::emitRegistration(Function *Register, Function *Unregister, Function *TlsBlock,
                                 uint32_t TlsSize, GlobalVariable *SlotBase) {
  assert(SitesGV && "emitSites() first");
  StringRef Name = M.getSourceFileName();
  if (Name.empty())
    Name = M.getModuleIdentifier();
  Constant *Null = ConstantPointerNull::get(Types.Ptr);
  Constant *Init = ConstantStruct::get(
      Types.ModuleDesc,
      {ConstantInt::get(Types.I32, AbiVersion), ConstantInt::get(Types.I32, Sites.size()), SitesGV,
       string(Name), /*next, the runtime's list link=*/Null,
       TlsBlock ? static_cast<Constant *>(TlsBlock) : Null, ConstantInt::get(Types.I32, TlsSize),
       /*reserved=*/ConstantInt::get(Types.I32, 0),
       SlotBase ? static_cast<Constant *>(SlotBase) : Null});
  // Writable: the runtime links registered modules through `next`.
  auto *ModuleGV = new GlobalVariable(M, Types.ModuleDesc, /*isConstant=*/false,
                                      GlobalValue::InternalLinkage, Init, ModuleGlobal);

  // Everything is internal to this object, so no comdat; the ctor/dtor arrays keep the
  // functions, which keep the descriptor, which keeps the sites.
  appendToGlobalCtors(M, emitCallOnce(M, ModuleCtor, Register, ModuleGV), CtorPriority);
  appendToGlobalDtors(M, emitCallOnce(M, ModuleDtor, Unregister, ModuleGV), CtorPriority);
}

} // namespace memscope
