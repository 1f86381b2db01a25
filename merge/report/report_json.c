/* The JSON report: everything the analysis knows, for programs, and the data of the
 * HTML page (report_html.c embeds it, compact, and the page's script draws from it).
 * docs/json.md is its schema; a change here is a change there (and of MG_JSON_SCHEMA
 * when it breaks readers).  Site ids are hex strings (64-bit values do not survive a
 * JSON double); estimates are {"value", "error"} objects whose error is 0 when exact. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "bottleneck.h"
#include "callers.h"
#include "json.h"
#include "memscope/format.h"
#include "report.h"
#include "report_parts.h"
#include "resources.h"
#include "stacks.h"
#include "util.h"

#define MG_JSON_SCHEMA "memscope-merge/1"

/* A figure that a leaks-mode process cannot know (mg_counts.lives_only): null. */
static void kuint_or_null(struct mg_json *j, const char *key, uint64_t v, bool unknown) {
  mg_json_key(j, key);
  if (unknown)
    mg_json_null(j);
  else
    mg_json_uint(j, v);
}

static void kfigure_or_null(struct mg_json *j, const char *key, struct mg_figure f, bool unknown) {
  if (unknown) {
    mg_json_key(j, key);
    mg_json_null(j);
  } else {
    mg_json_kfigure(j, key, f);
  }
}

static void counts(struct mg_json *j, const char *key, const struct mg_counts *c, bool peak) {
  bool na = c->lives_only;
  mg_json_key(j, key);
  mg_json_object(j);
  mg_json_kbool(j, "estimated", c->estimated);
  mg_json_kuint(j, "allocations", c->allocations);
  mg_json_kuint(j, "failed_allocations", c->failed_allocations);
  mg_json_kuint(j, "reallocs", c->reallocs);
  mg_json_kuint(j, "frees", c->frees);
  /* a sampled file records no free(NULL): it cannot tell these */
  kuint_or_null(j, "null_frees", c->null_frees, na || c->estimated);
  kuint_or_null(j, "unmatched_frees", c->unmatched_frees, na);
  mg_json_kuint(j, "bytes_allocated", c->bytes_allocated);
  kfigure_or_null(j, "bytes_freed", mg_counts_figure(c, MG_BYTES_FREED), na);
  /* a leaks-mode process that never listed its live blocks: unknown (lives_unlisted) */
  kfigure_or_null(j, "live_blocks", mg_counts_figure(c, MG_LIVE_BLOCKS), c->lives_unlisted);
  kfigure_or_null(j, "live_bytes", mg_counts_figure(c, MG_LIVE_BYTES), c->lives_unlisted);
  if (peak)
    kfigure_or_null(j, "peak_live_bytes", mg_counts_figure(c, MG_PEAK_LIVE_BYTES), na);
  mg_json_kuint(j, "overwritten_blocks", c->overwritten_blocks);
  mg_json_kuint(j, "samples", c->samples);
  kfigure_or_null(j, "short_lived", mg_counts_blocks_figure(c, &c->est_short_lived), na);
  kfigure_or_null(j, "cross_thread_freed", mg_counts_blocks_figure(c, &c->est_cross_freed), na);
  kfigure_or_null(j, "cross_thread_freed_bytes",
                  mg_est_figure(&c->est_cross_freed_bytes, c->estimated), na);
  mg_json_end(j);
}

static const char *status_name(enum mg_decode_status s) {
  switch (s) {
  case MG_DECODE_OK: return "ok";
  case MG_DECODE_IO: return "io_error";
  case MG_DECODE_EMPTY: return "empty";
  case MG_DECODE_NOT_MSGPACK: return "not_msgpack";
  case MG_DECODE_NOT_MEMSCOPE: return "not_memscope";
  case MG_DECODE_VERSION: return "unsupported_version";
  case MG_DECODE_BAD_HEADER: return "bad_header";
  case MG_DECODE_CORRUPT: return "corrupt";
  case MG_DECODE_TRUNCATED: return "truncated";
  case MG_DECODE_NOMEM: return "too_large";
  }
  return "?";
}

static void inputs(struct mg_json *j, const struct mg_profile *p) {
  mg_json_key(j, "inputs");
  mg_json_array(j);
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_input *in = &p->inputs[i];
    mg_json_object(j);
    mg_json_kstring(j, "path", in->path);
    mg_json_kstring(j, "status", status_name(in->problem.status));
    mg_json_key(j, "problem");
    if (in->problem.status == MG_DECODE_OK) {
      mg_json_null(j);
    } else {
      mg_json_object(j);
      mg_json_key(j, "offset");
      if (in->problem.has_offset)
        mg_json_uint(j, in->problem.offset);
      else
        mg_json_null(j);
      mg_json_kstring(j, "message", in->problem.message);
      mg_json_end(j);
    }
    mg_json_kbool(j, "usable", in->process != NULL);
    mg_json_kbool(j, "filtered", in->filtered);
    mg_json_end(j);
  }
  mg_json_end(j);
}

static void timeline(struct mg_json *j, const char *key, const double *v) {
  mg_json_key(j, key);
  mg_json_flat_array(j);
  for (size_t i = 0; i < MG_TIMELINE_BUCKETS; i++)
    mg_json_double(j, (double)llround(v[i]));
  mg_json_end(j);
}

/* A thread's alert (mg_thread_alerts): {"level", "reasons": [{"rule", "level", "text"}]}. */
static void alert(struct mg_json *j, const struct mg_alert *a) {
  mg_json_key(j, "alert");
  mg_json_object(j);
  mg_json_kstring(j, "level", mg_alert_level_name(a->level));
  mg_json_key(j, "reasons");
  mg_json_array(j);
  for (size_t i = 0; i < a->nreasons; i++) {
    mg_json_object(j);
    mg_json_kstring(j, "rule", mg_alert_rule_name(a->reasons[i].rule));
    mg_json_kstring(j, "level", mg_alert_level_name(a->reasons[i].level));
    mg_json_kstring(j, "text", a->reasons[i].text);
    mg_json_end(j);
  }
  mg_json_end(j);
  mg_json_end(j);
}

/* A site's (or a thread's at a site) freed blocks by lifetime. */
static void lifetimes(struct mg_json *j, const struct mg_est *lifetime, bool estimated,
                      bool lives_only) {
  mg_json_key(j, "lifetimes");
  mg_json_array(j);
  uint64_t upper = 1000;
  for (size_t k = 0; k < MG_LIFETIME_BUCKETS; k++, upper *= 10) {
    mg_json_object(j);
    mg_json_key(j, "below_ns");
    if (k + 1 < MG_LIFETIME_BUCKETS)
      mg_json_uint(j, upper);
    else
      mg_json_null(j);
    kfigure_or_null(j, "blocks", mg_est_figure(&lifetime[k], estimated), lives_only);
    mg_json_end(j);
  }
  mg_json_end(j);
}

static void chains(struct mg_json *j, uint64_t chains, uint64_t steps, uint64_t longest,
                   uint64_t first_bytes, uint64_t last_bytes) {
  mg_json_key(j, "realloc_chains");
  mg_json_object(j);
  mg_json_kuint(j, "chains", chains);
  mg_json_kuint(j, "reallocs", steps);
  mg_json_kuint(j, "longest", longest);
  mg_json_kuint(j, "first_bytes", first_bytes);
  mg_json_kuint(j, "last_bytes", last_bytes);
  mg_json_end(j);
}

/* A site's "sizes": calls, min, avg, max and bytes of its requested sizes. */
static void sizes_json(struct mg_json *j, const struct mg_sizes *z) {
  mg_json_key(j, "sizes");
  mg_json_object(j);
  mg_json_kuint(j, "calls", z->calls);
  mg_json_kuint(j, "min", z->min);
  mg_json_kuint(j, "avg", mg_mean(z->bytes, z->calls));
  mg_json_kuint(j, "max", z->max);
  mg_json_kuint(j, "bytes", z->bytes);
  mg_json_end(j);
}

/* One site's numbers made by a thread (--thread): as a site's, without its identity. */
static void thread_site(struct mg_json *j, const struct mg_thread_site *ts) {
  mg_json_object(j);
  mg_json_khex(j, "site", ts->site);
  sizes_json(j, &ts->sizes);
  counts(j, "counts", &ts->counts, false);
  lifetimes(j, ts->lifetime, ts->counts.estimated, ts->counts.lives_only);
  chains(j, ts->chains, ts->chain_steps, ts->chain_max, ts->chain_first_bytes,
         ts->chain_last_bytes);
  mg_json_end(j);
}

static void thread(struct mg_json *j, const struct mg_process *proc, const struct mg_thread *t,
                   const struct mg_alert *a) {
  mg_json_object(j);
  mg_json_kuint(j, "thread", t->index);
  mg_json_key(j, "os_tid");
  if (t->os_tid)
    mg_json_uint(j, t->os_tid);
  else
    mg_json_null(j);
  mg_json_kstring(j, "name", t->name);
  mg_json_kbool(j, "described", t->described);
  mg_json_kuint(j, "start_ns", t->start_ns);
  mg_json_kuint(j, "end_ns", t->end_ns);
  mg_json_kuint(j, "dropped_events", t->dropped_events);
  mg_json_key(j, "realloc_releases");
  if (t->has_realloc_releases)
    mg_json_uint(j, t->realloc_releases);
  else
    mg_json_null(j);
  counts(j, "counts", &t->counts, false);
  mg_json_kuint(j, "average_size", mg_mean(t->counts.bytes_allocated, t->counts.allocations));
  /* exact where the counts allow it (realloc releases known, or no realloc) */
  mg_json_key(j, "net_blocks");
  if (!proc->sampled || t->has_realloc_releases || t->counts.reallocs == 0)
    mg_json_double(j, (double)mg_counts_net_blocks(&t->counts));
  else
    mg_json_null(j);
  if (proc->sampled)
    mg_json_kest(j, "peak_live_bytes", &t->est_peak_live_bytes, true);
  else
    kfigure_or_null(j, "peak_live_bytes", mg_exact_figure(t->peak_live_bytes), proc->leaks);
  kuint_or_null(j, "peak_time_ns", t->peak_ns, proc->leaks);
  mg_json_key(j, "hot_sites");
  mg_json_array(j);
  for (size_t k = 0; k < t->nhot; k++) {
    mg_json_object(j);
    mg_json_khex(j, "site", t->hot[k].site);
    mg_json_kuint(j, "allocations", t->hot[k].allocations);
    mg_json_kuint(j, "bytes", t->hot[k].bytes);
    mg_json_end(j);
  }
  mg_json_end(j);
  if (t->kept_sites) { /* --thread: its own numbers per site (struct mg_thread_site) */
    mg_json_key(j, "sites");
    mg_json_array(j);
    for (size_t k = 0; k < t->nsites; k++)
      thread_site(j, &t->sites[k]);
    mg_json_end(j);
  }
  mg_json_key(j, "timeline");
  mg_json_object(j);
  timeline(j, "allocations", t->timeline_allocs);
  timeline(j, "bytes", t->timeline_bytes);
  mg_json_end(j);
  alert(j, a);
  mg_json_end(j);
}

/* The resource sampler's ticks (docs/json.md, "resources"); null when none. */
static double tenths(double v) { return isnan(v) ? v : (double)llround(v * 10) / 10; }
static double whole(double v) { return isnan(v) ? v : (double)llround(v); }

static void resources(struct mg_json *j, const struct mg_process *proc,
                      const struct mg_report_options *opt) {
  const struct mg_resources *res = proc->resources;
  mg_json_key(j, "resources");
  if (!res) {
    mg_json_null(j);
    return;
  }
  const struct mg_resource_summary *s = &res->summary;
  mg_json_object(j);
  mg_json_key(j, "summary");
  mg_json_object(j);
  mg_json_kuint(j, "ticks", s->ticks);
  mg_json_kuint(j, "first_tick_ns", s->first_ns);
  mg_json_kuint(j, "last_tick_ns", s->last_ns);
  mg_json_kuint(j, "peak_rss_bytes", s->peak_rss);
  mg_json_kuint(j, "peak_rss_time_ns", s->peak_rss_ns);
  mg_json_kuint(j, "peak_vsize_bytes", s->peak_vsize);
  mg_json_kuint(j, "peak_vsize_time_ns", s->peak_vsize_ns);
  mg_json_kdouble(j, "peak_cpu_percent", tenths(s->peak_cpu_percent));
  mg_json_kuint(j, "peak_cpu_time_ns", s->peak_cpu_ns);
  mg_json_kdouble(j, "average_cpu_percent", tenths(s->average_cpu_percent));
  mg_json_kuint(j, "cpu_user_ns", s->user_ns);
  mg_json_kuint(j, "cpu_system_ns", s->system_ns);
  mg_json_kuint(j, "read_bytes", s->read_bytes);
  mg_json_kuint(j, "write_bytes", s->write_bytes);
  mg_json_kdouble(j, "peak_read_bytes_per_s", whole(s->peak_read_rate));
  mg_json_kdouble(j, "peak_write_bytes_per_s", whole(s->peak_write_rate));
  mg_json_kuint(j, "minor_faults", s->minor_faults);
  mg_json_kuint(j, "major_faults", s->major_faults);
  mg_json_kuint(j, "voluntary_switches", s->voluntary_switches);
  mg_json_kuint(j, "involuntary_switches", s->involuntary_switches);
  mg_json_end(j);
  mg_json_key(j, "threads");
  mg_json_array(j);
  for (size_t i = 0; i < res->nthreads; i++) {
    const struct mg_resource_thread *t = &res->threads[i];
    if (t->thread ? !mg_report_shows_thread(opt, proc->pid, t->thread) : opt->has_thread)
      continue;
    mg_json_object(j);
    mg_json_key(j, "thread");
    if (t->thread)
      mg_json_uint(j, t->thread);
    else
      mg_json_null(j);
    mg_json_kuint(j, "os_tid", t->os_tid);
    mg_json_kstring(j, "name", t->name);
    mg_json_kuint(j, "ticks", t->ticks);
    mg_json_kuint(j, "cpu_user_ns", t->user_ns);
    mg_json_kuint(j, "cpu_system_ns", t->system_ns);
    mg_json_kdouble(j, "cpu_share", (double)llround(t->cpu_share * 10000) / 10000);
    mg_json_key(j, "read_bytes");
    if (t->has_io)
      mg_json_uint(j, t->read_bytes);
    else
      mg_json_null(j);
    mg_json_key(j, "write_bytes");
    if (t->has_io)
      mg_json_uint(j, t->write_bytes);
    else
      mg_json_null(j);
    mg_json_end(j);
  }
  mg_json_end(j);
  /* Column by column, like the process timeline: one flat array per quantity. */
  mg_json_key(j, "timeline");
  mg_json_object(j);
  mg_json_kuint(j, "ticks_per_point", res->stride);
  static const char *const keys[] = {
      "time_ns", "ticks", "rss_bytes", "vsize_bytes", "cpu_percent", "read_bytes_per_s",
      "write_bytes_per_s", "minor_faults", "major_faults", "voluntary_switches",
      "involuntary_switches"};
  for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
    mg_json_key(j, keys[k]);
    mg_json_flat_array(j);
    for (size_t i = 0; i < res->npoints; i++) {
      const struct mg_resource_point *pt = &res->points[i];
      switch (k) {
      case 0: mg_json_uint(j, pt->ns); break;
      case 1: mg_json_uint(j, pt->ticks); break;
      case 2: mg_json_uint(j, pt->rss); break;
      case 3: mg_json_uint(j, pt->vsize); break;
      case 4: mg_json_double(j, tenths(pt->cpu_percent)); break;
      case 5: mg_json_double(j, whole(pt->read_rate)); break;
      case 6: mg_json_double(j, whole(pt->write_rate)); break;
      case 7: mg_json_uint(j, pt->minor_faults); break;
      case 8: mg_json_uint(j, pt->major_faults); break;
      case 9: mg_json_uint(j, pt->voluntary_switches); break;
      case 10: mg_json_uint(j, pt->involuntary_switches); break;
      }
    }
    mg_json_end(j);
  }
  mg_json_end(j);
  mg_json_end(j);
}

/* Blocks freed by another thread, per pair of threads; null in leaks mode (unknown). */
static void cross_thread(struct mg_json *j, const struct mg_process *proc,
                         const struct mg_report_options *opt) {
  mg_json_key(j, "cross_thread");
  if (proc->leaks) {
    mg_json_null(j);
    return;
  }
  mg_json_array(j);
  for (size_t i = 0; i < proc->ninteractions; i++) {
    const struct mg_interaction *x = &proc->interactions[i];
    if (!mg_report_shows_thread(opt, proc->pid, x->alloc_thread) &&
        !mg_report_shows_thread(opt, proc->pid, x->free_thread))
      continue;
    mg_json_object(j);
    mg_json_kuint(j, "alloc_thread", x->alloc_thread);
    mg_json_kuint(j, "free_thread", x->free_thread);
    mg_json_kest(j, "blocks", &x->blocks, proc->sampled);
    mg_json_kest(j, "bytes", &x->bytes, proc->sampled);
    mg_json_end(j);
  }
  mg_json_end(j);
}

/* The file's status block (docs/json.md): where recording stopped, how the process died. */
static void status(struct mg_json *j, const struct mg_process *proc) {
  const struct mg_status_rec *s = &proc->status;
  bool timed = proc->present & MG_HEADER_HAS_START_NS;
  mg_json_key(j, "disk_full");
  if (s->flags & MS_STATUS_DISK_FULL) {
    mg_json_object(j);
    kuint_or_null(j, "at_ns", s->full_ns - proc->start_ns, !timed || s->full_ns < proc->start_ns);
    mg_json_kuint(j, "lost_events", s->lost_events);
    mg_json_kuint(j, "short_sites", proc->short_sites);
    mg_json_kuint(j, "short_calls", proc->short_calls);
    mg_json_end(j);
  } else {
    mg_json_null(j);
  }
  mg_json_key(j, "fatal_signal");
  if (s->flags & MS_STATUS_SIGNAL) {
    char name[32];
    mg_json_object(j);
    mg_json_kuint(j, "number", s->signal);
    mg_json_kstring(j, "name", mg_signal_name(s->signal, name, sizeof name));
    mg_json_kuint(j, "tid", s->signal_tid);
    kuint_or_null(j, "at_ns", s->signal_ns - proc->start_ns,
                  !timed || s->signal_ns < proc->start_ns);
    mg_json_end(j);
  } else {
    mg_json_null(j);
  }
  mg_json_kuint(j, "skipped_bytes", s->skipped_bytes);
}

static void process(struct mg_json *j, const struct mg_process *proc,
                    const struct mg_report_options *opt, const struct mg_bottleneck *bn,
                    size_t nbn) {
  mg_json_object(j);
  mg_json_kstring(j, "path", proc->path);
  mg_json_kstring(j, "program", proc->program);
  mg_json_key(j, "pid");
  if (proc->present & MG_HEADER_HAS_PID)
    mg_json_uint(j, proc->pid);
  else
    mg_json_null(j);
  mg_json_kuint(j, "ppid", proc->ppid);
  mg_json_kstring(j, "mode", proc->mode);
  mg_json_kbool(j, "sampled", proc->sampled);
  mg_json_kstring(j, "sampler", proc->sampler);
  mg_json_kuint(j, "sample_interval", proc->sample_interval);
  mg_json_kuint(j, "start_unix_ns", proc->start_unix_ns);
  mg_json_kstring(j, "runtime_version", proc->runtime_version);
  mg_json_key(j, "command_line");
  if (proc->command_line) {
    mg_json_flat_array(j);
    for (size_t i = 0; i < proc->ncommand_line; i++)
      mg_json_string(j, proc->command_line[i]);
    mg_json_end(j);
  } else {
    mg_json_null(j);
  }
  mg_json_kbool(j, "command_line_truncated", proc->command_line_truncated);
  mg_json_kbool(j, "complete", proc->complete);
  mg_json_kbool(j, "live_blocks_unlisted", proc->lives_unlisted);
  mg_json_kstring(j, "end_reason", proc->end_reason);
  mg_json_kuint(j, "first_event_ns", proc->first_ns);
  mg_json_kuint(j, "last_event_ns", proc->last_ns);
  mg_json_kuint(j, "events", proc->events);
  mg_json_kuint(j, "skipped_records", proc->skipped_records);
  mg_json_kuint(j, "skipped_events", proc->skipped_events);
  mg_json_kuint(j, "dropped_events", mg_process_dropped_events(proc));
  mg_json_kuint(j, "disagreeing_sites", proc->disagreeing_sites);
  mg_json_kuint(j, "instrumented_sites", proc->instrumented_sites);
  status(j, proc);
  mg_json_key(j, "replay");
  mg_json_object(j);
  mg_json_kbool(j, "ordered_by_scan", proc->ordered_by_scan);
  mg_json_kuint(j, "window_max_events", proc->window_max);
  mg_json_kuint(j, "late_events", proc->late_events);
  mg_json_end(j);
  counts(j, "counts", &proc->counts, true);
  mg_json_key(j, "peak");
  mg_json_object(j);
  kfigure_or_null(j, "bytes", mg_counts_figure(&proc->counts, MG_PEAK_LIVE_BYTES), proc->leaks);
  kuint_or_null(j, "time_ns", proc->peak_ns, proc->leaks);
  mg_json_key(j, "sites");
  mg_json_array(j);
  for (size_t k = 0; k < proc->npeak_sites && !proc->leaks; k++) {
    if (!mg_report_shows_site(opt, proc->peak_sites[k].site))
      continue;
    mg_json_object(j);
    mg_json_khex(j, "site", proc->peak_sites[k].site);
    mg_json_kest(j, "bytes", &proc->peak_sites[k].bytes, proc->sampled);
    mg_json_kest(j, "blocks", &proc->peak_sites[k].blocks, proc->sampled);
    mg_json_end(j);
  }
  mg_json_end(j);
  mg_json_end(j);
  mg_json_key(j, "timeline");
  mg_json_object(j);
  mg_json_kuint(j, "bucket_ns", proc->timeline_width);
  timeline(j, "live_bytes", proc->timeline_live);
  timeline(j, "allocations", proc->timeline_allocs);
  mg_json_end(j);
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
    mg_json_kest(j, "allocations", &ph->allocations, proc->sampled);
    mg_json_kest(j, "bytes", &ph->bytes, proc->sampled);
    mg_json_kuint(j, "samples", ph->samples);
    mg_json_end(j);
  }
  mg_json_end(j);
  struct mg_alert *alerts = mg_xmalloc((proc->nthreads ? proc->nthreads : 1) * sizeof *alerts);
  mg_thread_alerts(proc, bn, nbn, alerts);
  mg_json_key(j, "threads");
  mg_json_array(j);
  for (size_t i = 0; i < proc->nthreads; i++)
    if (mg_report_shows_thread(opt, proc->pid, proc->threads[i].index))
      thread(j, proc, &proc->threads[i], &alerts[i]);
  mg_json_end(j);
  free(alerts);
  cross_thread(j, proc, opt);
  resources(j, proc, opt);
  mg_json_end(j);
}

static const char *kind_name(const struct mg_site *s) {
  if (mg_site_is_free(s))
    return "free";
  return mg_api_kind(s->api) == MG_API_REALLOC || (s->counts.reallocs && !s->api) ? "realloc"
                                                                                   : "alloc";
}

static void site(struct mg_json *j, const struct mg_profile *p, const struct mg_site *s) {
  bool est_ = s->counts.estimated;
  mg_json_object(j);
  mg_json_khex(j, "id", s->id);
  mg_json_kstring(j, "api", s->described ? mg_api_name(s->api) : NULL);
  mg_json_kuint(j, "api_number", s->api);
  mg_json_kstring(j, "kind", kind_name(s));
  mg_json_kbool(j, "described", s->described);
  if (mg_site_uninstrumented(s))
    mg_json_kbool(j, "uninstrumented", true);
  else if (mg_site_stacks_whole(p, s))
    mg_json_kbool(j, "through_pointer", true);
  mg_json_key(j, "frames");
  mg_json_array(j);
  for (size_t f = 0; f < s->nframes; f++) {
    mg_json_object(j);
    mg_json_kstring(j, "function", s->frames[f].function);
    mg_json_kstring(j, "file", s->frames[f].file);
    mg_json_kuint(j, "line", s->frames[f].line);
    mg_json_kuint(j, "column", s->frames[f].column);
    mg_json_kstring(j, "origin", mg_origin_name(mg_frame_origin(s->frames[f].function,
                                                                s->frames[f].file, NULL)));
    mg_json_end(j);
  }
  mg_json_end(j);
  mg_callers_json_site(j, p, s);
  mg_json_key(j, "stacks");
  mg_stacks_json_site(j, p, s);
  mg_json_kuint(j, "calls", mg_site_calls(s));
  mg_json_kuint(j, "bytes", mg_site_bytes(s));
  sizes_json(j, &s->sizes);
  counts(j, "counts", &s->counts, false);
  mg_json_key(j, "first_seen_ns");
  if (s->has_events)
    mg_json_uint(j, s->first_ns);
  else
    mg_json_null(j);
  mg_json_key(j, "last_seen_ns");
  if (s->has_events)
    mg_json_uint(j, s->last_ns);
  else
    mg_json_null(j);
  lifetimes(j, s->lifetime, est_, s->counts.lives_only);
  chains(j, s->chains, s->chain_steps, s->chain_max, s->chain_first_bytes, s->chain_last_bytes);
  mg_json_key(j, "top_thread");
  if (s->top_thread.allocations) {
    mg_json_object(j);
    mg_json_kuint(j, "pid", s->top_thread.pid);
    mg_json_kuint(j, "thread", s->top_thread.thread);
    mg_json_kuint(j, "allocations", s->top_thread.allocations);
    mg_json_end(j);
  } else {
    mg_json_null(j);
  }
  mg_json_end(j);
}

/* Sites in id order: stable whatever order the inputs named them in. */
static int by_id(const void *a, const void *b) {
  const struct mg_site *x = *(const struct mg_site *const *)a, *y = *(const struct mg_site *const *)b;
  return (x->id > y->id) - (x->id < y->id);
}

void mg_report_json(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt) {
  struct mg_json j;
  mg_json_init(&j, out);
  mg_report_json_write(&j, p, opt);
}

void mg_report_json_write(struct mg_json *j, const struct mg_profile *p,
                          const struct mg_report_options *opt) {
  struct mg_report_options none = {0};
  if (!opt)
    opt = &none;
  const struct mg_bottleneck *bn;
  struct mg_bottleneck *found;
  size_t nbn = mg_profile_bottlenecks(p, &bn, &found);
  mg_json_object(j);
  mg_json_kstring(j, "schema", MG_JSON_SCHEMA);
  mg_json_kuint(j, "format_version", MS_FORMAT_VERSION);
  mg_json_key(j, "filters");
  mg_json_object(j);
  if (opt->has_thread)
    mg_json_kuint(j, "thread", opt->thread);
  if (opt->has_site)
    mg_json_khex(j, "site", opt->site);
  if (opt->has_pid)
    mg_json_kuint(j, "pid", opt->pid);
  mg_json_end(j);
  mg_json_kuint(j, "processes_count", p->nprocesses);
  mg_json_kuint(j, "threads_count", p->nthreads);
  inputs(j, p);
  counts(j, "totals", &p->totals, true);
  mg_json_key(j, "processes");
  mg_json_array(j);
  for (size_t i = 0; i < p->ninputs; i++)
    if (p->inputs[i].process)
      process(j, p->inputs[i].process, opt, bn, nbn);
  mg_json_end(j);

  const struct mg_site **rows = malloc((p->nsites ? p->nsites : 1) * sizeof *rows);
  size_t n = 0;
  for (size_t i = 0; i < p->nsites; i++)
    if (mg_report_shows_site(opt, p->sites[i].id))
      rows[n++] = &p->sites[i];
  qsort(rows, n, sizeof *rows, by_id);
  mg_json_key(j, "sites");
  mg_json_array(j);
  for (size_t i = 0; i < n; i++)
    site(j, p, rows[i]);
  mg_json_end(j);
  free(rows);

  mg_stacks_json(j, p); /* "symbolization", only when there are stacks */
  mg_json_key(j, "bottlenecks");
  mg_json_array(j);
  for (size_t i = 0; i < nbn; i++) {
    const struct mg_bottleneck *b = &bn[i];
    if ((b->site && !mg_report_shows_site(opt, b->site)) ||
        (opt->has_site && !b->site) ||
        (opt->has_thread && !mg_report_shows_thread(opt, b->pid, b->thread)))
      continue;
    mg_json_object(j);
    mg_json_kstring(j, "type", mg_bottleneck_type_name(b->type));
    mg_json_kuint(j, "pid", b->pid);
    mg_json_kuint(j, "thread", b->thread);
    mg_json_khex(j, "site", b->site);
    mg_json_kdouble(j, "severity", (double)llround(b->severity * 1000) / 1000);
    mg_json_kstring(j, "level", mg_alert_level_name(mg_bottleneck_level(b->severity)));
    mg_json_kstring(j, "description", b->description);
    mg_json_kstring(j, "suggestion", b->suggestion);
    mg_json_end(j);
  }
  mg_json_end(j);
  free(found);
  mg_json_end(j);
}
