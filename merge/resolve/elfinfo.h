/* What the symbolization needs from an ELF image, read by hand with <elf.h> (elfinfo.c):
 * its loadable segments (to know which addresses fall in it) and its GNU build id (to
 * know that the file is the one that was loaded).  64-bit ELF in the host's byte order
 * only: what the runtime records on x86-64 and AArch64. */
#ifndef MEMSCOPE_MERGE_ELFINFO_H
#define MEMSCOPE_MERGE_ELFINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_ELF_MAX_LOADS 32

struct mg_elf_info {
  char build_id[129]; /* lowercase hex, "" when the file has none */
  struct mg_elf_load {
    uint64_t vaddr, memsz;
  } loads[MG_ELF_MAX_LOADS]; /* PT_LOAD segments, in file order */
  size_t nloads;
};

/* Reads path's program headers and build-id note.  false with a message in err (what is
 * wrong, without the path) when the file cannot be opened or is not such an ELF file. */
bool mg_elf_read(const char *path, struct mg_elf_info *info, char *err, size_t errsize);

/* True when the relative address falls in one of the loadable segments. */
bool mg_elf_contains(const struct mg_elf_info *info, uint64_t rel);
/* The end of the highest loadable segment (relative addresses), 0 without any. */
uint64_t mg_elf_extent(const struct mg_elf_info *info);

#endif
