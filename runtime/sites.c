/* Site tables registered by instrumented modules (see include/memscope/abi.h).
 *
 * Each module's constructor registers its table, often before main and before this
 * runtime's own constructor; registration therefore initialises the runtime itself.
 * Sites get dense process-wide indexes (for per-site counters) and are written to the
 * output as SITE records at once (opening the file if needed), so a table unregistered
 * by dlclose has already been described; a fork child's file gets every table still
 * registered when it opens.
 * The registry shares the output lock: registration is rare and ordering with the
 * file's opening must be exact. */
#include "internal.h"

static struct __memscope_module *modules; /* newest first */
static uint32_t next_site_index = 1;

void ms_sites_encode_all_locked(struct ms_wbuf *b) {
  for (struct __memscope_module *m = modules; m; m = m->next)
    for (uint32_t i = 0; i < m->nsites; i++) ms_encode_site(b, &m->sites[i]);
}

MS_EXPORT void __memscope_register_module_v1(struct __memscope_module *m) {
  ms_runtime_init();
  if (!m || m->abi_version != MEMSCOPE_ABI_VERSION) {
    ms_os_warn("ignoring a site table built for another memscope ABI", m ? m->name : NULL);
    return;
  }
  ms_output_lock();
  for (struct __memscope_module *it = modules; it; it = it->next)
    if (it == m) { /* registered twice (should not happen): keep one */
      ms_output_unlock();
      return;
    }
  for (uint32_t i = 0; i < m->nsites; i++)
    if (m->sites[i].index == 0) m->sites[i].index = next_site_index++;
  m->next = modules;
  modules = m;
  /* Opening the file writes every linked table, this one included; only an already
   * open file needs this table appended. */
  if (ms_config.mode != MS_MODE_OFF && ms_output_open_locked() == MS_OPEN_ALREADY) {
    struct ms_wbuf b;
    if (ms_wbuf_init(&b, 4096 + (size_t)m->nsites * 128) == 0) {
      for (uint32_t i = 0; i < m->nsites; i++) ms_encode_site(&b, &m->sites[i]);
      ms_output_write_locked(&b);
      ms_wbuf_release(&b);
    }
  }
  ms_output_unlock();
}

/* A module going away (dlclose): its strings are about to be unmapped. */
MS_EXPORT void __memscope_unregister_module_v1(struct __memscope_module *m) {
  ms_output_lock();
  for (struct __memscope_module **it = &modules; *it; it = &(*it)->next)
    if (*it == m) {
      *it = m->next;
      m->next = NULL;
      break;
    }
  ms_output_unlock();
}
