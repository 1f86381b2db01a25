/* What a file's status block says (format.h, struct ms_file_status), in words: the text
 * summary's warning lines and the JSON report's signal names (report_parts.h). */
#define _GNU_SOURCE /* sigabbrev_np */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "memscope/format.h"
#include "profile.h"
#include "report_parts.h"

const char *mg_signal_name(uint32_t sig, char *buf, size_t size) {
  const char *abbrev = sig < 128 ? sigabbrev_np((int)sig) : NULL;
  if (abbrev)
    snprintf(buf, size, "SIG%s", abbrev);
  else
    snprintf(buf, size, "signal %" PRIu32, sig);
  return buf;
}

/* ns since the process started (its header's start_ns), as "+2.1 s". */
static void since_start(char *buf, size_t size, const struct mg_process *proc, uint64_t ns) {
  if (!ns || !(proc->present & MG_HEADER_HAS_START_NS) || ns < proc->start_ns) {
    snprintf(buf, size, "an unknown time");
    return;
  }
  snprintf(buf, size, "+%.1f s", (double)(ns - proc->start_ns) / 1e9);
}

bool mg_text_status_quiet(const struct mg_process *proc) {
  return !(proc->status.flags & (MS_STATUS_DISK_FULL | MS_STATUS_SIGNAL)) &&
         !proc->status.skipped_bytes;
}

void mg_text_status(FILE *out, const struct mg_process *proc) {
  const struct mg_status_rec *s = &proc->status;
  char when[64], name[32];
  if (s->flags & MS_STATUS_DISK_FULL) {
    since_start(when, sizeof when, proc, s->full_ns);
    fprintf(out,
            "    warning: recording stopped at %s: no space left for the file; %" PRIu64
            " %s lost; counts go on (a thread's calls are missing only "
            "where its counts found no room either)\n",
            when, s->lost_events, s->lost_events == 1 ? "event" : "events");
    /* Full mode: those events' calls stayed counted; say where, and what lacks them. */
    if (proc->short_sites)
      fprintf(out,
              "    warning: %" PRIu64 " counted %s at %" PRIu64
              " %s have no event (lost for want of room): counts are "
              "exact, but peak, live, leaks and lifetimes miss them\n",
              proc->short_calls, proc->short_calls == 1 ? "call" : "calls", proc->short_sites,
              proc->short_sites == 1 ? "site" : "sites");
  }
  if (s->flags & MS_STATUS_SIGNAL) {
    since_start(when, sizeof when, proc, s->signal_ns);
    fprintf(out,
            "    warning: the process died of %s (thread %" PRIu32
            ") at %s: everything before it is here\n",
            mg_signal_name(s->signal, name, sizeof name), s->signal_tid, when);
  }
  if (s->skipped_bytes)
    fprintf(out,
            "    warning: %" PRIu64 " bytes between chunks were neither a chunk nor zeros "
            "(skipped)\n",
            s->skipped_bytes);
}
