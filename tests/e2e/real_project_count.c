/* The independent count of e2e/real_project: an LD_PRELOAD shim, built without memscope,
 * that counts the allocation calls made *directly* by chosen binaries.
 *
 * It defines malloc, calloc, realloc, free and the other allocation entry points,
 * forwards each to glibc's __libc_* implementation, and counts the call by its return
 * address (__builtin_return_address(0): the instruction after the call in the caller).
 * At exit it finds, with dl_iterate_phdr, which loaded object each return address lies
 * in; for objects whose real path starts with $REAL_COUNT_PREFIX it appends one line per
 * (api, address) to $REAL_COUNT_OUT:
 *
 *     <api> <object path> <address - load bias, hex> <calls> <null calls>
 *
 * "null calls" are free(NULL) for free, and calls that returned NULL otherwise.  The
 * test turns the addresses into functions with addr2line.  Single lines are written
 * with O_APPEND, so the processes of a test suite can share one file.
 *
 * The shim never allocates: the table is static, and addresses beyond its capacity
 * are counted in an overflow line so that nothing is silently lost. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

enum api { API_MALLOC, API_CALLOC, API_REALLOC, API_FREE, API_ALIGNED, API_COUNT };
static const char *const api_names[API_COUNT] = {"malloc", "calloc", "realloc", "free",
                                                 "aligned"};

#define SLOTS 65536 /* a power of two */
struct slot {
  uintptr_t addr; /* 0: empty */
  unsigned api;
  unsigned long calls, null_calls;
};
static struct slot table[SLOTS];
static unsigned long overflow;
static volatile int lock;
static int done; /* set by the report at exit: later calls are not counted */

static void count(uintptr_t addr, enum api api, int null) {
  if (__atomic_load_n(&done, __ATOMIC_RELAXED)) return;
  while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE)) {
  }
  if (done) {
    __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
    return;
  }
  size_t h = ((addr * 0x9e3779b97f4a7c15ull) >> 40) ^ api, i;
  for (i = 0; i < SLOTS; i++) {
    struct slot *s = &table[(h + i) & (SLOTS - 1)];
    if (s->addr == 0) {
      s->addr = addr;
      s->api = api;
    }
    if (s->addr == addr && s->api == api) {
      s->calls++;
      s->null_calls += null;
      break;
    }
  }
  if (i == SLOTS) overflow++;
  __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}

#define RA ((uintptr_t)__builtin_return_address(0))

void *malloc(size_t n) {
  void *p = __libc_malloc(n);
  count(RA, API_MALLOC, p == NULL);
  return p;
}
void *calloc(size_t n, size_t m) {
  void *p = __libc_calloc(n, m);
  count(RA, API_CALLOC, p == NULL);
  return p;
}
void *realloc(void *q, size_t n) {
  void *p = __libc_realloc(q, n);
  count(RA, API_REALLOC, p == NULL);
  return p;
}
void free(void *p) {
  count(RA, API_FREE, p == NULL);
  __libc_free(p);
}
void *memalign(size_t a, size_t n) {
  void *p = __libc_memalign(a, n);
  count(RA, API_ALIGNED, p == NULL);
  return p;
}
void *aligned_alloc(size_t a, size_t n) {
  void *p = __libc_memalign(a, n);
  count(RA, API_ALIGNED, p == NULL);
  return p;
}
void *valloc(size_t n) {
  void *p = __libc_valloc(n);
  count(RA, API_ALIGNED, p == NULL);
  return p;
}
void *pvalloc(size_t n) {
  void *p = __libc_pvalloc(n);
  count(RA, API_ALIGNED, p == NULL);
  return p;
}
int posix_memalign(void **out, size_t a, size_t n) {
  if (a < sizeof(void *) || (a & (a - 1)) != 0) return EINVAL;
  void *p = __libc_memalign(a, n);
  count(RA, API_ALIGNED, p == NULL);
  if (p == NULL) return ENOMEM;
  *out = p;
  return 0;
}

/* A child of fork starts with an empty table: its parent reports what was counted. */
static void forget(void) {
  memset(table, 0, sizeof table);
  overflow = 0;
  lock = 0;
}
__attribute__((constructor)) static void init(void) { pthread_atfork(NULL, NULL, forget); }

/* --- At exit: which object holds each address ----------------------------------------- */
struct lookup {
  uintptr_t addr;
  char path[PATH_MAX];
  uintptr_t offset;
  int found;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  struct lookup *l = data;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD) continue;
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    if (l->addr < start || l->addr >= start + ph->p_memsz) continue;
    const char *name = info->dlpi_name;
    if (name == NULL || name[0] == '\0') { /* the main program */
      ssize_t n = readlink("/proc/self/exe", l->path, sizeof l->path - 1);
      l->path[n > 0 ? n : 0] = '\0';
    } else if (realpath(name, l->path) == NULL) {
      snprintf(l->path, sizeof l->path, "%s", name);
    }
    l->offset = l->addr - info->dlpi_addr;
    l->found = 1;
    return 1;
  }
  return 0;
}

__attribute__((destructor(101))) static void report(void) {
  const char *out = getenv("REAL_COUNT_OUT"), *prefix = getenv("REAL_COUNT_PREFIX");
  if (out == NULL || prefix == NULL) return;
  int fd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  /* Calls made from here on (other destructors, the lookups below) are not counted,
   * and nobody writes the table while it is read. */
  while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE)) {
  }
  __atomic_store_n(&done, 1, __ATOMIC_RELAXED);
  __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
  static struct lookup l;
  char line[PATH_MAX + 128];
  for (size_t i = 0; i < SLOTS; i++) {
    if (table[i].addr == 0) continue;
    l.addr = table[i].addr;
    l.found = 0;
    dl_iterate_phdr(find_object, &l);
    if (!l.found || strncmp(l.path, prefix, strlen(prefix)) != 0) continue;
    int n = snprintf(line, sizeof line, "%s %s %#lx %lu %lu\n", api_names[table[i].api], l.path,
                     (unsigned long)l.offset, table[i].calls, table[i].null_calls);
    if (write(fd, line, (size_t)n) != n) break;
  }
  if (overflow) {
    int n = snprintf(line, sizeof line, "overflow - 0 %lu 0\n", overflow);
    if (write(fd, line, (size_t)n) != n) {
    }
  }
  close(fd);
}
