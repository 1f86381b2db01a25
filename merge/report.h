/* Reports written from a finished profile.  One file per output format: report_text.c
 * and report_json.c; HTML and pprof later, each behind a function of this header. */
#ifndef MEMSCOPE_MERGE_REPORT_H
#define MEMSCOPE_MERGE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "profile.h"

struct ms_report_options {
  size_t top; /* rows in each table of the text summary; 0 for all */
  /* Filters (docs/merge.md): only this thread index, this site id, this pid. */
  bool has_thread, has_site, has_pid;
  uint64_t thread, site, pid;
};

#define MS_REPORT_DEFAULT_TOP 10

/* The text summary (docs/merge.md describes it line by line). */
void ms_report_text(FILE *out, const struct ms_profile *p, const struct ms_report_options *opt);
/* The JSON report (docs/json.md describes every field). */
void ms_report_json(FILE *out, const struct ms_profile *p, const struct ms_report_options *opt);

/* Filters shared by the reports. */
bool ms_report_shows_thread(const struct ms_report_options *opt, uint64_t pid, uint64_t thread);
bool ms_report_shows_site(const struct ms_report_options *opt, uint64_t site);
bool ms_report_shows_process(const struct ms_report_options *opt, uint64_t pid);

#endif
