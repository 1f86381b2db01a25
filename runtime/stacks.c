/* Call stacks for sampled allocations, from libunwind's unw_backtrace: on every sampled
 * event by default (MEMSCOPE_STACK_DEPTH, config.c; uninstrumented code's samples always
 * take at least MS_UNINSTRUMENTED_STACK_DEPTH, since their site says nothing about the
 * caller).  Why this unwinder and these depths: docs/runtime.md, "Stacks"
 * (bench/stack_bench measures them).
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
 * What an unwind may wait for or allocate, and why none of it can hang the program:
 *   - The loader's list lock (dl_iterate_phdr, to find unwind tables): glibc does not
 *     allocate while holding it, so a sample during another thread's dlopen waits at
 *     most for that short section; a dlopen's constructors run without it.
 *   - libunwind's cache of parsed unwind rules: one mutex, held while it reads the
 *     loader's list.  So no unwind may start on a thread that holds the list lock (a
 *     signal handler's sample inside dlopen or dlclose, an allocation inside a
 *     dl_iterate_phdr callback): it would wait for the mutex, whose holder waits for
 *     the list lock (hostile/stacks_storm hung so).  loader.c marks those threads.
 *     (Without the cache, UNW_CACHE_NONE, there is no mutex, but an unwind through a
 *     signal frame, which never hits the trace cache, took longer than a 50 us timer's
 *     period: hostile/sessions' handler never let main run again.)
 *   - Its per-thread trace cache: 256 KiB from mmap on a thread's first unwind (not
 *     malloc), freed by a key destructor at its exit; both calls come to unwind_pool.c,
 *     which hands the next thread a block an ended one gave back.
 *   - Its TLS block: libunwind was loaded by dlopen, so its __thread variables are in
 *     dynamic TLS, which glibc allocates with malloc on the thread's first use.  A malloc
 *     there is safe from an allocation's slow path (the thread holds no allocator lock:
 *     our slow paths run after the real call returned) but not from a signal handler
 *     that interrupted malloc (a handler's mmap is recorded too).  So the block is made
 *     ahead, where allocating is safe: for the main thread in the constructor, for every
 *     thread started by pthread_create before its start routine (ms_stacks_thread_start).
 *     A thread the runtime did not see start still makes it on its first unwind.
 *   - The loader's list itself: not read inside dlopen, dlclose or dl_iterate_phdr,
 *     nor during a fork, nor in a child forked while another thread was in the loader
 *     (loader.c says why).
 * The rest is the busy flag: no unwinding while the thread is inside the runtime already
 * (an allocation by the unwinder itself, a flush, or a signal handler's allocation that
 * interrupted an unwind of the same thread: that one is dropped, and counted). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

typedef ms_backtrace_fn backtrace_fn;
static backtrace_fn unw_backtrace_fn;
/* libunwind's TLS module (0: none, or not known). */
static size_t unw_tls_module;

extern const char __start_memscope_text[] __attribute__((visibility("hidden")));
extern const char __stop_memscope_text[] __attribute__((visibility("hidden")));

/* glibc's (the x86-64 and most other ABIs' name) */
struct ms_tls_index {
  unsigned long module, offset;
};
extern void *__tls_get_addr(struct ms_tls_index *ti);

/* The calling thread's block of libunwind's TLS, made now (busy: the loader's malloc is
 * the runtime's own, not the program's). */
static void make_tls_block(void) {
  if (!unw_tls_module) return;
  uint8_t was_busy = ms_self.busy;
  ms_self.busy = 1;
  struct ms_tls_index ti = {unw_tls_module, 0};
  (void)__tls_get_addr(&ti);
  ms_self.busy = was_busy;
}

/* (x86-64 and AArch64: the names of libunwind's local-only symbols, for redirect_imports) */
#if defined(__x86_64__)
#define MS_UNW_PREFIX "_ULx86_64_"
#elif defined(__aarch64__)
#define MS_UNW_PREFIX "_ULaarch64_"
#endif
/* libunwind checks that an address is readable by writing a byte from it into a pipe,
 * made when it starts, from the lowest free descriptors: two of the program's (its own
 * opens get other numbers, it reaches RLIMIT_NOFILE two files early, and a program that
 * closed them and opened its own files there would have libunwind read and write
 * those; hostile/descriptors).  Its call of pipe2 is sent here instead, by rewriting
 * the one slot of libunwind's GOT that holds pipe2's address (libunwind is ours: we
 * loaded it), and the pipe goes where the runtime's own file is, above the program's
 * (ms_os_move_fd_high).  libunwind makes it again if it finds it closed: that comes
 * here too. */
static int unwinder_pipe2(int fds[2], int flags) {
  int raw[2];
  if (pipe2(raw, flags) != 0) return -1;
  for (int i = 0; i < 2; i++) fds[i] = ms_os_move_fd_high(raw[i], MS_FD_CEILING);
  return 0;
}

/* libunwind blocks every signal around each use of its cache of unwind rules (two
 * sigprocmask calls), so that a signal handler that unwinds cannot wait for the cache's
 * lock held by the code it interrupted.  A thread's trace cache starts empty, and its first
 * unwinds look up every frame there: ~22 of those calls per thread at 512 threads, ~15
 * for each of 3,000 short-lived ones, ~2 us each on the test VM (a system call), about a
 * tenth of the short-lived threads' run.  So until a thread's unwinds find their frames
 * in the trace cache, ms_stack_capture blocks every signal once around the whole unwind
 * (two calls), and libunwind's calls in it, sent here (its GOT, as for pipe2), do
 * nothing: no handler can run on the thread meanwhile, which is what they were for.
 * Any other call (the program's own use of the same libunwind, a warm thread's rare
 * miss) is passed on as it was. */
/* (libunwind calls it from its key destructor too, after a sanitizer let go of the
 * thread: never instrumented, as unwind_pool.c's) */
__attribute__((disable_sanitizer_instrumentation)) static int unwinder_sigprocmask(int how, const sigset_t *set, sigset_t *old) {
  const sigset_t *saved = ms_self.unw_mask_saved;
  if (!saved) return pthread_sigmask(how, set, old) == 0 ? 0 : -1;
  ms_self.unw_mask_calls++;
  if (old) memcpy(old, saved, sizeof *old); /* (what libunwind puts back: a no-op too) */
  return 0;
}

/* A capture whose libunwind made fewer calls than this found (nearly) every frame in its
 * trace cache: the thread's next captures leave the masking to libunwind (no call at
 * all when nothing misses). */
#define MS_UNW_WARM_CALLS 4u

/* A thread's first MS_UNW_STEP_CAPTURES captures (internal.h) are unwound step by step
 * (unw_init_local, unw_step), not by unw_backtrace: a thread's first unw_backtrace makes
 * it a trace cache (256 KiB, all 16,384 entries written: ~50,000 instructions and 4,096
 * cache lines, plus a block of unwind_pool.c's, 64 new pages when none is free), which a
 * thread that samples a few times never earns back: a step-by-step unwind of 8 frames
 * costs ~5,700 instructions more than a cached one (bench/stacks), so a cache pays after
 * ~9 captures.  At 512 threads of bench/mixed_loop.c each thread samples ~9 times.  Then
 * unw_backtrace: a long-lived thread pays the steps once (~0.1 ms).  The frames are the
 * same either way (unit/runtime_sampling).  x86-64 only (unw_getcontext is a function
 * there; elsewhere an inline macro of libunwind's header, which this runtime, loading
 * libunwind with dlopen, does not use): elsewhere unw_backtrace from the first. */
#if defined(__x86_64__)
/* libunwind's local cursor (UNW_TDEP_CURSOR_LEN 127 words), its context (a ucontext_t)
 * and the IP's register number (UNW_X86_64_RIP) on x86-64: its ABI, as libunwind-x86_64.h
 * states it (not included: the runtime builds without libunwind's headers). */
struct unw_cursor_words {
  uint64_t w[127];
};
#define MS_UNW_REG_IP 16
static struct {
  int (*getcontext)(ucontext_t *);
  int (*init_local)(struct unw_cursor_words *, ucontext_t *);
  int (*step)(struct unw_cursor_words *);
  int (*get_reg)(struct unw_cursor_words *, int, uint64_t *);
} unw_steps; /* all four or none (getcontext NULL) */

static void find_steps(void *lib) {
  void *g = dlsym(lib, "_Ux86_64_getcontext"), *i = dlsym(lib, MS_UNW_PREFIX "init_local");
  void *s = dlsym(lib, MS_UNW_PREFIX "step"), *r = dlsym(lib, MS_UNW_PREFIX "get_reg");
  if (!g || !i || !s || !r) return;
  unw_steps.init_local = (int (*)(struct unw_cursor_words *, ucontext_t *))i;
  unw_steps.step = (int (*)(struct unw_cursor_words *))s;
  unw_steps.get_reg = (int (*)(struct unw_cursor_words *, int, uint64_t *))r;
  unw_steps.getcontext = (int (*)(ucontext_t *))g;
}

/* The context and cursor of a step-by-step unwind (~2 KiB). */
struct step_scratch {
  ucontext_t uc;
  struct unw_cursor_words cursor;
};
_Static_assert(MS_FRAMES_SCRATCH_AT + sizeof(struct step_scratch) <= MS_FRAMES_BYTES,
               "the scratch fits the frame buffer");

/* unw_backtrace's frames, unwound step by step: from the caller's frame on (this
 * function's own is stepped over, as unw_backtrace leaves out its own, and `skip` - 1
 * more), return addresses as unw_backtrace gives them.  The context and cursor in `s`:
 * the thread's frame buffer, a page its record keeps (warm for the next thread), rather
 * than 2 KiB deeper on a stack that a new thread has not touched there yet (a page fault
 * per thread that samples: 494 of a 512-thread run's faults, bench/mixed_loop.c). */
__attribute__((noinline)) static int step_backtrace(void **ips, int size,
                                                    struct step_scratch *s, int skip) {
  if (unw_steps.getcontext(&s->uc) < 0 || unw_steps.init_local(&s->cursor, &s->uc) < 0)
    return 0;
  while (skip-- > 0)
    if (unw_steps.step(&s->cursor) <= 0) return 0;
  struct unw_cursor_words *c = &s->cursor;
  int n = 0;
  while (n < size) {
    uint64_t ip;
    if (unw_steps.get_reg(c, MS_UNW_REG_IP, &ip) < 0) break;
    ips[n++] = (void *)(uintptr_t)ip;
    if (unw_steps.step(c) <= 0) break;
  }
  return n;
}

/* The same with the scratch on the stack (a thread without a frame buffer: a caller's
 * own room), this frame stepped over too. */
__attribute__((noinline)) static int step_backtrace_on_stack(void **ips, int size) {
  struct step_scratch s;
  int n = step_backtrace(ips, size, &s, 2);
  __asm__ volatile("" ::: "memory"); /* (no tail call: the frame skipped is this one) */
  return n;
}

static int step_capture(void **ips, int size) {
  if (!ms_self.frames) return step_backtrace_on_stack(ips, size);
  return step_backtrace(ips, size,
                        (struct step_scratch *)((char *)ms_self.frames + MS_FRAMES_SCRATCH_AT), 1);
}
static int steps_available(void) { return unw_steps.getcontext != NULL; }
#else
static void find_steps(void *lib) { (void)lib; }
static int step_capture(void **ips, int size) { (void)ips, (void)size; return 0; }
static int steps_available(void) { return 0; }
#endif

struct relro_find {
  uintptr_t base, start, end;
};
static int find_relro(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  struct relro_find *f = arg;
  if (info->dlpi_addr != f->base) return 0;
  for (int i = 0; i < info->dlpi_phnum; i++)
    if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO) {
      f->start = f->base + info->dlpi_phdr[i].p_vaddr;
      f->end = f->start + info->dlpi_phdr[i].p_memsz;
    }
  return 1;
}

/* A dynamic-section address: glibc relocates most in place, not on every architecture. */
static uintptr_t dyn_ptr(const struct link_map *lm, uintptr_t p) {
  return p < lm->l_addr ? p + lm->l_addr : p;
}

/* libunwind's imports sent to the runtime: the descriptors of its pipe (above), and its
 * mappings, so that a thread's trace cache is reused by the next (unwind_pool.c). */
struct redirect {
  const char *name;
  void *to;
};
static const struct redirect redirects[] = {
    {"pipe2", (void *)unwinder_pipe2},
    {"mmap", (void *)ms_unwind_pool_mmap},
    {"munmap", (void *)ms_unwind_pool_munmap},
    {"sigprocmask", (void *)unwinder_sigprocmask},
};

/* Rewrites the GOT slots of libunwind (ours: we loaded it) that hold those imports. */
static void redirect_imports(void *lib) {
#ifndef MS_UNW_PREFIX
  (void)lib;
  return;
#endif
  struct link_map *lm = NULL;
  if (dlinfo(lib, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !lm->l_ld) return;
  const ElfW(Sym) *symtab = NULL;
  const char *strtab = NULL;
  const ElfW(Rela) *tables[2] = {NULL, NULL};
  size_t sizes[2] = {0, 0};
  for (const ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++) {
    if (d->d_tag == DT_SYMTAB) symtab = (const ElfW(Sym) *)dyn_ptr(lm, d->d_un.d_ptr);
    else if (d->d_tag == DT_STRTAB) strtab = (const char *)dyn_ptr(lm, d->d_un.d_ptr);
    else if (d->d_tag == DT_JMPREL) tables[0] = (const ElfW(Rela) *)dyn_ptr(lm, d->d_un.d_ptr);
    else if (d->d_tag == DT_PLTRELSZ) sizes[0] = d->d_un.d_val;
    else if (d->d_tag == DT_RELA) tables[1] = (const ElfW(Rela) *)dyn_ptr(lm, d->d_un.d_ptr);
    else if (d->d_tag == DT_RELASZ) sizes[1] = d->d_un.d_val;
  }
  if (!symtab || !strtab) return;
  struct relro_find relro = {lm->l_addr, 0, 0};
  dl_iterate_phdr(find_relro, &relro);
  long page = sysconf(_SC_PAGESIZE);
  for (int t = 0; t < 2; t++)
    for (size_t i = 0; tables[t] && i < sizes[t] / sizeof(ElfW(Rela)); i++) {
      const ElfW(Rela) *r = &tables[t][i];
      size_t sym = ELF64_R_SYM(r->r_info); /* (x86-64 and AArch64: 64-bit, RELA) */
      if (!sym) continue;
      const struct redirect *to = NULL;
      for (size_t k = 0; k < sizeof redirects / sizeof *redirects; k++)
        if (strcmp(strtab + symtab[sym].st_name, redirects[k].name) == 0) to = &redirects[k];
      if (!to) continue;
      uintptr_t slot = lm->l_addr + r->r_offset;
      int in_relro = slot >= relro.start && slot < relro.end;
      void *at = (void *)(slot & ~(uintptr_t)(page - 1));
      if (in_relro && mprotect(at, (size_t)page, PROT_READ | PROT_WRITE) != 0) continue;
      __atomic_store_n((void **)slot, to->to, __ATOMIC_RELEASE);
      if (in_relro) mprotect(at, (size_t)page, PROT_READ);
    }
}

void ms_stacks_init(void) {
  static const char *const names[] = {"libunwind.so.8", "libunwind.so"};
  if (unw_backtrace_fn) return;
  uint8_t was_busy = ms_self.busy;
  ms_self.busy = 1; /* what the loader allocates is not the program's */
  ms_unwind_pool_init();
  for (size_t i = 0; i < sizeof names / sizeof *names && !unw_backtrace_fn; i++) {
    void *lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) continue;
    unw_backtrace_fn = (backtrace_fn)dlsym(lib, "unw_backtrace");
    if (unw_backtrace_fn) find_steps(lib);
    redirect_imports(lib); /* before any call: libunwind starts (makes its pipe) in any */
    size_t module = 0;
    if (unw_backtrace_fn && dlinfo(lib, RTLD_DI_TLS_MODID, &module) == 0)
      unw_tls_module = module;
  }
  make_tls_block();
  if (unw_backtrace_fn) { /* libunwind starts (its pipe) here, not in a program's call */
    void *ip[1];
    unw_backtrace_fn(ip, 1);
  }
  ms_self.busy = was_busy;
}

void ms_stacks_thread_start(void) {
  if (unw_backtrace_fn) make_tls_block();
}

int ms_stacks_available(void) { return unw_backtrace_fn != NULL; }

static int in_runtime(uint64_t ip) {
  return ip - (uintptr_t)__start_memscope_text <
         (uintptr_t)__stop_memscope_text - (uintptr_t)__start_memscope_text;
}

/* The most runtime frames seen on top of a stack (1 to 3 with clang; learnt, since it
 * depends on the compiler and the path): each capture asks libunwind for that many more
 * than it keeps, and every frame asked for costs ~80 instructions. */
static _Atomic uint32_t runtime_frames = 4;

ms_backtrace_fn ms_stack_begin(uint32_t *max, uint32_t *want) {
  backtrace_fn fn = unw_backtrace_fn;
  if (!fn || *max == 0) return NULL;
  if (*max > MS_STACK_MAX) *max = MS_STACK_MAX;
  if (!ms_loader_list_enter()) return NULL; /* (loader.c) */
  *want = *max + atomic_load_explicit(&runtime_frames, memory_order_relaxed);
  return fn;
}

uint32_t ms_stack_end(uint64_t *room, int n, uint32_t max) {
  ms_loader_list_leave();
  uint32_t skip = atomic_load_explicit(&runtime_frames, memory_order_relaxed);
  uint32_t first = 0;
  while (first < (uint32_t)n && in_runtime(room[first])) first++;
  if (MS_UNLIKELY(first > skip)) { /* a deeper path: this stack lost its last frames */
    uint32_t seen = first < MS_RUNTIME_FRAMES_MAX ? first : MS_RUNTIME_FRAMES_MAX;
    while (skip < seen && !atomic_compare_exchange_weak_explicit(
                              &runtime_frames, &skip, seen, memory_order_relaxed,
                              memory_order_relaxed)) {
    }
  }
  /* The runtime's frames further down are left out too: its interposers (pthread_create,
   * dlopen) are on the path of what libc allocates for them, and are nobody's code.  In
   * place: each kept frame moves down over the ones left out (k <= i). */
  uint32_t k = 0;
  for (int i = (int)first; i < n && k < max; i++)
    if (!in_runtime(room[i])) room[k++] = room[i];
  return k;
}

uint32_t ms_stack_capture(uint64_t *room, uint32_t max) {
  uint32_t want = 0;
  backtrace_fn fn = ms_stack_begin(&max, &want);
  if (!fn) return 0;
  /* (a step-by-step unwind looks every frame up in libunwind's cache of rules: 2 of
   * its sigprocmask calls each, so it is masked as a cold one is) */
  int step = ms_self.unw_stepped < MS_UNW_STEP_CAPTURES && steps_available();
  sigset_t all, saved;
  if (!ms_self.unw_warm && sigfillset(&all) == 0 &&
      pthread_sigmask(SIG_SETMASK, &all, &saved) == 0) { /* (unwinder_sigprocmask) */
    ms_self.unw_mask_calls = 0;
    ms_self.unw_mask_saved = &saved;
  }
  int n = step ? step_capture((void **)room, (int)want) : fn((void **)room, (int)want);
  ms_self.unw_stepped += (uint8_t)step;
  if (ms_self.unw_mask_saved) {
    ms_self.unw_mask_saved = NULL; /* (still blocked: no handler sees it set) */
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (!step && ms_self.unw_mask_calls < MS_UNW_WARM_CALLS) ms_self.unw_warm = 1;
  }
  return ms_stack_end(room, n, max);
}
