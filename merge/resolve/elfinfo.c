/* Reading an ELF image's program headers and build id (elf.h). */
#include "elfinfo.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static bool read_at(int fd, void *buf, size_t len, uint64_t off) {
  return mg_pread_full(fd, buf, len, off) == (long)len;
}

/* Looks for NT_GNU_BUILD_ID in the notes at [off, off + size). */
static bool build_id_in_notes(int fd, uint64_t off, uint64_t size, uint64_t file_size,
                              char *out, size_t outsize) {
  unsigned char buf[4096];
  if (size == 0 || off >= file_size)
    return false;
  if (size > sizeof buf)
    size = sizeof buf; /* a build-id note comes first in practice, and is small */
  if (off + size > file_size)
    size = file_size - off;
  if (!read_at(fd, buf, (size_t)size, off))
    return false;
  size_t pos = 0;
  while (pos + sizeof(Elf64_Nhdr) <= size) {
    Elf64_Nhdr nh;
    memcpy(&nh, buf + pos, sizeof nh);
    size_t name_at = pos + sizeof nh;
    size_t desc_at = name_at + ((nh.n_namesz + 3) & ~3u);
    size_t next = desc_at + ((nh.n_descsz + 3) & ~3u);
    if (desc_at > size || next > size || next <= pos)
      return false;
    if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
        memcmp(buf + name_at, "GNU", 4) == 0 && nh.n_descsz > 0 &&
        2 * (size_t)nh.n_descsz < outsize) {
      for (size_t i = 0; i < nh.n_descsz; i++)
        snprintf(out + 2 * i, 3, "%02x", buf[desc_at + i]);
      return true;
    }
    pos = next;
  }
  return false;
}

bool mg_elf_read(const char *path, struct mg_elf_info *info, char *err, size_t errsize) {
  memset(info, 0, sizeof *info);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, errsize, "cannot open: %s", strerror(errno));
    return false;
  }
  struct stat st;
  Elf64_Ehdr eh;
  bool ok = false;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errsize, "not a regular file");
    goto out;
  }
  if (!read_at(fd, &eh, sizeof eh, 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    snprintf(err, errsize, "not an ELF file");
    goto out;
  }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  unsigned char native = ELFDATA2LSB;
#else
  unsigned char native = ELFDATA2MSB;
#endif
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != native) {
    snprintf(err, errsize, "not a 64-bit ELF file of this machine's byte order");
    goto out;
  }
  uint64_t size = (uint64_t)st.st_size;
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff >= size ||
      eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > size) {
    snprintf(err, errsize, "bad program header table");
    goto out;
  }
  bool have_id = false;
  for (unsigned i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    if (!read_at(fd, &ph, sizeof ph, eh.e_phoff + (uint64_t)i * sizeof ph)) {
      snprintf(err, errsize, "cannot read program header %u", i);
      goto out;
    }
    if (ph.p_type == PT_LOAD && ph.p_memsz && info->nloads < MG_ELF_MAX_LOADS)
      info->loads[info->nloads++] = (struct mg_elf_load){ph.p_vaddr, ph.p_memsz};
    else if (ph.p_type == PT_NOTE && !have_id)
      have_id = build_id_in_notes(fd, ph.p_offset, ph.p_filesz, size, info->build_id,
                                  sizeof info->build_id);
  }
  /* Separate debug files keep the note sections but their segments may carry no bytes:
   * look at the SHT_NOTE sections too. */
  if (!have_id && eh.e_shentsize == sizeof(Elf64_Shdr) && eh.e_shoff < size &&
      eh.e_shoff + (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) <= size) {
    for (unsigned i = 0; i < eh.e_shnum && !have_id; i++) {
      Elf64_Shdr sh;
      if (!read_at(fd, &sh, sizeof sh, eh.e_shoff + (uint64_t)i * sizeof sh))
        break;
      if (sh.sh_type == SHT_NOTE)
        have_id = build_id_in_notes(fd, sh.sh_offset, sh.sh_size, size, info->build_id,
                                    sizeof info->build_id);
    }
  }
  if (!have_id)
    info->build_id[0] = '\0';
  ok = true;
out:
  close(fd);
  return ok;
}

bool mg_elf_contains(const struct mg_elf_info *info, uint64_t rel) {
  for (size_t i = 0; i < info->nloads; i++)
    if (rel >= info->loads[i].vaddr && rel - info->loads[i].vaddr < info->loads[i].memsz)
      return true;
  return false;
}

uint64_t mg_elf_extent(const struct mg_elf_info *info) {
  uint64_t end = 0;
  for (size_t i = 0; i < info->nloads; i++)
    if (info->loads[i].vaddr + info->loads[i].memsz > end)
      end = info->loads[i].vaddr + info->loads[i].memsz;
  return end;
}
