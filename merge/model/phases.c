/* Phases: memscope_phase() labels what a process does next ("load", "serve"), and each
 * sampled allocation carries the id of the phase current when it happened.  Counting
 * them needs no time order, so it is done as EVENTS records arrive, apart from the
 * replay: per phase, the weighted allocations and bytes (Horvitz-Thompson, as
 * everywhere: exact in full mode, where every weight is 1). */
#include <stdlib.h>
#include <string.h>

#include "memscope/format.h"
#include "build.h"
#include "profile.h"
#include "util.h"

/* The entry for a phase id, created when new.  A process has a few phases and its events
 * come in runs of one phase, so the last entry used is tried first. */
static struct mg_phase *phase_at(struct mg_process *proc, uint32_t id) {
  if (proc->phase_hint < proc->nphases && proc->phases[proc->phase_hint].id == id)
    return &proc->phases[proc->phase_hint];
  for (size_t i = 0; i < proc->nphases; i++)
    if (proc->phases[i].id == id) {
      proc->phase_hint = i;
      return &proc->phases[i];
    }
  MG_GROW(proc->phases, proc->phases_cap, proc->nphases + 1);
  proc->phases[proc->nphases] = (struct mg_phase){.id = id};
  proc->phase_hint = proc->nphases;
  return &proc->phases[proc->nphases++];
}

void mg_process_add_phase(struct mg_profile *p, struct mg_process *proc,
                          const struct mg_phase_rec *ph) {
  (void)p;
  struct mg_phase *e = phase_at(proc, ph->id);
  proc->named_phases = true;
  /* A new session file repeats the labels known so far with time 0: keep the first
   * label and the real time. */
  if (!e->label && ph->label)
    e->label = mg_xstrdup(ph->label);
  if (ph->ts && (!e->ts || ph->ts < e->ts))
    e->ts = ph->ts;
}

void mg_phases_count(struct mg_process *proc, const struct mg_events_rec *e) {
  struct mg_phase *ph = NULL; /* the entry of the current run of one phase */
  if (e->facts & MG_EVENTS_PLAIN) { /* all in phase 0, weight 1: mg_est_add's sums */
    if (!e->allocated)
      return;
    ph = phase_at(proc, 0);
    ph->allocations.value += (double)e->allocated;
    ph->allocations.n += (double)e->allocated;
    ph->bytes.value += (double)e->allocated_bytes;
    ph->bytes.n += (double)e->allocated;
    ph->samples += e->allocated;
    return;
  }
  for (size_t i = 0; i < e->nevents; i++) {
    const struct mg_event *ev = &e->events[i];
    if (ev->kind != MS_EV_ALLOC || !ev->ptr) /* failures allocate nothing */
      continue;
    if (!ph || ph->id != ev->phase) {
      ph = phase_at(proc, ev->phase);
      proc->named_phases |= ev->phase != 0;
    }
    mg_est_add(&ph->allocations, ev->weight, 1.0);
    mg_est_add(&ph->bytes, ev->weight, (double)ev->size);
    ph->samples++;
  }
}

static int by_id(const void *a, const void *b) {
  const struct mg_phase *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

void mg_phases_finish(struct mg_process *proc) {
  size_t k = 0;
  for (size_t i = 0; i < proc->nphases; i++) {
    struct mg_phase *ph = &proc->phases[i];
    /* Without any phase, the "no phase" entry says nothing the totals do not. */
    bool keep = proc->named_phases && (ph->id != 0 || ph->samples > 0);
    if (keep)
      proc->phases[k++] = *ph;
    else
      free(ph->label);
  }
  proc->nphases = k;
  if (k == 0) {
    free(proc->phases);
    proc->phases = NULL;
    proc->phases_cap = 0;
  } else if (k > 1) {
    qsort(proc->phases, proc->nphases, sizeof *proc->phases, by_id);
  }
}

bool mg_phase_time(const struct mg_process *proc, const struct mg_phase *ph, uint64_t *ns) {
  if (!ph->ts)
    return false;
  *ns = ph->ts > proc->t0 ? ph->ts - proc->t0 : 0;
  return true;
}
