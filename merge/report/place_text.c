/* Where a site is, as the text tables write it (report_parts.h): the caller frame in the
 * function column, what it called on the next line, then the site's largest callers. */
#include "report_parts.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "callers.h"
#include "util.h"

#define FUNCTION_WIDTH 20
#define CALLERS_SHOWN 3

static void frame_location(char *buf, size_t size, const struct mg_path_frame *f) {
  if (!f->file)
    snprintf(buf, size, "%s", f->module && f->function ? mg_base_name(f->module) : "??");
  else if (f->line == 0)
    snprintf(buf, size, "%s", f->file);
  else if (f->column == 0)
    snprintf(buf, size, "%s:%" PRIu32, f->file, f->line);
  else
    snprintf(buf, size, "%s:%" PRIu32 ":%" PRIu32, f->file, f->line, f->column);
}

/* " [system]" for a frame that is not the program's own. */
static const char *origin_mark(const struct mg_path_frame *f) {
  switch (f->origin) {
  case MG_ORIGIN_SYSTEM: return " [system]";
  case MG_ORIGIN_LIBC: return " [libc]";
  case MG_ORIGIN_RUNTIME: return " [memscope]";
  default: return "";
  }
}

/* "name location" appended to buf. */
static void append_frame(char *buf, size_t size, const struct mg_path_frame *f) {
  char name[512], loc[1024];
  mg_path_frame_name(f, name, sizeof name);
  frame_location(loc, sizeof loc, f);
  size_t len = strlen(buf);
  snprintf(buf + len, size - len, "%s %s%s", name, loc, origin_mark(f));
}

/* "from A loc ← B loc" for a caller: its place when it is not the row's, then its
 * context; empty when it adds nothing. */
static void caller_line(char *buf, size_t size, const struct mg_caller *c,
                        const struct mg_path_frame *row_place) {
  buf[0] = '\0';
  bool any = false;
  if (!row_place || !mg_path_same_frame(&c->place, row_place)) {
    append_frame(buf, size, &c->place);
    any = true;
  }
  for (size_t i = 0; i < c->ncontext; i++) {
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%s", any ? " ← " : "");
    append_frame(buf, size, &c->context[i]);
    any = true;
  }
}

static double caller_share(const struct mg_callers *all, const struct mg_caller *c) {
  double bytes = 0, calls = 0;
  for (size_t i = 0; i < all->n; i++) {
    bytes += all->v[i].bytes.value;
    calls += all->v[i].calls.value;
  }
  return bytes > 0 ? c->bytes.value / bytes : calls > 0 ? c->calls.value / calls : 0;
}

void mg_text_site_place(FILE *out, const struct mg_profile *p, const struct mg_site *s,
                        const struct mg_caller *row, int function_col) {
  struct mg_caller place;
  bool found = row ? (place = *row, true) : mg_site_place(p, s, &place);
  char line[4096];
  if (!found) {
    /* No frames (a module without debug info, or no SITE record): the site's id at least
     * tells such sites apart. */
    if (mg_site_uninstrumented(s))
      snprintf(line, sizeof line, "(uninstrumented %s)", mg_api_name((uint32_t)(s->id & 0xffff)));
    else
      snprintf(line, sizeof line, "site 0x%" PRIx64, s->id);
    fprintf(out, "%-*s ??\n", FUNCTION_WIDTH, line);
    return;
  }
  char name[512], loc[1024];
  mg_path_frame_name(&place.place, name, sizeof name);
  frame_location(loc, sizeof loc, &place.place);
  fprintf(out, "%-*s %s%s%s\n", FUNCTION_WIDTH, name, loc, origin_mark(&place.place),
          mg_site_uninstrumented(s) ? "  (uninstrumented)"
          : mg_site_stacks_whole(p, s) ? "  (through a function pointer)" : "");
  if (place.depth > 0) {
    line[0] = '\0';
    append_frame(line, sizeof line, &place.inner);
    fprintf(out, "%*svia %s", function_col + 2, "", line);
    if (place.depth > 1)
      fprintf(out, " (+%zu %s inside)", place.depth - 1, place.depth == 2 ? "frame" : "frames");
    fputc('\n', out);
  }
  /* the site's own chain beyond its place: the functions it was inlined into, exactly
   * (runs of frames that are not the program's own as a count) */
  if (!row && !mg_site_stacks_whole(p, s)) {
    struct mg_path_frame *f;
    size_t n = mg_site_path(p, s, NULL, &f), others = 0;
    for (size_t i = place.depth + 1; i < n; i++) {
      if (f[i].origin != MG_ORIGIN_OWN) {
        others++;
        continue;
      }
      char inl[600];
      mg_path_frame_name(&f[i], name, sizeof name);
      snprintf(inl, sizeof inl, "inlined into %s", name);
      frame_location(loc, sizeof loc, &f[i]);
      fprintf(out, "%*s%-*s %s\n", function_col + 2, "", FUNCTION_WIDTH - 2, inl, loc);
    }
    free(f);
    if (others)
      fprintf(out, "%*s(inlined into %zu more %s of system code)\n", function_col + 2, "", others,
              others == 1 ? "frame" : "frames");
  }
  if (row) { /* one caller of a site split among its callers: its context only */
    caller_line(line, sizeof line, row, &row->place);
    if (line[0])
      fprintf(out, "%*sfrom %s\n", function_col + 2, "", line);
    return;
  }
  struct mg_callers callers;
  mg_site_callers(p, s, &callers);
  size_t shown = 0, more = 0;
  for (size_t i = 0; i < callers.n; i++) {
    caller_line(line, sizeof line, &callers.v[i], &place.place);
    if (!line[0])
      continue;
    if (shown == CALLERS_SHOWN) {
      more++;
      continue;
    }
    /* full mode: every call was recorded with its stack, the share is exact */
    uint64_t n = callers.v[i].samples;
    fprintf(out, "%*sfrom %s  (%.0f%%, %" PRIu64 " %s)\n", function_col + 2, "", line,
            100.0 * caller_share(&callers, &callers.v[i]), n,
            callers.v[i].estimated ? (n == 1 ? "sample" : "samples") : (n == 1 ? "call" : "calls"));
    shown++;
  }
  if (more)
    fprintf(out, "%*s(%zu more %s)\n", function_col + 2, "", more, more == 1 ? "caller" : "callers");
  mg_callers_free(&callers);
}
