/* The text summary, in the order heaptrack_print taught its users: the file lines, then
 * "Summary" (totals, the peak, what is still live, then the leaks, the peak's
 * contributors, the most allocations, the temporary allocations and the bottlenecks, a
 * few rows each: the first screen says what to fix), then every table in full.  Plain
 * decimal numbers, columns separated by spaces, lines within 100 columns (long names lose
 * their middle; the JSON report keeps them whole).  Scripts parse it (tests/e2e), so a
 * change of shape here is a change of interface: keep docs/merge.md in step.  An
 * estimate is one token, N±E (E: half-width of its 95% interval), so the columns stay
 * countable. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bottleneck.h"
#include "callers.h"
#include "report.h"
#include "report_parts.h"
#include "resources.h"
#include "stacks.h"
#include "util.h"

/* Where the function column starts in the site tables, and the width of the function
 * column; "inlined into" lines are indented two more. */
#define SITE_TABLE_FUNCTION_COL 31 /* %10s%10s  %-8s  then function */
#define LIVE_TABLE_FUNCTION_COL 22 /* %10s%10s  then function */
#define SIZES_TABLE_FUNCTION_COL 42 /* %10s%10s%10s%10s  then function */
#define FUNCTION_WIDTH 20

static const char *plural(uint64_t n, const char *one, const char *many) {
  return n == 1 ? one : many;
}

/* --- Cells ----------------------------------------------------------------------------- */

/* Columns are as wide as the characters shown: "±" is two bytes, one column. */
static int display_width(const char *s) {
  int n = 0;
  for (; *s; s++)
    n += ((unsigned char)*s & 0xc0) != 0x80;
  return n;
}

/* s right-aligned in width columns. */
static void right(FILE *out, int width, const char *s) {
  fprintf(out, "%*s%s", width > display_width(s) ? width - display_width(s) : 0, "", s);
}

/* A table cell: right-aligned in width columns, and never glued to the cell before it
 * even when it is wider than its column.  Returns the columns it took beyond its width
 * (an estimate can be wider), which the row's last column gives back. */
static int cell(FILE *out, int width, const char *s) {
  fputc(' ', out);
  right(out, width - 1, s);
  int over = display_width(s) - (width - 1);
  return over > 0 ? over : 0;
}

struct text {
  char s[64];
};

static struct text num(uint64_t v) {
  struct text t;
  snprintf(t.s, sizeof t.s, "%" PRIu64, v);
  return t;
}

/* A figure: N, N±E (n), ≤B (0) (figure_text.c). */
static struct text figure_text(struct mg_figure f) {
  struct text t;
  mg_figure_format(t.s, sizeof t.s, f);
  return t;
}

/* What a leaks-mode process cannot know (mg_counts.lives_only): no free is an event. */
#define NA "n/a"
#define NA_LEAKS "n/a (leaks mode)"
/* ... and what one whose list of live blocks is missing or cut short cannot know
 * (mg_counts.lives_unlisted): the totals; a site's row shows the blocks listed. */
#define NA_UNLISTED "n/a (leaks mode, not listed)"
#define UNLISTED_WHY "a leaks-mode process's list of live blocks is missing or cut short"

static struct text na(void) {
  struct text t = {NA};
  return t;
}

static struct text figure(const struct mg_counts *c, enum mg_figure_of what) {
  if (c->lives_only && (what == MG_BYTES_FREED || what == MG_PEAK_LIVE_BYTES))
    return na();
  return figure_text(mg_counts_figure(c, what));
}

/* --thread's site numbers are the thread's own: the profile kept them while reading
 * (mg_profile.site_thread); else the site tables count every thread. */
static bool thread_sites(const struct mg_profile *p, const struct mg_report_options *opt) {
  return opt->has_thread && p->has_site_thread && p->site_thread == opt->thread;
}

/* --- Header ---------------------------------------------------------------------------- */

/* "sampled (bytes sampler, mean interval N bytes)", "full", ... */
static void print_mode(FILE *out, const struct mg_process *proc) {
  fprintf(out, ", mode %s", proc->mode ? proc->mode : "?");
  if (!proc->sampled)
    return;
  if (!proc->sampler && !proc->sample_interval)
    return;
  fputs(" (", out);
  if (proc->sampler)
    fprintf(out, "%s sampler%s", proc->sampler, proc->sample_interval ? ", " : "");
  if (proc->sample_interval)
    fprintf(out, "mean interval %" PRIu64 " bytes", proc->sample_interval);
  fputc(')', out);
}

/* The command line as a shell would take it back: an argument with anything but
 * [A-Za-z0-9_./=:,+-@%] in single quotes.  At most MAX_COMMAND_TEXT bytes of it on the
 * summary, so that the line stays within 100 columns (the JSON report has it whole). */
#define MAX_COMMAND_TEXT 80
static void print_command(FILE *out, const struct mg_process *proc) {
  if (!proc->command_line && !proc->runtime_version)
    return;
  fputs("    ", out);
  size_t shown = 0;
  bool cut = false;
  if (proc->command_line) {
    fputs("command:", out);
    for (size_t i = 0; i < proc->ncommand_line && !cut; i++) {
      const char *a = proc->command_line[i];
      bool plain = *a != '\0';
      for (const char *c = a; *c && plain; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                strchr("_./=:,+-@%", *c);
      fputc(' ', out);
      if (!plain)
        fputc('\'', out);
      for (const char *c = a; *c; c++) {
        if (shown++ >= MAX_COMMAND_TEXT) {
          cut = true;
          break;
        }
        if (*c == '\'')
          fputs("'\\''", out);
        else
          fputc(*c == '\n' || *c == '\r' || *c == '\t' ? ' ' : *c, out);
      }
      if (!plain && !cut)
        fputc('\'', out);
    }
    if (cut || proc->command_line_truncated)
      fputs(" ...", out);
  }
  if (proc->runtime_version)
    fprintf(out, "%sruntime %s", proc->command_line ? ", " : "", proc->runtime_version);
  fputc('\n', out);
}

static void print_input(FILE *out, const struct mg_input *in) {
  const struct mg_process *proc = in->process;
  if (in->filtered) {
    fprintf(out, "  %s: not selected (--process)\n", in->path);
    return;
  }
  if (!proc) {
    fprintf(out, "  %s: no usable data\n", in->path);
    return;
  }
  fprintf(out, "  %s: %s pid ", in->path, proc->program ? proc->program : "?");
  if (proc->present & MG_HEADER_HAS_PID)
    fprintf(out, "%" PRIu64, proc->pid);
  else
    fputs("?", out);
  print_mode(out, proc);
  fprintf(out, ", %s", proc->complete ? "complete" : "incomplete (no end record)");
  /* Leaks mode lists its live blocks at the session's end, which it never reached. */
  if (proc->lives_unlisted)
    fputs(proc->complete ? ", live blocks perhaps not all listed (no room)"
                         : ", live blocks not listed (leaks mode lists them at its end)",
          out);
  uint64_t dropped = mg_process_dropped_events(proc);
  if (dropped)
    fprintf(out,
            ", %" PRIu64 " calls not recorded (memscope busy in a signal handler or a fork, or "
            "out of memory)",
            dropped);
  const struct mg_decode_problem *pb = &in->problem;
  switch (pb->status) {
  case MG_DECODE_OK:
    break;
  case MG_DECODE_TRUNCATED:
    fprintf(out, ", truncated at offset %" PRIu64, pb->offset);
    break;
  case MG_DECODE_IO:
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
  /* A sampled file's exact counts are its COUNTERS records: none, none to show. */
  if (proc->sampled && !proc->has_counters)
    fputs(", no counts recorded (its numbers are only what its samples show)", out);
  /* Full mode: the counters were used; a difference the status block's lost events do
   * not account for means a cut file or a writer bug. */
  if (proc->disagreeing_sites)
    fprintf(out, ", counters and events disagree at %" PRIu64 " %s", proc->disagreeing_sites,
            plural(proc->disagreeing_sites, "site", "sites"));
  fputc('\n', out);
  print_command(out, proc);
  if (mg_process_uninstrumented(proc))
    fputs("    no allocation site in it was built with the memscope plugin: its numbers are\n"
          "    what the interposed malloc saw, without the lines that made the calls (build\n"
          "    with memscope-cc, docs/install.md)\n",
          out);
  mg_text_status(out, proc);
}

/* An input whose lines would say nothing but its name, program, pid, mode and command:
 * read whole, complete, nothing lost or skipped, nothing to warn of. */
static bool input_is_plain(const struct mg_input *in) {
  const struct mg_process *proc = in->process;
  return !in->filtered && proc && proc->complete && in->problem.status == MG_DECODE_OK &&
         !mg_process_dropped_events(proc) && !proc->skipped_records && !proc->skipped_events &&
         !(proc->sampled && !proc->has_counters) && !proc->disagreeing_sites &&
         !mg_process_uninstrumented(proc) && mg_text_status_quiet(proc);
}

/* A fleet's files (a program that forks, a directory of runs) would fill the first screen
 * with their names: past HEADER_PLAIN_SHOWN plain ones only those with something to say
 * are listed, and the rest counted (`--top 0`, and the JSON report, list every one). */
#define HEADER_PLAIN_SHOWN 8
static void print_header(FILE *out, const struct mg_profile *p, size_t top) {
  fprintf(out, "memscope: %zu %s, %zu %s, %zu %s\n", p->ninputs,
          plural(p->ninputs, "file", "files"), p->nprocesses,
          plural(p->nprocesses, "process", "processes"), p->nthreads,
          plural(p->nthreads, "thread", "threads"));
  size_t plain = 0, hidden = 0;
  for (size_t i = 0; i < p->ninputs; i++) {
    bool is_plain = input_is_plain(&p->inputs[i]);
    if (top && is_plain && plain++ >= HEADER_PLAIN_SHOWN) {
      hidden++;
      continue;
    }
    print_input(out, &p->inputs[i]);
  }
  if (hidden)
    fprintf(out, "  ... and %zu more %s, each complete with nothing to report (--top 0 lists %s)\n",
            hidden, plural(hidden, "file", "files"), plural(hidden, "it", "them"));
}

/* --- Totals ---------------------------------------------------------------------------- */

static void total_line(FILE *out, const char *label, struct text value) {
  fprintf(out, "  %-20s", label);
  right(out, 12, value.s);
  fputc('\n', out);
}

static void print_totals(FILE *out, const struct mg_profile *p) {
  const struct mg_counts *c = &p->totals;
  /* null and unmatched frees are known only where every free is an event. */
  bool all_frees_seen = false, sampled = false;
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    if (proc) {
      all_frees_seen |= (!proc->sampled && !proc->leaks) || !proc->has_counters;
      sampled |= proc->sampled;
    }
  }
  /* A leaks-mode process makes what it cannot know unknown in the totals too. */
  struct text unknown = {NA_LEAKS};
  fputs("\nTotals\n", out);
  total_line(out, "allocations", num(c->allocations));
  total_line(out, "failed allocations", num(c->failed_allocations));
  total_line(out, "reallocs", num(c->reallocs));
  total_line(out, "frees", num(c->frees));
  if (all_frees_seen) {
    total_line(out, "null frees", c->lives_only ? unknown : num(c->null_frees));
    total_line(out, "unmatched frees", c->lives_only ? unknown : num(c->unmatched_frees));
  }
  total_line(out, "bytes allocated", num(c->bytes_allocated));
  total_line(out, "bytes freed", c->lives_only ? unknown : figure(c, MG_BYTES_FREED));
  struct text unlisted = {NA_UNLISTED};
  total_line(out, "live blocks at exit", c->lives_unlisted ? unlisted : figure(c, MG_LIVE_BLOCKS));
  total_line(out, "live bytes at exit", c->lives_unlisted ? unlisted : figure(c, MG_LIVE_BYTES));
  /* Only when it happened: it means frees memscope did not see. */
  if (c->overwritten_blocks)
    total_line(out, "overwritten blocks", num(c->overwritten_blocks));
  total_line(out, "peak live bytes", c->lives_only ? unknown : figure(c, MG_PEAK_LIVE_BYTES));
  if (sampled)
    total_line(out, "samples", num(c->samples));
}

/* "  process PID PROGRAM", the title of a process's rows (without the line's end). */
static void process_title(FILE *out, const struct mg_process *proc) {
  fputs("  process ", out);
  if (proc->present & MG_HEADER_HAS_PID)
    fprintf(out, "%" PRIu64, proc->pid);
  else
    fputs("?", out);
  fprintf(out, " %s", proc->program ? proc->program : "?");
}

/* --- Threads --------------------------------------------------------------------------- */

/* Threads by allocations, most first (then by index). */
static int threads_by_allocations(const void *a, const void *b) {
  const struct mg_thread *x = *(const struct mg_thread *const *)a;
  const struct mg_thread *y = *(const struct mg_thread *const *)b;
  if (x->counts.allocations != y->counts.allocations)
    return x->counts.allocations < y->counts.allocations ? 1 : -1;
  return (x->index > y->index) - (x->index < y->index);
}

/* One row per thread the filters show, by allocations, at most `top` per process (then a
 * line saying how many more), under a title per process when there are several. */
typedef void thread_row_fn(FILE *out, const struct mg_profile *p, const struct mg_process *proc,
                           const struct mg_thread *thr);
static void each_thread_row(FILE *out, const struct mg_profile *p,
                            const struct mg_report_options *opt, size_t top, thread_row_fn *row) {
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    if (!proc)
      continue;
    if (p->nprocesses > 1) {
      process_title(out, proc);
      fputc('\n', out);
    }
    const struct mg_thread **rows = mg_xmalloc((proc->nthreads ? proc->nthreads : 1) * sizeof *rows);
    size_t n = 0;
    for (size_t t = 0; t < proc->nthreads; t++)
      if (mg_report_shows_thread(opt, proc->pid, proc->threads[t].index))
        rows[n++] = &proc->threads[t];
    qsort(rows, n, sizeof *rows, threads_by_allocations);
    size_t shown = top && n > top ? top : n;
    for (size_t k = 0; k < shown; k++)
      row(out, p, proc, rows[k]);
    if (!n)
      fputs("  (none)\n", out);
    else if (shown < n)
      fprintf(out, "  (%zu more %s; --top 0 shows all)\n", n - shown,
              plural(n - shown, "thread", "threads"));
    free(rows);
  }
}

static void thread_counts_row(FILE *out, const struct mg_profile *p,
                              const struct mg_process *proc, const struct mg_thread *thr) {
  (void)p, (void)proc;
  char tid[24] = "-";
  if (thr->os_tid)
    snprintf(tid, sizeof tid, "%" PRIu64, thr->os_tid);
  cell(out, 8, num(thr->index).s);
  cell(out, 9, tid);
  cell(out, 10, num(thr->counts.allocations).s);
  cell(out, 10, num(thr->counts.frees).s);
  cell(out, 14, num(thr->counts.bytes_allocated).s);
  cell(out, 14, figure(&thr->counts, MG_BYTES_FREED).s);
  fprintf(out, "  %s\n", thr->name && thr->name[0] ? thr->name : "-");
}

static void print_threads(FILE *out, const struct mg_profile *p,
                          const struct mg_report_options *opt, size_t top) {
  fputs("\nThreads (allocations, frees, bytes; most allocations first)\n", out);
  fprintf(out, "%8s%9s%10s%10s%14s%14s  %s\n", "thread", "tid", "allocs", "frees",
          "bytes-alloc", "bytes-freed", "name");
  each_thread_row(out, p, opt, top, thread_counts_row);
}

/* --- Sites ----------------------------------------------------------------------------- */

/* Comparators: bigger first, then by id so the order never depends on input order. */
#define CMP_DESC(a, b) \
  if ((a) != (b))      \
  return (a) < (b) ? 1 : -1
#define CMP_ID(x, y) return ((x)->id > (y)->id) - ((x)->id < (y)->id)

static int by_bytes(const void *a, const void *b) {
  const struct mg_site *x = *(const struct mg_site *const *)a, *y = *(const struct mg_site *const *)b;
  CMP_DESC(mg_site_bytes(x), mg_site_bytes(y));
  CMP_DESC(mg_site_calls(x), mg_site_calls(y));
  CMP_ID(x, y);
}

static int by_calls(const void *a, const void *b) {
  const struct mg_site *x = *(const struct mg_site *const *)a, *y = *(const struct mg_site *const *)b;
  CMP_DESC(mg_site_calls(x), mg_site_calls(y));
  CMP_DESC(mg_site_bytes(x), mg_site_bytes(y));
  CMP_ID(x, y);
}

static int by_live_bytes(const void *a, const void *b) {
  const struct mg_site *x = *(const struct mg_site *const *)a, *y = *(const struct mg_site *const *)b;
  CMP_DESC(mg_counts_figure(&x->counts, MG_LIVE_BYTES).value,
           mg_counts_figure(&y->counts, MG_LIVE_BYTES).value);
  CMP_DESC(mg_counts_figure(&x->counts, MG_LIVE_BLOCKS).value,
           mg_counts_figure(&y->counts, MG_LIVE_BLOCKS).value);
  CMP_ID(x, y);
}

static int by_size_calls(const void *a, const void *b) {
  const struct mg_site *x = *(const struct mg_site *const *)a, *y = *(const struct mg_site *const *)b;
  CMP_DESC(x->sizes.calls, y->sizes.calls);
  CMP_DESC(x->sizes.bytes, y->sizes.bytes);
  CMP_ID(x, y);
}

enum site_table { BY_BYTES, BY_CALLS, LIVE, SIZES, FREES };

static bool allocates(const struct mg_site *s) {
  return !mg_site_is_free(s) && s->counts.allocations > 0;
}
static bool frees(const struct mg_site *s) { return mg_site_is_free(s) && mg_site_calls(s) > 0; }
static bool has_live(const struct mg_site *s) {
  return mg_counts_figure(&s->counts, MG_LIVE_BLOCKS).value > 0;
}
static bool has_sizes(const struct mg_site *s) {
  return !mg_site_is_free(s) && s->sizes.calls > 0;
}
static bool has_chains(const struct mg_site *s) { return s->chains > 0; }

static bool (*const table_keeps[])(const struct mg_site *) = {
    [BY_BYTES] = allocates, [BY_CALLS] = allocates, [LIVE] = has_live, [SIZES] = has_sizes,
    [FREES] = frees,
};

/* The sites kept by `keep` that the filters show, by `order`: *n of them; free the array. */
static const struct mg_site **kept_sites(const struct mg_profile *p,
                                         const struct mg_report_options *opt,
                                         bool (*keep)(const struct mg_site *),
                                         int (*order)(const void *, const void *), size_t *n) {
  const struct mg_site **rows = mg_xmalloc((p->nsites ? p->nsites : 1) * sizeof *rows);
  *n = 0;
  for (size_t i = 0; i < p->nsites; i++)
    if (keep(&p->sites[i]) && mg_report_shows_site(opt, p->sites[i].id))
      rows[(*n)++] = &p->sites[i];
  qsort(rows, *n, sizeof *rows, order);
  return rows;
}

/* The rows of a site table: kept_sites, at most `top` (0: all); "(none)" when there are
 * none.  *n rows; free the array. */
static const struct mg_site **table_rows(FILE *out, const struct mg_profile *p,
                                         const struct mg_report_options *opt, size_t top,
                                         bool (*keep)(const struct mg_site *),
                                         int (*order)(const void *, const void *), size_t *n) {
  const struct mg_site **rows = kept_sites(p, opt, keep, order, n);
  if (top && *n > top)
    *n = top;
  if (*n == 0)
    fputs("  (none)\n", out);
  return rows;
}


static struct text est_text(const struct mg_est *e, bool estimated);
static struct text figure_text(struct mg_figure f);
/* A caller's estimate, never above what the site's exact counts allow. */
static struct text capped(const struct mg_est *e, bool estimated, uint64_t most) {
  return figure_text(mg_figure_at_most(mg_est_figure(e, estimated), most));
}

/* A row of the main site tables: a site, or one caller of a site whose frames do not
 * say who called (uninstrumented, or through a function pointer: its allocations
 * attributed to their first frame in the program's own code, callers.h), with the
 * values it is sorted by. */
struct site_row {
  const struct mg_site *s;
  const struct mg_caller *caller;
  double bytes, calls, live_blocks, live_bytes;
};

static int row_order(const struct site_row *x, const struct site_row *y, enum site_table t) {
  double kx[2] = {x->bytes, x->calls}, ky[2] = {y->bytes, y->calls};
  if (t == BY_CALLS || t == FREES)
    kx[0] = x->calls, kx[1] = x->bytes, ky[0] = y->calls, ky[1] = y->bytes;
  else if (t == LIVE)
    kx[0] = x->live_bytes, kx[1] = x->live_blocks, ky[0] = y->live_bytes, ky[1] = y->live_blocks;
  for (int i = 0; i < 2; i++)
    CMP_DESC(kx[i], ky[i]);
  if (x->s->id != y->s->id)
    return x->s->id < y->s->id ? -1 : 1;
  return (x->caller > y->caller) - (x->caller < y->caller);
}
static int rows_by_bytes(const void *a, const void *b) { return row_order(a, b, BY_BYTES); }
static int rows_by_calls(const void *a, const void *b) { return row_order(a, b, BY_CALLS); }
static int rows_by_live(const void *a, const void *b) { return row_order(a, b, LIVE); }

static struct site_row whole_site_row(const struct mg_site *s) {
  return (struct site_row){
      .s = s, .bytes = (double)mg_site_bytes(s), .calls = (double)mg_site_calls(s),
      .live_blocks = (double)mg_counts_figure(&s->counts, MG_LIVE_BLOCKS).value,
      .live_bytes = (double)mg_counts_figure(&s->counts, MG_LIVE_BYTES).value};
}

static bool caller_kept(const struct mg_caller *c, enum site_table t) {
  return t == LIVE ? c->live_blocks.value > 0 : c->calls.value > 0;
}

static void print_site_table(FILE *out, const struct mg_profile *p,
                             const struct mg_report_options *opt, size_t top,
                             enum site_table table) {
  static const char *const titles[] = {
      [BY_BYTES] = "Top sites by bytes allocated",
      [BY_CALLS] = "Top allocation sites by calls",
      [FREES] = "Top free sites by calls",
      [LIVE] = "Live at exit by site",
      [SIZES] = "Allocation sizes by site",
  };
  static int (*const order[])(const void *, const void *) = {
      [BY_BYTES] = by_bytes, [BY_CALLS] = by_calls, [LIVE] = by_live_bytes,
      [SIZES] = by_size_calls, [FREES] = by_calls,
  };
  fprintf(out, "\n%s\n", titles[table]);
  if (table == LIVE)
    fprintf(out, "%10s%10s  %-*s %s\n", "blocks", "bytes", FUNCTION_WIDTH, "function",
            "location");
  else if (table == SIZES)
    fprintf(out, "%10s%10s%10s%10s  %-*s %s\n", "calls", "min", "avg", "max", FUNCTION_WIDTH,
            "function", "location");
  else
    fprintf(out, "%10s%10s  %-8s %-*s %s\n", table == BY_BYTES ? "bytes" : "calls",
            table == BY_BYTES ? "calls" : "bytes", "api", FUNCTION_WIDTH, "function",
            "location");

  if (table == SIZES) {
    size_t n;
    const struct mg_site **rows = table_rows(out, p, opt, top, table_keeps[table], order[table], &n);
    for (size_t i = 0; i < n; i++) {
      const struct mg_site *s = rows[i];
      cell(out, 10, num(s->sizes.calls).s);
      cell(out, 10, num(s->sizes.min).s);
      cell(out, 10, num(mg_mean(s->sizes.bytes, s->sizes.calls)).s);
      cell(out, 10, num(s->sizes.max).s);
      fputs("  ", out);
      mg_text_site_place(out, p, s, NULL, SIZES_TABLE_FUNCTION_COL, 0);
    }
    free(rows);
    return;
  }

  /* Sites, an uninstrumented one split among its callers when its samples had stacks. */
  struct site_row *rows = NULL;
  size_t n = 0, cap = 0;
  struct mg_callers *callers = mg_xcalloc(p->nsites ? p->nsites : 1, sizeof *callers);
  for (size_t i = 0; i < p->nsites; i++) {
    const struct mg_site *s = &p->sites[i];
    if (!table_keeps[table](s) || !mg_report_shows_site(opt, s->id))
      continue;
    /* Callers come from the stacks, kept per site only: not with --thread. */
    if (!thread_sites(p, opt) && mg_site_stacks_whole(p, s) && !mg_site_is_free(s))
      mg_site_callers(p, s, &callers[i]);
    if (!callers[i].n) {
      MG_GROW(rows, cap, n + 1);
      rows[n++] = whole_site_row(s);
    }
    for (size_t k = 0; k < callers[i].n; k++) {
      const struct mg_caller *c = &callers[i].v[k];
      if (!caller_kept(c, table))
        continue;
      MG_GROW(rows, cap, n + 1);
      rows[n++] = (struct site_row){.s = s, .caller = c, .bytes = c->bytes.value,
                                    .calls = c->calls.value,
                                    .live_blocks = c->live_blocks.value,
                                    .live_bytes = c->live_bytes.value};
    }
  }
  qsort(rows, n, sizeof *rows,
        table == BY_CALLS || table == FREES ? rows_by_calls
        : table == LIVE                      ? rows_by_live
                                             : rows_by_bytes);
  if (top && n > top)
    n = top;
  if (n == 0)
    fputs(table == LIVE && p->totals.lives_unlisted ? "  " NA_UNLISTED "\n" : "  (none)\n", out);
  else if (table == LIVE && p->totals.lives_unlisted)
    fputs("  (the blocks listed: " UNLISTED_WHY ")\n", out);
  for (size_t i = 0; i < n; i++) {
    const struct mg_site *s = rows[i].s;
    const struct mg_caller *c = rows[i].caller;
    /* "?" for a site without a SITE record, "#N" for an api this tool does not know. */
    char api[16];
    if (!s->api)
      snprintf(api, sizeof api, "%s", mg_site_is_free(s) ? "free" : "?");
    else if (strcmp(mg_api_name(s->api), "?") == 0)
      snprintf(api, sizeof api, "#%" PRIu32, s->api);
    else
      snprintf(api, sizeof api, "%s", mg_api_name(s->api));
    /* A free site's bytes are bytes freed: estimated in sampled mode.  A caller's share
     * of an uninstrumented site is an estimate from its samples. */
    struct text bytes = c ? capped(&c->bytes, c->estimated, s->counts.bytes_allocated)
                      : mg_site_is_free(s) ? figure(&s->counts, MG_BYTES_FREED)
                                           : num(s->counts.bytes_allocated);
    struct text calls = c ? capped(&c->calls, c->estimated, s->counts.allocations)
                          : num(mg_site_calls(s));
    int over = 0;
    switch (table) {
    case BY_BYTES:
      over += cell(out, 10, bytes.s);
      over += cell(out, 10, calls.s);
      fprintf(out, "  %-8s ", api);
      mg_text_site_place(out, p, s, c, SITE_TABLE_FUNCTION_COL, over);
      break;
    case BY_CALLS:
    case FREES:
      over += cell(out, 10, calls.s);
      over += cell(out, 10, bytes.s);
      fprintf(out, "  %-8s ", api);
      mg_text_site_place(out, p, s, c, SITE_TABLE_FUNCTION_COL, over);
      break;
    default:
      over += cell(out, 10, c ? capped(&c->live_blocks, c->estimated, s->counts.allocations).s
                              : figure(&s->counts, MG_LIVE_BLOCKS).s);
      over += cell(out, 10, c ? capped(&c->live_bytes, c->estimated, s->counts.bytes_allocated).s
                              : figure(&s->counts, MG_LIVE_BYTES).s);
      fputs("  ", out);
      mg_text_site_place(out, p, s, c, LIVE_TABLE_FUNCTION_COL, over);
      break;
    }
  }
  for (size_t i = 0; i < p->nsites; i++)
    mg_callers_free(&callers[i]);
  free(callers);
  free(rows);
}

/* --- The deeper analyses ----------------------------------------------------------------- */

/* A number of ns as milliseconds with 3 decimals ("12.345"). */
static struct text mg_time(uint64_t ns) {
  struct text t;
  snprintf(t.s, sizeof t.s, "%" PRIu64 ".%03" PRIu64, ns / 1000000, ns / 1000 % 1000);
  return t;
}

static struct text est_text(const struct mg_est *e, bool estimated) {
  return figure_text(mg_est_figure(e, estimated));
}

static struct text rounded(double v) { return num(v > 0 ? (uint64_t)llround(v) : 0); }

static void print_processes(FILE *out, const struct mg_profile *p, size_t top) {
  if (p->nprocesses < 2)
    return;
  fputs("\nProcesses\n", out);
  fprintf(out, "%8s%9s%10s%10s%14s%14s  %s\n", "pid", "threads", "allocs", "frees",
          "bytes-alloc", "peak-live", "program");
  size_t shown = 0;
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    if (!proc)
      continue;
    if (top && shown++ == top) {
      fprintf(out, "  (%zu more; --top 0 shows all)\n", p->nprocesses - top);
      break;
    }
    cell(out, 8, (proc->present & MG_HEADER_HAS_PID) ? num(proc->pid).s : "?");
    cell(out, 9, num(proc->nthreads).s);
    cell(out, 10, num(proc->counts.allocations).s);
    cell(out, 10, num(proc->counts.frees).s);
    cell(out, 14, num(proc->counts.bytes_allocated).s);
    cell(out, 14, figure(&proc->counts, MG_PEAK_LIVE_BYTES).s);
    fprintf(out, "  %s\n", proc->program ? proc->program : "?");
  }
}

static void print_peak(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt,
                       size_t top) {
  /* The peak is the process's: with --thread its sites still count every thread. */
  fprintf(out, "\nPeak heap (sites live at the peak%s)\n", opt->has_thread ? "; every thread" : "");
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    if (!proc)
      continue;
    process_title(out, proc);
    if (proc->leaks) {
      fputs(": " NA_LEAKS "\n", out);
      continue;
    }
    fprintf(out, ": %s bytes at %s ms\n", figure(&proc->counts, MG_PEAK_LIVE_BYTES).s,
            mg_time(proc->peak_ns).s);
    fprintf(out, "%10s%10s  %-*s %s\n", "bytes", "blocks", FUNCTION_WIDTH, "function", "location");
    size_t shown = 0;
    for (size_t k = 0; k < proc->npeak_sites && (!top || shown < top); k++) {
      const struct mg_peak_site *ps = &proc->peak_sites[k];
      const struct mg_site *s = mg_profile_find_site(p, ps->site);
      if (!s || !mg_report_shows_site(opt, ps->site))
        continue;
      int over = cell(out, 10, est_text(&ps->bytes, proc->sampled).s);
      over += cell(out, 10, est_text(&ps->blocks, proc->sampled).s);
      fputs("  ", out);
      mg_text_site_place(out, p, s, NULL, LIVE_TABLE_FUNCTION_COL, over);
      shown++;
    }
    if (!shown)
      fputs("  (none)\n", out);
  }
}

/* Phases: allocations by the phase current when they were made (only when some process
 * named a phase).  Process-wide: --thread and --site do not apply. */
static void print_phases(FILE *out, const struct mg_profile *p, size_t top) {
  bool any = false;
  for (size_t i = 0; i < p->ninputs; i++)
    any |= p->inputs[i].process && p->inputs[i].process->nphases > 0;
  if (!any)
    return;
  fputs("\nPhases (allocations made while each phase was current)\n", out);
  fprintf(out, "%8s%14s%16s%10s%12s  %s\n", "phase", "allocs", "bytes", "samples", "named-ms",
          "label");
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    if (!proc || !proc->nphases)
      continue;
    if (p->nprocesses > 1) {
      process_title(out, proc);
      fputc('\n', out);
    }
    /* Named phases by id (at most `top`), then what was allocated outside any phase. */
    size_t named = 0;
    for (int pass = 0; pass < 2; pass++) {
      for (size_t k = 0; k < proc->nphases; k++) {
        const struct mg_phase *ph = &proc->phases[k];
        if ((ph->id == 0) != (pass == 1))
          continue;
        if (ph->id && top && named++ >= top)
          continue;
        uint64_t ns;
        cell(out, 8, ph->id ? num(ph->id).s : "-");
        cell(out, 14, est_text(&ph->allocations, proc->sampled).s);
        cell(out, 16, est_text(&ph->bytes, proc->sampled).s);
        cell(out, 10, num(ph->samples).s);
        cell(out, 12, mg_phase_time(proc, ph, &ns) ? mg_time(ns).s : "-");
        fprintf(out, "  %s\n", ph->id == 0 ? "(no phase)" : ph->label ? ph->label : "?");
      }
      if (pass == 0 && top && named > top)
        fprintf(out, "  (%zu more phases; --top 0 shows all)\n", named - top);
    }
  }
}

static const char *site_function(const struct mg_profile *p, uint64_t id, char *buf, size_t size) {
  const struct mg_site *s = mg_profile_find_site(p, id);
  if (s && s->described && s->nframes && s->frames[0].function)
    return s->frames[0].function;
  return mg_site_fallback_name(s, id, buf, size);
}

static void thread_details_row(FILE *out, const struct mg_profile *p,
                               const struct mg_process *proc, const struct mg_thread *thr) {
  cell(out, 8, num(thr->index).s);
  cell(out, 14, proc->leaks     ? NA
                : proc->sampled ? est_text(&thr->est_peak_live_bytes, true).s
                                : num(thr->peak_live_bytes).s);
  cell(out, 12, proc->leaks ? NA : mg_time(thr->peak_ns).s);
  cell(out, 10, thr->counts.allocations
                    ? num(mg_mean(thr->counts.bytes_allocated, thr->counts.allocations)).s
                    : "-");
  cell(out, 12, proc->leaks ? NA : figure_text(mg_counts_blocks_figure(&thr->counts, &thr->counts.est_short_lived)).s);
  char buf[40], name[64];
  if (thr->nhot) {
    /* the row's numbers take 70 columns: the name gets what is left */
    mg_text_elide(name, sizeof name, site_function(p, thr->hot[0].site, buf, sizeof buf), 30);
    fprintf(out, "  %s (%" PRIu64 ")\n", name, thr->hot[0].allocations);
  } else {
    fputs("  -\n", out);
  }
}

static void print_thread_details(FILE *out, const struct mg_profile *p,
                                 const struct mg_report_options *opt, size_t top) {
  fputs("\nThread details (own live heap, sizes, hottest site)\n", out);
  fprintf(out, "%8s%14s%12s%10s%12s  %s\n", "thread", "peak-live", "peak-ms", "avg-size",
          "short-lived", "hottest site");
  each_thread_row(out, p, opt, top, thread_details_row);
}

/* Resources: the resource sampler's summary per process, then its threads by CPU time
 * (at most `top`).  Threads the sampler saw that never recorded have thread "-". */
static struct text percent(double v) {
  struct text t;
  snprintf(t.s, sizeof t.s, "%.1f", v);
  return t;
}

static int by_cpu(const void *a, const void *b) {
  const struct mg_resource_thread *x = *(const struct mg_resource_thread *const *)a;
  const struct mg_resource_thread *y = *(const struct mg_resource_thread *const *)b;
  uint64_t cx = x->user_ns + x->system_ns, cy = y->user_ns + y->system_ns;
  if (cx != cy)
    return cx < cy ? 1 : -1;
  return (x->os_tid > y->os_tid) - (x->os_tid < y->os_tid);
}

static void print_resources(FILE *out, const struct mg_profile *p,
                            const struct mg_report_options *opt, size_t top) {
  fputs("\nResources (CPU, memory and I/O from the resource sampler)\n", out);
  bool any = false;
  for (size_t i = 0; i < p->ninputs; i++)
    any |= p->inputs[i].process && p->inputs[i].process->resources;
  if (!any) {
    fputs("  no resource data recorded (set MEMSCOPE_RESOURCE_INTERVAL)\n", out);
    return;
  }
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    if (!proc)
      continue;
    process_title(out, proc);
    fputc('\n', out);
    const struct mg_resources *res = proc->resources;
    if (!res) {
      fputs("  no resource data recorded (set MEMSCOPE_RESOURCE_INTERVAL)\n", out);
      continue;
    }
    const struct mg_resource_summary *s = &res->summary;
    total_line(out, "ticks", num(s->ticks));
    total_line(out, "first tick ms", mg_time(s->first_ns));
    total_line(out, "last tick ms", mg_time(s->last_ns));
    total_line(out, "peak rss bytes", num(s->peak_rss));
    total_line(out, "peak rss at ms", mg_time(s->peak_rss_ns));
    total_line(out, "peak vsize bytes", num(s->peak_vsize));
    total_line(out, "peak cpu %", percent(s->peak_cpu_percent));
    total_line(out, "peak cpu at ms", mg_time(s->peak_cpu_ns));
    total_line(out, "average cpu %", percent(s->average_cpu_percent));
    total_line(out, "cpu user ms", mg_time(s->user_ns));
    total_line(out, "cpu system ms", mg_time(s->system_ns));
    total_line(out, "read bytes", num(s->read_bytes));
    total_line(out, "written bytes", num(s->write_bytes));
    total_line(out, "minor faults", num(s->minor_faults));
    total_line(out, "major faults", num(s->major_faults));
    total_line(out, "voluntary switches", num(s->voluntary_switches));
    total_line(out, "involuntary switches", num(s->involuntary_switches));
    /* Its threads, by CPU time. */
    const struct mg_resource_thread **rows =
        mg_xmalloc((res->nthreads ? res->nthreads : 1) * sizeof *rows);
    size_t n = 0;
    for (size_t k = 0; k < res->nthreads; k++) {
      const struct mg_resource_thread *t = &res->threads[k];
      if (t->thread ? mg_report_shows_thread(opt, proc->pid, t->thread) : !opt->has_thread)
        rows[n++] = t;
    }
    qsort(rows, n, sizeof *rows, by_cpu);
    fprintf(out, "%8s%9s%12s%12s%9s%12s%12s  %s\n", "thread", "tid", "user-ms", "system-ms",
            "share-%", "read", "written", "name");
    size_t shown = top && n > top ? top : n;
    for (size_t k = 0; k < shown; k++) {
      const struct mg_resource_thread *t = rows[k];
      cell(out, 8, t->thread ? num(t->thread).s : "-");
      cell(out, 9, num(t->os_tid).s);
      cell(out, 12, mg_time(t->user_ns).s);
      cell(out, 12, mg_time(t->system_ns).s);
      cell(out, 9, percent(100 * t->cpu_share).s);
      cell(out, 12, t->has_io ? num(t->read_bytes).s : "-");
      cell(out, 12, t->has_io ? num(t->write_bytes).s : "-");
      fprintf(out, "  %s\n", t->name && t->name[0] ? t->name : "-");
    }
    if (!n)
      fputs("  (none)\n", out);
    else if (shown < n)
      fprintf(out, "  (%zu more %s)\n", n - shown, plural(n - shown, "thread", "threads"));
    free(rows);
  }
}

/* Allocation sites whose blocks were freed, by allocations. */
static void print_lifetimes(FILE *out, const struct mg_profile *p,
                            const struct mg_report_options *opt, size_t top) {
  fputs("\nLifetimes by site (freed blocks; short-lived: freed within 100 us)\n", out);
  fprintf(out, "%8s%8s%8s%8s%8s  %-*s %s\n", "freed", "<100us", "<10ms", "<1s", ">=1s",
          FUNCTION_WIDTH, "function", "location");
  const struct mg_site **rows = mg_xmalloc((p->nsites ? p->nsites : 1) * sizeof *rows);
  size_t n = 0;
  for (size_t i = 0; i < p->nsites; i++) {
    const struct mg_site *s = &p->sites[i];
    double freed = 0;
    for (size_t k = 0; k < MG_LIFETIME_BUCKETS; k++)
      freed += s->lifetime[k].value;
    if (freed > 0 && mg_report_shows_site(opt, s->id))
      rows[n++] = s;
  }
  qsort(rows, n, sizeof *rows, by_calls);
  if (top && n > top)
    n = top;
  if (n == 0) /* a leaks-mode process's frees are no events: unknown, not none */
    fputs(p->totals.lives_only ? "  " NA_LEAKS "\n" : "  (none)\n", out);
  static const int groups[][2] = {{0, 3}, {3, 5}, {5, 7}, {7, 9}}; /* bucket ranges */
  for (size_t i = 0; i < n; i++) {
    const struct mg_site *s = rows[i];
    double total = 0;
    for (size_t k = 0; k < MG_LIFETIME_BUCKETS; k++)
      total += s->lifetime[k].value;
    cell(out, 8, rounded(total).s);
    for (size_t g = 0; g < 4; g++) {
      double v = 0;
      for (int k = groups[g][0]; k < groups[g][1]; k++)
        v += s->lifetime[k].value;
      cell(out, 8, rounded(v).s);
    }
    fputs("  ", out);
    mg_text_site_place(out, p, s, NULL, SIZES_TABLE_FUNCTION_COL, 0);
  }
  free(rows);
}

static int by_chains(const void *a, const void *b) {
  const struct mg_site *x = *(const struct mg_site *const *)a, *y = *(const struct mg_site *const *)b;
  CMP_DESC(x->chain_steps, y->chain_steps);
  CMP_DESC(x->chains, y->chains);
  CMP_ID(x, y);
}

static void print_chains(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt,
                         size_t top) {
  fputs("\nRealloc growth chains by site (2 reallocs or more of one block)\n", out);
  fprintf(out, "%8s%9s%8s%10s%10s  %-*s %s\n", "chains", "reallocs", "longest", "avg-first",
          "avg-last", FUNCTION_WIDTH, "function", "location");
  size_t n;
  const struct mg_site **rows = table_rows(out, p, opt, top, has_chains, by_chains, &n);
  for (size_t i = 0; i < n; i++) {
    const struct mg_site *s = rows[i];
    cell(out, 8, num(s->chains).s);
    cell(out, 9, num(s->chain_steps).s);
    cell(out, 8, num(s->chain_max).s);
    cell(out, 10, num(mg_mean(s->chain_first_bytes, s->chains)).s);
    cell(out, 10, num(mg_mean(s->chain_last_bytes, s->chains)).s);
    fputs("  ", out);
    mg_text_site_place(out, p, s, NULL, 47, 0);
  }
  free(rows);
}

static void print_cross_thread(FILE *out, const struct mg_profile *p,
                               const struct mg_report_options *opt, size_t top) {
  fputs("\nCross-thread frees (allocated by one thread, freed by another)\n", out);
  fprintf(out, "%14s%13s%12s%14s\n", "alloc-thread", "free-thread", "blocks", "bytes");
  size_t shown = 0;
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    if (!proc || !proc->ninteractions)
      continue;
    bool titled = false;
    size_t rows = 0;
    for (size_t k = 0; k < proc->ninteractions && (!top || rows < top); k++) {
      const struct mg_interaction *x = &proc->interactions[k];
      if (!mg_report_shows_thread(opt, proc->pid, x->alloc_thread) &&
          !mg_report_shows_thread(opt, proc->pid, x->free_thread))
        continue;
      if (p->nprocesses > 1 && !titled) {
        process_title(out, proc);
        fputc('\n', out);
        titled = true;
      }
      cell(out, 14, num(x->alloc_thread).s);
      cell(out, 13, num(x->free_thread).s);
      cell(out, 12, est_text(&x->blocks, proc->sampled).s);
      cell(out, 14, est_text(&x->bytes, proc->sampled).s);
      fputc('\n', out);
      rows++;
      shown++;
    }
  }
  if (!shown)
    fputs(p->totals.lives_only ? "  " NA_LEAKS "\n" : "  (none)\n", out);
}

/* Words of s, wrapped at 80 columns, each line indented by `indent`. */
static void wrapped(FILE *out, int indent, const char *s) {
  int col = indent;
  fprintf(out, "%*s", indent, "");
  while (*s) {
    const char *w = s;
    while (*s && *s != ' ')
      s++;
    int len = (int)(s - w);
    char cut[128];
    if (indent + len > MG_TEXT_COLUMNS) { /* a long C++ name: its middle out */
      char word[1024];
      snprintf(word, sizeof word, "%.*s", len < 1023 ? len : 1023, w);
      mg_text_elide(cut, sizeof cut, word, MG_TEXT_COLUMNS - indent);
      w = cut;
      len = (int)strlen(cut);
    }
    if (col > indent && col + 1 + len > 80) {
      fprintf(out, "\n%*s", indent, "");
      col = indent;
    } else if (col > indent) {
      fputc(' ', out);
      col++;
    }
    fwrite(w, 1, (size_t)len, out);
    col += len;
    while (*s == ' ')
      s++;
  }
  fputc('\n', out);
}

static void print_bottlenecks(FILE *out, const struct mg_profile *p,
                              const struct mg_report_options *opt, size_t top) {
  fputs("\nBottlenecks (severity 0..1)\n", out);
  const struct mg_bottleneck *bn;
  struct mg_bottleneck *found;
  size_t n = mg_profile_bottlenecks(p, &bn, &found), shown = 0;
  for (size_t i = 0; i < n && (!top || shown < top); i++) {
    const struct mg_bottleneck *b = &bn[i];
    if ((b->site && !mg_report_shows_site(opt, b->site)) || (opt->has_site && !b->site) ||
        (opt->has_thread && !mg_report_shows_thread(opt, b->pid, b->thread)))
      continue;
    fprintf(out, "  %.2f  %-18s", b->severity, mg_bottleneck_type_name(b->type));
    /* A site's problem that several threads share: their count, not one of them (the
     * description gives the busiest's share; the JSON keeps the busiest as pid/thread).
     * A thread's problem (imbalance) stays the thread's. */
    const struct mg_site *site = b->site ? mg_profile_find_site(p, b->site) : NULL;
    if (b->type != MG_BN_THREAD_IMBALANCE && site && site->threads > 1) {
      fprintf(out, " %" PRIu64 " threads", site->threads);
    } else {
      if (p->nprocesses > 1)
        fprintf(out, " pid %" PRIu64, b->pid);
      if (b->thread)
        fprintf(out, " thread %" PRIu64, b->thread);
    }
    if (b->site)
      fprintf(out, " site 0x%" PRIx64, b->site);
    fputc('\n', out);
    wrapped(out, 8, b->description);
    char sug[300];
    snprintf(sug, sizeof sug, "suggestion: %s", b->suggestion);
    wrapped(out, 8, sug);
    shown++;
  }
  if (!shown)
    fputs("  (none)\n", out);
  free(found);
}

/* The threads that allocated more blocks than they freed (exact, JSON net_blocks), most
 * first, at most 5 named: where the live blocks were allocated.  Only for sampled
 * processes where no thread freed more than it allocated (a sign that threads free each
 * other's blocks, and then a balance says nothing about where blocks stay). */
static void print_net_threads(FILE *out, const struct mg_profile *p) {
  enum { SHOWN = 5 };
  struct row {
    const struct mg_process *proc;
    const struct mg_thread *t;
    int64_t net;
  } best[SHOWN];
  size_t nbest = 0, positive = 0;
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    bool balanced = proc && proc->sampled && proc->counts.net == 1; /* counts complete */
    for (size_t k = 0; balanced && k < proc->nthreads; k++) {
      const struct mg_thread *t = &proc->threads[k];
      balanced = (t->has_realloc_releases || !t->counts.reallocs) &&
                 mg_counts_net_blocks(&t->counts) >= 0;
    }
    for (size_t k = 0; balanced && k < proc->nthreads; k++) {
      const struct mg_thread *t = &proc->threads[k];
      int64_t net = mg_counts_net_blocks(&t->counts);
      if (net <= 0)
        continue;
      positive++;
      size_t j = nbest < SHOWN ? nbest++ : SHOWN;
      while (j > 0 && best[j - 1].net < net) {
        if (j < SHOWN)
          best[j] = best[j - 1];
        j--;
      }
      if (j < SHOWN)
        best[j] = (struct row){proc, t, net};
    }
  }
  if (!positive)
    return;
  /* Entries wrap before column 100. */
  int col = fprintf(out, "  by thread, blocks allocated minus freed (exact):");
  for (size_t j = 0; j < nbest || (j == nbest && positive > nbest); j++) {
    char pid[24] = "", entry[96];
    if (j == nbest) {
      snprintf(entry, sizeof entry, "and %zu more", positive - nbest);
    } else {
      if (p->nprocesses > 1)
        snprintf(pid, sizeof pid, "%" PRIu64 ":", best[j].proc->pid);
      snprintf(entry, sizeof entry, "%s%" PRIu64 " %.40s +%" PRId64, pid, best[j].t->index,
               best[j].t->name ? best[j].t->name : "-", best[j].net);
    }
    if (j)
      col += fprintf(out, ",");
    if (col + 1 + (int)strlen(entry) > 99) {
      fputs("\n   ", out);
      col = 3;
    }
    col += fprintf(out, " %s", entry);
  }
  fputc('\n', out);
}

/* After the live table in sampled mode: how many blocks are still live, exactly (from
 * the counts), and what bounds the sites that no live sample saw.  Whole-profile
 * numbers: not with a filter. */
static void print_live_summary(FILE *out, const struct mg_profile *p,
                               const struct mg_report_options *opt) {
  const struct mg_counts *c = &p->totals;
  if (!c->estimated || opt->has_thread || opt->has_site || opt->has_pid)
    return;
  struct mg_figure live = mg_counts_figure(c, MG_LIVE_BLOCKS);
  double unit = 0;
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    if (proc && proc->sampled && mg_byte_unit(proc) > unit)
      unit = mg_byte_unit(proc);
  }
  if (!live.estimated)
    fprintf(out, "  %" PRIu64 " %s still live at exit (exact: allocations - frees - "
                 "reallocs that released a block);\n", live.value,
            live.value == 1 ? "block" : "blocks");
  else
    fputs("  blocks still live at exit: not known exactly (counts incomplete);\n", out);
  uint64_t bound = (uint64_t)llround(unit * log(20.0));
  if (c->est_live_blocks.n < 0.5)
    fprintf(out, "  no sampled block is live at exit: each site holds at most %" PRIu64
                 " bytes (95%%)\n", bound);
  else
    fprintf(out, "  the sites above are those with a live sample; any other site holds at most\n"
                 "  %" PRIu64 " bytes at exit (95%%)\n", bound);
  print_net_threads(out, p);
}

/* --- The summary: the first screen ------------------------------------------------------ */

/* Rows in each part of the summary: its ~40 lines say what to fix; the tables after it
 * have the rest. */
#define SUMMARY_ROWS 5
#define SUMMARY_WHERE_WIDTH 56

/* "  FIGURE LABEL" cells of a summary row, then where the site is. */
static void summary_row(FILE *out, const struct mg_profile *p, const struct mg_site *s,
                        struct text a, const char *alabel, struct text b, const char *blabel) {
  char where[256];
  mg_text_site_short(where, sizeof where, p, s, SUMMARY_WHERE_WIDTH);
  /* "1 block", "2 blocks", "3±1 (2) blocks": the label after each figure. */
  size_t al = strlen(alabel) - (strcmp(a.s, "1") == 0), bl = strlen(blabel) - (strcmp(b.s, "1") == 0);
  fputs("   ", out);
  right(out, 10, a.s);
  fprintf(out, " %-7.*s", (int)al, alabel);
  right(out, 10, b.s);
  fprintf(out, " %-7.*s %s\n", (int)bl, blabel, where);
}

static size_t summary_rows(size_t top) { return top && top < SUMMARY_ROWS ? top : SUMMARY_ROWS; }


static struct mg_figure short_lived(const struct mg_site *s) {
  return mg_counts_blocks_figure(&s->counts, &s->counts.est_short_lived);
}
static bool has_short_lived(const struct mg_site *s) {
  return !mg_site_is_free(s) && !s->counts.lives_only && short_lived(s).value > 0;
}
static int by_short_lived(const void *a, const void *b) {
  const struct mg_site *x = *(const struct mg_site *const *)a, *y = *(const struct mg_site *const *)b;
  CMP_DESC(short_lived(x).value, short_lived(y).value);
  CMP_DESC(x->counts.allocations, y->counts.allocations);
  CMP_ID(x, y);
}

/* The process whose peak the summary shows: the highest (leaks mode has none). */
static const struct mg_process *peak_process(const struct mg_profile *p) {
  const struct mg_process *best = NULL;
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    if (proc && !proc->leaks &&
        (!best || mg_counts_figure(&proc->counts, MG_PEAK_LIVE_BYTES).value >
                      mg_counts_figure(&best->counts, MG_PEAK_LIVE_BYTES).value))
      best = proc;
  }
  return best;
}

static void print_summary(FILE *out, const struct mg_profile *p,
                          const struct mg_report_options *opt) {
  const struct mg_counts *c = &p->totals;
  size_t rows = summary_rows(opt->top), n;
  fputs("\nSummary (what to fix first; every table follows in full)\n", out);
  fprintf(out, "  %" PRIu64 " %s of %" PRIu64 " bytes, %" PRIu64 " %s, %" PRIu64 " %s\n",
          c->allocations, plural(c->allocations, "allocation", "allocations"), c->bytes_allocated,
          c->frees, plural(c->frees, "free", "frees"), c->reallocs,
          plural(c->reallocs, "realloc", "reallocs"));
  const struct mg_process *pk = peak_process(p);
  if (!pk)
    fputs("  peak: " NA_LEAKS "\n", out);
  else if (p->nprocesses > 1)
    fprintf(out, "  peak: %s bytes live at %s ms in process %" PRIu64 " (the highest of %zu)\n",
            figure(&pk->counts, MG_PEAK_LIVE_BYTES).s, mg_time(pk->peak_ns).s, pk->pid,
            p->nprocesses);
  else
    fprintf(out, "  peak: %s bytes live at %s ms\n", figure(&pk->counts, MG_PEAK_LIVE_BYTES).s,
            mg_time(pk->peak_ns).s);
  struct text lb = figure(c, MG_LIVE_BLOCKS);
  if (c->lives_unlisted)
    fputs("  still live at exit: n/a (" UNLISTED_WHY ")\n", out);
  else
    fprintf(out, "  still live at exit: %s %s, %s bytes\n", lb.s,
            strcmp(lb.s, "1") == 0 ? "block" : "blocks", figure(c, MG_LIVE_BYTES).s);

  /* With --thread: the thread's own counts (exact) and the peak of its own live heap. */
  for (size_t i = 0; opt->has_thread && i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    for (size_t t = 0; proc && t < proc->nthreads; t++) {
      const struct mg_thread *thr = &proc->threads[t];
      if (!mg_report_shows_thread(opt, proc->pid, thr->index))
        continue;
      fprintf(out, "  thread %" PRIu64, thr->index);
      if (p->nprocesses > 1)
        fprintf(out, " of pid %" PRIu64, proc->pid);
      fprintf(out, ": %" PRIu64 " %s of %" PRIu64 " bytes, %" PRIu64 " %s", thr->counts.allocations,
              plural(thr->counts.allocations, "allocation", "allocations"),
              thr->counts.bytes_allocated, thr->counts.frees, plural(thr->counts.frees, "free", "frees"));
      if (!proc->leaks)
        fprintf(out, "; own live heap peak %s bytes",
                proc->sampled ? est_text(&thr->est_peak_live_bytes, true).s
                              : num(thr->peak_live_bytes).s);
      fputc('\n', out);
    }
  }

  /* Leaks: what is still live at exit, by bytes. */
  fputs("  leaks (live at exit), largest first:\n", out);
  const struct mg_site **sites = kept_sites(p, opt, has_live, by_live_bytes, &n);
  for (size_t i = 0; i < n && i < rows; i++)
    summary_row(out, p, sites[i], figure(&sites[i]->counts, MG_LIVE_BYTES), "bytes",
                figure(&sites[i]->counts, MG_LIVE_BLOCKS), "blocks");
  if (!n && c->lives_unlisted)
    fputs("     unknown (" UNLISTED_WHY ")\n", out);
  else if (!n)
    fputs(c->estimated ? "     no live sample (the tables below give the bound)\n"
                       : "     none\n", out);
  else if (c->lives_unlisted)
    fputs("     (the blocks listed: " UNLISTED_WHY ")\n", out);
  free(sites);

  /* The peak's contributors, of the process with the highest peak. */
  fputs("  the peak's contributors:\n", out);
  size_t shown = 0;
  for (size_t k = 0; pk && k < pk->npeak_sites && shown < rows; k++) {
    const struct mg_peak_site *ps = &pk->peak_sites[k];
    const struct mg_site *s = mg_profile_find_site(p, ps->site);
    if (!s || !mg_report_shows_site(opt, ps->site))
      continue;
    summary_row(out, p, s, est_text(&ps->bytes, pk->sampled), "bytes",
                est_text(&ps->blocks, pk->sampled), "blocks");
    shown++;
  }
  if (!shown)
    fputs(pk ? "     none\n" : "     " NA_LEAKS "\n", out);

  /* Most allocations: allocation sites by calls (with --thread, the thread's own). */
  if (thread_sites(p, opt))
    fprintf(out, "  most allocations (thread %" PRIu64 "'s own):\n", opt->thread);
  else
    fputs("  most allocations:\n", out);
  sites = kept_sites(p, opt, allocates, by_calls, &n);
  for (size_t i = 0; i < n && i < rows; i++)
    summary_row(out, p, sites[i], num(sites[i]->counts.allocations), "calls",
                num(sites[i]->counts.bytes_allocated), "bytes");
  if (!n)
    fputs("     none\n", out);
  free(sites);

  /* Temporary allocations: blocks freed within 100 us, by site. */
  fputs("  temporary allocations (freed within 100 us):\n", out);
  sites = kept_sites(p, opt, has_short_lived, by_short_lived, &n);
  for (size_t i = 0; i < n && i < rows; i++)
    summary_row(out, p, sites[i], figure_text(short_lived(sites[i])), "blocks",
                num(sites[i]->counts.allocations), "calls");
  if (!n)
    fputs(c->lives_only ? "     " NA_LEAKS "\n" : "     none\n", out);
  free(sites);

  /* Bottlenecks, one line each (their descriptions are in "Bottlenecks" below). */
  fputs("  bottlenecks (severity 0..1):\n", out);
  const struct mg_bottleneck *bn;
  struct mg_bottleneck *found;
  size_t nb = mg_profile_bottlenecks(p, &bn, &found);
  shown = 0;
  for (size_t i = 0; i < nb && shown < rows; i++) {
    const struct mg_bottleneck *b = &bn[i];
    if ((b->site && !mg_report_shows_site(opt, b->site)) || (opt->has_site && !b->site) ||
        (opt->has_thread && !mg_report_shows_thread(opt, b->pid, b->thread)))
      continue;
    const struct mg_site *s = b->site ? mg_profile_find_site(p, b->site) : NULL;
    char where[256] = "";
    if (s)
      mg_text_site_short(where, sizeof where, p, s, SUMMARY_WHERE_WIDTH);
    char who[48] = "";
    if ((b->type == MG_BN_THREAD_IMBALANCE || !s) && p->nprocesses > 1)
      snprintf(who, sizeof who, "pid %" PRIu64 " thread %" PRIu64 " ", b->pid, b->thread);
    else if (b->type == MG_BN_THREAD_IMBALANCE || !s)
      snprintf(who, sizeof who, "thread %" PRIu64 " ", b->thread);
    fprintf(out, "     %.2f  %-18s %s%s\n", b->severity, mg_bottleneck_type_name(b->type), who,
            where);
    shown++;
  }
  if (!shown)
    fputs("     none\n", out);
  free(found);
}

/* What a filter leaves out, said before any table (docs/merge.md, "Filters"). */
static void print_filters(FILE *out, const struct mg_report_options *opt, bool own) {
  if (opt->has_pid)
    fprintf(out, "  filter --process %" PRIu64 ": only that process is analysed\n", opt->pid);
  if (opt->has_site)
    fprintf(out, "  filter --site 0x%" PRIx64 ": the site tables, the peak's sites and "
                 "bottlenecks show only it\n", opt->site);
  if (opt->has_thread && !own)
    fprintf(out, "  filter --thread %" PRIu64 ": the thread tables, cross-thread frees and "
                 "bottlenecks show only it;\n"
                 "    the totals and the site tables count every thread (this profile was "
                 "read without\n"
                 "    the thread's numbers per site)\n", opt->thread);
  else if (opt->has_thread)
    fprintf(out, "  filter --thread %" PRIu64 ": the thread tables, cross-thread frees, "
                 "bottlenecks, and the site\n"
                 "    tables and the summary's sites show only its own numbers; the totals, "
                 "the peak\n"
                 "    and the stacks count every thread (kept per process and site only)\n",
            opt->thread);
}

void mg_report_text(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt) {
  struct mg_report_options none = {.top = MG_REPORT_DEFAULT_TOP};
  if (!opt)
    opt = &none;
  size_t top = opt->top;
  /* --thread: the site tables and the summary's site parts read the thread's own numbers
   * (mg_profile_thread_sites), from a copy of the profile whose sites are the thread's;
   * the peak's sites and the stacks are kept per site only and read the whole program. */
  struct mg_profile view = *p;
  /* A profile read without that thread's numbers (not through memscope-merge --thread):
   * the site tables stay the whole program's, and the filter line says so. */
  bool own = thread_sites(p, opt);
  if (own)
    view.sites = mg_profile_thread_sites(p, opt->has_pid ? &opt->pid : NULL, opt->thread);
  const struct mg_profile *sp = &view;
  print_header(out, p, top);
  print_filters(out, opt, own);
  print_summary(out, sp, opt);
  /* The summary's parts in full, in its order. */
  print_totals(out, p);
  print_site_table(out, sp, opt, top, LIVE);
  print_live_summary(out, p, opt);
  print_peak(out, p, opt, top);
  print_site_table(out, sp, opt, top, BY_CALLS);
  print_lifetimes(out, sp, opt, top);
  print_bottlenecks(out, p, opt, top);
  /* Then the rest. */
  print_site_table(out, sp, opt, top, BY_BYTES);
  print_site_table(out, sp, opt, top, FREES);
  print_site_table(out, sp, opt, top, SIZES);
  mg_report_text_stacks(out, p, opt); /* stacks.c; nothing without stacks */
  print_processes(out, p, top);
  print_threads(out, p, opt, top);
  print_thread_details(out, p, opt, top);
  print_phases(out, p, top);
  print_resources(out, p, opt, top);
  print_chains(out, sp, opt, top);
  print_cross_thread(out, p, opt, top);
  if (view.sites != p->sites)
    free(view.sites);
}
