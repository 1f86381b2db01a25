/* Call stacks for sampled allocations, from libunwind (MEMSCOPE_STACK_DEPTH; always for
 * allocations by uninstrumented code, whose site says nothing about the caller).
 *
 * Taken only on the sampled path, never on the fast path.  libunwind is loaded with
 * dlopen by the runtime's constructor, where no allocator lock or loader lock of another
 * thread can be waited on (loading it later, from inside a malloc, could deadlock with a
 * thread that holds the loader lock and allocates); without it, samples have no stack.
 * The runtime's own frames are cut off by address: every runtime function is placed in
 * the section memscope_text (by clang's pragma in internal.h, by renaming the objects'
 * text sections for other compilers: CMakeLists.txt), whose bounds the linker provides.
 * The bounds are strong references: a runtime built without the section fails to link
 * instead of giving stacks that start inside the runtime.
 *
 * Where unwinding is not done: while the thread is inside the runtime already (busy:
 * e.g. an allocation made by libunwind itself or by a flush), and before the constructor
 * ran.  libunwind reads unwind tables through dl_iterate_phdr, which takes the loader's
 * list lock; glibc does not allocate while holding it, so a sampled allocation during
 * another thread's dlopen waits at most for that short section. */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "internal.h"

typedef int (*backtrace_fn)(void **buffer, int size);
static backtrace_fn unw_backtrace_fn;

extern const char __start_memscope_text[] __attribute__((visibility("hidden")));
extern const char __stop_memscope_text[] __attribute__((visibility("hidden")));

void ms_stacks_init(void) {
  static const char *const names[] = {"libunwind.so.8", "libunwind.so"};
  if (unw_backtrace_fn) return;
  uint8_t was_busy = ms_self.busy;
  ms_self.busy = 1; /* what the loader allocates is not the program's */
  for (size_t i = 0; i < sizeof names / sizeof *names && !unw_backtrace_fn; i++) {
    void *lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (lib) unw_backtrace_fn = (backtrace_fn)dlsym(lib, "unw_backtrace");
  }
  ms_self.busy = was_busy;
}

int ms_stacks_available(void) { return unw_backtrace_fn != NULL; }

static int in_runtime(uintptr_t ip) {
  return ip - (uintptr_t)__start_memscope_text <
         (uintptr_t)__stop_memscope_text - (uintptr_t)__start_memscope_text;
}

uint32_t ms_stack_capture(uint64_t *out, uint32_t max) {
  backtrace_fn fn = unw_backtrace_fn;
  if (!fn || max == 0) return 0;
  enum { RUNTIME_FRAMES_MAX = 16 };
  void *ips[MS_STACK_MAX + RUNTIME_FRAMES_MAX];
  if (max > MS_STACK_MAX) max = MS_STACK_MAX;
  int n = fn(ips, (int)(max + RUNTIME_FRAMES_MAX));
  int first = 0;
  while (first < n && in_runtime((uintptr_t)ips[first])) first++;
  uint32_t k = 0;
  for (int i = first; i < n && k < max; i++) out[k++] = (uintptr_t)ips[i];
  return k;
}
