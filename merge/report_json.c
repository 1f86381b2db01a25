/* The JSON report: everything the analysis knows, for programs.  docs/json.md is its
 * schema; a change here is a change there (and of MS_JSON_SCHEMA when it breaks
 * readers).  Site ids are hex strings (64-bit values do not survive a JSON double);
 * estimates are {"value", "error"} objects whose error is 0 when exact. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "bottleneck.h"
#include "json.h"
#include "memscope/format.h"
#include "report.h"
#include "resources.h"
#include "stacks.h"

#define MS_JSON_SCHEMA "memscope-merge/1"

static void site_id(struct ms_json *j, const char *key, uint64_t id) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%" PRIx64, id);
  ms_json_kstring(j, key, buf);
}

static void figure(struct ms_json *j, const char *key, struct ms_figure f) {
  ms_json_key(j, key);
  ms_json_object(j);
  ms_json_kuint(j, "value", f.value);
  ms_json_kuint(j, "error", f.error);
  ms_json_end(j);
}

static void est(struct ms_json *j, const char *key, const struct ms_est *e, bool estimated) {
  figure(j, key, ms_est_figure(e, estimated));
}

static void counts(struct ms_json *j, const char *key, const struct ms_counts *c, bool peak) {
  ms_json_key(j, key);
  ms_json_object(j);
  ms_json_kbool(j, "estimated", c->estimated);
  ms_json_kuint(j, "allocations", c->allocations);
  ms_json_kuint(j, "failed_allocations", c->failed_allocations);
  ms_json_kuint(j, "reallocs", c->reallocs);
  ms_json_kuint(j, "frees", c->frees);
  ms_json_kuint(j, "null_frees", c->null_frees);
  ms_json_kuint(j, "unmatched_frees", c->unmatched_frees);
  ms_json_kuint(j, "bytes_allocated", c->bytes_allocated);
  figure(j, "bytes_freed", ms_counts_figure(c, MS_BYTES_FREED));
  figure(j, "live_blocks", ms_counts_figure(c, MS_LIVE_BLOCKS));
  figure(j, "live_bytes", ms_counts_figure(c, MS_LIVE_BYTES));
  if (peak)
    figure(j, "peak_live_bytes", ms_counts_figure(c, MS_PEAK_LIVE_BYTES));
  ms_json_kuint(j, "overwritten_blocks", c->overwritten_blocks);
  ms_json_kuint(j, "samples", c->samples);
  est(j, "short_lived", &c->est_short_lived, c->estimated);
  est(j, "cross_thread_freed", &c->est_cross_freed, c->estimated);
  est(j, "cross_thread_freed_bytes", &c->est_cross_freed_bytes, c->estimated);
  ms_json_end(j);
}

static const char *status_name(enum ms_decode_status s) {
  switch (s) {
  case MS_DECODE_OK: return "ok";
  case MS_DECODE_IO: return "io_error";
  case MS_DECODE_EMPTY: return "empty";
  case MS_DECODE_NOT_MSGPACK: return "not_msgpack";
  case MS_DECODE_NOT_MEMSCOPE: return "not_memscope";
  case MS_DECODE_VERSION: return "unsupported_version";
  case MS_DECODE_BAD_HEADER: return "bad_header";
  case MS_DECODE_CORRUPT: return "corrupt";
  case MS_DECODE_TRUNCATED: return "truncated";
  case MS_DECODE_NOMEM: return "too_large";
  }
  return "?";
}

static void inputs(struct ms_json *j, const struct ms_profile *p) {
  ms_json_key(j, "inputs");
  ms_json_array(j);
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct ms_input *in = &p->inputs[i];
    ms_json_object(j);
    ms_json_kstring(j, "path", in->path);
    ms_json_kstring(j, "status", status_name(in->problem.status));
    ms_json_key(j, "problem");
    if (in->problem.status == MS_DECODE_OK) {
      ms_json_null(j);
    } else {
      ms_json_object(j);
      ms_json_key(j, "offset");
      if (in->problem.has_offset)
        ms_json_uint(j, in->problem.offset);
      else
        ms_json_null(j);
      ms_json_kstring(j, "message", in->problem.message);
      ms_json_end(j);
    }
    ms_json_kbool(j, "usable", in->process != NULL);
    ms_json_kbool(j, "filtered", in->filtered);
    ms_json_end(j);
  }
  ms_json_end(j);
}

static void timeline(struct ms_json *j, const char *key, const double *v) {
  ms_json_key(j, key);
  ms_json_flat_array(j);
  for (size_t i = 0; i < MS_TIMELINE_BUCKETS; i++)
    ms_json_double(j, (double)llround(v[i]));
  ms_json_end(j);
}

static void thread(struct ms_json *j, const struct ms_process *proc, const struct ms_thread *t) {
  ms_json_object(j);
  ms_json_kuint(j, "thread", t->index);
  ms_json_key(j, "os_tid");
  if (t->os_tid)
    ms_json_uint(j, t->os_tid);
  else
    ms_json_null(j);
  ms_json_kstring(j, "name", t->name);
  ms_json_kbool(j, "described", t->described);
  ms_json_kuint(j, "start_ns", t->start_ns);
  ms_json_kuint(j, "end_ns", t->end_ns);
  ms_json_kuint(j, "dropped_events", t->dropped_events);
  counts(j, "counts", &t->counts, false);
  ms_json_kdouble(j, "average_size",
                  t->counts.allocations
                      ? (double)llround((double)t->counts.bytes_allocated / (double)t->counts.allocations)
                      : 0);
  if (proc->sampled)
    est(j, "peak_live_bytes", &t->est_peak_live_bytes, true);
  else
    figure(j, "peak_live_bytes", (struct ms_figure){t->peak_live_bytes, 0, false});
  ms_json_kuint(j, "peak_time_ns", t->peak_ns);
  ms_json_key(j, "hot_sites");
  ms_json_array(j);
  for (size_t k = 0; k < t->nhot; k++) {
    ms_json_object(j);
    site_id(j, "site", t->hot[k].site);
    ms_json_kuint(j, "allocations", t->hot[k].allocations);
    ms_json_kuint(j, "bytes", t->hot[k].bytes);
    ms_json_end(j);
  }
  ms_json_end(j);
  ms_json_key(j, "timeline");
  ms_json_object(j);
  timeline(j, "allocations", t->timeline_allocs);
  timeline(j, "bytes", t->timeline_bytes);
  ms_json_end(j);
  ms_json_end(j);
}

/* The resource sampler's ticks (docs/json.md, "resources"); null when none. */
static double tenths(double v) { return isnan(v) ? v : (double)llround(v * 10) / 10; }
static double whole(double v) { return isnan(v) ? v : (double)llround(v); }

static void resources(struct ms_json *j, const struct ms_process *proc,
                      const struct ms_report_options *opt) {
  const struct ms_resources *res = proc->resources;
  ms_json_key(j, "resources");
  if (!res) {
    ms_json_null(j);
    return;
  }
  const struct ms_resource_summary *s = &res->summary;
  ms_json_object(j);
  ms_json_key(j, "summary");
  ms_json_object(j);
  ms_json_kuint(j, "ticks", s->ticks);
  ms_json_kuint(j, "first_tick_ns", s->first_ns);
  ms_json_kuint(j, "last_tick_ns", s->last_ns);
  ms_json_kuint(j, "peak_rss_bytes", s->peak_rss);
  ms_json_kuint(j, "peak_rss_time_ns", s->peak_rss_ns);
  ms_json_kuint(j, "peak_vsize_bytes", s->peak_vsize);
  ms_json_kuint(j, "peak_vsize_time_ns", s->peak_vsize_ns);
  ms_json_kdouble(j, "peak_cpu_percent", tenths(s->peak_cpu_percent));
  ms_json_kuint(j, "peak_cpu_time_ns", s->peak_cpu_ns);
  ms_json_kdouble(j, "average_cpu_percent", tenths(s->average_cpu_percent));
  ms_json_kuint(j, "cpu_user_ns", s->user_ns);
  ms_json_kuint(j, "cpu_system_ns", s->system_ns);
  ms_json_kuint(j, "read_bytes", s->read_bytes);
  ms_json_kuint(j, "write_bytes", s->write_bytes);
  ms_json_kdouble(j, "peak_read_bytes_per_s", whole(s->peak_read_rate));
  ms_json_kdouble(j, "peak_write_bytes_per_s", whole(s->peak_write_rate));
  ms_json_kuint(j, "minor_faults", s->minor_faults);
  ms_json_kuint(j, "major_faults", s->major_faults);
  ms_json_kuint(j, "voluntary_switches", s->voluntary_switches);
  ms_json_kuint(j, "involuntary_switches", s->involuntary_switches);
  ms_json_end(j);
  ms_json_key(j, "threads");
  ms_json_array(j);
  for (size_t i = 0; i < res->nthreads; i++) {
    const struct ms_resource_thread *t = &res->threads[i];
    if (t->thread ? !ms_report_shows_thread(opt, proc->pid, t->thread) : opt->has_thread)
      continue;
    ms_json_object(j);
    ms_json_key(j, "thread");
    if (t->thread)
      ms_json_uint(j, t->thread);
    else
      ms_json_null(j);
    ms_json_kuint(j, "os_tid", t->os_tid);
    ms_json_kstring(j, "name", t->name);
    ms_json_kuint(j, "ticks", t->ticks);
    ms_json_kuint(j, "cpu_user_ns", t->user_ns);
    ms_json_kuint(j, "cpu_system_ns", t->system_ns);
    ms_json_kdouble(j, "cpu_share", (double)llround(t->cpu_share * 10000) / 10000);
    ms_json_key(j, "read_bytes");
    if (t->has_io)
      ms_json_uint(j, t->read_bytes);
    else
      ms_json_null(j);
    ms_json_key(j, "write_bytes");
    if (t->has_io)
      ms_json_uint(j, t->write_bytes);
    else
      ms_json_null(j);
    ms_json_end(j);
  }
  ms_json_end(j);
  /* Column by column, like the process timeline: one flat array per quantity. */
  ms_json_key(j, "timeline");
  ms_json_object(j);
  ms_json_kuint(j, "ticks_per_point", res->stride);
  static const char *const keys[] = {
      "time_ns", "ticks", "rss_bytes", "vsize_bytes", "cpu_percent", "read_bytes_per_s",
      "write_bytes_per_s", "minor_faults", "major_faults", "voluntary_switches",
      "involuntary_switches"};
  for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
    ms_json_key(j, keys[k]);
    ms_json_flat_array(j);
    for (size_t i = 0; i < res->npoints; i++) {
      const struct ms_resource_point *pt = &res->points[i];
      switch (k) {
      case 0: ms_json_uint(j, pt->ns); break;
      case 1: ms_json_uint(j, pt->ticks); break;
      case 2: ms_json_uint(j, pt->rss); break;
      case 3: ms_json_uint(j, pt->vsize); break;
      case 4: ms_json_double(j, tenths(pt->cpu_percent)); break;
      case 5: ms_json_double(j, whole(pt->read_rate)); break;
      case 6: ms_json_double(j, whole(pt->write_rate)); break;
      case 7: ms_json_uint(j, pt->minor_faults); break;
      case 8: ms_json_uint(j, pt->major_faults); break;
      case 9: ms_json_uint(j, pt->voluntary_switches); break;
      case 10: ms_json_uint(j, pt->involuntary_switches); break;
      }
    }
    ms_json_end(j);
  }
  ms_json_end(j);
  ms_json_end(j);
}

static void process(struct ms_json *j, const struct ms_process *proc,
                    const struct ms_report_options *opt) {
  ms_json_object(j);
  ms_json_kstring(j, "path", proc->path);
  ms_json_kstring(j, "program", proc->program);
  ms_json_key(j, "pid");
  if (proc->present & MS_HEADER_HAS_PID)
    ms_json_uint(j, proc->pid);
  else
    ms_json_null(j);
  ms_json_kuint(j, "ppid", proc->ppid);
  ms_json_kstring(j, "mode", proc->mode);
  ms_json_kbool(j, "sampled", proc->sampled);
  ms_json_kstring(j, "sampler", proc->sampler);
  ms_json_kuint(j, "sample_interval", proc->sample_interval);
  ms_json_kuint(j, "start_unix_ns", proc->start_unix_ns);
  ms_json_kbool(j, "complete", proc->complete);
  ms_json_kstring(j, "end_reason", proc->end_reason);
  ms_json_kuint(j, "first_event_ns", proc->first_ns);
  ms_json_kuint(j, "last_event_ns", proc->last_ns);
  ms_json_kuint(j, "events", proc->events);
  ms_json_kuint(j, "skipped_records", proc->skipped_records);
  ms_json_kuint(j, "skipped_events", proc->skipped_events);
  ms_json_kuint(j, "dropped_events", ms_process_dropped_events(proc));
  ms_json_kuint(j, "disagreeing_sites", proc->disagreeing_sites);
  ms_json_key(j, "replay");
  ms_json_object(j);
  ms_json_kbool(j, "ordered_by_scan", proc->ordered_by_scan);
  ms_json_kuint(j, "window_max_events", proc->window_max);
  ms_json_kuint(j, "late_events", proc->late_events);
  ms_json_end(j);
  counts(j, "counts", &proc->counts, true);
  ms_json_key(j, "peak");
  ms_json_object(j);
  figure(j, "bytes", ms_counts_figure(&proc->counts, MS_PEAK_LIVE_BYTES));
  ms_json_kuint(j, "time_ns", proc->peak_ns);
  ms_json_key(j, "sites");
  ms_json_array(j);
  for (size_t k = 0; k < proc->npeak_sites; k++) {
    if (!ms_report_shows_site(opt, proc->peak_sites[k].site))
      continue;
    ms_json_object(j);
    site_id(j, "site", proc->peak_sites[k].site);
    ms_json_kdouble(j, "bytes", (double)llround(proc->peak_sites[k].bytes));
    ms_json_kdouble(j, "blocks", (double)llround(proc->peak_sites[k].blocks));
    ms_json_end(j);
  }
  ms_json_end(j);
  ms_json_end(j);
  ms_json_key(j, "timeline");
  ms_json_object(j);
  ms_json_kuint(j, "bucket_ns", proc->timeline_width);
  timeline(j, "live_bytes", proc->timeline_live);
  timeline(j, "allocations", proc->timeline_allocs);
  ms_json_end(j);
  ms_json_key(j, "phases");
  ms_json_array(j);
  for (size_t k = 0; k < proc->nphases; k++) {
    const struct ms_phase *ph = &proc->phases[k];
    uint64_t ns;
    ms_json_object(j);
    ms_json_kuint(j, "id", ph->id);
    ms_json_kstring(j, "label", ph->label);
    ms_json_key(j, "time_ns");
    if (ms_phase_time(proc, ph, &ns))
      ms_json_uint(j, ns);
    else
      ms_json_null(j);
    est(j, "allocations", &ph->allocations, proc->sampled);
    est(j, "bytes", &ph->bytes, proc->sampled);
    ms_json_kuint(j, "samples", ph->samples);
    ms_json_end(j);
  }
  ms_json_end(j);
  ms_json_key(j, "threads");
  ms_json_array(j);
  for (size_t i = 0; i < proc->nthreads; i++)
    if (ms_report_shows_thread(opt, proc->pid, proc->threads[i].index))
      thread(j, proc, &proc->threads[i]);
  ms_json_end(j);
  ms_json_key(j, "cross_thread");
  ms_json_array(j);
  for (size_t i = 0; i < proc->ninteractions; i++) {
    const struct ms_interaction *x = &proc->interactions[i];
    if (!ms_report_shows_thread(opt, proc->pid, x->alloc_thread) &&
        !ms_report_shows_thread(opt, proc->pid, x->free_thread))
      continue;
    ms_json_object(j);
    ms_json_kuint(j, "alloc_thread", x->alloc_thread);
    ms_json_kuint(j, "free_thread", x->free_thread);
    est(j, "blocks", &x->blocks, proc->sampled);
    est(j, "bytes", &x->bytes, proc->sampled);
    ms_json_end(j);
  }
  ms_json_end(j);
  resources(j, proc, opt);
  ms_json_end(j);
}

static const char *kind_name(const struct ms_site *s) {
  if (ms_site_is_free(s))
    return "free";
  return ms_api_kind(s->api) == MS_API_REALLOC || (s->counts.reallocs && !s->api) ? "realloc"
                                                                                   : "alloc";
}

static void site(struct ms_json *j, const struct ms_profile *p, const struct ms_site *s) {
  bool est_ = s->counts.estimated;
  ms_json_object(j);
  site_id(j, "id", s->id);
  ms_json_kstring(j, "api", s->described ? ms_api_name(s->api) : NULL);
  ms_json_kuint(j, "api_number", s->api);
  ms_json_kstring(j, "kind", kind_name(s));
  ms_json_kbool(j, "described", s->described);
  if (ms_site_uninstrumented(s))
    ms_json_kbool(j, "uninstrumented", true);
  ms_json_key(j, "frames");
  ms_json_array(j);
  for (size_t f = 0; f < s->nframes; f++) {
    ms_json_object(j);
    ms_json_kstring(j, "function", s->frames[f].function);
    ms_json_kstring(j, "file", s->frames[f].file);
    ms_json_kuint(j, "line", s->frames[f].line);
    ms_json_kuint(j, "column", s->frames[f].column);
    ms_json_end(j);
  }
  ms_json_end(j);
  ms_json_key(j, "stacks");
  ms_stacks_json_site(j, p, s);
  ms_json_kuint(j, "calls", ms_site_calls(s));
  ms_json_kuint(j, "bytes", ms_site_bytes(s));
  ms_json_key(j, "sizes");
  ms_json_object(j);
  ms_json_kuint(j, "calls", s->sizes.calls);
  ms_json_kuint(j, "min", s->sizes.min);
  ms_json_kdouble(j, "avg",
                  s->sizes.calls ? (double)llround((double)s->sizes.bytes / (double)s->sizes.calls) : 0);
  ms_json_kuint(j, "max", s->sizes.max);
  ms_json_kuint(j, "bytes", s->sizes.bytes);
  ms_json_end(j);
  counts(j, "counts", &s->counts, false);
  ms_json_key(j, "first_seen_ns");
  if (s->has_events)
    ms_json_uint(j, s->first_ns);
  else
    ms_json_null(j);
  ms_json_key(j, "last_seen_ns");
  if (s->has_events)
    ms_json_uint(j, s->last_ns);
  else
    ms_json_null(j);
  ms_json_key(j, "lifetimes");
  ms_json_array(j);
  uint64_t upper = 1000;
  for (size_t k = 0; k < MS_LIFETIME_BUCKETS; k++, upper *= 10) {
    ms_json_object(j);
    ms_json_key(j, "below_ns");
    if (k + 1 < MS_LIFETIME_BUCKETS)
      ms_json_uint(j, upper);
    else
      ms_json_null(j);
    est(j, "blocks", &s->lifetime[k], est_);
    ms_json_end(j);
  }
  ms_json_end(j);
  ms_json_key(j, "realloc_chains");
  ms_json_object(j);
  ms_json_kuint(j, "chains", s->chains);
  ms_json_kuint(j, "reallocs", s->chain_steps);
  ms_json_kuint(j, "longest", s->chain_max);
  ms_json_kuint(j, "first_bytes", s->chain_first_bytes);
  ms_json_kuint(j, "last_bytes", s->chain_last_bytes);
  ms_json_end(j);
  ms_json_key(j, "top_thread");
  if (s->top_thread.allocations) {
    ms_json_object(j);
    ms_json_kuint(j, "pid", s->top_thread.pid);
    ms_json_kuint(j, "thread", s->top_thread.thread);
    ms_json_kuint(j, "allocations", s->top_thread.allocations);
    ms_json_end(j);
  } else {
    ms_json_null(j);
  }
  ms_json_end(j);
}

/* Sites in id order: stable whatever order the inputs named them in. */
static int by_id(const void *a, const void *b) {
  const struct ms_site *x = *(const struct ms_site *const *)a, *y = *(const struct ms_site *const *)b;
  return (x->id > y->id) - (x->id < y->id);
}

void ms_report_json(FILE *out, const struct ms_profile *p, const struct ms_report_options *opt) {
  struct ms_report_options none = {0};
  if (!opt)
    opt = &none;
  struct ms_json j;
  ms_json_init(&j, out);
  ms_json_object(&j);
  ms_json_kstring(&j, "schema", MS_JSON_SCHEMA);
  ms_json_kuint(&j, "format_version", MS_FORMAT_VERSION);
  ms_json_key(&j, "filters");
  ms_json_object(&j);
  if (opt->has_thread)
    ms_json_kuint(&j, "thread", opt->thread);
  if (opt->has_site)
    site_id(&j, "site", opt->site);
  if (opt->has_pid)
    ms_json_kuint(&j, "pid", opt->pid);
  ms_json_end(&j);
  ms_json_kuint(&j, "processes_count", p->nprocesses);
  ms_json_kuint(&j, "threads_count", p->nthreads);
  inputs(&j, p);
  counts(&j, "totals", &p->totals, true);
  ms_json_key(&j, "processes");
  ms_json_array(&j);
  for (size_t i = 0; i < p->ninputs; i++)
    if (p->inputs[i].process)
      process(&j, p->inputs[i].process, opt);
  ms_json_end(&j);

  const struct ms_site **rows = malloc((p->nsites ? p->nsites : 1) * sizeof *rows);
  size_t n = 0;
  for (size_t i = 0; i < p->nsites; i++)
    if (ms_report_shows_site(opt, p->sites[i].id))
      rows[n++] = &p->sites[i];
  qsort(rows, n, sizeof *rows, by_id);
  ms_json_key(&j, "sites");
  ms_json_array(&j);
  for (size_t i = 0; i < n; i++)
    site(&j, p, rows[i]);
  ms_json_end(&j);
  free(rows);

  struct ms_bottleneck *bn;
  size_t nbn = ms_bottlenecks(p, &bn);
  ms_stacks_json(&j, p); /* "symbolization", only when there are stacks */
  ms_json_key(&j, "bottlenecks");
  ms_json_array(&j);
  for (size_t i = 0; i < nbn; i++) {
    const struct ms_bottleneck *b = &bn[i];
    if ((b->site && !ms_report_shows_site(opt, b->site)) ||
        (opt->has_site && !b->site) ||
        (opt->has_thread && !ms_report_shows_thread(opt, b->pid, b->thread)))
      continue;
    ms_json_object(&j);
    ms_json_kstring(&j, "type", ms_bottleneck_type_name(b->type));
    ms_json_kuint(&j, "pid", b->pid);
    ms_json_kuint(&j, "thread", b->thread);
    site_id(&j, "site", b->site);
    ms_json_kdouble(&j, "severity", (double)llround(b->severity * 1000) / 1000);
    ms_json_kstring(&j, "description", b->description);
    ms_json_kstring(&j, "suggestion", b->suggestion);
    ms_json_end(&j);
  }
  ms_json_end(&j);
  free(bn);
  ms_json_end(&j);
}
