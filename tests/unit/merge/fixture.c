#include "fixture.h"

#include <check.h>
#include <string.h>

/* Check logs every passing ck_assert (a write(2) each in fork mode); the fixture checks
 * every event, so it only calls into Check when something is wrong. */
#define fx_check(cond, ...)        \
  do {                             \
    if (!(cond))                   \
      ck_abort_msg(__VA_ARGS__);   \
  } while (0)

void fx_init(struct fx *f) {
  memset(f, 0, sizeof *f);
  msgpack_sbuffer_init(&f->buf);
  msgpack_packer_init(&f->pk, &f->buf, msgpack_sbuffer_write);
}

void fx_destroy(struct fx *f) { msgpack_sbuffer_destroy(&f->buf); }

void fx_mark(struct fx *f) {
  fx_check(f->events_left == 0, "previous EVENTS record is missing events");
  fx_check(f->entries_left == 0, "previous COUNTERS record is missing entries");
  fx_check(f->nobjects < FX_MAX_OBJECTS, "more than FX_MAX_OBJECTS objects");
  f->starts[f->nobjects++] = f->buf.size;
}

void fx_str(struct fx *f, const char *s) {
  if (!s) {
    msgpack_pack_nil(&f->pk);
    return;
  }
  size_t n = strlen(s);
  msgpack_pack_str(&f->pk, n);
  msgpack_pack_str_body(&f->pk, s, n);
}

static void key_str(struct fx *f, const char *key, const char *value) {
  fx_str(f, key);
  fx_str(f, value);
}

static void key_uint(struct fx *f, const char *key, uint64_t value) {
  fx_str(f, key);
  msgpack_pack_uint64(&f->pk, value);
}

/* interval 0: a full-mode header as the runtime wrote it before sampling existed. */
static void header(struct fx *f, uint64_t version, const char *program, uint64_t pid,
                   uint64_t interval) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, 3);
  fx_str(f, MS_FORMAT_MAGIC);
  msgpack_pack_uint64(&f->pk, version);
  msgpack_pack_map(&f->pk, interval ? 8 : 6);
  key_str(f, MS_META_PROGRAM, program);
  key_uint(f, MS_META_PID, pid);
  key_uint(f, MS_META_PPID, 1);
  key_str(f, MS_META_MODE, interval ? "sampled" : "full");
  if (interval) {
    key_str(f, MS_META_SAMPLER, "bytes");
    key_uint(f, MS_META_SAMPLE_INTERVAL, interval);
  }
  key_uint(f, MS_META_START_NS, 1000);
  key_uint(f, MS_META_START_UNIX_NS, 1700000000000000000ULL);
}

void fx_header_version(struct fx *f, uint64_t version, const char *program, uint64_t pid) {
  header(f, version, program, pid, 0);
}

void fx_header_sampled(struct fx *f, const char *program, uint64_t pid, uint64_t interval) {
  header(f, MS_FORMAT_VERSION, program, pid, interval);
}

void fx_header(struct fx *f, const char *program, uint64_t pid) {
  fx_header_version(f, MS_FORMAT_VERSION, program, pid);
}

void fx_site(struct fx *f, uint64_t id, uint32_t api, size_t nframes,
             const struct fx_frame *frames) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, MS_SITE_LEN);
  msgpack_pack_uint64(&f->pk, MS_REC_SITE);
  msgpack_pack_uint64(&f->pk, id);
  msgpack_pack_uint32(&f->pk, api);
  msgpack_pack_array(&f->pk, nframes);
  for (size_t i = 0; i < nframes; i++) {
    msgpack_pack_array(&f->pk, MS_FRAME_LEN);
    fx_str(f, frames[i].function);
    fx_str(f, frames[i].file);
    msgpack_pack_uint32(&f->pk, frames[i].line);
    msgpack_pack_uint32(&f->pk, frames[i].column);
  }
}

void fx_site_flags(struct fx *f, uint64_t id, uint32_t api, size_t nframes,
                   const struct fx_frame *frames, uint32_t flags) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, MS_SITE_FLAGS + 1); /* (the version-1 shape: wt-read updates it) */
  msgpack_pack_uint64(&f->pk, MS_REC_SITE);
  msgpack_pack_uint64(&f->pk, id);
  msgpack_pack_uint32(&f->pk, api);
  msgpack_pack_array(&f->pk, nframes);
  for (size_t i = 0; i < nframes; i++) {
    msgpack_pack_array(&f->pk, MS_FRAME_LEN);
    fx_str(f, frames[i].function);
    fx_str(f, frames[i].file);
    msgpack_pack_uint32(&f->pk, frames[i].line);
    msgpack_pack_uint32(&f->pk, frames[i].column);
  }
  msgpack_pack_uint32(&f->pk, flags);
}

void fx_loaded_module(struct fx *f, const char *path, uint64_t base, const char *build_id, uint64_t ts) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, MS_MODULE_LEN);
  msgpack_pack_uint64(&f->pk, MS_REC_MODULE);
  fx_str(f, path);
  msgpack_pack_uint64(&f->pk, base);
  fx_str(f, build_id);
  msgpack_pack_uint64(&f->pk, ts);
}

void fx_thread(struct fx *f, uint64_t thread, uint64_t tid, const char *name, uint64_t start_ns,
               uint64_t end_ns) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, MS_THREAD_LEN);
  msgpack_pack_uint64(&f->pk, MS_REC_THREAD);
  msgpack_pack_uint64(&f->pk, thread);
  msgpack_pack_uint64(&f->pk, tid);
  fx_str(f, name);
  msgpack_pack_uint64(&f->pk, start_ns);
  msgpack_pack_uint64(&f->pk, end_ns);
}

void fx_events(struct fx *f, uint64_t thread, uint64_t tid, size_t n) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, MS_EVENTS_LEN);
  msgpack_pack_uint64(&f->pk, MS_REC_EVENTS);
  msgpack_pack_uint64(&f->pk, thread);
  msgpack_pack_uint64(&f->pk, tid);
  msgpack_pack_array(&f->pk, n);
  f->events_left = n;
}

static void event_head(struct fx *f, size_t len, uint64_t kind, uint64_t site, uint64_t size,
                       uint64_t ptr, uint64_t ts) {
  fx_check(f->events_left > 0, "more events than announced");
  f->events_left--;
  msgpack_pack_array(&f->pk, len);
  msgpack_pack_uint64(&f->pk, kind);
  msgpack_pack_uint64(&f->pk, site);
  msgpack_pack_uint64(&f->pk, size);
  msgpack_pack_uint64(&f->pk, ptr);
  msgpack_pack_uint64(&f->pk, ts);
}

void fx_alloc(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts) {
  event_head(f, MS_EV_LEN, MS_EV_ALLOC, site, size, ptr, ts);
}

void fx_sampled(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts,
                double weight, uint64_t alignment) {
  event_head(f, MS_EV_SAMPLED_LEN, MS_EV_ALLOC, site, size, ptr, ts);
  msgpack_pack_double(&f->pk, weight);
  msgpack_pack_uint64(&f->pk, alignment);
}

void fx_sampled_phase(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts,
                      double weight, uint64_t alignment, uint32_t phase) {
  event_head(f, MS_EV_SAMPLED_PHASE_LEN, MS_EV_ALLOC, site, size, ptr, ts);
  msgpack_pack_double(&f->pk, weight);
  msgpack_pack_uint64(&f->pk, alignment);
  msgpack_pack_uint32(&f->pk, phase);
}

void fx_sampled_stack(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts,
                      double weight, uint32_t phase, size_t nstack, const uint64_t *stack) {
  event_head(f, MS_EV_SAMPLED_STACK_LEN, MS_EV_ALLOC, site, size, ptr, ts);
  msgpack_pack_double(&f->pk, weight);
  msgpack_pack_uint64(&f->pk, 0);
  msgpack_pack_uint32(&f->pk, phase);
  msgpack_pack_array(&f->pk, nstack);
  for (size_t i = 0; i < nstack; i++)
    msgpack_pack_uint64(&f->pk, stack[i]);
}

void fx_free(struct fx *f, uint64_t site, uint64_t ptr, uint64_t ts) {
  event_head(f, MS_EV_LEN, MS_EV_FREE, site, 0, ptr, ts);
}

void fx_realloc(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts,
                uint64_t old_ptr, uint64_t begin_ns) {
  event_head(f, MS_EV_REALLOC_LEN, MS_EV_REALLOC, site, size, ptr, ts);
  msgpack_pack_uint64(&f->pk, old_ptr);
  msgpack_pack_uint64(&f->pk, begin_ns);
}

void fx_end(struct fx *f, uint64_t end_ns, const char *reason) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, MS_END_LEN);
  msgpack_pack_uint64(&f->pk, MS_REC_END);
  msgpack_pack_uint64(&f->pk, end_ns);
  fx_str(f, reason);
}

void fx_phase(struct fx *f, uint32_t id, const char *label, uint64_t ts) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, MS_PHASE_LEN);
  msgpack_pack_uint64(&f->pk, MS_REC_PHASE);
  msgpack_pack_uint32(&f->pk, id);
  fx_str(f, label);
  msgpack_pack_uint64(&f->pk, ts);
}

static void counters_record(struct fx *f, uint32_t len, uint64_t thread, uint64_t tid,
                            uint64_t seq, size_t n) {
  fx_check(!f->releases_pending, "the previous COUNTERS record is not complete");
  fx_mark(f);
  msgpack_pack_array(&f->pk, len);
  msgpack_pack_uint64(&f->pk, MS_REC_COUNTERS);
  msgpack_pack_uint64(&f->pk, thread);
  msgpack_pack_uint64(&f->pk, tid);
  msgpack_pack_uint64(&f->pk, seq);
  msgpack_pack_array(&f->pk, n);
  f->entries_left = n;
}

void fx_counters(struct fx *f, uint64_t thread, uint64_t tid, uint64_t seq, size_t n) {
  counters_record(f, MS_COUNTERS_LEN, thread, tid, seq, n);
}

void fx_counters_releases(struct fx *f, uint64_t thread, uint64_t tid, uint64_t seq, size_t n,
                          uint64_t releases) {
  counters_record(f, MS_COUNTERS_RELEASES_LEN, thread, tid, seq, n);
  if (n == 0) {
    msgpack_pack_uint64(&f->pk, releases);
    return;
  }
  f->releases_pending = 1;
  f->releases = releases;
}

void fx_counter(struct fx *f, uint64_t site, uint64_t calls, uint64_t bytes, uint64_t min,
                uint64_t max) {
  fx_check(f->entries_left > 0, "more entries than announced");
  f->entries_left--;
  msgpack_pack_array(&f->pk, MS_COUNTER_LEN);
  msgpack_pack_uint64(&f->pk, site);
  msgpack_pack_uint64(&f->pk, calls);
  msgpack_pack_uint64(&f->pk, bytes);
  msgpack_pack_uint64(&f->pk, min);
  msgpack_pack_uint64(&f->pk, max);
  if (f->entries_left == 0 && f->releases_pending) {
    f->releases_pending = 0;
    msgpack_pack_uint64(&f->pk, f->releases);
  }
}
