/* Pieces shared between the report writers (not for callers of the reports). */
#ifndef MEMSCOPE_MERGE_REPORT_PARTS_H
#define MEMSCOPE_MERGE_REPORT_PARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

/* A figure as the text outputs write it (figure_text.c): "N", "N±E (n)" or "≤B (0)". */
void mg_figure_format(char *buf, size_t size, struct mg_figure f);

/* The text report's width (elide_text.c): lines stay within MG_TEXT_COLUMNS columns
 * where they can.  mg_text_width: the columns s takes (UTF-8).  mg_text_elide: s in at
 * most `width` columns (at least 8): template arguments and parameter lists collapsed to
 * "<...>" and "(...)", then the middle cut out ("..."). */
#define MG_TEXT_COLUMNS 100
int mg_text_width(const char *s);
void mg_text_elide(char *out, size_t size, const char *s, int width);

struct mg_json;
/* One value of the JSON report (json_values.c): an id as "0x..." under key; a figure or
 * an estimate as {"value": N, "error": E}, E 0 when exact, an estimate with its interval
 * and samples besides (docs/json.md, "Numbers"). */
void mg_json_khex(struct mg_json *j, const char *key, uint64_t v);
void mg_json_kfigure(struct mg_json *j, const char *key, struct mg_figure f);
void mg_json_kest(struct mg_json *j, const char *key, const struct mg_est *e, bool estimated);

/* The JSON report's pieces (stacks_json.c, docs/json.md): a site's "stacks" array (the
 * value only), and the top-level "symbolization" object (key and value; nothing without
 * stacks). */
void mg_stacks_json_site(struct mg_json *j, const struct mg_profile *p, const struct mg_site *s);
/* A site's "place" (its caller frame, callers.h) and "callers" (keys and values). */
void mg_callers_json_site(struct mg_json *j, const struct mg_profile *p, const struct mg_site *s);
void mg_stacks_json(struct mg_json *j, const struct mg_profile *p);

struct mg_caller;
/* A site's place in a text table (place_text.c): its caller frame (callers.h) and
 * location, ending the row the caller began; then, indented to function_col, what that
 * frame called ("via") and the site's largest callers ("from"); all within 100 columns,
 * long names losing their middle.  row: one caller of an uninstrumented site, shown as
 * its own row; NULL for the whole site.  over: the columns the row's cells took beyond
 * their widths (the row's name starts at function_col + over). */
void mg_text_site_place(FILE *out, const struct mg_profile *p, const struct mg_site *s,
                        const struct mg_caller *row, int function_col, int over);

/* A site in one short phrase for the summary's rows: "function file.c:line:col" (the
 * file's base name), " (+N callers)" after it when the site is split among its callers
 * in the tables; at most `width` columns. */
void mg_text_site_short(char *buf, size_t size, const struct mg_profile *p,
                        const struct mg_site *s, int width);

/* The text report's section "Allocations from uninstrumented code" (stacks_text.c;
 * nothing without uninstrumented calls or stacks). */
void mg_report_text_stacks(FILE *out, const struct mg_profile *p,
                           const struct mg_report_options *opt);

/* The status block in words (status_text.c): "SIGSEGV" (or "signal N") into buf; the text
 * summary's warning lines under a file's line (nothing when the block has nothing to
 * say). */
const char *mg_signal_name(uint32_t sig, char *buf, size_t size);
struct mg_process;
void mg_text_status(FILE *out, const struct mg_process *proc);
/* Whether mg_text_status has nothing to say of proc. */
bool mg_text_status_quiet(const struct mg_process *proc);

#endif
