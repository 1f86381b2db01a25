/* libFuzzer target: any bytes through the decoder, the whole analysis and both reports.
 * Whatever the input, the merge must neither crash, nor leak, nor read out of bounds; it
 * reports a problem and goes on.  Seeds: the golden fixtures (tests/golden). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "decode.h"
#include "bottleneck.h"
#include "profile.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *sink;
  if (!sink)
    sink = fopen("/dev/null", "w");
  struct mg_decode_problem problem;
  mg_decode_buffer("fuzz", data, size, NULL, NULL, &problem);
  struct mg_profile *p = mg_profile_new();
  p->window = 64; /* a small window: the late-event path runs too */
  mg_profile_add_buffer(p, "fuzz", data, size);
  mg_profile_finish(p);
  struct mg_report_options opt = {.top = 5};
  mg_report_text(sink, p, &opt);
  mg_report_json(sink, p, &opt);
  mg_profile_free(p);
  return 0;
}
