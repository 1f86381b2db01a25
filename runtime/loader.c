/* The runtime and the dynamic loader: when the loader's list of modules may be read.
 *
 * The runtime reads it (dl_iterate_phdr) in two places: the unwinder (libunwind finds
 * unwind tables there, stacks.c) and the MODULE check of a flush (modules.c).  Both go
 * through ms_loader_list_enter, which says no in three cases:
 *
 *   - The thread is inside dlopen, dlclose or dl_iterate_phdr (interposed for this:
 *     ms_self.in_loader).  It may hold the list lock there: glibc takes it to add a
 *     library to the list, and holds it while it unmaps one that is still listed; a
 *     dl_iterate_phdr callback runs under it.  A sample then (a signal handler's, or an
 *     allocation by the callback) must not unwind: libunwind takes its own mutex and,
 *     under it, the list lock, so if another thread's unwind holds the mutex and waits
 *     for this thread's lock, both hang (hostile/stacks_storm did); and walking the list
 *     while a library is half unmapped crashed (the MODULE check did).  What the thread
 *     allocates meanwhile (library constructors and destructors included) is still
 *     counted and sampled, only without a stack; its module check waits for its next
 *     flush.
 *   - A fork is under way (ms_loader_fork_prepare to _parent or _child): a thread that
 *     held the list lock when the process was copied would leave it taken in the child,
 *     whose first read would hang (glibc 2.36 does not reset that lock in the child).
 *     Readers that are inside already are waited for (they take microseconds; at most a
 *     second); new ones are turned away (that sample has no stack).
 *   - This process is a child forked while another thread was inside dlopen or dlclose
 *     (which take the list lock): the lock may be taken for ever here, so the child
 *     reads the list no more (no stacks, no module checks).  dlopen and dlclose wait for
 *     a fork under way to end before they start, so that the count is right.
 *
 * Weak, like pthread_create (thread_create.c): the program's own definitions win.  With
 * the static runtime, only the program's own calls come here (a shared library's calls
 * go to libc), so a library's dlopen on another thread is not seen. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>

#include "internal.h"

typedef void *(*dlopen_fn)(const char *, int);
typedef int (*dlclose_fn)(void *);
typedef int (*iterate_cb)(struct dl_phdr_info *, size_t, void *);
typedef int (*iterate_fn)(iterate_cb, void *);
static dlopen_fn real_dlopen;
static dlclose_fn real_dlclose;
static iterate_fn real_iterate;

static _Atomic int forking;      /* between fork_prepare and fork_parent/_child */
static _Atomic int loader_calls; /* dlopen and dlclose calls under way */
static int list_unsafe;          /* a child whose list lock may be taken: never read it */
static int unsafe_at_fork;       /* what the child will be (computed in prepare) */
static __thread uint8_t own_loader_calls __attribute__((tls_model("initial-exec")));

static void *next_symbol(const char *name) {
  uint8_t was = ms_busy_begin(); /* what dlsym allocates is not the program's */
  void *f = dlsym(RTLD_NEXT, name);
  ms_busy_end(was);
  return f;
}

/* A dlopen or dlclose starts once no fork is under way (a fork is short: it does not
 * wait for this thread). */
static void loader_call_begin(void) {
  for (;;) {
    atomic_fetch_add(&loader_calls, 1);
    if (!atomic_load(&forking)) break;
    atomic_fetch_sub(&loader_calls, 1);
    while (atomic_load_explicit(&forking, memory_order_relaxed)) ms_os_yield();
  }
  own_loader_calls++;
  ms_self.in_loader++;
}

static void loader_call_end(void) {
  ms_self.in_loader--;
  own_loader_calls--;
  atomic_fetch_sub(&loader_calls, 1);
}

MS_EXPORT __attribute__((weak)) void *dlopen(const char *file, int mode) {
  dlopen_fn fn = __atomic_load_n(&real_dlopen, __ATOMIC_ACQUIRE);
  if (!fn) {
    fn = (dlopen_fn)next_symbol("dlopen");
    if (!fn) return NULL;
    __atomic_store_n(&real_dlopen, fn, __ATOMIC_RELEASE);
  }
  loader_call_begin();
  void *h = fn(file, mode);
  loader_call_end();
  return h;
}

MS_EXPORT __attribute__((weak)) int dlclose(void *handle) {
  dlclose_fn fn = __atomic_load_n(&real_dlclose, __ATOMIC_ACQUIRE);
  if (!fn) {
    fn = (dlclose_fn)next_symbol("dlclose");
    if (!fn) return -1;
    __atomic_store_n(&real_dlclose, fn, __ATOMIC_RELEASE);
  }
  loader_call_begin();
  int rc = fn(handle);
  loader_call_end();
  return rc;
}

MS_EXPORT __attribute__((weak)) int dl_iterate_phdr(iterate_cb cb, void *data) {
  iterate_fn fn = __atomic_load_n(&real_iterate, __ATOMIC_ACQUIRE);
  if (!fn) {
    fn = (iterate_fn)next_symbol("dl_iterate_phdr");
    if (!fn) return 0;
    __atomic_store_n(&real_iterate, fn, __ATOMIC_RELEASE);
  }
  ms_self.in_loader++;
  int rc = fn(cb, data);
  ms_self.in_loader--;
  return rc;
}

int ms_loader_list_enter(void) {
  if (ms_self.in_loader || list_unsafe) return 0;
  struct ms_thread_rec *r = ms_self.rec;
  if (!r) return !atomic_load(&forking); /* (not set up: at start, or a thread's exit) */
  /* (Dekker with ms_loader_fork_prepare: either the fork sees this thread reading and
   * waits, or this thread sees the fork and does not read.  The fork takes the heavy
   * side of the fence: every unwind in full mode comes here.) */
  atomic_store_explicit(&r->reading_loader_list, 1, memory_order_relaxed);
  ms_fence_light();
  if (MS_UNLIKELY(atomic_load_explicit(&forking, memory_order_relaxed))) {
    atomic_store_explicit(&r->reading_loader_list, 0, memory_order_release);
    return 0;
  }
  return 1;
}

void ms_loader_list_leave(void) {
  struct ms_thread_rec *r = ms_self.rec;
  if (r) atomic_store_explicit(&r->reading_loader_list, 0, memory_order_release);
}

void ms_loader_fork_prepare(void) {
  atomic_store(&forking, 1);
  ms_os_fence_heavy(); /* (ms_loader_list_enter's other side) */
  /* this thread's own call is not under way in the child's copy of the lock: it is
   * inside a constructor or destructor there, with the list lock not held */
  unsafe_at_fork = list_unsafe || atomic_load(&loader_calls) > own_loader_calls;
  ms_threads_wait_loader_readers_locked(1000000000u);
}

void ms_loader_fork_parent(void) { atomic_store(&forking, 0); }

void ms_loader_fork_child(void) {
  list_unsafe = unsafe_at_fork;
  atomic_store(&loader_calls, own_loader_calls); /* the other threads are gone */
  atomic_store(&forking, 0);
}
