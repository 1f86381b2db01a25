/* Values the JSON report writes the same way wherever they appear (report_parts.h):
 * ids in hex, and figures as {"value", "error"} (docs/json.md, "Numbers"). */
#include "report_parts.h"

#include <inttypes.h>
#include <stdio.h>

#include "json.h"

void mg_json_khex(struct mg_json *j, const char *key, uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  mg_json_kstring(j, key, buf);
}

void mg_json_kfigure(struct mg_json *j, const char *key, struct mg_figure f) {
  mg_json_key(j, key);
  mg_json_object(j);
  mg_json_kuint(j, "value", f.value);
  mg_json_kuint(j, "error", f.error);
  if (f.estimated) {
    mg_json_kuint(j, "low", f.low);
    mg_json_kuint(j, "high", f.high);
    mg_json_kuint(j, "samples", f.samples);
    if (f.bounded)
      mg_json_kbool(j, "bounded", true);
  }
  mg_json_end(j);
}

void mg_json_kest(struct mg_json *j, const char *key, const struct mg_est *e, bool estimated) {
  mg_json_kfigure(j, key, mg_est_figure(e, estimated));
}
