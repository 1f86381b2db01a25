/* Reports written from a finished profile.  One file per output format: report_text.c,
 * report_json.c, report_html.c, report_pprof.c, report_folded.c; and the comparison of
 * two profiles (diff.c). */
#ifndef MEMSCOPE_MERGE_REPORT_H
#define MEMSCOPE_MERGE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "profile.h"

/* What a folded-stacks line counts (--folded-value). */
enum mg_folded_value {
  MG_FOLDED_BYTES,       /* bytes allocated (the default) */
  MG_FOLDED_CALLS,       /* allocations */
  MG_FOLDED_LIVE_BYTES,  /* bytes still live at exit (in use) */
  MG_FOLDED_LIVE_BLOCKS, /* blocks still live at exit */
};

struct mg_report_options {
  size_t top; /* rows in each table of the text summary; 0 for all */
  enum mg_folded_value folded_value;
  /* Filters (docs/merge.md): only this thread index, this site id, this pid. */
  bool has_thread, has_site, has_pid;
  uint64_t thread, site, pid;
};

#define MG_REPORT_DEFAULT_TOP 10

/* The text summary (docs/merge.md describes it line by line). */
void mg_report_text(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt);
/* The JSON report (docs/json.md describes every field). */
void mg_report_json(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt);
/* The same through a writer the caller set up: mg_json_init gives mg_report_json's
 * output, mg_json_init_script the compact, script-safe form the HTML page embeds. */
struct mg_json;
void mg_report_json_write(struct mg_json *j, const struct mg_profile *p,
                          const struct mg_report_options *opt);

/* The self-contained HTML dashboard (report_html.c, docs/reports.md). */
void mg_report_html(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt);
/* s with & < > " ' as HTML character references (for text and attribute values). */
void mg_html_escape(FILE *out, const char *s);

/* pprof's profile.proto (report_pprof.c): sample types alloc_objects, alloc_space,
 * inuse_objects, inuse_space; one location per site with a line per inlined frame.
 * mg_pprof_encode gives the raw protobuf (malloc'd, *len bytes); mg_report_pprof writes
 * it gzipped, as pprof reads it, and returns false if compression failed. */
unsigned char *mg_pprof_encode(const struct mg_profile *p, const struct mg_report_options *opt,
                               size_t *len);
bool mg_report_pprof(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt);

/* Folded stacks, "outer;...;inner VALUE" per line, for flamegraph.pl, speedscope and
 * inferno (report_folded.c). */
void mg_report_folded(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt);

/* Compares two runs site by site (diff.c, docs/reports.md): totals, then the sites that
 * changed, by the size of the change (at most opt->top; 0 for all).  fail_percent < 0:
 * no threshold; else returns false when the total allocations or bytes allocated grew
 * by more than that many percent. */
bool mg_report_diff(FILE *out, const struct mg_profile *base, const struct mg_profile *new_,
                    const struct mg_report_options *opt, double fail_percent);

/* Filters shared by the reports. */
bool mg_report_shows_thread(const struct mg_report_options *opt, uint64_t pid, uint64_t thread);
bool mg_report_shows_site(const struct mg_report_options *opt, uint64_t site);
bool mg_report_shows_process(const struct mg_report_options *opt, uint64_t pid);

#endif
