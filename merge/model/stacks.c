/* Stacks of sampled allocations while a process is read, and the table the reports read
 * (stacks.h).  Placing them in images and symbolizing them is resolve/stack_resolve.c. */
#include "stacks.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memscope/format.h"
#include "strtab.h"
#include "util.h"

/* --- One process, while reading ------------------------------------------------------------ */


static struct mg_proc_stacks *proc_stacks(struct mg_process *proc) {
  if (!proc->stacks) {
    struct mg_proc_stacks *s = mg_xcalloc(1, sizeof *s);
    mg_map_init(&s->index, sizeof(size_t));
    mg_map_init(&s->tally, sizeof(struct mg_stack_tally));
    mg_map_init(&s->module_index, sizeof(size_t));
    proc->stacks = s;
  }
  return proc->stacks;
}

void mg_proc_stacks_free(struct mg_proc_stacks *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->nraw; i++)
    free(s->raw[i].addr);
  free(s->raw);
  free(s->samples);
  for (size_t i = 0; i < s->nmodules; i++) {
    free(s->modules[i].path);
    free(s->modules[i].build_id);
  }
  free(s->modules);
  free(s->listings);
  free(s->memo);
  mg_map_destroy(&s->index);
  mg_map_destroy(&s->tally);
  mg_map_destroy(&s->module_index);
  free(s);
}

struct stack_key {
  const struct mg_proc_stacks *s;
  const uint64_t *addr;
  uint32_t n;
};

static bool same_stack(const void *ctx, size_t pos) {
  const struct stack_key *k = ctx;
  const struct mg_raw_stack *r = &k->s->raw[pos];
  return r->n == k->n && memcmp(r->addr, k->addr, k->n * sizeof *k->addr) == 0;
}

static uint32_t intern_stack(struct mg_proc_stacks *s, const uint64_t *addr, uint32_t n,
                             uint64_t ts) {
  uint64_t h = mg_hash_bytes(MG_HASH_SEED, addr, n * sizeof *addr);
  bool existed;
  size_t *slot = mg_map_probe(&s->index, &h, same_stack, &(struct stack_key){s, addr, n}, &existed);
  if (existed) {
    struct mg_raw_stack *r = &s->raw[*slot - 1];
    if (ts < r->ts)
      r->ts = ts;
    return (uint32_t)*slot;
  }
  if (s->nraw >= MG_STACKS_MAX) {
    mg_map_remove(&s->index, h, NULL);
    return 0;
  }
  MG_GROW(s->raw, s->raw_cap, s->nraw + 1);
  struct mg_raw_stack *r = &s->raw[s->nraw];
  r->addr = mg_xmalloc(n * sizeof *addr);
  memcpy(r->addr, addr, n * sizeof *addr);
  r->n = n;
  r->ts = ts;
  *slot = ++s->nraw;
  return (uint32_t)s->nraw;
}

static void count_sample(struct mg_proc_stacks *s, uint32_t site, uint32_t stack, double weight,
                         uint64_t size) {
  struct mg_stack_tally *t = mg_map_put(&s->tally, (uint64_t)site << 32 | stack, NULL);
  t->samples++;
  mg_est_add(&t->calls, weight, 1.0);
  mg_est_add(&t->bytes, weight, (double)size);
}

uint32_t mg_stacks_sample(struct mg_process *proc, uint32_t site, const struct mg_event *ev) {
  if (ev->kind != MS_EV_ALLOC || !ev->ptr || !ev->nstack)
    return 0;
  struct mg_proc_stacks *s = proc_stacks(proc);
  uint32_t stack = intern_stack(s, ev->stack, ev->nstack, ev->ts);
  if (!stack)
    return 0;
  count_sample(s, site, stack, ev->weight, ev->size);
  return stack;
}

uint32_t mg_stacks_sample_ref(struct mg_process *proc, uint32_t site,
                              const struct mg_stack_refs *refs, size_t k, uint64_t ts,
                              uint64_t size) {
  struct mg_proc_stacks *s = proc_stacks(proc);
  uint32_t ref = refs->ref[k];
  if (s->memo_source != refs->source) { /* another input's table: nothing is known */
    s->memo_source = refs->source;
    if (s->memo_cap) /* memset(NULL, 0, 0) is undefined */
      memset(s->memo, 0, s->memo_cap * sizeof *s->memo);
  }
  if (ref >= s->memo_cap)
    MG_GROW_ZEROED(s->memo, s->memo_cap, (size_t)ref + 1);
  struct mg_stack_memo *m = &s->memo[ref];
  uint32_t stack = m->stack;
  if (stack) { /* what intern_stack does to a stack it knows */
    if (ts < s->raw[stack - 1].ts)
      s->raw[stack - 1].ts = ts;
  } else {
    const struct mg_frames_span *sp = &refs->spans[ref - 1];
    stack = intern_stack(s, refs->frames + sp->at, sp->n, ts);
    if (!stack)
      return 0;
    *m = (struct mg_stack_memo){.stack = stack};
  }
  /* count_sample, without the lookup while the tally map has not grown (it only grows
   * while reading: a capacity seen once is never seen again after a move) */
  if (!m->tally || m->site != site || m->tally_cap != s->tally.cap) {
    m->tally = mg_map_put(&s->tally, (uint64_t)site << 32 | stack, NULL);
    m->site = site;
    m->tally_cap = s->tally.cap;
  }
  struct mg_stack_tally *t = m->tally;
  t->samples++;
  mg_est_add(&t->calls, 1.0, 1.0);
  mg_est_add(&t->bytes, 1.0, (double)size);
  return stack;
}

void mg_stacks_live(struct mg_process *proc, uint32_t site, uint32_t stack, double weight,
                    uint64_t size) {
  if (!proc->stacks || !stack)
    return;
  struct mg_stack_tally *t = mg_map_put(&proc->stacks->tally, (uint64_t)site << 32 | stack, NULL);
  mg_est_add(&t->live_blocks, weight, 1.0);
  mg_est_add(&t->live_bytes, weight, (double)size);
}

struct module_key {
  const struct mg_proc_stacks *s;
  const struct mg_module_rec *m;
};

static bool same_module(const void *ctx, size_t pos) {
  const struct module_key *k = ctx;
  const struct mg_proc_module *pm = &k->s->modules[pos];
  return pm->base == k->m->base && strcmp(pm->path, k->m->path) == 0;
}

void mg_stacks_module(struct mg_process *proc, const struct mg_module_rec *m) {
  struct mg_proc_stacks *s = proc_stacks(proc);
  uint64_t h = mg_hash_bytes(mg_hash_bytes(MG_HASH_SEED, m->path, strlen(m->path)), &m->base, sizeof m->base);
  bool existed;
  size_t *slot = mg_map_probe(&s->module_index, &h, same_module, &(struct module_key){s, m}, &existed);
  if (!existed) {
    MG_GROW(s->modules, s->modules_cap, s->nmodules + 1);
    s->modules[s->nmodules] = (struct mg_proc_module){mg_xstrdup(m->path), mg_xstrdup(m->build_id), m->base};
    *slot = ++s->nmodules;
  }
  MG_GROW(s->listings, s->listings_cap, s->nlistings + 1);
  s->listings[s->nlistings++] = (struct mg_module_listing){m->ts, (uint32_t)(*slot - 1)};
}

void mg_stacks_end_process(const struct mg_profile *p, struct mg_process *proc) {
  struct mg_proc_stacks *s = proc->stacks;
  if (!s || s->samples)
    return;
  s->nsamples = mg_map_len(&s->tally);
  s->samples = mg_xmalloc((s->nsamples ? s->nsamples : 1) * sizeof *s->samples);
  size_t pos = 0, n = 0;
  uint64_t key;
  struct mg_stack_tally *t;
  while ((t = mg_map_next(&s->tally, &pos, &key))) {
    s->samples[n] = *t;
    s->samples[n].site = p->sites[key >> 32].id;
    s->samples[n].stack = (uint32_t)key;
    n++;
  }
  mg_map_destroy(&s->tally);
  mg_map_init(&s->tally, sizeof(struct mg_stack_tally));
  mg_map_destroy(&s->index); /* no more stacks to intern */
  mg_map_init(&s->index, sizeof(size_t));
}

void mg_stack_table_free(struct mg_stack_table *t) {
  if (!t)
    return;
  for (size_t i = 0; i < t->nstacks; i++)
    free(t->stacks[i].frames);
  free(t->stacks);
  free(t->entries);
  free(t->images);
  for (size_t i = 0; i < t->nwarnings; i++)
    free(t->warnings[i]);
  free(t->warnings);
  mg_map_destroy(&t->site_index);
  if (t->strings)
    mg_strtab_destroy(t->strings);
  free(t->strings);
  free(t);
}

/* --- For the reports --------------------------------------------------------------------- */

const struct mg_stack_span *mg_stacks_of_site(const struct mg_profile *p, uint64_t site) {
  return p->stacks ? mg_map_get(&p->stacks->site_index, site) : NULL;
}

size_t mg_stack_first_frames(const struct mg_stack *s) {
  size_t n = 0;
  while (n < s->nframes && s->frames[n].inlined)
    n++;
  return n < s->nframes ? n + 1 : n;
}

void mg_stack_frame_name(const struct mg_stack_frame *f, char *buf, size_t size) {
  if (f->function)
    snprintf(buf, size, "%s", f->function);
  else if (f->module)
    snprintf(buf, size, "%s+0x%" PRIx64, f->module[0] ? mg_base_name(f->module) : "?", f->address);
  else
    snprintf(buf, size, "0x%" PRIx64, f->address);
}

static double entry_value(const struct mg_stack_site *e, enum mg_stack_value v) {
  switch (v) {
  case MG_STACK_CALLS: return e->calls.value;
  case MG_STACK_LIVE_BLOCKS: return e->live_blocks.value;
  case MG_STACK_LIVE_BYTES: return e->live_bytes.value;
  default: return e->bytes.value;
  }
}

static double span_value(const struct mg_stack_span *s, enum mg_stack_value v) {
  switch (v) {
  case MG_STACK_CALLS: return s->calls;
  case MG_STACK_LIVE_BLOCKS: return s->live_blocks;
  case MG_STACK_LIVE_BYTES: return s->live_bytes;
  default: return s->bytes;
  }
}

static double stack_share(const struct mg_stack_span *span, const struct mg_stack_site *e,
                          enum mg_stack_value v) {
  double sum = span_value(span, v);
  return sum > 0 ? entry_value(e, v) / sum : 0;
}

/* Largest remainders: floor every part, then one more unit to the biggest fractions
 * (the earlier entry on ties) until the parts add up to `whole`. */
bool mg_stack_split(const struct mg_stack_table *t, const struct mg_stack_span *span,
                    enum mg_stack_value v, uint64_t whole, uint64_t *out) {
  if (!(span_value(span, v) > 0)) {
    memset(out, 0, span->n * sizeof *out);
    return false;
  }
  double *frac = mg_xmalloc((span->n ? span->n : 1) * sizeof *frac);
  uint64_t given = 0;
  for (size_t i = 0; i < span->n; i++) {
    double x = (double)whole * stack_share(span, &t->entries[span->first + i], v);
    out[i] = (uint64_t)floor(x);
    frac[i] = x - floor(x);
    given += out[i];
  }
  for (size_t left = span->n; given < whole && left > 0; left--) {
    size_t best = 0;
    for (size_t i = 1; i < span->n; i++)
      if (frac[i] > frac[best])
        best = i;
    out[best]++;
    frac[best] = -1;
    given++;
  }
  free(frac);
  return true;
}
