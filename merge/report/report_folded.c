/* Folded stacks: one line per distinct allocation path, "outer;...;inner VALUE", the
 * input of flamegraph.pl, speedscope and inferno.  A site's path is its inlined chain,
 * outermost function first (frames are innermost first in the model); identical paths
 * (sites in one function, or the same chain reached twice) are summed, and lines are
 * sorted by path so the output is stable.  The value is --folded-value: bytes allocated
 * (default), allocations, or bytes or blocks still live at exit.
 *
 * Sites whose sampled allocations carried call stacks (stacks.h) are split among them,
 * each stack taking the share of the site's value that its samples estimate: an
 * uninstrumented site's path is the symbolized stack; an instrumented site's is the
 * stack's outer frames (those beyond the function that made the call), then its own
 * chain. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "callers.h"
#include "report.h"
#include "stacks.h"
#include "strtab.h"
#include "util.h"

struct line {
  const char *path;
  uint64_t value;
};

static int by_path(const void *a, const void *b) {
  return strcmp(((const struct line *)a)->path, ((const struct line *)b)->path);
}

/* A frame name as the tools can take it: ';' separates frames and a line ends the
 * record, so both become something else; an empty or unknown name is "??". */
static void frame_name(char **buf, size_t *len, size_t *cap, const char *name) {
  if (!name || !*name)
    name = "??";
  for (const char *c = name; *c; c++) {
    char ch = *c == ';' ? ':' : (*c == '\n' || *c == '\r') ? ' ' : *c;
    MG_GROW(*buf, *cap, *len + 2);
    (*buf)[(*len)++] = ch;
  }
  (*buf)[*len] = '\0';
}

static uint64_t site_value(const struct mg_site *s, enum mg_folded_value v) {
  switch (v) {
  case MG_FOLDED_CALLS: return s->counts.allocations;
  case MG_FOLDED_LIVE_BYTES: return mg_counts_figure(&s->counts, MG_LIVE_BYTES).value;
  case MG_FOLDED_LIVE_BLOCKS: return mg_counts_figure(&s->counts, MG_LIVE_BLOCKS).value;
  default: return s->counts.bytes_allocated;
  }
}

/* The lines so far: each distinct path once (its number in the table) and its value. */
struct folded {
  struct mg_strtab paths;
  uint64_t *values; /* by path number */
  size_t cap;
};

static void add_line(struct folded *fo, const char *path, uint64_t v) {
  size_t i = mg_strtab_intern(&fo->paths, path);
  MG_GROW_ZEROED(fo->values, fo->cap, i + 1);
  fo->values[i] += v;
}

static void separator(char **buf, size_t *len, size_t *cap) {
  MG_GROW(*buf, *cap, *len + 2);
  (*buf)[(*len)++] = ';';
  (*buf)[*len] = '\0';
}

/* The site's own chain, outermost first, after what buf already holds. */
static void site_path(char **buf, size_t *len, size_t *cap, const struct mg_site *s) {
  if (!s->nframes) {
    char name[40];
    mg_site_fallback_name(s, s->id, name, sizeof name);
    frame_name(buf, len, cap, name);
  }
  for (size_t f = s->nframes; f-- > 0;) {
    frame_name(buf, len, cap, s->frames[f].function);
    if (f)
      separator(buf, len, cap);
  }
}

static enum mg_stack_value stack_value(enum mg_folded_value v) {
  switch (v) {
  case MG_FOLDED_CALLS: return MG_STACK_CALLS;
  case MG_FOLDED_LIVE_BYTES: return MG_STACK_LIVE_BYTES;
  case MG_FOLDED_LIVE_BLOCKS: return MG_STACK_LIVE_BLOCKS;
  default: return MG_STACK_BYTES;
  }
}

/* The site's value split among its stacks, each a whole path (callers.h); false when it
 * has none to split it by. */
static bool stack_lines(struct folded *fo, char **buf, size_t *cap, const struct mg_profile *p,
                        const struct mg_site *s, enum mg_folded_value value, uint64_t v) {
  const struct mg_stack_span *span = mg_stacks_of_site(p, s->id);
  if (!span)
    return false;
  uint64_t *parts = mg_xmalloc(span->n * sizeof *parts);
  bool split = mg_stack_split(p->stacks, span, stack_value(value), v, parts);
  for (size_t i = 0; split && i < span->n; i++) {
    if (!parts[i])
      continue;
    struct mg_path_frame *f;
    size_t n = mg_site_path(p, s, &p->stacks->entries[span->first + i], &f), len = 0;
    (*buf)[0] = '\0';
    if (!n) {
      char name[40];
      mg_site_fallback_name(s, s->id, name, sizeof name);
      frame_name(buf, &len, cap, name);
    }
    for (size_t k = n; k-- > 0;) {
      char name[512];
      mg_path_frame_name(&f[k], name, sizeof name);
      frame_name(buf, &len, cap, name);
      if (k)
        separator(buf, &len, cap);
    }
    free(f);
    add_line(fo, *buf, parts[i]);
  }
  free(parts);
  return split;
}

void mg_report_folded(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt) {
  struct mg_report_options none = {0};
  if (!opt)
    opt = &none;
  struct folded fo = {0};
  mg_strtab_init(&fo.paths);
  char *buf = NULL;
  size_t bcap = 0;
  MG_GROW(buf, bcap, 1);
  for (size_t i = 0; i < p->nsites; i++) {
    const struct mg_site *s = &p->sites[i];
    uint64_t v;
    if (mg_site_is_free(s) || !mg_report_shows_site(opt, s->id) ||
        !(v = site_value(s, opt->folded_value)))
      continue;
    if (stack_lines(&fo, &buf, &bcap, p, s, opt->folded_value, v))
      continue;
    size_t len = 0;
    buf[0] = '\0';
    site_path(&buf, &len, &bcap, s);
    add_line(&fo, buf, v);
  }
  size_t n = fo.paths.n;
  struct line *lines = mg_xmalloc((n ? n : 1) * sizeof *lines);
  for (size_t i = 0; i < n; i++)
    lines[i] = (struct line){mg_strtab_str(&fo.paths, i), fo.values[i]};
  if (n > 1)
    qsort(lines, n, sizeof *lines, by_path);
  for (size_t i = 0; i < n; i++)
    fprintf(out, "%s %" PRIu64 "\n", lines[i].path, lines[i].value);
  free(lines);
  free(buf);
  free(fo.values);
  mg_strtab_destroy(&fo.paths);
}
