/* The JSON report's stack pieces (report_parts.h). */
#include "report_parts.h"

#include <inttypes.h>
#include <stdio.h>

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
      mg_json_end(j);
    }
    mg_json_end(j);
    mg_json_end(j);
  }
  mg_json_end(j);
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
