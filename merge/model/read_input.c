/* Reading one input (a file or a buffer) into a profile of its own: the decoder's records
 * go to the process being built (build.c), after a pre-scan that gives the replay the
 * order of the batches (read/scan.c); mg_profile_add_* then combine it (combine.c). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "profile.h"
#include "replay.h"
#include "resources.h"
#include "scan.h"
#include "util.h"

struct reading {
  struct mg_profile *p;
  size_t input;
  struct mg_process *proc; /* set by the header */
  uint64_t *order;         /* the pre-scan's suffix minimums, handed to the replay */
  size_t norder;
  int fd;                  /* a regular file, pre-scanned once its header is read; or -1 */
  const void *data;        /* or a buffer, likewise */
  size_t len;
  struct mg_decode_reading how;
  uint64_t scanned;        /* bytes the pre-scan read */
};

static uint64_t *order_of(uint64_t *mins, size_t n, size_t *norder);

static void on_header(void *ctx, const struct mg_header_rec *h) {
  struct reading *r = ctx;
  /* The pre-scan reads the whole file, so it waits for a valid header: a file that is
   * not one is refused on its first bytes, whatever its size. */
  if (r->fd >= 0) {
    struct mg_scan s;
    mg_scan_fd(r->fd, r->how.size, &s, r->how.progress);
    r->order = order_of(s.mins, s.n, &r->norder);
    r->how.cut = s.cut;
    r->scanned = s.bytes;
  } else if (r->data) {
    uint64_t *mins;
    size_t n = mg_scan_buffer(r->data, r->len, &mins);
    r->order = order_of(mins, n, &r->norder);
  }
  r->proc = mg_input_attach_process(&r->p->inputs[r->input], h);
  mg_replay_begin(r->p, r->proc, r->order, r->norder, r->p->window);
  r->order = NULL;
}

static void on_site(void *ctx, const struct mg_site_rec *s) {
  struct reading *r = ctx;
  mg_process_add_site(r->p, r->proc, s);
}

static void on_thread(void *ctx, const struct mg_thread_rec *t) {
  struct reading *r = ctx;
  mg_process_add_thread(r->p, r->proc, t);
}

static void on_events(void *ctx, const struct mg_events_rec *e) {
  struct reading *r = ctx;
  mg_process_add_events(r->p, r->proc, e);
}

static void on_end(void *ctx, const struct mg_end_rec *e) {
  struct reading *r = ctx;
  mg_process_add_end(r->p, r->proc, e);
}

static void on_counters(void *ctx, const struct mg_counters_rec *c) {
  struct reading *r = ctx;
  mg_process_add_counters(r->p, r->proc, c);
}

static void on_phase(void *ctx, const struct mg_phase_rec *ph) {
  struct reading *r = ctx;
  mg_process_add_phase(r->p, r->proc, ph);
}

static void on_resource(void *ctx, const struct mg_resource_rec *res) {
  struct reading *r = ctx;
  mg_resources_add(r->proc, res);
}

static void on_module(void *ctx, const struct mg_module_rec *m) {
  struct reading *r = ctx;
  mg_process_add_module(r->p, r->proc, m);
}

static void on_unknown(void *ctx, uint64_t type, uint64_t offset) {
  struct reading *r = ctx;
  (void)type;
  (void)offset;
  r->proc->skipped_records++;
}

static const struct mg_decode_callbacks reading_callbacks = {
    .header = on_header,
    .site = on_site,
    .thread = on_thread,
    .events = on_events,
    .end = on_end,
    .unknown = on_unknown,
    .counters = on_counters,
    .phase = on_phase,
    .module = on_module,
    .resource = on_resource,
};

static void finish_input(struct mg_profile *p, struct reading *r,
                         const struct mg_decode_problem *problem) {
  struct mg_input *in = &p->inputs[r->input];
  in->problem = *problem;
  in->problem.file = in->path;
  if (r->proc)
    mg_profile_end_process(p, r->proc);
  free(r->order); /* no header: the replay never took it */
}

/* The suffix minimums of the batches' first times, or NULL (scan.h). */
static uint64_t *order_of(uint64_t *mins, size_t n, size_t *norder) {
  if (n == (size_t)-1) {
    *norder = 0;
    return NULL;
  }
  mg_scan_suffix_min(mins, n);
  *norder = n;
  return mins ? mins : mg_xcalloc(1, sizeof *mins); /* no batch: an empty order */
}

struct mg_profile *mg_profile_read_file(const char *path, size_t window,
                                        _Atomic uint64_t *progress) {
  struct mg_profile *part = mg_profile_new();
  part->window = window;
  struct reading r = {.p = part, .input = mg_profile_add_input(part, path), .fd = -1};
  const char *name = part->inputs[r.input].path;
  struct mg_decode_problem problem;
  if (strcmp(path, "-") == 0) { /* a stream: read once, not pre-scanned */
    mg_decode_file_progress(name, &reading_callbacks, &r, &problem, progress);
  } else if ((r.fd = mg_decode_open(name, &problem, &r.how.size)) >= 0) {
    r.how.progress = progress;
    r.how.cut = UINT64_MAX;
    mg_decode_fd(r.fd, name, &reading_callbacks, &r, &problem, &r.how);
    close(r.fd);
    /* The progress total counts every file twice (parallel.h): what a refused or cut
     * file was spared is done too. */
    uint64_t done = r.scanned + r.how.read;
    if (progress && done < 2 * r.how.size)
      atomic_fetch_add_explicit(progress, 2 * r.how.size - done, memory_order_relaxed);
  }
  finish_input(part, &r, &problem);
  return part;
}

struct mg_profile *mg_profile_read_buffer(const char *name, const void *data, size_t len,
                                          size_t window) {
  struct mg_profile *part = mg_profile_new();
  part->window = window;
  struct reading r = {.p = part, .input = mg_profile_add_input(part, name), .fd = -1, .data = data,
                      .len = len};
  struct mg_decode_problem problem;
  mg_decode_buffer(part->inputs[r.input].path, data, len, &reading_callbacks, &r, &problem);
  finish_input(part, &r, &problem);
  return part;
}

/* One input at a time goes through a profile of its own and is then combined, exactly as
 * mg_profile_add_files does on many cores: the numbers never depend on how inputs were
 * read. */
const struct mg_input *mg_profile_add_file(struct mg_profile *p, const char *path) {
  mg_profile_absorb(p, mg_profile_read_file(path, p->window, NULL), NULL);
  return &p->inputs[p->ninputs - 1];
}

const struct mg_input *mg_profile_add_buffer(struct mg_profile *p, const char *name,
                                             const void *data, size_t len) {
  mg_profile_absorb(p, mg_profile_read_buffer(name, data, len, p->window), NULL);
  return &p->inputs[p->ninputs - 1];
}
