/* Bottleneck detection from the finished profile: a few rules over sites, threads and
 * processes.  Severity is on one scale, 0..1, mostly "the share of the program's
 * allocations (or bytes, or heap) this problem accounts for", so that problems of
 * different types sort together.  docs/merge.md lists the rules and thresholds. */
#include "bottleneck.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callers.h"
#include "hashmap.h"
#include "util.h"

const char *mg_bottleneck_type_name(enum mg_bottleneck_type t) {
  switch (t) {
  case MG_BN_LARGE_ALLOCATION: return "large_allocation";
  case MG_BN_THOUSAND_CUTS: return "thousand_cuts";
  case MG_BN_CHURN: return "churn";
  case MG_BN_CROSS_THREAD_FREE: return "cross_thread_free";
  case MG_BN_LEAK: return "leak";
  case MG_BN_THREAD_IMBALANCE: return "thread_imbalance";
  }
  return "?";
}

struct list {
  struct mg_bottleneck *items;
  size_t n, cap;
};

/* A figure in a sentence: "N", or for an estimate "about N (95%: L-H, n samples)". */
static void about(char *buf, size_t size, struct mg_figure f) {
  if (!f.estimated)
    snprintf(buf, size, "%" PRIu64, f.value);
  else
    snprintf(buf, size, "about %" PRIu64 " (95%%: %" PRIu64 "-%" PRIu64 ", %" PRIu64 " %s)",
             f.value, f.low, f.high, f.samples, f.samples == 1 ? "sample" : "samples");
}

static double clamp01(double x) { return x < 0 ? 0 : x > 1 ? 1 : x; }

static struct mg_bottleneck *add(struct list *l, enum mg_bottleneck_type type, uint64_t pid,
                                 uint64_t thread, uint64_t site, double severity) {
  MG_GROW(l->items, l->cap, l->n + 1);
  struct mg_bottleneck *b = &l->items[l->n++];
  memset(b, 0, sizeof *b);
  b->type = type;
  b->pid = pid;
  b->thread = thread;
  b->site = site;
  b->severity = clamp01(severity);
  return b;
}

/* "function (file:line)", or mg_site_fallback_name's, for descriptions. */
/* A site by its place: the first frame in the program's own code (callers.h). */
static void site_name(char *buf, size_t size, const struct mg_profile *p, const struct mg_site *s) {
  struct mg_caller c;
  if (mg_site_place(p, s, &c) && c.place.function) {
    if (c.place.file && c.place.line)
      snprintf(buf, size, "%s (%s:%" PRIu32 ")", c.place.function, c.place.file, c.place.line);
    else
      snprintf(buf, size, "%s", c.place.function);
  } else {
    mg_site_fallback_name(s, s->id, buf, size);
  }
}

/* A site's problem is the site's, whichever threads run it: its bottlenecks name the
 * busiest thread (b->thread) and say how the calls spread ("8 threads, the busiest 17%"). */
static void add_spread(struct list *l, size_t first, const struct mg_site *s) {
  double share = s->counts.allocations
                     ? 100.0 * (double)s->top_thread.allocations / (double)s->counts.allocations
                     : 100.0;
  for (size_t i = first; i < l->n; i++) {
    l->items[i].site_threads = s->threads;
    l->items[i].top_share = share / 100.0;
  }
  if (s->threads < 2)
    return;
  for (size_t i = first; i < l->n; i++) {
    char *d = l->items[i].description;
    size_t len = strlen(d);
    snprintf(d + len, sizeof l->items[i].description - len,
             " (%" PRIu64 " threads, the busiest %.0f%% of the calls)", s->threads, share);
  }
}

static void site_rules_of(struct list *l, const struct mg_profile *p, const struct mg_site *s);

static void site_rules(struct list *l, const struct mg_profile *p, const struct mg_site *s) {
  size_t first = l->n;
  site_rules_of(l, p, s);
  add_spread(l, first, s);
}

static void site_rules_of(struct list *l, const struct mg_profile *p, const struct mg_site *s) {
  const struct mg_counts *c = &s->counts, *t = &p->totals;
  if (mg_site_is_free(s) || c->allocations == 0)
    return;
  char name[160];
  site_name(name, sizeof name, p, s);
  uint64_t pid = s->top_thread.pid, thread = s->top_thread.thread;
  double allocs = (double)c->allocations, all = t->allocations ? (double)t->allocations : 1;
  double avg = (double)c->bytes_allocated / allocs;
  struct mg_bottleneck *b;

  if (s->sizes.max >= MG_BN_LARGE_SIZE) {
    double share = t->bytes_allocated ? (double)c->bytes_allocated / (double)t->bytes_allocated : 0;
    b = add(l, MG_BN_LARGE_ALLOCATION, pid, thread, s->id,
            0.5 * share + 0.5 * clamp01((double)s->sizes.max / MG_BN_LARGE_SCALE));
    snprintf(b->description, sizeof b->description,
             "%s allocates blocks of up to %" PRIu64 " bytes (%" PRIu64 " calls, %.0f%% of all "
             "bytes allocated)", name, s->sizes.max, c->allocations, 100 * share);
    snprintf(b->suggestion, sizeof b->suggestion,
             "allocate it once and reuse it, map it lazily, or stream the data in smaller "
             "chunks; check the size is not a runaway");
  }
  if (c->allocations >= MG_BN_CUTS_CALLS && avg <= MG_BN_CUTS_AVG) {
    b = add(l, MG_BN_THOUSAND_CUTS, pid, thread, s->id, allocs / all);
    snprintf(b->description, sizeof b->description,
             "%s makes %" PRIu64 " small allocations (average %.0f bytes, %.0f%% of all "
             "allocations)", name, c->allocations, avg, 100 * allocs / all);
    snprintf(b->suggestion, sizeof b->suggestion,
             "pool or batch these objects (free list, arena, slab), keep them on the stack, "
             "or embed them in their owner");
  }
  struct mg_figure churn_fig = mg_counts_blocks_figure(c, &c->est_short_lived);
  double churn = (double)churn_fig.value;
  if (churn >= MG_BN_CHURN_BLOCKS && churn >= MG_BN_CHURN_SHARE * allocs) {
    b = add(l, MG_BN_CHURN, pid, thread, s->id, churn / all);
    char n[96];
    about(n, sizeof n, churn_fig);
    snprintf(b->description, sizeof b->description,
             "%s: %s of its %" PRIu64 " blocks are freed within %llu us of their allocation",
             name, n, c->allocations, MG_SHORT_LIVED_NS / 1000);
    snprintf(b->suggestion, sizeof b->suggestion,
             "reuse one buffer across iterations, allocate outside the loop, or use a "
             "stack or scratch buffer");
  }
  struct mg_figure cross_fig = mg_counts_blocks_figure(c, &c->est_cross_freed);
  double cross = (double)cross_fig.value;
  if (cross >= MG_BN_CROSS_BLOCKS && cross >= MG_BN_CROSS_SHARE * allocs) {
    b = add(l, MG_BN_CROSS_THREAD_FREE, pid, thread, s->id, cross / all);
    char n[96], bytes[96];
    about(n, sizeof n, cross_fig);
    about(bytes, sizeof bytes, mg_est_figure(&c->est_cross_freed_bytes, c->estimated));
    snprintf(b->description, sizeof b->description,
             "%s: %s of its blocks (%s bytes) are freed by another thread than the one "
             "that allocated them", name, n, bytes);
    snprintf(b->suggestion, sizeof b->suggestion,
             "free where you allocate (hand buffers back to their owner), or use per-thread "
             "pools: remote frees contend in the allocator and bounce cache lines");
  }
  struct mg_figure live = mg_counts_figure(c, MG_LIVE_BYTES);
  struct mg_figure blocks = mg_counts_figure(c, MG_LIVE_BLOCKS);
  if (blocks.value > 0 && live.value > 0) {
    struct mg_figure peak = mg_counts_figure(t, MG_PEAK_LIVE_BYTES);
    b = add(l, MG_BN_LEAK, pid, thread, s->id,
            peak.value ? (double)live.value / (double)peak.value : 1);
    char n[96], bytes[96];
    about(n, sizeof n, blocks);
    about(bytes, sizeof bytes, live);
    snprintf(b->description, sizeof b->description, "%s: %s blocks (%s bytes) were never freed",
             name, n, bytes);
    snprintf(b->suggestion, sizeof b->suggestion,
             "free them on every path (error paths, thread exit, shutdown), or document them "
             "as intentional process-lifetime allocations");
  }
}

static void thread_rules(struct list *l, const struct mg_process *proc) {
  size_t busy = 0, with = 0;
  uint64_t sum = 0;
  for (size_t i = 0; i < proc->nthreads; i++) {
    uint64_t a = proc->threads[i].counts.allocations;
    if (!a)
      continue;
    with++;
    sum += a;
    if (a > proc->threads[busy].counts.allocations || !proc->threads[busy].counts.allocations)
      busy = i;
  }
  if (with < 2)
    return;
  const struct mg_thread *t = &proc->threads[busy];
  double others = (double)(sum - t->counts.allocations) / (double)(with - 1);
  double ratio = (double)t->counts.allocations / (others > 0 ? others : 1);
  if (ratio < MG_BN_IMBALANCE_RATIO)
    return;
  double share = (double)t->counts.allocations / (double)sum;
  struct mg_bottleneck *b = add(l, MG_BN_THREAD_IMBALANCE, proc->pid, t->index,
                                t->nhot ? t->hot[0].site : 0, share);
  snprintf(b->description, sizeof b->description,
           "thread %" PRIu64 "%s%s%s makes %.0f%% of the allocations of process %" PRIu64
           " (%.1fx the average of its %zu other allocating threads)",
           t->index, t->name ? " (" : "", t->name ? t->name : "", t->name ? ")" : "",
           100 * share, proc->pid, ratio, with - 1);
  snprintf(b->suggestion, sizeof b->suggestion,
           "spread the work (or the allocations) over the other threads, or give this thread "
           "its own arena so that it does not serialize the allocator");
}

static int by_severity(const void *a, const void *b) {
  const struct mg_bottleneck *x = a, *y = b;
  if (x->severity != y->severity)
    return x->severity < y->severity ? 1 : -1;
  if (x->type != y->type)
    return x->type < y->type ? -1 : 1;
  if (x->pid != y->pid)
    return x->pid < y->pid ? -1 : 1;
  if (x->thread != y->thread)
    return x->thread < y->thread ? -1 : 1;
  return (x->site > y->site) - (x->site < y->site);
}

size_t mg_bottlenecks(const struct mg_profile *p, struct mg_bottleneck **out) {
  struct list l = {0};
  for (size_t i = 0; i < p->nsites; i++)
    site_rules(&l, p, &p->sites[i]);
  for (size_t i = 0; i < p->ninputs; i++)
    if (p->inputs[i].process)
      thread_rules(&l, p->inputs[i].process);
  if (l.n > 1)
    qsort(l.items, l.n, sizeof *l.items, by_severity);
  *out = l.items;
  return l.n;
}

/* --- Thread alerts ------------------------------------------------------------------- */

enum mg_alert_level mg_bottleneck_level(double severity) {
  return severity >= MG_ALERT_SEVERITY_HIGH    ? MG_ALERT_HIGH
         : severity >= MG_ALERT_SEVERITY_WATCH ? MG_ALERT_WATCH
                                               : MG_ALERT_OK;
}

const char *mg_alert_level_name(enum mg_alert_level level) {
  switch (level) {
  case MG_ALERT_OK: return "ok";
  case MG_ALERT_WATCH: return "watch";
  case MG_ALERT_HIGH: return "high";
  }
  return "?";
}

const char *mg_alert_rule_name(enum mg_alert_rule rule) {
  switch (rule) {
  case MG_ALERT_BOTTLENECK: return "bottleneck";
  case MG_ALERT_IMBALANCE: return "imbalance";
  case MG_ALERT_SHORT_LIVED: return "short_lived";
  case MG_ALERT_CROSS_THREAD: return "cross_thread";
  }
  return "?";
}

static struct mg_alert_reason *raise_alert(struct mg_alert *a, enum mg_alert_rule rule,
                                           enum mg_alert_level level) {
  struct mg_alert_reason *r = &a->reasons[a->nreasons++];
  r->rule = rule;
  r->level = level;
  if (level > a->level)
    a->level = level;
  return r;
}

static int by_level(const void *x, const void *y) {
  const struct mg_alert_reason *a = x, *b = y;
  if (a->level != b->level)
    return a->level < b->level ? 1 : -1;
  return (a->rule > b->rule) - (a->rule < b->rule);
}

/* A thread's share of its blocks with some property stands out from its peers': at
 * least 1.5 times theirs (anything, when the peers have none or there are none). */
static bool above_peers(double mine, double mine_allocs, double all, double all_allocs) {
  double peer_allocs = all_allocs - mine_allocs;
  if (peer_allocs <= 0 || mine_allocs <= 0)
    return true;
  return mine / mine_allocs >= 1.5 * ((all - mine) / peer_allocs);
}

/* The process's blocks: allocated, short-lived, freed by another thread. */
struct peer_totals {
  double allocs, shorts, cross;
};

static double thread_shorts(const struct mg_thread *t) {
  return (double)mg_counts_blocks_figure(&t->counts, &t->counts.est_short_lived).value;
}
static double thread_cross(const struct mg_thread *t) {
  return (double)mg_counts_blocks_figure(&t->counts, &t->counts.est_cross_freed).value;
}

static void thread_alert(struct mg_alert *a, const struct mg_thread *t, double others_mean,
                         const struct peer_totals *all, const struct mg_bottleneck *worst) {
  memset(a, 0, sizeof *a);
  struct mg_alert_reason *r;
  enum mg_alert_level level = worst ? mg_bottleneck_level(worst->severity) : MG_ALERT_OK;
  if (level != MG_ALERT_OK) {
    r = raise_alert(a, MG_ALERT_BOTTLENECK, level);
    snprintf(r->text, sizeof r->text, "%s bottleneck of severity %.2f",
             mg_bottleneck_type_name(worst->type), worst->severity);
  }
  double allocs = (double)t->counts.allocations;
  double ratio = others_mean > 0 ? allocs / others_mean : 0;
  if (ratio >= MG_ALERT_IMBALANCE_WATCH) {
    r = raise_alert(a, MG_ALERT_IMBALANCE,
                    ratio >= MG_ALERT_IMBALANCE_HIGH ? MG_ALERT_HIGH : MG_ALERT_WATCH);
    snprintf(r->text, sizeof r->text,
             "%.1fx the mean allocations of the other threads of its process", ratio);
  }
  double shorts = thread_shorts(t);
  if (shorts >= MG_BN_CHURN_BLOCKS && shorts >= MG_BN_CHURN_SHARE * allocs &&
      above_peers(shorts, allocs, all->shorts, all->allocs)) {
    r = raise_alert(a, MG_ALERT_SHORT_LIVED, MG_ALERT_WATCH);
    snprintf(r->text, sizeof r->text, "%.0f%% of its blocks freed within %llu us",
             100 * shorts / allocs, MG_SHORT_LIVED_NS / 1000);
  }
  double cross = thread_cross(t);
  if (cross >= MG_BN_CROSS_BLOCKS && cross >= MG_BN_CROSS_SHARE * allocs &&
      above_peers(cross, allocs, all->cross, all->allocs)) {
    r = raise_alert(a, MG_ALERT_CROSS_THREAD, MG_ALERT_WATCH);
    snprintf(r->text, sizeof r->text, "%.0f%% of its blocks freed by other threads",
             100 * cross / allocs);
  }
  qsort(a->reasons, a->nreasons, sizeof *a->reasons, by_level);
}

/* A site's bottleneck is about its busiest thread only when that thread stands out from
 * the others that run the site: it made at least 1.5 times its fair share of the calls
 * (and at most 90% is asked of it), or it is the only one. */
static bool stands_out(const struct mg_bottleneck *b) {
  if (!b->site || b->site_threads < 2)
    return true;
  double fair = 1.0 / (double)b->site_threads;
  return b->top_share >= (1.5 * fair < 0.9 ? 1.5 * fair : 0.9);
}

void mg_thread_alerts(const struct mg_process *proc, const struct mg_bottleneck *bn, size_t nbn,
                      struct mg_alert *out) {
  /* The worst bottleneck about each thread of the process: thread index -> its position
   * in bn, + 1. */
  struct mg_map worst;
  mg_map_init(&worst, sizeof(size_t));
  for (size_t i = 0; i < nbn; i++) {
    if (bn[i].pid != proc->pid || !bn[i].thread || !stands_out(&bn[i]))
      continue;
    size_t *w = mg_map_put(&worst, bn[i].thread, NULL);
    if (!*w || bn[i].severity > bn[*w - 1].severity)
      *w = i + 1;
  }
  /* The imbalance rule's mean: of the *other* threads that allocate. */
  double sum = 0;
  size_t with = 0;
  struct peer_totals all = {0};
  for (size_t i = 0; i < proc->nthreads; i++) {
    const struct mg_thread *t = &proc->threads[i];
    if (t->counts.allocations) {
      sum += (double)t->counts.allocations;
      with++;
    }
    all.allocs += (double)t->counts.allocations;
    all.shorts += thread_shorts(t);
    all.cross += thread_cross(t);
  }
  for (size_t i = 0; i < proc->nthreads; i++) {
    const struct mg_thread *t = &proc->threads[i];
    double others = with > 1 ? (sum - (double)t->counts.allocations) / (double)(with - 1) : 0;
    const size_t *w = mg_map_get(&worst, t->index);
    thread_alert(&out[i], t, others, &all, w ? &bn[*w - 1] : NULL);
  }
  mg_map_destroy(&worst);
}

void mg_profile_finish(struct mg_profile *p) {
  free(p->bottlenecks);
  p->nbottlenecks = mg_bottlenecks(p, &p->bottlenecks);
  p->finished = true;
}

size_t mg_profile_bottlenecks(const struct mg_profile *p, const struct mg_bottleneck **out,
                              struct mg_bottleneck **to_free) {
  *to_free = NULL;
  if (p->finished) {
    *out = p->bottlenecks;
    return p->nbottlenecks;
  }
  size_t n = mg_bottlenecks(p, to_free);
  *out = *to_free;
  return n;
}
