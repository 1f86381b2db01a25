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

#include "hashmap.h"
#include "report.h"
#include "stacks.h"
#include "util.h"

struct line {
  char *path;
  uint64_t value;
};

/* A frame name as the tools can take it: ';' separates frames and a line ends the
 * record, so both become something else; an empty or unknown name is "??". */
static void frame_name(char **buf, size_t *len, size_t *cap, const char *name) {
  if (!name || !*name)
    name = "??";
  for (const char *c = name; *c; c++) {
    char ch = *c == ';' ? ':' : (*c == '\n' || *c == '\r') ? ' ' : *c;
    MS_GROW(*buf, *cap, *len + 2);
    (*buf)[(*len)++] = ch;
  }
  (*buf)[*len] = '\0';
}

static uint64_t site_value(const struct ms_site *s, enum ms_folded_value v) {
  switch (v) {
  case MS_FOLDED_CALLS: return s->counts.allocations;
  case MS_FOLDED_LIVE_BYTES: return ms_counts_figure(&s->counts, MS_LIVE_BYTES).value;
  case MS_FOLDED_LIVE_BLOCKS: return ms_counts_figure(&s->counts, MS_LIVE_BLOCKS).value;
  default: return s->counts.bytes_allocated;
  }
}

static int by_path(const void *a, const void *b) {
  return strcmp(((const struct line *)a)->path, ((const struct line *)b)->path);
}

static uint64_t fnv(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

struct folded {
  struct line *lines;
  size_t n, cap;
  struct ms_map index; /* path hash (probed on collisions) -> position + 1 */
};

static void add_line(struct folded *fo, const char *path, uint64_t v) {
  for (uint64_t h = fnv(path);; h++) {
    bool existed;
    size_t *slot = ms_map_put(&fo->index, h, &existed);
    if (!existed) {
      MS_GROW(fo->lines, fo->cap, fo->n + 1);
      fo->lines[fo->n] = (struct line){ms_xstrdup(path), v};
      *slot = ++fo->n;
      return;
    }
    if (strcmp(fo->lines[*slot - 1].path, path) == 0) {
      fo->lines[*slot - 1].value += v;
      return;
    }
  }
}

static void separator(char **buf, size_t *len, size_t *cap) {
  MS_GROW(*buf, *cap, *len + 2);
  (*buf)[(*len)++] = ';';
  (*buf)[*len] = '\0';
}

/* The site's own chain, outermost first, after what buf already holds. */
static void site_path(char **buf, size_t *len, size_t *cap, const struct ms_site *s) {
  if (!s->nframes) {
    char name[40];
    snprintf(name, sizeof name, "site 0x%" PRIx64, s->id);
    frame_name(buf, len, cap, name);
  }
  for (size_t f = s->nframes; f-- > 0;) {
    frame_name(buf, len, cap, s->frames[f].function);
    if (f)
      separator(buf, len, cap);
  }
}

static enum ms_stack_value stack_value(enum ms_folded_value v) {
  switch (v) {
  case MS_FOLDED_CALLS: return MS_STACK_CALLS;
  case MS_FOLDED_LIVE_BYTES: return MS_STACK_LIVE_BYTES;
  case MS_FOLDED_LIVE_BLOCKS: return MS_STACK_LIVE_BLOCKS;
  default: return MS_STACK_BYTES;
  }
}

/* The site's value split among its stacks; false when it has none to split it by. */
static bool stack_lines(struct folded *fo, char **buf, size_t *cap, const struct ms_profile *p,
                        const struct ms_site *s, enum ms_folded_value value, uint64_t v) {
  const struct ms_stack_span *span = ms_stacks_of_site(p, s->id);
  if (!span)
    return false;
  uint64_t *parts = ms_xmalloc(span->n * sizeof *parts);
  bool split = ms_stack_split(p->stacks, span, stack_value(value), v, parts);
  bool uninstrumented = ms_site_uninstrumented(s);
  for (size_t i = 0; split && i < span->n; i++) {
    if (!parts[i])
      continue;
    const struct ms_stack *st = &p->stacks->stacks[p->stacks->entries[span->first + i].stack];
    size_t len = 0, inner = uninstrumented ? 0 : ms_stack_first_frames(st);
    (*buf)[0] = '\0';
    for (size_t f = st->nframes; f-- > inner;) {
      char name[512];
      ms_stack_frame_name(&st->frames[f], name, sizeof name);
      frame_name(buf, &len, cap, name);
      if (f > inner || !uninstrumented)
        separator(buf, &len, cap);
    }
    if (!uninstrumented)
      site_path(buf, &len, cap, s);
    add_line(fo, *buf, parts[i]);
  }
  free(parts);
  return split;
}

void ms_report_folded(FILE *out, const struct ms_profile *p, const struct ms_report_options *opt) {
  struct ms_report_options none = {0};
  if (!opt)
    opt = &none;
  struct folded fo = {0};
  ms_map_init(&fo.index, sizeof(size_t));
  char *buf = NULL;
  size_t bcap = 0;
  MS_GROW(buf, bcap, 1);
  for (size_t i = 0; i < p->nsites; i++) {
    const struct ms_site *s = &p->sites[i];
    uint64_t v;
    if (ms_site_is_free(s) || !ms_report_shows_site(opt, s->id) ||
        !(v = site_value(s, opt->folded_value)))
      continue;
    if (stack_lines(&fo, &buf, &bcap, p, s, opt->folded_value, v))
      continue;
    size_t len = 0;
    buf[0] = '\0';
    site_path(&buf, &len, &bcap, s);
    add_line(&fo, buf, v);
  }
  struct line *lines = fo.lines;
  size_t n = fo.n;
  if (n > 1)
    qsort(lines, n, sizeof *lines, by_path);
  for (size_t i = 0; i < n; i++) {
    fprintf(out, "%s %" PRIu64 "\n", lines[i].path, lines[i].value);
    free(lines[i].path);
  }
  free(lines);
  free(buf);
  ms_map_destroy(&fo.index);
}
