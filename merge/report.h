/* Reports written from a finished profile.  One file per output format: report_text.c
 * now; JSON, HTML and pprof later, each behind a function of this header. */
#ifndef MEMSCOPE_MERGE_REPORT_H
#define MEMSCOPE_MERGE_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "profile.h"

struct ms_report_options {
  size_t top; /* rows in each site table; 0 for all */
};

#define MS_REPORT_DEFAULT_TOP 10

/* The text summary (docs/merge.md describes it line by line). */
void ms_report_text(FILE *out, const struct ms_profile *p, const struct ms_report_options *opt);

#endif
