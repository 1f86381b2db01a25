/* The HTML report: one self-contained file (docs/reports.md).  The analysis goes in as
 * compact JSON inside <script type="application/json">, and merge/html/report.js (built
 * into this binary with report.css: html_assets.c) draws the dashboard from it in the
 * browser.  No network access, nothing loaded from elsewhere.
 *
 * Program strings (function and file names, thread names, labels) reach the page only
 * through that JSON, written script-safe (json.h), and the script puts them in the page
 * as text nodes, never as markup.  The one string this file writes as HTML, the title,
 * goes through mg_html_escape.
 *
 * The data is laid out for size: sites and threads are rows of a column list given once
 * ("site_columns", "thread_columns"), function and file names are indexes into a string
 * table, so that 10,000 sites and 1,000 threads stay a few MB and load in well under a
 * second (docs/reports.md has the measured figures). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bottleneck.h"
#include "hashmap.h"
#include "json.h"
#include "memscope/format.h"
#include "report.h"
#include "resources.h"
#include "util.h"

#define MG_HTML_SCHEMA "memscope-html/1"

/* The page's script and style sheet (merge/html/, embedded at build time). */
extern const unsigned char mg_html_report_js[];
extern const unsigned char mg_html_report_css[];

void mg_html_escape(FILE *out, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs("&quot;", out); break;
    case '\'': fputs("&#39;", out); break;
    default: fputc(*s, out);
    }
  }
}

/* --- Helpers ------------------------------------------------------------------------ */

/* A figure as [value, error]; error 0 when exact. */
static void figure(struct mg_json *j, struct mg_figure f) {
  mg_json_flat_array(j);
  mg_json_uint(j, f.value);
  mg_json_uint(j, f.error);
  mg_json_end(j);
}

static void kfigure(struct mg_json *j, const char *key, struct mg_figure f) {
  mg_json_key(j, key);
  figure(j, f);
}

static double rounded(double v) { return v > 0 ? (double)llround(v) : 0; }

static void doubles(struct mg_json *j, const char *key, const double *v, size_t n) {
  mg_json_key(j, key);
  mg_json_flat_array(j);
  for (size_t i = 0; i < n; i++)
    mg_json_double(j, rounded(v[i]));
  mg_json_end(j);
}

/* Function and file names, once each. */
struct strings {
  struct mg_map index; /* hash of the string -> position + 1 (collisions checked) */
  const char **v;
  size_t n, cap;
};

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

/* The string's position in the table; -1 for NULL. */
static int64_t intern(struct strings *t, const char *s) {
  if (!s)
    return -1;
  /* Linear probing on the hash itself keeps equal strings on one key. */
  for (uint64_t h = hash_str(s);; h++) {
    bool existed;
    size_t *slot = mg_map_put(&t->index, h, &existed);
    if (!existed) {
      MG_GROW(t->v, t->cap, t->n + 1);
      t->v[t->n] = s;
      *slot = ++t->n;
      return (int64_t)t->n - 1;
    }
    if (strcmp(t->v[*slot - 1], s) == 0)
      return (int64_t)*slot - 1;
  }
}

static void int_or_null(struct mg_json *j, int64_t v) {
  if (v < 0)
    mg_json_null(j);
  else
    mg_json_uint(j, (uint64_t)v);
}

/* --- Thread alert levels ------------------------------------------------------------
 * 2 (high), 1 (watch) or 0 for each thread card, with the reason, from what the
 * analysis knows: a bottleneck about the thread, its share of its process's
 * allocations, short-lived churn, cross-thread frees.  Thresholds in docs/reports.md. */

struct alert {
  int level;
  char reason[160];
};

static void alert_raise(struct alert *a, int level, const char *reason) {
  if (level > a->level) {
    a->level = level;
    snprintf(a->reason, sizeof a->reason, "%s", reason);
  }
}

static struct alert thread_alert(const struct mg_process *proc, const struct mg_thread *t,
                                 double mean_allocs, double worst_bottleneck) {
  struct alert a = {0, ""};
  char why[160];
  if (worst_bottleneck >= 0.5) {
    snprintf(why, sizeof why, "bottleneck of severity %.2f", worst_bottleneck);
    alert_raise(&a, 2, why);
  } else if (worst_bottleneck >= 0.2) {
    snprintf(why, sizeof why, "bottleneck of severity %.2f", worst_bottleneck);
    alert_raise(&a, 1, why);
  }
  double allocs = (double)t->counts.allocations;
  if (proc->nthreads > 1 && mean_allocs > 0 && allocs >= 4 * mean_allocs) {
    snprintf(why, sizeof why, "%.1fx the mean allocations of its process", allocs / mean_allocs);
    alert_raise(&a, 2, why);
  } else if (proc->nthreads > 1 && mean_allocs > 0 && allocs >= 2 * mean_allocs) {
    snprintf(why, sizeof why, "%.1fx the mean allocations of its process", allocs / mean_allocs);
    alert_raise(&a, 1, why);
  }
  double shorts = t->counts.est_short_lived.value;
  if (shorts >= 1000 && allocs > 0 && shorts >= 0.5 * allocs) {
    snprintf(why, sizeof why, "%.0f%% of its blocks freed within 100 us", 100 * shorts / allocs);
    alert_raise(&a, 1, why);
  }
  double cross = t->counts.est_cross_freed.value;
  if (cross >= 1000 && allocs > 0 && cross >= 0.1 * allocs) {
    snprintf(why, sizeof why, "%.0f%% of its blocks freed by other threads", 100 * cross / allocs);
    alert_raise(&a, 1, why);
  }
  return a;
}

/* --- Sections of the data -------------------------------------------------------------- */

static void totals(struct mg_json *j, const struct mg_profile *p) {
  const struct mg_counts *c = &p->totals;
  mg_json_key(j, "totals");
  mg_json_object(j);
  mg_json_kbool(j, "estimated", c->estimated);
  mg_json_kuint(j, "processes", p->nprocesses);
  mg_json_kuint(j, "threads", p->nthreads);
  mg_json_kuint(j, "sites", p->nsites);
  mg_json_kuint(j, "allocations", c->allocations);
  mg_json_kuint(j, "failed_allocations", c->failed_allocations);
  mg_json_kuint(j, "reallocs", c->reallocs);
  mg_json_kuint(j, "frees", c->frees);
  mg_json_kuint(j, "bytes_allocated", c->bytes_allocated);
  kfigure(j, "bytes_freed", mg_counts_figure(c, MG_BYTES_FREED));
  kfigure(j, "live_blocks", mg_counts_figure(c, MG_LIVE_BLOCKS));
  kfigure(j, "live_bytes", mg_counts_figure(c, MG_LIVE_BYTES));
  kfigure(j, "peak_live_bytes", mg_counts_figure(c, MG_PEAK_LIVE_BYTES));
  kfigure(j, "short_lived", mg_est_figure(&c->est_short_lived, c->estimated));
  kfigure(j, "cross_thread_freed", mg_est_figure(&c->est_cross_freed, c->estimated));
  mg_json_kuint(j, "samples", c->samples);
  /* Memory patterns: freed blocks by lifetime decade, over every site. */
  double life[MG_LIFETIME_BUCKETS] = {0};
  uint64_t chains = 0, chain_steps = 0;
  for (size_t i = 0; i < p->nsites; i++) {
    for (size_t k = 0; k < MG_LIFETIME_BUCKETS; k++)
      life[k] += p->sites[i].lifetime[k].value;
    chains += p->sites[i].chains;
    chain_steps += p->sites[i].chain_steps;
  }
  doubles(j, "lifetimes", life, MG_LIFETIME_BUCKETS);
  mg_json_kuint(j, "realloc_chains", chains);
  mg_json_kuint(j, "realloc_chain_steps", chain_steps);
  mg_json_end(j);
}

static void inputs(struct mg_json *j, const struct mg_profile *p) {
  mg_json_key(j, "inputs");
  mg_json_array(j);
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_input *in = &p->inputs[i];
    char msg[512] = "";
    if (in->problem.status != MG_DECODE_OK)
      mg_decode_problem_format(&in->problem, msg, sizeof msg);
    mg_json_object(j);
    mg_json_kstring(j, "path", in->path);
    mg_json_kbool(j, "usable", in->process != NULL);
    mg_json_kbool(j, "filtered", in->filtered);
    mg_json_kstring(j, "problem", *msg ? msg : NULL);
    mg_json_end(j);
  }
  mg_json_end(j);
}

/* The resource sampler's summary, timeline (columns of the points) and threads
 * ([thread or null, tid, name, user_ns, system_ns, share, read or null, write or null]);
 * null when the process recorded no tick. */
static double tenths(double v) { return isnan(v) ? v : (double)llround(v * 10) / 10; }

static void resources(struct mg_json *j, const struct mg_process *proc) {
  const struct mg_resources *res = proc->resources;
  mg_json_key(j, "resources");
  if (!res) {
    mg_json_null(j);
    return;
  }
  const struct mg_resource_summary *s = &res->summary;
  mg_json_object(j);
  mg_json_kuint(j, "ticks", s->ticks);
  mg_json_kuint(j, "per_point", res->stride);
  mg_json_kuint(j, "first_ns", s->first_ns);
  mg_json_kuint(j, "last_ns", s->last_ns);
  mg_json_kuint(j, "peak_rss", s->peak_rss);
  mg_json_kuint(j, "peak_rss_ns", s->peak_rss_ns);
  mg_json_kuint(j, "peak_vsize", s->peak_vsize);
  mg_json_kdouble(j, "peak_cpu", tenths(s->peak_cpu_percent));
  mg_json_kuint(j, "peak_cpu_ns", s->peak_cpu_ns);
  mg_json_kdouble(j, "avg_cpu", tenths(s->average_cpu_percent));
  mg_json_kuint(j, "user_ns", s->user_ns);
  mg_json_kuint(j, "system_ns", s->system_ns);
  mg_json_kuint(j, "read_bytes", s->read_bytes);
  mg_json_kuint(j, "write_bytes", s->write_bytes);
  mg_json_kuint(j, "minor_faults", s->minor_faults);
  mg_json_kuint(j, "major_faults", s->major_faults);
  mg_json_kuint(j, "voluntary_switches", s->voluntary_switches);
  mg_json_kuint(j, "involuntary_switches", s->involuntary_switches);
  static const char *const keys[] = {"ns", "rss", "vsize", "cpu", "read", "write"};
  for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
    mg_json_key(j, keys[k]);
    mg_json_flat_array(j);
    for (size_t i = 0; i < res->npoints; i++) {
      const struct mg_resource_point *pt = &res->points[i];
      switch (k) {
      case 0: mg_json_uint(j, pt->ns); break;
      case 1: mg_json_uint(j, pt->rss); break;
      case 2: mg_json_uint(j, pt->vsize); break;
      case 3: mg_json_double(j, tenths(pt->cpu_percent)); break;
      case 4: mg_json_double(j, isnan(pt->read_rate) ? NAN : rounded(pt->read_rate)); break;
      case 5: mg_json_double(j, isnan(pt->write_rate) ? NAN : rounded(pt->write_rate)); break;
      }
    }
    mg_json_end(j);
  }
  mg_json_key(j, "threads");
  mg_json_array(j);
  for (size_t i = 0; i < res->nthreads; i++) {
    const struct mg_resource_thread *t = &res->threads[i];
    mg_json_flat_array(j);
    int_or_null(j, t->thread ? (int64_t)t->thread : -1);
    mg_json_uint(j, t->os_tid);
    mg_json_string(j, t->name);
    mg_json_uint(j, t->user_ns);
    mg_json_uint(j, t->system_ns);
    mg_json_double(j, (double)llround(t->cpu_share * 10000) / 10000);
    int_or_null(j, t->has_io ? (int64_t)t->read_bytes : -1);
    int_or_null(j, t->has_io ? (int64_t)t->write_bytes : -1);
    mg_json_end(j);
  }
  mg_json_end(j);
  mg_json_end(j);
}

static void process(struct mg_json *j, const struct mg_process *proc) {
  mg_json_object(j);
  mg_json_key(j, "pid");
  if (proc->present & MG_HEADER_HAS_PID)
    mg_json_uint(j, proc->pid);
  else
    mg_json_null(j);
  mg_json_kstring(j, "program", proc->program);
  mg_json_kstring(j, "path", proc->path);
  mg_json_kstring(j, "mode", proc->mode);
  mg_json_kstring(j, "sampler", proc->sampler);
  mg_json_kuint(j, "sample_interval", proc->sample_interval);
  mg_json_kbool(j, "sampled", proc->sampled);
  mg_json_kbool(j, "complete", proc->complete);
  mg_json_kstring(j, "end_reason", proc->end_reason);
  mg_json_kuint(j, "start_unix_ns", proc->start_unix_ns);
  mg_json_kuint(j, "threads", proc->nthreads);
  mg_json_kuint(j, "events", proc->events);
  mg_json_kuint(j, "first_ns", proc->first_ns);
  mg_json_kuint(j, "last_ns", proc->last_ns);
  mg_json_kuint(j, "late_events", proc->late_events);
  mg_json_kuint(j, "window_max", proc->window_max);
  mg_json_kuint(j, "allocations", proc->counts.allocations);
  mg_json_kuint(j, "bytes_allocated", proc->counts.bytes_allocated);
  kfigure(j, "peak", mg_counts_figure(&proc->counts, MG_PEAK_LIVE_BYTES));
  mg_json_kuint(j, "peak_ns", proc->peak_ns);
  mg_json_kuint(j, "bucket_ns", proc->timeline_width);
  doubles(j, "live", proc->timeline_live, MG_TIMELINE_BUCKETS);
  doubles(j, "allocs", proc->timeline_allocs, MG_TIMELINE_BUCKETS);
  mg_json_key(j, "phases");
  mg_json_array(j);
  for (size_t k = 0; k < proc->nphases; k++) {
    const struct mg_phase *ph = &proc->phases[k];
    uint64_t ns;
    mg_json_object(j);
    mg_json_kuint(j, "id", ph->id);
    mg_json_kstring(j, "label", ph->label);
    mg_json_key(j, "time_ns");
    if (mg_phase_time(proc, ph, &ns))
      mg_json_uint(j, ns);
    else
      mg_json_null(j);
    kfigure(j, "allocations", mg_est_figure(&ph->allocations, proc->sampled));
    kfigure(j, "bytes", mg_est_figure(&ph->bytes, proc->sampled));
    mg_json_end(j);
  }
  mg_json_end(j);
  resources(j, proc);
  mg_json_end(j);
}

/* Sites in the order the page shows them first: by bytes, then calls, then id. */
static int by_bytes(const void *a, const void *b) {
  const struct mg_site *x = *(const struct mg_site *const *)a, *y = *(const struct mg_site *const *)b;
  uint64_t bx = mg_site_bytes(x), by = mg_site_bytes(y), cx = mg_site_calls(x), cy = mg_site_calls(y);
  if (bx != by)
    return bx < by ? 1 : -1;
  if (cx != cy)
    return cx < cy ? 1 : -1;
  return (x->id > y->id) - (x->id < y->id);
}

static const char *const site_columns[] = {
    "id", "api", "kind", "calls", "bytes", "allocations", "frees", "min", "avg", "max",
    "live_blocks", "live_bytes", "short_lived", "cross_thread", "estimated",
    "top_pid", "top_thread", "frames",
};

static void site_row(struct mg_json *j, const struct mg_site *s, struct strings *strs) {
  char id[24];
  snprintf(id, sizeof id, "0x%" PRIx64, s->id);
  bool est = s->counts.estimated;
  mg_json_flat_array(j);
  mg_json_string(j, id);
  mg_json_string(j, s->described ? mg_api_name(s->api) : "?");
  mg_json_string(j, mg_site_is_free(s) ? "free"
                    : mg_api_kind(s->api) == MG_API_REALLOC ? "realloc"
                                                             : "alloc");
  mg_json_uint(j, mg_site_calls(s));
  mg_json_uint(j, mg_site_bytes(s));
  mg_json_uint(j, s->counts.allocations);
  mg_json_uint(j, s->counts.frees);
  mg_json_uint(j, s->sizes.min);
  mg_json_uint(j, s->sizes.calls ? (uint64_t)llround((double)s->sizes.bytes / (double)s->sizes.calls) : 0);
  mg_json_uint(j, s->sizes.max);
  mg_json_uint(j, mg_counts_figure(&s->counts, MG_LIVE_BLOCKS).value);
  mg_json_uint(j, mg_counts_figure(&s->counts, MG_LIVE_BYTES).value);
  mg_json_uint(j, mg_est_figure(&s->counts.est_short_lived, est).value);
  mg_json_uint(j, mg_est_figure(&s->counts.est_cross_freed, est).value);
  mg_json_bool(j, est);
  mg_json_uint(j, s->top_thread.pid);
  mg_json_uint(j, s->top_thread.thread);
  mg_json_flat_array(j); /* frames: [function, file, line, column], innermost first */
  for (size_t f = 0; f < s->nframes; f++) {
    mg_json_flat_array(j);
    int_or_null(j, intern(strs, s->frames[f].function));
    int_or_null(j, intern(strs, s->frames[f].file));
    mg_json_uint(j, s->frames[f].line);
    mg_json_uint(j, s->frames[f].column);
    mg_json_end(j);
  }
  mg_json_end(j);
  mg_json_end(j);
}

static const char *const thread_columns[] = {
    "process", "thread", "tid", "name", "allocations", "frees", "bytes_allocated",
    "bytes_freed", "peak", "peak_error", "peak_ns", "average_size", "short_lived",
    "cross_thread", "live_bytes", "hot", "alert", "alert_reason", "start_ns", "end_ns",
    "timeline", "cpu_ns", "cpu_share", "read_bytes", "write_bytes",
};

/* Key of a thread in maps: process position and thread index. */
static uint64_t thread_key(size_t proc, uint64_t index) { return (uint64_t)proc << 40 | index; }

static void thread_row(struct mg_json *j, size_t pi, const struct mg_process *proc,
                       const struct mg_thread *t, const struct mg_map *site_pos,
                       const struct alert *a) {
  bool est = t->counts.estimated;
  struct mg_figure peak = proc->sampled ? mg_est_figure(&t->est_peak_live_bytes, true)
                                        : (struct mg_figure){t->peak_live_bytes, 0, false};
  mg_json_flat_array(j);
  mg_json_uint(j, pi);
  mg_json_uint(j, t->index);
  int_or_null(j, t->os_tid ? (int64_t)t->os_tid : -1);
  mg_json_string(j, t->name);
  mg_json_uint(j, t->counts.allocations);
  mg_json_uint(j, t->counts.frees);
  mg_json_uint(j, t->counts.bytes_allocated);
  mg_json_uint(j, mg_counts_figure(&t->counts, MG_BYTES_FREED).value);
  mg_json_uint(j, peak.value);
  mg_json_uint(j, peak.error);
  mg_json_uint(j, t->peak_ns);
  mg_json_uint(j, t->counts.allocations
                      ? (uint64_t)llround((double)t->counts.bytes_allocated / (double)t->counts.allocations)
                      : 0);
  mg_json_uint(j, mg_est_figure(&t->counts.est_short_lived, est).value);
  mg_json_uint(j, mg_est_figure(&t->counts.est_cross_freed, est).value);
  mg_json_uint(j, mg_counts_figure(&t->counts, MG_LIVE_BYTES).value);
  mg_json_flat_array(j); /* hot sites: [site position, allocations] */
  for (size_t k = 0; k < t->nhot; k++) {
    const size_t *pos = mg_map_get(site_pos, t->hot[k].site);
    if (!pos)
      continue; /* filtered out */
    mg_json_flat_array(j);
    mg_json_uint(j, *pos);
    mg_json_uint(j, t->hot[k].allocations);
    mg_json_end(j);
  }
  mg_json_end(j);
  mg_json_uint(j, (uint64_t)a->level);
  mg_json_string(j, a->reason);
  mg_json_uint(j, t->start_ns);
  mg_json_uint(j, t->end_ns);
  mg_json_flat_array(j);
  for (size_t k = 0; k < MG_TIMELINE_BUCKETS; k++)
    mg_json_double(j, rounded(t->timeline_allocs[k]));
  mg_json_end(j);
  /* From the resource sampler: null when it did not see the thread. */
  const struct mg_resource_thread *rt = mg_resources_thread(proc->resources, t->index);
  int_or_null(j, rt ? (int64_t)(rt->user_ns + rt->system_ns) : -1);
  if (rt)
    mg_json_double(j, (double)llround(rt->cpu_share * 10000) / 10000);
  else
    mg_json_null(j);
  int_or_null(j, rt && rt->has_io ? (int64_t)rt->read_bytes : -1);
  int_or_null(j, rt && rt->has_io ? (int64_t)rt->write_bytes : -1);
  mg_json_end(j);
}

static void columns(struct mg_json *j, const char *key, const char *const *names, size_t n) {
  mg_json_key(j, key);
  mg_json_flat_array(j);
  for (size_t i = 0; i < n; i++)
    mg_json_string(j, names[i]);
  mg_json_end(j);
}

/* Position of the process with this pid (bottlenecks name processes by pid). */
static int64_t process_of_pid(const struct mg_process *const *procs, size_t n, uint64_t pid) {
  for (size_t i = 0; i < n; i++)
    if (procs[i]->pid == pid)
      return (int64_t)i;
  return -1;
}

static void data(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt) {
  struct mg_json j;
  mg_json_init_script(&j, out);
  mg_json_object(&j);
  mg_json_kstring(&j, "schema", MG_HTML_SCHEMA);
  mg_json_kuint(&j, "format_version", MS_FORMAT_VERSION);
  totals(&j, p);
  inputs(&j, p);

  /* Processes that were read, in input order: the page names them by position. */
  const struct mg_process **procs = mg_xmalloc((p->ninputs ? p->ninputs : 1) * sizeof *procs);
  size_t nprocs = 0;
  for (size_t i = 0; i < p->ninputs; i++)
    if (p->inputs[i].process)
      procs[nprocs++] = p->inputs[i].process;
  mg_json_key(&j, "processes");
  mg_json_array(&j);
  for (size_t i = 0; i < nprocs; i++)
    process(&j, procs[i]);
  mg_json_end(&j);

  /* Sites, by bytes; the page and the other lists refer to them by position. */
  const struct mg_site **sites = mg_xmalloc((p->nsites ? p->nsites : 1) * sizeof *sites);
  size_t nsites = 0;
  for (size_t i = 0; i < p->nsites; i++)
    if (mg_report_shows_site(opt, p->sites[i].id))
      sites[nsites++] = &p->sites[i];
  qsort(sites, nsites, sizeof *sites, by_bytes);
  struct mg_map site_pos;
  mg_map_init(&site_pos, sizeof(size_t));
  for (size_t i = 0; i < nsites; i++)
    *(size_t *)mg_map_put(&site_pos, sites[i]->id, NULL) = i;
  struct strings strs = {0};
  mg_map_init(&strs.index, sizeof(size_t));
  columns(&j, "site_columns", site_columns, sizeof site_columns / sizeof *site_columns);
  mg_json_key(&j, "sites");
  mg_json_array(&j);
  for (size_t i = 0; i < nsites; i++)
    site_row(&j, sites[i], &strs);
  mg_json_end(&j);
  mg_json_key(&j, "strings");
  mg_json_flat_array(&j);
  for (size_t i = 0; i < strs.n; i++)
    mg_json_string(&j, strs.v[i]);
  mg_json_end(&j);

  /* Bottlenecks, and the worst one about each thread for its alert level. */
  struct mg_bottleneck *bn;
  size_t nbn = mg_bottlenecks(p, &bn);
  struct mg_map worst;
  mg_map_init(&worst, sizeof(double));
  mg_json_key(&j, "bottlenecks");
  mg_json_array(&j);
  for (size_t i = 0; i < nbn; i++) {
    const struct mg_bottleneck *b = &bn[i];
    if ((b->site && !mg_report_shows_site(opt, b->site)) || (opt->has_site && !b->site) ||
        (opt->has_thread && !mg_report_shows_thread(opt, b->pid, b->thread)))
      continue;
    int64_t pi = process_of_pid(procs, nprocs, b->pid);
    if (pi >= 0 && b->thread) {
      double *w = mg_map_put(&worst, thread_key((size_t)pi, b->thread), NULL);
      if (b->severity > *w)
        *w = b->severity;
    }
    const size_t *sp = b->site ? mg_map_get(&site_pos, b->site) : NULL;
    mg_json_object(&j);
    mg_json_kstring(&j, "type", mg_bottleneck_type_name(b->type));
    mg_json_key(&j, "process");
    int_or_null(&j, pi);
    mg_json_kuint(&j, "thread", b->thread);
    mg_json_key(&j, "site");
    int_or_null(&j, sp ? (int64_t)*sp : -1);
    mg_json_kdouble(&j, "severity", (double)llround(b->severity * 1000) / 1000);
    mg_json_kstring(&j, "description", b->description);
    mg_json_kstring(&j, "suggestion", b->suggestion);
    mg_json_end(&j);
  }
  mg_json_end(&j);
  free(bn);

  columns(&j, "thread_columns", thread_columns, sizeof thread_columns / sizeof *thread_columns);
  mg_json_key(&j, "threads");
  mg_json_array(&j);
  for (size_t pi = 0; pi < nprocs; pi++) {
    const struct mg_process *proc = procs[pi];
    double sum = 0;
    size_t with = 0;
    for (size_t t = 0; t < proc->nthreads; t++)
      if (proc->threads[t].counts.allocations) {
        sum += (double)proc->threads[t].counts.allocations;
        with++;
      }
    for (size_t t = 0; t < proc->nthreads; t++) {
      const struct mg_thread *thr = &proc->threads[t];
      if (!mg_report_shows_thread(opt, proc->pid, thr->index))
        continue;
      /* The mean of the *other* allocating threads, as the imbalance rule has it. */
      double others = with > 1 ? (sum - (double)thr->counts.allocations) / (double)(with - 1) : 0;
      const double *w = mg_map_get(&worst, thread_key(pi, thr->index));
      struct alert a = thread_alert(proc, thr, others, w ? *w : 0);
      thread_row(&j, pi, proc, thr, &site_pos, &a);
    }
  }
  mg_json_end(&j);

  /* Blocks allocated by one thread and freed by another: [process, alloc thread, free
   * thread, blocks, bytes]. */
  mg_json_key(&j, "cross");
  mg_json_array(&j);
  for (size_t pi = 0; pi < nprocs; pi++) {
    const struct mg_process *proc = procs[pi];
    for (size_t k = 0; k < proc->ninteractions; k++) {
      const struct mg_interaction *x = &proc->interactions[k];
      if (!mg_report_shows_thread(opt, proc->pid, x->alloc_thread) &&
          !mg_report_shows_thread(opt, proc->pid, x->free_thread))
        continue;
      mg_json_flat_array(&j);
      mg_json_uint(&j, pi);
      mg_json_uint(&j, x->alloc_thread);
      mg_json_uint(&j, x->free_thread);
      mg_json_double(&j, rounded(x->blocks.value));
      mg_json_double(&j, rounded(x->bytes.value));
      mg_json_end(&j);
    }
  }
  mg_json_end(&j);
  mg_json_end(&j);

  mg_map_destroy(&worst);
  mg_map_destroy(&site_pos);
  mg_map_destroy(&strs.index);
  free(strs.v);
  free(sites);
  free(procs);
}

void mg_report_html(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt) {
  struct mg_report_options none = {0};
  if (!opt)
    opt = &none;
  /* The title names the programs (escaped: they are the profiled program's strings). */
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        "<title>memscope: ", out);
  size_t named = 0;
  for (size_t i = 0; i < p->ninputs && named < 3; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    if (!proc)
      continue;
    fputs(named ? ", " : "", out);
    mg_html_escape(out, proc->program ? proc->program : "?");
    named++;
  }
  if (!named)
    fputs("no data", out);
  fputs("</title>\n<style>\n", out);
  fputs((const char *)mg_html_report_css, out);
  fputs("</style>\n</head>\n<body>\n"
        "<noscript><p>This report draws itself with JavaScript; please enable it.</p></noscript>\n"
        "<div id=\"app\"></div>\n"
        "<div id=\"ms-errors\" hidden data-count=\"0\"></div>\n"
        "<script type=\"application/json\" id=\"memscope-data\">", out);
  data(out, p, opt);
  fputs("</script>\n<script>\n", out);
  fputs((const char *)mg_html_report_js, out);
  fputs("</script>\n</body>\n</html>\n", out);
}
