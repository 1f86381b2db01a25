/* The text report's stack sections (report_parts.h). */
#include "report_parts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stacks.h"
#include "util.h"

/* --- The text section ---------------------------------------------------------------------- */

static void est_text(char *buf, size_t size, const struct mg_est *e, bool estimated) {
  mg_figure_format(buf, size, mg_est_figure(e, estimated));
}

/* A frame's line: its name in at most 40 columns, its location in what the 100 columns
 * leave (elide_text.c). */
static void print_frame(FILE *out, const struct mg_stack_frame *f) {
  char full[4096], name[512], loc[1024], shown[1024];
  mg_stack_frame_name(f, full, sizeof full);
  mg_text_elide(name, sizeof name, full, 40);
  if (f->file && f->line)
    snprintf(loc, sizeof loc, "%s:%" PRIu32, f->file, f->line);
  else if (f->file)
    snprintf(loc, sizeof loc, "%s", f->file);
  else if (f->function && f->module)
    snprintf(loc, sizeof loc, "(%s+0x%" PRIx64 ")", f->module[0] ? mg_base_name(f->module) : "?",
             f->address);
  else
    snprintf(loc, sizeof loc, "??");
  int used = mg_text_width(name) > 20 ? mg_text_width(name) : 20;
  const char *note = f->inlined ? "  (inlined)" : "";
  mg_text_elide(shown, sizeof shown, loc, MG_TEXT_COLUMNS - 8 - used - 1 - mg_text_width(note));
  fprintf(out, "        %-20s %s%s\n", name, shown, note);
}

static int by_bytes(const void *a, const void *b) {
  const struct mg_stack_site *x = *(const struct mg_stack_site *const *)a;
  const struct mg_stack_site *y = *(const struct mg_stack_site *const *)b;
  if (x->bytes.value != y->bytes.value)
    return x->bytes.value < y->bytes.value ? 1 : -1;
  if (x->site != y->site)
    return x->site < y->site ? -1 : 1;
  return (x->stack > y->stack) - (x->stack < y->stack);
}

/* The entries of uninstrumented sites, by estimated bytes. */
static void print_stacks(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt) {
  const struct mg_stack_table *t = p->stacks;
  const struct mg_stack_site **rows = mg_xmalloc((t->nentries ? t->nentries : 1) * sizeof *rows);
  size_t n = 0;
  for (size_t e = 0; e < t->nentries; e++) {
    const struct mg_site *s = mg_profile_find_site(p, t->entries[e].site);
    if (s && mg_site_uninstrumented(s) && mg_report_shows_site(opt, s->id))
      rows[n++] = &t->entries[e];
  }
  if (n) {
    qsort(rows, n, sizeof *rows, by_bytes);
    fputs("\n  Top stacks by estimated bytes\n", out);
    size_t shown = opt->top && opt->top < n ? opt->top : n;
    for (size_t i = 0; i < shown; i++) {
      const struct mg_stack_site *e = rows[i];
      const struct mg_site *s = mg_profile_find_site(p, e->site);
      char bytes[64], calls[64], live[64];
      est_text(bytes, sizeof bytes, &e->bytes, e->estimated);
      est_text(calls, sizeof calls, &e->calls, e->estimated);
      est_text(live, sizeof live, &e->live_bytes, e->estimated);
      fprintf(out, "  #%zu  %s bytes in %s calls, %s bytes live at exit  (%s, site 0x%" PRIx64
                   ", %" PRIu64 " %s)\n",
              i + 1, bytes, calls, live, s->described ? mg_api_name(s->api) : "?", s->id,
              e->samples, e->samples == 1 ? "sample" : "samples");
      const struct mg_stack *st = &t->stacks[e->stack];
      for (size_t f = 0; f < st->nframes; f++)
        print_frame(out, &st->frames[f]);
    }
    if (shown < n)
      fprintf(out, "  (%zu more; --top 0 shows all)\n", n - shown);
  }
  free(rows);
}

static int by_site_bytes(const void *a, const void *b) {
  const struct mg_site *x = *(const struct mg_site *const *)a, *y = *(const struct mg_site *const *)b;
  uint64_t bx = mg_site_bytes(x), by = mg_site_bytes(y);
  if (bx != by)
    return bx < by ? 1 : -1;
  return (x->id > y->id) - (x->id < y->id);
}

void mg_report_text_stacks(FILE *out, const struct mg_profile *p,
                           const struct mg_report_options *opt) {
  struct mg_report_options none = {.top = MG_REPORT_DEFAULT_TOP};
  if (!opt)
    opt = &none;
  const struct mg_site **sites = mg_xmalloc((p->nsites ? p->nsites : 1) * sizeof *sites);
  size_t n = 0;
  for (size_t i = 0; i < p->nsites; i++)
    if (mg_site_uninstrumented(&p->sites[i]) && mg_report_shows_site(opt, p->sites[i].id) &&
        mg_site_calls(&p->sites[i])) /* the runtime describes every api's site */
      sites[n++] = &p->sites[i];
  if (n || p->stacks) {
    fprintf(out, "\nAllocations from uninstrumented code\n");
    if (!n) {
      fputs("  (none)\n", out);
    } else {
      qsort(sites, n, sizeof *sites, by_site_bytes);
      fprintf(out, "  %-14s %10s %14s %16s\n", "api", "calls", "bytes", "live-bytes");
      for (size_t i = 0; i < n; i++) {
        const struct mg_site *s = sites[i];
        char lb[64], bytes[64];
        mg_figure_format(lb, sizeof lb, mg_counts_figure(&s->counts, MG_LIVE_BYTES));
        /* a free site's bytes are the bytes it freed: an estimate in sampled mode */
        mg_figure_format(bytes, sizeof bytes,
                         mg_site_is_free(s) ? mg_counts_figure(&s->counts, MG_BYTES_FREED)
                                            : mg_exact_figure(s->counts.bytes_allocated));
        if (mg_site_is_free(s) && s->counts.lives_only) /* leaks mode: no free is an event */
          snprintf(bytes, sizeof bytes, "n/a");
        fprintf(out, "  %-14s %10" PRIu64 " %14s %16s\n",
                s->described || s->api ? mg_api_name(s->api) : mg_api_name((uint32_t)(s->id & 0xffff)),
                mg_site_calls(s), bytes, lb);
      }
    }
    if (p->stacks) {
      /* instrumented sites' stacks are their callers, in the site tables (callers.h) */
      print_stacks(out, p, opt);
      for (size_t i = 0; i < p->stacks->nwarnings; i++)
        fprintf(out, "%s  warning: %s\n", i ? "" : "\n", p->stacks->warnings[i]);
    }
  }
  free(sites);
}
