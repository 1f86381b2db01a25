/* Pieces shared between the report writers (not for callers of the reports). */
#ifndef MEMSCOPE_MERGE_REPORT_PARTS_H
#define MEMSCOPE_MERGE_REPORT_PARTS_H

#include <stdio.h>

#include "report.h"

struct mg_json;
/* The JSON report's pieces (stacks_json.c, docs/json.md): a site's "stacks" array (the
 * value only), and the top-level "symbolization" object (key and value; nothing without
 * stacks). */
void mg_stacks_json_site(struct mg_json *j, const struct mg_profile *p, const struct mg_site *s);
void mg_stacks_json(struct mg_json *j, const struct mg_profile *p);

/* The text report's section "Allocations from uninstrumented code" and the stacks of
 * instrumented sites (stacks_text.c; nothing when the profile has neither). */
void mg_report_text_stacks(FILE *out, const struct mg_profile *p,
                           const struct mg_report_options *opt);

#endif
