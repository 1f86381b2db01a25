/* The report filters (--thread, --site, --process): what a report shows, not what was
 * analysed (docs/merge.md, "Filters"). */
#include "report.h"

bool mg_report_shows_thread(const struct mg_report_options *opt, uint64_t pid, uint64_t thread) {
  return mg_report_shows_process(opt, pid) && (!opt || !opt->has_thread || opt->thread == thread);
}

bool mg_report_shows_site(const struct mg_report_options *opt, uint64_t site) {
  return !opt || !opt->has_site || opt->site == site;
}

bool mg_report_shows_process(const struct mg_report_options *opt, uint64_t pid) {
  return !opt || !opt->has_pid || opt->pid == pid;
}
