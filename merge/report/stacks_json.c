/* The JSON report's stack pieces (report_parts.h). */
#include "report_parts.h"

#include <inttypes.h>
#include <stdio.h>

#include "callers.h"
#include "json.h"
#include "stacks.h"

/* --- JSON ------------------------------------------------------------------------------------ */

void mg_stacks_json_site(struct mg_json *j, const struct mg_profile *p, const struct mg_site *s) {
  mg_json_array(j);
  const struct mg_stack_span *span = mg_stacks_of_site(p, s->id);
  for (size_t i = 0; span && i < span->n; i++) {
    const struct mg_stack_site *e = &p->stacks->entries[span->first + i];
    const struct mg_stack *st = &p->stacks->stacks[e->stack];
    mg_json_object(j);
    mg_json_kuint(j, "id", e->stack);
    mg_json_khex(j, "site_id", e->site);
    mg_json_kuint(j, "samples", e->samples);
    mg_json_kest(j, "est_calls", &e->calls, e->estimated);
    mg_json_kest(j, "est_bytes", &e->bytes, e->estimated);
    mg_json_kest(j, "live_est_blocks", &e->live_blocks, e->estimated);
    mg_json_kest(j, "live_est_bytes", &e->live_bytes, e->estimated);
    size_t from, to;
    mg_stack_outer(p, s, e, &from, &to);
    mg_json_kuint(j, "outer_from", from);
    mg_json_kuint(j, "outer_to", to);
    mg_json_key(j, "frames");
    mg_json_array(j);
    for (size_t f = 0; f < st->nframes; f++) {
      const struct mg_stack_frame *fr = &st->frames[f];
      mg_json_object(j);
      mg_json_kstring(j, "function", fr->function);
      mg_json_kstring(j, "file", fr->file);
      mg_json_kuint(j, "line", fr->line);
      mg_json_kuint(j, "column", fr->column);
      mg_json_kstring(j, "module", fr->module);
      mg_json_khex(j, "address", fr->address);
      mg_json_kbool(j, "inlined", fr->inlined);
      mg_json_kstring(j, "origin", mg_origin_name(mg_frame_origin(fr->function, fr->file, fr->module)));
      mg_json_end(j);
    }
    mg_json_end(j);
    mg_json_end(j);
  }
  mg_json_end(j);
}

static void path_frame(struct mg_json *j, const struct mg_path_frame *f) {
  mg_json_object(j);
  mg_json_kstring(j, "function", f->function);
  mg_json_kstring(j, "file", f->file);
  mg_json_kuint(j, "line", f->line);
  mg_json_kuint(j, "column", f->column);
  mg_json_kstring(j, "module", f->module);
  mg_json_kstring(j, "origin", mg_origin_name(f->origin));
  mg_json_end(j);
}

void mg_callers_json_site(struct mg_json *j, const struct mg_profile *p, const struct mg_site *s) {
  struct mg_caller place;
  mg_json_key(j, "place");
  if (!mg_site_place(p, s, &place)) {
    mg_json_null(j);
  } else {
    mg_json_object(j);
    mg_json_key(j, "frame");
    path_frame(j, &place.place);
    mg_json_kuint(j, "depth", place.depth);
    mg_json_key(j, "via");
    if (place.depth)
      path_frame(j, &place.inner);
    else
      mg_json_null(j);
    mg_json_end(j);
  }
  struct mg_callers callers;
  mg_site_callers(p, s, &callers);
  mg_json_key(j, "callers");
  mg_json_array(j);
  for (size_t i = 0; i < callers.n; i++) {
    const struct mg_caller *c = &callers.v[i];
    mg_json_object(j);
    mg_json_key(j, "frame");
    path_frame(j, &c->place);
    mg_json_kuint(j, "depth", c->depth);
    mg_json_key(j, "context");
    mg_json_array(j);
    for (size_t k = 0; k < c->ncontext; k++)
      path_frame(j, &c->context[k]);
    mg_json_end(j);
    mg_json_kuint(j, "samples", c->samples);
    /* never above what the site's exact counts allow */
    uint64_t calls = s->counts.allocations, bytes = s->counts.bytes_allocated;
    mg_json_kfigure(j, "est_calls", mg_figure_at_most(mg_est_figure(&c->calls, c->estimated), calls));
    mg_json_kfigure(j, "est_bytes", mg_figure_at_most(mg_est_figure(&c->bytes, c->estimated), bytes));
    mg_json_kfigure(j, "live_est_blocks",
                    mg_figure_at_most(mg_est_figure(&c->live_blocks, c->estimated), calls));
    mg_json_kfigure(j, "live_est_bytes",
                    mg_figure_at_most(mg_est_figure(&c->live_bytes, c->estimated), bytes));
    mg_json_end(j);
  }
  mg_json_end(j);
  mg_callers_free(&callers);
}

void mg_stacks_json(struct mg_json *j, const struct mg_profile *p) {
  const struct mg_stack_table *t = p->stacks;
  if (!t)
    return;
  mg_json_key(j, "symbolization");
  mg_json_object(j);
  mg_json_kstring(j, "symbolizer", t->symbolizer);
  mg_json_kuint(j, "stacks", t->nstacks);
  mg_json_key(j, "images");
  mg_json_array(j);
  for (size_t i = 0; i < t->nimages; i++) {
    const struct mg_stack_image *im = &t->images[i];
    mg_json_object(j);
    mg_json_kstring(j, "path", im->path);
    mg_json_kstring(j, "build_id", im->build_id);
    mg_json_kstring(j, "file", im->file);
    mg_json_kbool(j, "symbolized", im->symbolized);
    mg_json_end(j);
  }
  mg_json_end(j);
  mg_json_key(j, "warnings");
  mg_json_array(j);
  for (size_t i = 0; i < t->nwarnings; i++)
    mg_json_string(j, t->warnings[i]);
  mg_json_end(j);
  mg_json_end(j);
}
