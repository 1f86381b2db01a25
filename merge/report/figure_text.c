/* How every text output writes a figure (report_parts.h): exact "N"; an estimate
 * "N±E (n)", E the larger side of its 95% interval and n the samples behind it; an
 * estimate without a sample "≤B (0)", its one-sided 95% bound.  The JSON keeps the
 * interval's two ends (json_values.c). */
#include <inttypes.h>
#include <stdio.h>

#include "report_parts.h"

void mg_figure_format(char *buf, size_t size, struct mg_figure f) {
  if (!f.estimated)
    snprintf(buf, size, "%" PRIu64, f.value);
  else if (f.bounded)
    snprintf(buf, size, "≤%" PRIu64 " (0)", f.high);
  else
    snprintf(buf, size, "%" PRIu64 "±%" PRIu64 " (%" PRIu64 ")", f.value, f.error, f.samples);
}
