/* Loaded images, for offline symbolization: a MODULE record per image (path, load bias,
 * GNU build-id) when the file opens and again after any dlopen/dlclose.
 *
 * glibc counts loads and unloads (dlpi_adds, dlpi_subs); comparing them with what was
 * last written costs one dl_iterate_phdr callback, so the check runs at every flush.
 * The build-id is read from the image's PT_NOTE segments in memory: no file is opened. */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdatomic.h>
#include <string.h>

#include "internal.h"

static _Atomic uint64_t written_generation; /* adds + subs when last written, +1 */

static int read_generation(struct dl_phdr_info *info, size_t size, void *out) {
  if (size < offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) return 1;
  *(uint64_t *)out = info->dlpi_adds + info->dlpi_subs + 1;
  return 1; /* the counters are the same in every entry: stop at the first */
}

static void build_id_hex(const struct dl_phdr_info *info, char *out, size_t cap) {
  out[0] = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_NOTE) continue;
    const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
      const char *name = p + sizeof *n;
      const unsigned char *desc = (const unsigned char *)name + ((n->n_namesz + 3) & ~3u);
      if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
        size_t len = 0;
        for (uint32_t k = 0; k < n->n_descsz && len + 2 < cap; k++) {
          out[len++] = "0123456789abcdef"[desc[k] >> 4];
          out[len++] = "0123456789abcdef"[desc[k] & 15];
        }
        out[len] = 0;
        return;
      }
      p = (const char *)desc + ((n->n_descsz + 3) & ~3u);
    }
  }
}

struct encode_ctx {
  struct ms_wbuf *b;
  uint64_t ts;
  int first;
  char exe[4096]; /* the program's path, for its entry (the first, named "") */
};

static int encode_one(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  struct encode_ctx *ctx = arg;
  char id[2 * 64 + 1];
  build_id_hex(info, id, sizeof id);
  const char *path = info->dlpi_name ? info->dlpi_name : "";
  if (ctx->first && !path[0]) path = ctx->exe;
  ctx->first = 0;
  ms_encode_module(ctx->b, path, info->dlpi_addr, id, ctx->ts);
  return 0;
}

/* The loader's list, when it may be read (loader.c): 0 when not. */
static int iterate(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data) {
  if (!ms_loader_list_enter()) return 0;
  dl_iterate_phdr(cb, data);
  ms_loader_list_leave();
  return 1;
}

void ms_modules_encode_all(struct ms_wbuf *b) {
  uint64_t generation = 0;
  if (!iterate(read_generation, &generation)) return;
  struct encode_ctx ctx; /* 4 KiB of stack: flushes and the file's opening only */
  ctx.b = b;
  ctx.ts = ms_os_now_ns();
  ctx.first = 1;
  ms_os_readlink("/proc/self/exe", ctx.exe, sizeof ctx.exe);
  if (!iterate(encode_one, &ctx)) return;
  atomic_store_explicit(&written_generation, generation, memory_order_relaxed);
}

void ms_modules_check(void) {
  uint64_t generation = 0;
  if (!iterate(read_generation, &generation)) return;
  if (generation == atomic_load_explicit(&written_generation, memory_order_relaxed)) return;
  struct ms_wbuf b;
  if (ms_wbuf_init(&b, 16 << 10)) return;
  ms_modules_encode_all(&b);
  ms_output_write(&b);
  ms_wbuf_release(&b);
}
