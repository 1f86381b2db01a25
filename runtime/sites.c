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

/* Gives m's inline sites consecutive slots in tls_slot order, all of them or none
 * (abi.h): a header can point at one range only.  None when they do not fit in the
 * table (sites beyond MS_SITE_SLOTS share slot 0) or the header cannot be kept: the
 * sites keep index 0 and the module is never armed, its calls all take the slow
 * entries (a shared-form module: they count in the slots past the sites', abi.h, and
 * the runtime says so once).  Returns the next free slot. */
static uint32_t give_inline_slots(struct __memscope_module *m, uint32_t next) {
  uint32_t span = ms_inline_span(m);
  if (!span) return next;
  const uint32_t unit = (uint32_t)sizeof(struct ms_site_counter);
  for (uint32_t i = 0; i < m->nsites; i++) { /* slots kept from an earlier registration */
    const struct __memscope_site *s = &m->sites[i];
    if (s->tls_slot && s->index) {
      ms_inline_register(m, s->index - s->tls_slot);
      return next;
    }
  }
  if (span > MS_SITE_SLOTS - next || !ms_inline_register(m, (next - 1) * unit)) {
    if (m->slot_base)
      ms_os_warn("no room left in the counter table: the inline calls of this module "
                 "are not counted", m->name);
    return next;
  }
  for (uint32_t i = 0; i < m->nsites; i++) {
    struct __memscope_site *s = &m->sites[i];
    if (!s->tls_slot) continue;
    uint32_t slot = next - 1 + s->tls_slot / unit;
    ids_by_index[slot] = s->id;
    free_by_index[slot] = (uint8_t)api_is_free(s->api);
    s->index = slot * unit;
  }
  return next + span;
}

MS_EXPORT void __memscope_register_module_v6(struct __memscope_module *m) {
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
  /* Indexes past MS_SITE_SLOTS stay 0: such sites share the "unknown" counter slot. */
  uint32_t next = atomic_load_explicit(&next_site_index, memory_order_relaxed);
  /* Every thread's table covers the slots this module may take before any is given (an
   * inline site counts in it from its first call, with no runtime call to extend it). */
  uint64_t after = (uint64_t)next + ms_inline_span(m);
  for (uint32_t i = 0; i < m->nsites; i++) after += !m->sites[i].index && !m->sites[i].tls_slot;
  ms_threads_extend_tables_locked(after < MS_SITE_SLOTS ? (uint32_t)after : MS_SITE_SLOTS);
  next = give_inline_slots(m, next);
  for (uint32_t i = 0; i < m->nsites; i++)
    if (m->sites[i].index == 0 && !m->sites[i].tls_slot && next < MS_SITE_SLOTS) {
      ids_by_index[next] = m->sites[i].id;
      free_by_index[next] = (uint8_t)api_is_free(m->sites[i].api);
      m->sites[i].index = next++ * (uint32_t)sizeof(struct ms_site_counter);
    }
  atomic_store_explicit(&next_site_index, next, memory_order_release);
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
MS_EXPORT void __memscope_unregister_module_v6(struct __memscope_module *m) {
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
