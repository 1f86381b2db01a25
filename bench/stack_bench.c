/* What one call stack costs to capture, per unwinder and depth (docs/runtime.md,
 * "Stacks"): libunwind's unw_backtrace (loaded by dlopen, as the runtime does), glibc's
 * backtrace() (warmed first: its first call loads libgcc_s and allocates) and, as a
 * reference only, a walk of the frame-pointer chain (this program is built with frame
 * pointers; most libraries are not, so it cannot be the runtime's).  Each is timed from
 * the bottom of a chain of ~40 frames (recursion that passes through a shared library
 * every few frames), warm (the same stack again and again: the usual case, a program's
 * hot allocation sites) and cold (the first capture on a new thread).
 * STACK_BENCH_NO_RULE_CACHE=1 turns libunwind's cache of parsed unwind rules off.
 * x86-64 only (libunwind's symbol names).
 * Usage: stack_bench [CAPTURES]   one line per unwinder and depth, in ns/capture
 *        stack_bench UNWINDER DEPTH CAPTURES   only those captures (for callgrind) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>

int stack_lib_hop(int n, int (*back)(int));

#define CHAIN 40 /* frames of recursion above the measuring frame */
typedef int (*unwinder)(void **buf, int size);
static unwinder unw_backtrace_fn;
static long captures = 200000;
static int depths[] = {8, 16, 32, 64};
static volatile uintptr_t sink;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Frame-pointer walk: [rbp] is the caller's rbp, [rbp+8] the return address. */
__attribute__((noinline)) static int fp_backtrace(void **buf, int size) {
  void **fp = __builtin_frame_address(0);
  int n = 0;
  while (fp && n < size) {
    void *ret = fp[1];
    if (!ret) break;
    buf[n++] = ret;
    void **next = fp[0];
    if (next <= fp || (uintptr_t)next - (uintptr_t)fp > (1u << 20)) break;
    fp = next;
  }
  return n;
}

/* libunwind's step-by-step interface (loaded by dlopen too; the header only for its
 * types): no per-thread trace cache, each frame's unwind rules from its global cache of
 * parsed DWARF, taken under a lock with every signal blocked (two system calls a
 * frame). */
static int (*getcontext_fn)(unw_context_t *);
static int (*init_local_fn)(unw_cursor_t *, unw_context_t *);
static int (*step_fn)(unw_cursor_t *);
static int (*get_reg_fn)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
__attribute__((noinline)) static int step_backtrace(void **buf, int size) {
  unw_context_t ctx;
  unw_cursor_t cur;
  if (getcontext_fn(&ctx) || init_local_fn(&cur, &ctx)) return 0;
  int n = 0;
  while (n < size && step_fn(&cur) > 0) {
    unw_word_t ip;
    get_reg_fn(&cur, UNW_REG_IP, &ip);
    buf[n++] = (void *)ip;
  }
  return n;
}

static const struct {
  const char *name;
  unwinder *fn;
} methods[] = {{"libunwind", &unw_backtrace_fn}, {"glibc", NULL}, {"framepointer", NULL}, {"unw_step", NULL}};
#define METHODS 4

static int call(int m, void **buf, int size) {
  if (m == 0) return unw_backtrace_fn(buf, size);
  if (m == 1) return backtrace(buf, size);
  if (m == 2) return fp_backtrace(buf, size);
  return step_backtrace(buf, size);
}

/* At the bottom of the chain: every unwinder at every depth, warm. */
static int measure(void) {
  void *buf[64];
  for (int m = 0; m < METHODS; m++) {
    for (unsigned d = 0; d < sizeof depths / sizeof *depths; d++) {
      int got = call(m, buf, depths[d]); /* warms caches; not timed */
      uint64_t t0 = now_ns();
      for (long i = 0; i < captures; i++) sink += (uintptr_t)call(m, buf, depths[d]);
      double ns = (double)(now_ns() - t0) / (double)captures;
      printf("%-12s depth %2d: %7.1f ns/capture (%d frames)\n", methods[m].name, depths[d], ns,
             got);
    }
  }
  return 0;
}

/* On a new thread: the first capture of the chain (libunwind: its per-thread cache is
 * empty, and its TLS is allocated), then the second. */
static int cold_method, cold_depth;
static uint64_t cold_first, cold_second;
static int cold(void) {
  void *buf[64];
  uint64_t t0 = now_ns();
  sink += (uintptr_t)call(cold_method, buf, cold_depth);
  uint64_t t1 = now_ns();
  sink += (uintptr_t)call(cold_method, buf, cold_depth);
  cold_first += t1 - t0;
  cold_second += now_ns() - t1;
  return 0;
}

static int (*bottom)(void);
__attribute__((noinline)) static int down(int n) {
  int r = n <= 0 ? bottom() : n % 8 == 4 ? stack_lib_hop(n, down) : down(n - 1);
  __asm__ volatile("" ::: "memory");
  return r + 1;
}
static void *cold_thread(void *arg) {
  (void)arg;
  down(CHAIN);
  return NULL;
}

/* One unwinder at one depth, CAPTURES times, warm: for callgrind (bench/stacks). */
static int one_method, one_depth;
static int one(void) {
  void *buf[64];
  for (long i = 0; i < captures; i++) sink += (uintptr_t)call(one_method, buf, one_depth);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4) {
    for (one_method = 0; one_method < METHODS; one_method++)
      if (strcmp(argv[1], methods[one_method].name) == 0) break;
    one_depth = atoi(argv[2]);
    captures = atol(argv[3]);
  } else if (argc > 1) {
    captures = atol(argv[1]);
  }
  void *lib = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
  if (lib) {
    unw_backtrace_fn = (unwinder)dlsym(lib, "unw_backtrace");
    getcontext_fn = (int (*)(unw_context_t *))dlsym(lib, "_Ux86_64_getcontext");
    init_local_fn = (int (*)(unw_cursor_t *, unw_context_t *))dlsym(lib, "_ULx86_64_init_local");
    step_fn = (int (*)(unw_cursor_t *))dlsym(lib, "_ULx86_64_step");
    get_reg_fn = (int (*)(unw_cursor_t *, unw_regnum_t, unw_word_t *))dlsym(lib, "_ULx86_64_get_reg");
    /* STACK_BENCH_NO_RULE_CACHE=1: libunwind without its cache of parsed unwind rules
     * (UNW_CACHE_NONE), which the runtime keeps on (stacks.c says why) */
    const char *none = getenv("STACK_BENCH_NO_RULE_CACHE");
    int (*set_policy)(unw_addr_space_t, unw_caching_policy_t) =
        (int (*)(unw_addr_space_t, unw_caching_policy_t))dlsym(lib, "_ULx86_64_set_caching_policy");
    unw_addr_space_t *local_as = (unw_addr_space_t *)dlsym(lib, "_ULx86_64_local_addr_space");
    if (set_policy && local_as && none && none[0] == '1') set_policy(*local_as, UNW_CACHE_NONE);
  }
  if (!unw_backtrace_fn || !getcontext_fn || !init_local_fn || !step_fn || !get_reg_fn) {
    fprintf(stderr, "stack_bench: no libunwind.so.8\n");
    return 1;
  }
  void *warm[4];
  uint64_t t0 = now_ns();
  backtrace(warm, 4); /* loads libgcc_s */
  if (argc == 4) {
    if (one_method == METHODS || one_depth < 1 || one_depth > 64) return 2;
    bottom = one;
    down(CHAIN);
    return 0;
  }
  printf("glibc backtrace's first call (loads libgcc_s, allocates): %.1f us\n",
         (double)(now_ns() - t0) / 1000.0);
  bottom = measure;
  down(CHAIN);
  bottom = cold;
  for (int m = 0; m < METHODS; m++) {
    cold_method = m;
    cold_depth = 32;
    cold_first = cold_second = 0;
    enum { THREADS = 200 };
    for (int i = 0; i < THREADS; i++) {
      pthread_t t;
      pthread_create(&t, NULL, cold_thread, NULL);
      pthread_join(t, NULL);
    }
    printf("%-12s depth 32 on a new thread: first %.1f ns, second %.1f ns\n", methods[m].name,
           (double)cold_first / THREADS, (double)cold_second / THREADS);
  }
  return 0;
}
