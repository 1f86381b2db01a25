/* Where a site is, as the text tables write it (report_parts.h): the caller frame in the
 * function column, what it called on the next line, then the site's largest callers. */
#include "report_parts.h"

#include <inttypes.h>
#include <stdint.h>
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

/* "name file:line:column" appended to buf, a long name shortened and the file's base
 * name only (without with_loc: no location): a chain of them must fit a line. */
#define CHAIN_NAME_WIDTH 32
static void append_frame(char *buf, size_t size, const struct mg_path_frame *f, bool with_loc) {
  char full[4096], name[512], loc[1024];
  mg_path_frame_name(f, full, sizeof full);
  mg_text_elide(name, sizeof name, full, CHAIN_NAME_WIDTH);
  struct mg_path_frame short_file = *f; /* the row's location column has the whole path */
  if (f->file)
    short_file.file = mg_base_name(f->file);
  frame_location(loc, sizeof loc, &short_file);
  size_t len = strlen(buf);
  snprintf(buf + len, size - len, "%s%s%s%s", name, with_loc ? " " : "", with_loc ? loc : "",
           origin_mark(f));
}

/* The columns an indented line leaves its text (indented() below). */
static int text_room(int indent, const char *prefix, const char *suffix) {
  return MG_TEXT_COLUMNS - indent - mg_text_width(prefix) - mg_text_width(suffix);
}

/* "from A loc ← B loc" for a caller: its place when it is not the row's, then its
 * context; empty when it adds nothing.  The first `locs` frames have their location. */
static void caller_frames(char *buf, size_t size, const struct mg_caller *c,
                          const struct mg_path_frame *row_place, size_t locs) {
  buf[0] = '\0';
  size_t k = 0;
  if (!row_place || !mg_path_same_frame(&c->place, row_place))
    append_frame(buf, size, &c->place, k++ < locs);
  for (size_t i = 0; i < c->ncontext; i++) {
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%s", k ? " ← " : "");
    append_frame(buf, size, &c->context[i], k++ < locs);
  }
}

/* The same in `room` columns if it can: every location, else the first's, else none. */
static void caller_line(char *buf, size_t size, const struct mg_caller *c,
                        const struct mg_path_frame *row_place, int room) {
  static const size_t locs[] = {SIZE_MAX, 1, 0};
  for (size_t i = 0; i < 3; i++) {
    caller_frames(buf, size, c, row_place, locs[i]);
    if (mg_text_width(buf) <= room)
      return;
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

/* "NAME LOCATION" in `room` columns (the name padded to `pad`, less when the room is
 * short): a long name gets at most NAME_WIDTH of them, the location what is left (at
 * least LOCATION_WIDTH when it needs them, but never more than 2/5 of a short room), each
 * losing its middle when it does not fit;
 * a location whose file name would not survive that is written from its file name on.
 * No line end. */
#define NAME_WIDTH 40
#define LOCATION_WIDTH 24
static void fit_place(FILE *out, const char *name, const char *loc, int room, int pad) {
  char n[512], l[1024];
  int name_room = room - 1 - LOCATION_WIDTH;
  /* A row whose numbers took the room (estimates with their intervals) still names its
   * function: the name keeps at least 3/5 of what is left, the location the rest. */
  if (name_room < (room - 1) * 3 / 5)
    name_room = (room - 1) * 3 / 5;
  mg_text_elide(n, sizeof n, name, name_room < NAME_WIDTH ? name_room : NAME_WIDTH);
  int used = mg_text_width(n), loc_need = mg_text_width(loc);
  loc_need = loc_need < LOCATION_WIDTH ? loc_need : LOCATION_WIDTH;
  if (used < pad)
    used = room - 1 - loc_need < pad ? room - 1 - loc_need : pad;
  if (used < mg_text_width(n))
    used = mg_text_width(n);
  int loc_room = room - used - 1;
  /* mg_text_elide keeps two thirds of the room for the end: the file name must fit. */
  const char *base = strrchr(loc, '/');
  if (base && mg_text_width(loc) > loc_room && 2 * (loc_room - 3) / 3 < mg_text_width(base + 1))
    loc = base + 1;
  mg_text_elide(l, sizeof l, loc, loc_room);
  fprintf(out, "%-*s %s", used, n, l);
}

/* An indented line: prefix, then text cut to what the 100 columns leave after suffix. */
static void indented(FILE *out, int indent, const char *prefix, const char *text,
                     const char *suffix) {
  char t[4096];
  mg_text_elide(t, sizeof t, text, text_room(indent, prefix, suffix));
  fprintf(out, "%*s%s%s%s\n", indent, "", prefix, t, suffix);
}

void mg_text_site_place(FILE *out, const struct mg_profile *p, const struct mg_site *s,
                        const struct mg_caller *row, int function_col, int over) {
  struct mg_caller place;
  bool found = row ? (place = *row, true) : mg_site_place(p, s, &place);
  char line[4096];
  if (!found) {
    /* No frames (a module without debug info, or no SITE record): the site's id at least
     * tells such sites apart. */
    mg_site_fallback_name(s, s->id, line, sizeof line);
    fprintf(out, "%-*s ??\n", FUNCTION_WIDTH, line);
    return;
  }
  char name[4096], loc[1024];
  mg_path_frame_name(&place.place, name, sizeof name);
  frame_location(loc, sizeof loc, &place.place);
  const char *mark = origin_mark(&place.place);
  const char *note = mg_site_uninstrumented(s)      ? "  (uninstrumented)"
                     : mg_site_stacks_whole(p, s) ? "  (through a function pointer)"
                                                  : "";
  fit_place(out, name, loc, MG_TEXT_COLUMNS - function_col - over - mg_text_width(mark) -
                                mg_text_width(note), FUNCTION_WIDTH);
  fprintf(out, "%s%s\n", mark, note);
  if (place.depth > 0) {
    char more[64] = "";
    if (place.depth > 1)
      snprintf(more, sizeof more, " (+%zu %s inside)", place.depth - 1,
               place.depth == 2 ? "frame" : "frames");
    for (int with_loc = 1; with_loc >= 0; with_loc--) { /* its location if it fits */
      line[0] = '\0';
      append_frame(line, sizeof line, &place.inner, with_loc);
      if (mg_text_width(line) <= text_room(function_col + 2, "via ", more))
        break;
    }
    indented(out, function_col + 2, "via ", line, more);
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
      char inl[4200];
      mg_path_frame_name(&f[i], name, sizeof name);
      snprintf(inl, sizeof inl, "inlined into %s", name);
      frame_location(loc, sizeof loc, &f[i]);
      fprintf(out, "%*s", function_col + 2, "");
      fit_place(out, inl, loc, MG_TEXT_COLUMNS - function_col - 2, FUNCTION_WIDTH - 2);
      fputc('\n', out);
    }
    free(f);
    if (others)
      fprintf(out, "%*s(inlined into %zu more %s of system code)\n", function_col + 2, "", others,
              others == 1 ? "frame" : "frames");
  }
  if (row) { /* one caller of a site split among its callers: its context only */
    caller_line(line, sizeof line, row, &row->place, text_room(function_col + 2, "from ", ""));
    if (line[0])
      indented(out, function_col + 2, "from ", line, "");
    return;
  }
  struct mg_callers callers;
  mg_site_callers(p, s, &callers);
  size_t shown = 0, more = 0;
  for (size_t i = 0; i < callers.n; i++) {
    caller_line(line, sizeof line, &callers.v[i], &place.place, INT32_MAX);
    if (!line[0])
      continue;
    if (shown == CALLERS_SHOWN) {
      more++;
      continue;
    }
    /* full mode: every call was recorded with its stack, the share is exact */
    uint64_t n = callers.v[i].samples;
    char share[64];
    snprintf(share, sizeof share, "  (%.0f%%, %" PRIu64 " %s)",
             100.0 * caller_share(&callers, &callers.v[i]), n,
             callers.v[i].estimated ? (n == 1 ? "sample" : "samples") : (n == 1 ? "call" : "calls"));
    caller_line(line, sizeof line, &callers.v[i], &place.place,
                text_room(function_col + 2, "from ", share));
    indented(out, function_col + 2, "from ", line, share);
    shown++;
  }
  if (more)
    fprintf(out, "%*s(%zu more %s)\n", function_col + 2, "", more, more == 1 ? "caller" : "callers");
  mg_callers_free(&callers);
}

void mg_text_site_short(char *buf, size_t size, const struct mg_profile *p,
                        const struct mg_site *s, int width) {
  struct mg_caller place;
  char full[4096];
  if (!mg_site_place(p, s, &place)) {
    mg_site_fallback_name(s, s->id, full, sizeof full);
  } else {
    /* The file's base name: the full path is in the tables below and in the JSON. */
    char name[512], loc[600];
    struct mg_path_frame f = place.place;
    if (f.file)
      f.file = mg_base_name(f.file);
    frame_location(loc, sizeof loc, &f);
    mg_path_frame_name(&f, full, sizeof full);
    int room = width - 1 - mg_text_width(loc); /* the name what the location leaves */
    mg_text_elide(name, sizeof name, full, room > width / 2 ? room : width / 2);
    /* A site whose frames do not say who called is named by its largest caller: the
     * others are counted (the tables give each its row). */
    char others[48] = "";
    if (mg_site_stacks_whole(p, s) && !mg_site_is_free(s)) {
      struct mg_callers callers;
      mg_site_callers(p, s, &callers);
      if (callers.n > 1)
        snprintf(others, sizeof others, " (+%zu %s)", callers.n - 1,
                 callers.n == 2 ? "caller" : "callers");
      mg_callers_free(&callers);
    }
    snprintf(full, sizeof full, "%s %s%s", name, loc, others);
  }
  mg_text_elide(buf, size, full, width);
}
