/* Reading one input (a file or a buffer) into a profile of its own: the container's
 * records and batches of events go to the process being built (build.c), after the order
 * of the batches that the replay needs (read/container.h); mg_profile_add_* then combine
 * it (combine.c). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "container.h"
#include "profile.h"
#include "replay.h"
#include "resources.h"
#include "scan.h"
#include "util.h"

struct reading {
  struct mg_profile *p;
  size_t input;
  struct mg_process *proc; /* set by the header */
};

static void on_header(void *ctx, const struct mg_header_rec *h) {
  struct reading *r = ctx;
  r->proc = mg_input_attach_process(&r->p->inputs[r->input], h);
}

/* The container knows every batch before the first is delivered (scan.h). */
static void on_order(void *ctx, uint64_t *mins, size_t n) {
  struct reading *r = ctx;
  mg_scan_suffix_min(mins, n);
  mg_replay_begin(r->p, r->proc, mins ? mins : mg_xcalloc(1, sizeof *mins), n, r->p->window);
}

static void on_status(void *ctx, const struct mg_status_rec *s) {
  struct reading *r = ctx;
  r->proc->status = *s;
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
    .status = on_status,
    .order = on_order,
};

static void finish_input(struct mg_profile *p, struct reading *r,
                         const struct mg_decode_problem *problem) {
  struct mg_input *in = &p->inputs[r->input];
  in->problem = *problem;
  in->problem.file = in->path;
  if (r->proc && !r->proc->replay) /* no order came (the file stopped before its chunks) */
    mg_replay_begin(p, r->proc, NULL, 0, p->window);
  if (r->proc)
    mg_profile_end_process(p, r->proc);
  /* A waiting chunk that the file no longer held when it was read again: the input's
   * problem when it has no other (its events before it are all counted). */
  if (r->proc && in->problem.status == MG_DECODE_OK &&
      r->proc->reread_problem.status != MG_DECODE_OK) {
    in->problem = r->proc->reread_problem;
    in->problem.file = in->path;
  }
}

/* A part read for p's sake keeps what p keeps. */
static struct mg_profile *new_part(size_t window, const uint64_t *site_thread) {
  struct mg_profile *part = mg_profile_new();
  part->window = window;
  part->has_site_thread = site_thread != NULL;
  part->site_thread = site_thread ? *site_thread : 0;
  return part;
}

struct mg_profile *mg_profile_read_file(const char *path, size_t window,
                                        const uint64_t *site_thread, unsigned jobs,
                                        _Atomic uint64_t *progress) {
  struct mg_profile *part = new_part(window, site_thread);
  struct reading r = {.p = part, .input = mg_profile_add_input(part, path)};
  const char *name = part->inputs[r.input].path;
  struct mg_decode_problem problem;
  struct mg_read_how how = {.progress = progress, .jobs = jobs};
  uint64_t size = 0;
  int fd = strcmp(path, "-") == 0 ? -1 : mg_decode_open(name, &problem, &size);
  if (fd >= 0) {
    mg_decode_fd(fd, size, name, &reading_callbacks, &r, &problem, &how);
    close(fd);
  } else if (strcmp(path, "-") == 0) {
    mg_decode_file(name, &reading_callbacks, &r, &problem, &how);
  }
  finish_input(part, &r, &problem);
  return part;
}

struct mg_profile *mg_profile_read_buffer(const char *name, const void *data, size_t len,
                                          size_t window, const uint64_t *site_thread) {
  struct mg_profile *part = new_part(window, site_thread);
  struct reading r = {.p = part, .input = mg_profile_add_input(part, name)};
  struct mg_decode_problem problem;
  mg_decode_buffer(part->inputs[r.input].path, data, len, &reading_callbacks, &r, &problem);
  finish_input(part, &r, &problem);
  return part;
}

static const uint64_t *site_thread_of(const struct mg_profile *p) {
  return p->has_site_thread ? &p->site_thread : NULL;
}

/* One input at a time goes through a profile of its own and is then combined, exactly as
 * mg_profile_add_files does on many cores: the numbers never depend on how inputs were
 * read. */
const struct mg_input *mg_profile_add_file(struct mg_profile *p, const char *path) {
  mg_profile_absorb(p, mg_profile_read_file(path, p->window, site_thread_of(p), 1, NULL),
                    NULL);
  return &p->inputs[p->ninputs - 1];
}

const struct mg_input *mg_profile_add_buffer(struct mg_profile *p, const char *name,
                                             const void *data, size_t len) {
  mg_profile_absorb(p, mg_profile_read_buffer(name, data, len, p->window, site_thread_of(p)),
                    NULL);
  return &p->inputs[p->ninputs - 1];
}
