/* Folded stacks: one line per distinct allocation path, "outer;...;inner VALUE", the
 * input of flamegraph.pl, speedscope and inferno.  A site's path is its inlined chain,
 * outermost function first (frames are innermost first in the model); identical paths
 * (sites in one function, or the same chain reached twice) are summed, and lines are
 * sorted by path so the output is stable.  The value is --folded-value: bytes allocated
 * (default), allocations, or bytes or blocks still live at exit. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "report.h"
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

void ms_report_folded(FILE *out, const struct ms_profile *p, const struct ms_report_options *opt) {
  struct ms_report_options none = {0};
  if (!opt)
    opt = &none;
  struct line *lines = NULL;
  size_t n = 0, cap = 0;
  struct ms_map index; /* path hash (probed on collisions) -> position + 1 */
  ms_map_init(&index, sizeof(size_t));
  char *buf = NULL;
  size_t bcap = 0;
  for (size_t i = 0; i < p->nsites; i++) {
    const struct ms_site *s = &p->sites[i];
    uint64_t v;
    if (ms_site_is_free(s) || !ms_report_shows_site(opt, s->id) ||
        !(v = site_value(s, opt->folded_value)))
      continue;
    size_t len = 0;
    if (!s->nframes) {
      char name[40];
      snprintf(name, sizeof name, "site 0x%" PRIx64, s->id);
      frame_name(&buf, &len, &bcap, name);
    }
    for (size_t f = s->nframes; f-- > 0;) {
      frame_name(&buf, &len, &bcap, s->frames[f].function);
      if (f) {
        MS_GROW(buf, bcap, len + 2);
        buf[len++] = ';';
        buf[len] = '\0';
      }
    }
    for (uint64_t h = fnv(buf);; h++) {
      bool existed;
      size_t *slot = ms_map_put(&index, h, &existed);
      if (!existed) {
        MS_GROW(lines, cap, n + 1);
        lines[n] = (struct line){ms_xstrdup(buf), v};
        *slot = ++n;
        break;
      }
      if (strcmp(lines[*slot - 1].path, buf) == 0) {
        lines[*slot - 1].value += v;
        break;
      }
    }
  }
  if (n > 1)
    qsort(lines, n, sizeof *lines, by_path);
  for (size_t i = 0; i < n; i++) {
    fprintf(out, "%s %" PRIu64 "\n", lines[i].path, lines[i].value);
    free(lines[i].path);
  }
  free(lines);
  free(buf);
  ms_map_destroy(&index);
}
