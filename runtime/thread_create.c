/* pthread_create, interposed: the threads the program starts, seen from their start.
 *
 * Three things only the moment of creation can do:
 *   - Arm the thread's destructor before it runs any code (ms_thread_born).  A thread
 *     that never allocates is otherwise first seen by glibc's own clean-up after its
 *     destructors (a free(NULL) in __libc_thread_freeres), and setting it up then left a
 *     record that no destructor would ever unlink.  Born threads are `finished` by their
 *     destructor whatever they did.
 *   - Give back the stack we take.  glibc carves every thread's static TLS out of its
 *     stack: the inline sites' blocks (abi.h) would shrink a thread's stack by their
 *     size, and make pthread_create fail with EINVAL when the program asks for a small
 *     one; the runtime's slow paths run on it too.  A requested stack size is enlarged
 *     by both, so the program's code has the stack it asked for.  A stack the program
 *     provides itself (pthread_attr_setstack) cannot grow: it must have room for them.
 *   - Make the thread's block of libunwind's TLS (stacks.c) while allocating is safe, not
 *     on its first unwind, which may be in a signal handler that interrupted malloc.
 *
 * Cost: one small record per creation, from our own memory (a mutex-guarded free list:
 * thread creation is not the hot path), and pthread_setspecific and libunwind's TLS
 * block (one malloc) in the new thread.
 * Weak, like the interposed malloc: a sanitizer's own pthread_create interceptor wins,
 * and then threads are found at their first allocation as before. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "internal.h"

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static create_fn real_create;

struct start {
  void *(*fn)(void *);
  void *arg;
  struct start *next;
};
static pthread_mutex_t starts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct start *free_starts;

/* The thread is busy while it holds starts_lock: a signal handler's allocation then is
 * dropped, not recorded.  Recording it could set the thread up, which waits for the
 * registry lock, and fork_prepare holds that one while it waits for this one (a hang of
 * hostile/stacks_storm: a thread just started, in start_give, took SIGPROF).  A store
 * to TLS each way. */
static struct start *start_take(void) {
  uint8_t was = ms_busy_begin();
  pthread_mutex_lock(&starts_lock);
  if (!free_starts) {
    struct start *chunk = ms_os_map(4096);
    for (size_t i = 0; chunk && i < 4096 / sizeof *chunk; i++) {
      chunk[i].next = free_starts;
      free_starts = &chunk[i];
    }
  }
  struct start *s = free_starts;
  if (s) free_starts = s->next;
  pthread_mutex_unlock(&starts_lock);
  ms_busy_end(was);
  return s;
}

static void start_give(struct start *s) {
  uint8_t was = ms_busy_begin();
  pthread_mutex_lock(&starts_lock);
  s->next = free_starts;
  free_starts = s;
  pthread_mutex_unlock(&starts_lock);
  ms_busy_end(was);
}

void ms_thread_create_lock(void) { pthread_mutex_lock(&starts_lock); }
void ms_thread_create_unlock(void) { pthread_mutex_unlock(&starts_lock); }

static void *thread_start(void *p) {
  struct start *s = p;
  void *(*fn)(void *) = s->fn;
  void *arg = s->arg;
  start_give(s);
  ms_thread_born();
  ms_stacks_thread_start();
  return fn(arg);
}

void ms_thread_create_init(void) {
  if (real_create) return;
  uint8_t was_busy = ms_self.busy;
  ms_self.busy = 1; /* what dlsym allocates is not the program's */
  create_fn f = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
  ms_self.busy = was_busy;
  __atomic_store_n(&real_create, f, __ATOMIC_RELEASE);
}

/* What memscope takes from every thread's stack: the static TLS of the inline headers
 * and of the runtime's own thread state, and the frames of its slow paths (a thread's
 * first event, a flush: a few KiB, MS_SLOW_PATH_STACK to be safe), rounded to pages.
 * Only address space: a stack's pages become memory as they are touched. */
#define MS_SLOW_PATH_STACK (16u * 1024u)
static size_t stack_taken_bytes(void) {
  size_t bytes = ms_inline_tls_bytes() + sizeof(struct ms_thread) + 256 + MS_SLOW_PATH_STACK;
  return (bytes + 4095) & ~(size_t)4095;
}

/* attr, or a copy of it in *room asking for a stack larger by what we take.  The
 * copy is shallow (glibc keeps CPU sets and signal masks behind a pointer), so it is
 * never destroyed: only its stack size differs, a field of its own. */
static const pthread_attr_t *with_room_for_tls(const pthread_attr_t *attr,
                                               pthread_attr_t *room) {
  if (!attr) return attr; /* the default size, megabytes: nothing to give back */
  void *addr;
  size_t size;
  if (pthread_attr_getstack(attr, &addr, &size) == 0 && (uintptr_t)addr + size != 0)
    return attr; /* the program's own stack (glibc reports addr + size == 0 without) */
  if (pthread_attr_getstacksize(attr, &size) != 0) return attr;
  memcpy(room, attr, sizeof *room);
  return pthread_attr_setstacksize(room, size + stack_taken_bytes()) == 0 ? room : attr;
}

MS_EXPORT __attribute__((weak)) int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                                                   void *(*fn)(void *), void *arg) {
  create_fn create = __atomic_load_n(&real_create, __ATOMIC_ACQUIRE);
  if (!create) {
    ms_runtime_init();
    ms_thread_create_init();
    create = __atomic_load_n(&real_create, __ATOMIC_ACQUIRE);
    if (!create) return EAGAIN;
  }
  struct start *s = start_take();
  if (!s) return create(thread, attr, fn, arg); /* no memory for ours: as it was */
  s->fn = fn;
  s->arg = arg;
  pthread_attr_t room;
  int rc = create(thread, with_room_for_tls(attr, &room), thread_start, s);
  if (rc) start_give(s);
  return rc;
}
