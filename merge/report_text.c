/* The text summary: fixed sections, plain decimal numbers, columns separated by spaces,
 * at most 80 columns except for long names.  Scripts parse it (tests/e2e), so a change of
 * shape here is a change of interface: keep docs/merge.md in step. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

/* Where the function column starts in the site tables, and the width of the function
 * column; "inlined into" lines are indented two more. */
#define SITE_TABLE_FUNCTION_COL 31 /* %10s%10s  %-8s  then function */
#define LIVE_TABLE_FUNCTION_COL 22 /* %10s%10s  then function */
#define FUNCTION_WIDTH 20

static const char *plural(uint64_t n, const char *one, const char *many) {
  return n == 1 ? one : many;
}

/* --- Header ---------------------------------------------------------------------------- */

static void print_input(FILE *out, const struct ms_input *in) {
  const struct ms_process *proc = in->process;
  if (!proc) {
    fprintf(out, "  %s: no usable data\n", in->path);
    return;
  }
  fprintf(out, "  %s: %s pid ", in->path, proc->program ? proc->program : "?");
  if (proc->present & MS_HEADER_HAS_PID)
    fprintf(out, "%" PRIu64, proc->pid);
  else
    fputs("?", out);
  fprintf(out, ", mode %s, %s", proc->mode ? proc->mode : "?",
          proc->complete ? "complete" : "incomplete (no end record)");
  const struct ms_decode_problem *pb = &in->problem;
  switch (pb->status) {
  case MS_DECODE_OK:
    break;
  case MS_DECODE_TRUNCATED:
    fprintf(out, ", truncated at offset %" PRIu64, pb->offset);
    break;
  case MS_DECODE_IO:
    fprintf(out, ", read error at offset %" PRIu64, pb->offset);
    break;
  default:
    fprintf(out, ", corrupt at offset %" PRIu64, pb->offset);
    break;
  }
  if (proc->skipped_records)
    fprintf(out, ", %" PRIu64 " unknown %s skipped", proc->skipped_records,
            plural(proc->skipped_records, "record", "records"));
  if (proc->skipped_events)
    fprintf(out, ", %" PRIu64 " unknown %s skipped", proc->skipped_events,
            plural(proc->skipped_events, "event", "events"));
  fputc('\n', out);
}

static void print_header(FILE *out, const struct ms_profile *p) {
  fprintf(out, "memscope: %zu %s, %zu %s, %zu %s\n", p->ninputs,
          plural(p->ninputs, "file", "files"), p->nprocesses,
          plural(p->nprocesses, "process", "processes"), p->nthreads,
          plural(p->nthreads, "thread", "threads"));
  for (size_t i = 0; i < p->ninputs; i++)
    print_input(out, &p->inputs[i]);
}

/* --- Totals ---------------------------------------------------------------------------- */

static void total_line(FILE *out, const char *label, uint64_t v) {
  fprintf(out, "  %-20s%12" PRIu64 "\n", label, v);
}

static void print_totals(FILE *out, const struct ms_counts *c) {
  fputs("\nTotals\n", out);
  total_line(out, "allocations", c->allocations);
  total_line(out, "failed allocations", c->failed_allocations);
  total_line(out, "reallocs", c->reallocs);
  total_line(out, "frees", c->frees);
  total_line(out, "null frees", c->null_frees);
  total_line(out, "unmatched frees", c->unmatched_frees);
  total_line(out, "bytes allocated", c->bytes_allocated);
  total_line(out, "bytes freed", c->bytes_freed);
  total_line(out, "live blocks at exit", c->live_blocks);
  total_line(out, "live bytes at exit", c->live_bytes);
  /* Only when it happened: it means frees memscope did not see. */
  if (c->overwritten_blocks)
    total_line(out, "overwritten blocks", c->overwritten_blocks);
}

/* --- Threads --------------------------------------------------------------------------- */

static void print_threads(FILE *out, const struct ms_profile *p) {
  fputs("\nThreads (allocations, frees, bytes)\n", out);
  fprintf(out, "%8s%9s%10s%10s%14s%14s  %s\n", "thread", "tid", "allocs", "frees",
          "bytes-alloc", "bytes-freed", "name");
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct ms_process *proc = p->inputs[i].process;
    if (!proc)
      continue;
    if (p->nprocesses > 1) {
      fputs("  process ", out);
      if (proc->present & MS_HEADER_HAS_PID)
        fprintf(out, "%" PRIu64, proc->pid);
      else
        fputs("?", out);
      fprintf(out, " %s\n", proc->program ? proc->program : "?");
    }
    for (size_t t = 0; t < proc->nthreads; t++) {
      const struct ms_thread *thr = &proc->threads[t];
      char tid[24] = "-";
      if (thr->os_tid)
        snprintf(tid, sizeof tid, "%" PRIu64, thr->os_tid);
      fprintf(out, "%8" PRIu64 "%9s%10" PRIu64 "%10" PRIu64 "%14" PRIu64 "%14" PRIu64 "  %s\n",
              thr->index, tid, thr->counts.allocations, thr->counts.frees,
              thr->counts.bytes_allocated, thr->counts.bytes_freed,
              thr->name && thr->name[0] ? thr->name : "-");
    }
  }
}

/* --- Sites ----------------------------------------------------------------------------- */

static void format_location(char *buf, size_t size, const struct ms_frame *f) {
  if (!f->file)
    snprintf(buf, size, "??");
  else if (f->line == 0)
    snprintf(buf, size, "%s", f->file);
  else if (f->column == 0)
    snprintf(buf, size, "%s:%" PRIu32, f->file, f->line);
  else
    snprintf(buf, size, "%s:%" PRIu32 ":%" PRIu32, f->file, f->line, f->column);
}

/* "function location" for frames[0] (ending the row begun by the caller), then one
 * "inlined into" line per outer frame, indented under the function column. */
static void print_site_place(FILE *out, const struct ms_site *s, int function_col) {
  char loc[1024];
  if (!s->described || s->nframes == 0) {
    char name[40];
    if (s->described)
      snprintf(name, sizeof name, "??");
    else
      snprintf(name, sizeof name, "site 0x%" PRIx64, s->id);
    fprintf(out, "%-*s ??\n", FUNCTION_WIDTH, name);
    return;
  }
  const struct ms_frame *f = &s->frames[0];
  format_location(loc, sizeof loc, f);
  fprintf(out, "%-*s %s\n", FUNCTION_WIDTH, f->function ? f->function : "??", loc);
  for (size_t i = 1; i < s->nframes; i++) {
    f = &s->frames[i];
    char inl[512];
    snprintf(inl, sizeof inl, "inlined into %s", f->function ? f->function : "??");
    format_location(loc, sizeof loc, f);
    fprintf(out, "%*s%-*s %s\n", function_col + 2, "", FUNCTION_WIDTH - 2, inl, loc);
  }
}

/* Comparators: bigger first, then by id so the order never depends on input order. */
#define CMP_DESC(a, b) \
  if ((a) != (b))      \
  return (a) < (b) ? 1 : -1
#define CMP_ID(x, y) return ((x)->id > (y)->id) - ((x)->id < (y)->id)

static int by_bytes(const void *a, const void *b) {
  const struct ms_site *x = *(const struct ms_site *const *)a, *y = *(const struct ms_site *const *)b;
  CMP_DESC(ms_site_bytes(x), ms_site_bytes(y));
  CMP_DESC(ms_site_calls(x), ms_site_calls(y));
  CMP_ID(x, y);
}

static int by_calls(const void *a, const void *b) {
  const struct ms_site *x = *(const struct ms_site *const *)a, *y = *(const struct ms_site *const *)b;
  CMP_DESC(ms_site_calls(x), ms_site_calls(y));
  CMP_DESC(ms_site_bytes(x), ms_site_bytes(y));
  CMP_ID(x, y);
}

static int by_live_bytes(const void *a, const void *b) {
  const struct ms_site *x = *(const struct ms_site *const *)a, *y = *(const struct ms_site *const *)b;
  CMP_DESC(x->counts.live_bytes, y->counts.live_bytes);
  CMP_DESC(x->counts.live_blocks, y->counts.live_blocks);
  CMP_ID(x, y);
}

enum site_table { BY_BYTES, BY_CALLS, LIVE };

static bool in_table(const struct ms_site *s, enum site_table table) {
  switch (table) {
  case BY_BYTES: return !ms_site_is_free(s) && s->counts.allocations > 0;
  case BY_CALLS: return ms_site_calls(s) > 0;
  case LIVE: return s->counts.live_blocks > 0;
  }
  return false;
}

static void print_site_table(FILE *out, const struct ms_profile *p, size_t top,
                             enum site_table table) {
  static const char *const titles[] = {
      [BY_BYTES] = "Top sites by bytes allocated",
      [BY_CALLS] = "Top sites by calls",
      [LIVE] = "Live at exit by site",
  };
  static int (*const order[])(const void *, const void *) = {
      [BY_BYTES] = by_bytes, [BY_CALLS] = by_calls, [LIVE] = by_live_bytes,
  };
  fprintf(out, "\n%s\n", titles[table]);
  if (table == LIVE)
    fprintf(out, "%10s%10s  %-*s %s\n", "blocks", "bytes", FUNCTION_WIDTH, "function",
            "location");
  else
    fprintf(out, "%10s%10s  %-8s %-*s %s\n", table == BY_BYTES ? "bytes" : "calls",
            table == BY_BYTES ? "calls" : "bytes", "api", FUNCTION_WIDTH, "function",
            "location");

  const struct ms_site **rows = ms_xmalloc((p->nsites ? p->nsites : 1) * sizeof *rows);
  size_t n = 0;
  for (size_t i = 0; i < p->nsites; i++)
    if (in_table(&p->sites[i], table))
      rows[n++] = &p->sites[i];
  qsort(rows, n, sizeof *rows, order[table]);
  if (top && n > top)
    n = top;
  if (n == 0)
    fputs("  (none)\n", out);
  for (size_t i = 0; i < n; i++) {
    const struct ms_site *s = rows[i];
    /* "?" for a site without a SITE record, "#N" for an api this tool does not know. */
    char api[16];
    if (!s->api)
      snprintf(api, sizeof api, "%s", ms_site_is_free(s) ? "free" : "?");
    else if (strcmp(ms_api_name(s->api), "?") == 0)
      snprintf(api, sizeof api, "#%" PRIu32, s->api);
    else
      snprintf(api, sizeof api, "%s", ms_api_name(s->api));
    switch (table) {
    case BY_BYTES:
      fprintf(out, "%10" PRIu64 "%10" PRIu64 "  %-8s ", ms_site_bytes(s), ms_site_calls(s), api);
      print_site_place(out, s, SITE_TABLE_FUNCTION_COL);
      break;
    case BY_CALLS:
      fprintf(out, "%10" PRIu64 "%10" PRIu64 "  %-8s ", ms_site_calls(s), ms_site_bytes(s), api);
      print_site_place(out, s, SITE_TABLE_FUNCTION_COL);
      break;
    case LIVE:
      fprintf(out, "%10" PRIu64 "%10" PRIu64 "  ", s->counts.live_blocks, s->counts.live_bytes);
      print_site_place(out, s, LIVE_TABLE_FUNCTION_COL);
      break;
    }
  }
  free(rows);
}

void ms_report_text(FILE *out, const struct ms_profile *p, const struct ms_report_options *opt) {
  size_t top = opt ? opt->top : MS_REPORT_DEFAULT_TOP;
  print_header(out, p);
  print_totals(out, &p->totals);
  print_threads(out, p);
  print_site_table(out, p, top, BY_BYTES);
  print_site_table(out, p, top, BY_CALLS);
  print_site_table(out, p, top, LIVE);
}
