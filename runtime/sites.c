/* Site tables registered by instrumented modules (see include/memscope/abi.h).
 *
 * Each module's constructor registers its table, often before main and before this
 * runtime's own constructor; registration therefore initialises the runtime itself.
 * Sites get dense process-wide indexes (for per-site counters) and are written to the
 * output as SITE records at once (opening the file if needed), so a table unregistered
 * by dlclose has already been described; a fork child's file gets every table still
 * registered when it opens, and a table unregistered before then (the child's exit)
 * opens it first.
 * The registry shares the output lock: registration is rare and ordering with the
 * file's opening must be exact.  It takes the thread registry's lock first: every
 * thread's table in the file is extended to the new slots before any site gets one
 * (thread.c), so no count ever lands in memory that is then mapped over. */
#include <stdatomic.h>

#include "internal.h"

static struct __memscope_module *modules; /* newest first */
static _Atomic uint32_t next_site_index = MS_SLOT_FIRST_SITE; /* thread.c's slot 1 */
/* Site id by index, copied at registration: counters outlive a dlclose'd table. */
static uint64_t ids_by_index[MS_MAX_SITES];
static uint8_t free_by_index[MS_MAX_SITES]; /* for memscope_snapshot's frees */

static int api_is_free(uint32_t api) {
  return api == MEMSCOPE_API_FREE || api == MEMSCOPE_API_DELETE ||
         api == MEMSCOPE_API_DELETE_ARRAY || api == MEMSCOPE_API_MUNMAP;
}

int ms_sites_index_is_free(uint32_t index) {
  return index < MS_MAX_SITES && free_by_index[index];
}

uint32_t ms_sites_slots_in_use(void) {
  return atomic_load_explicit(&next_site_index, memory_order_acquire);
}

uint64_t ms_sites_id_of_index(uint32_t index) {
  return index < MS_MAX_SITES ? ids_by_index[index] : 0;
}

void ms_sites_encode_all_locked(struct ms_wbuf *b) {
  for (struct __memscope_module *m = modules; m; m = m->next)
    for (uint32_t i = 0; i < m->nsites; i++) ms_encode_site(b, &m->sites[i]);
}

MS_EXPORT void __memscope_register_module_v2(struct __memscope_module *m) {
  ms_runtime_init();
  if (!m || m->abi_version != MEMSCOPE_ABI_VERSION) {
    ms_os_warn("ignoring a site table built for another memscope ABI", m ? m->name : NULL);
    return;
  }
  /* Busy while the lock is held: an allocation by a signal handler meanwhile (a dlopen's
   * constructors run with signals open) is dropped, not recorded, since recording could
   * flush and wait for the lock this thread holds. */
  uint8_t was = ms_busy_begin();
  ms_threads_lock();
  ms_output_lock();
  for (struct __memscope_module *it = modules; it; it = it->next)
    if (it == m) { /* registered twice (should not happen): keep one */
      ms_output_unlock();
      ms_threads_unlock();
      ms_busy_end(was);
      return;
    }
  /* Indexes past MS_MAX_SITES stay 0: such sites share the "unknown" counter slot. */
  uint32_t next = atomic_load_explicit(&next_site_index, memory_order_relaxed);
  uint32_t after = next;
  for (uint32_t i = 0; i < m->nsites && after < MS_MAX_SITES; i++) after += !m->sites[i].index;
  ms_threads_extend_tables_locked(after);
  for (uint32_t i = 0; i < m->nsites; i++)
    if (m->sites[i].index == 0 && next < MS_MAX_SITES) {
      ids_by_index[next] = m->sites[i].id;
      free_by_index[next] = (uint8_t)api_is_free(m->sites[i].api);
      m->sites[i].index = next++ * (uint32_t)sizeof(struct ms_site_counter);
    }
  atomic_store_explicit(&next_site_index, next, memory_order_release);
  ms_inline_register(m);
  m->next = modules;
  modules = m;
  /* Opening the file writes every linked table, this one included; only an already
   * open file needs this table appended. */
  if (!ms_output_is_open_locked()) {
    ms_output_open_locked();
  } else {
    struct ms_wbuf b;
    if (ms_wbuf_init(&b, 4096 + (size_t)m->nsites * 128) == 0) {
      for (uint32_t i = 0; i < m->nsites; i++) ms_encode_site(&b, &m->sites[i]);
      ms_output_write_locked(&b);
      ms_wbuf_release(&b);
    }
  }
  ms_output_unlock();
  ms_threads_unlock();
  ms_busy_end(was);
}

/* A module going away (dlclose): its strings are about to be unmapped. */
MS_EXPORT void __memscope_unregister_module_v2(struct __memscope_module *m) {
  /* exit() from a signal handler that interrupted the runtime (busy): this thread may
   * hold the lock, and at exit nothing reads the table again. */
  if (ms_self.busy) return;
  uint8_t was = ms_busy_begin(); /* (as in registering) */
  ms_output_lock();
  /* A file not opened yet (a fork child that wrote nothing before exit) would miss this
   * table's SITE records: opening it now writes every linked table, this one included. */
  if (ms_tracing() && !ms_output_is_open_locked())
    ms_output_open_locked();
  for (struct __memscope_module **it = &modules; *it; it = &(*it)->next)
    if (*it == m) {
      *it = m->next;
      m->next = NULL;
      break;
    }
  ms_output_unlock();
  ms_busy_end(was);
}
