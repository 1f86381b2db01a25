#include "fixture.h"

#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "memscope/event_codec.h"

/* Check logs every passing ck_assert (a write(2) each in fork mode); the fixture checks
 * every event, so it only calls into Check when something is wrong. */
#define fx_check(cond, ...)        \
  do {                             \
    if (!(cond))                   \
      ck_abort_msg(__VA_ARGS__);   \
  } while (0)

/* ---- The container ------------------------------------------------------------------ */

static size_t round_up(size_t n) { return (n + MS_CHUNK_ALIGN - 1) / MS_CHUNK_ALIGN * MS_CHUNK_ALIGN; }

static struct ms_chunk_header *chunk_at(struct fx *f, size_t at) {
  return (struct ms_chunk_header *)(f->buf.data + at);
}

/* Zero bytes to the end of the file. */
static void extend(struct fx *f, size_t size) {
  if (size <= f->buf.size)
    return;
  size_t old = f->buf.size;
  static const char zeros[MS_CHUNK_ALIGN];
  while (f->buf.size < size) {
    size_t n = size - f->buf.size < sizeof zeros ? size - f->buf.size : sizeof zeros;
    msgpack_sbuffer_write(&f->buf, zeros, n);
  }
  (void)old;
}

/* A new chunk at the end of the file; returns its offset. */
static size_t open_chunk(struct fx *f, uint16_t kind, uint32_t thread, uint64_t seq,
                         size_t size) {
  size_t at = f->buf.size;
  extend(f, at + round_up(size < MS_CHUNK_ALIGN ? MS_CHUNK_ALIGN : size));
  struct ms_chunk_header h = {.magic = MS_CHUNK_MAGIC, .kind = kind,
                              .size = (uint32_t)(f->buf.size - at), .thread = thread,
                              .seq = seq};
  memcpy(f->buf.data + at, &h, sizeof h);
  return at;
}

/* Appends content to the chunk at `at`, the last of the file, growing it. */
static void chunk_append(struct fx *f, size_t at, const void *p, size_t len) {
  fx_check(at + chunk_at(f, at)->size == f->buf.size, "fixture: appending to a chunk not last");
  uint32_t used = chunk_at(f, at)->used;
  size_t need = round_up(sizeof(struct ms_chunk_header) + used + len);
  extend(f, at + need);
  struct ms_chunk_header *h = chunk_at(f, at);
  if (h->size < need)
    h->size = (uint32_t)need;
  memcpy(f->buf.data + at + sizeof *h + used, p, len);
  h->used = used + (uint32_t)len;
}

static bool is_last(struct fx *f, size_t at) {
  return at && at + chunk_at(f, at)->size == f->buf.size;
}

/* The packer's output: the header at 0 while it is written, then records. */
static int fx_write(void *data, const char *p, size_t len) {
  struct fx *f = data;
  if (!f->header_done) {
    fx_check(f->header_len + len <= MS_STATUS_OFFSET, "header too long");
    memcpy(f->buf.data + f->header_len, p, len);
    f->header_len += len;
    return 0;
  }
  if (!is_last(f, f->records_at))
    f->records_at = open_chunk(f, MS_CHUNK_RECORDS, 0, f->records_seq++, 0);
  chunk_append(f, f->records_at, p, len);
  return 0;
}

void fx_init(struct fx *f) {
  memset(f, 0, sizeof *f);
  msgpack_sbuffer_init(&f->buf);
  extend(f, MS_HEADER_REGION);
  struct ms_file_status st = {.magic = MS_STATUS_MAGIC};
  memcpy(f->buf.data + MS_STATUS_OFFSET, &st, sizeof st);
  msgpack_packer_init(&f->pk, f, fx_write);
}

void fx_destroy(struct fx *f) { msgpack_sbuffer_destroy(&f->buf); }

static void mark_at(struct fx *f, size_t offset) {
  fx_check(f->events_left == 0, "previous EVENTS record is missing events");
  fx_check(f->entries_left == 0, "previous COUNTERS record is missing entries");
  fx_check(f->nobjects < FX_MAX_OBJECTS, "more than FX_MAX_OBJECTS objects");
  f->starts[f->nobjects++] = offset;
}

void fx_mark(struct fx *f) {
  if (f->nobjects == 0) { /* the header, at 0 */
    mark_at(f, 0);
    return;
  }
  f->header_done = 1;
  f->events_at = 0;
  /* The record starts where the RECORDS chunk at the end continues, or in a new one. */
  if (!is_last(f, f->records_at))
    f->records_at = open_chunk(f, MS_CHUNK_RECORDS, 0, f->records_seq++, 0);
  mark_at(f, f->records_at + sizeof(struct ms_chunk_header) + chunk_at(f, f->records_at)->used);
}

void fx_status(struct fx *f, const struct ms_file_status *s) {
  struct ms_file_status st = *s;
  st.magic = MS_STATUS_MAGIC;
  memcpy(f->buf.data + MS_STATUS_OFFSET, &st, sizeof st);
}

void fx_chunk(struct fx *f, uint16_t kind, uint32_t thread, uint64_t seq, const void *content,
              size_t len) {
  f->header_done = 1;
  size_t at = open_chunk(f, kind, thread, seq, 0);
  if (len)
    chunk_append(f, at, content, len);
}

void fx_raw(struct fx *f, const void *data, size_t len) {
  f->header_done = 1;
  if (data)
    msgpack_sbuffer_write(&f->buf, data, len);
  else
    extend(f, f->buf.size + len);
}

static size_t thread_pos(struct fx *f, uint64_t thread) {
  for (size_t i = 0; i < f->nthreads; i++)
    if (f->thread_ids[i] == thread)
      return i;
  fx_check(f->nthreads < FX_MAX_THREADS, "more than FX_MAX_THREADS threads");
  f->thread_ids[f->nthreads] = thread;
  return f->nthreads++;
}

void fx_table(struct fx *f, uint64_t thread, size_t first, size_t n,
              const struct ms_table_slot *slots) {
  f->header_done = 1;
  size_t at = open_chunk(f, MS_CHUNK_TABLE, (uint32_t)thread,
                         first * sizeof(struct ms_table_slot),
                         MS_CHUNK_ALIGN + n * sizeof(struct ms_table_slot));
  memcpy(f->buf.data + at + MS_CHUNK_ALIGN, slots, n * sizeof *slots);
}

uint32_t fx_slot(struct fx *f, uint64_t site) {
  if (site == 0)
    return 0;
  for (uint32_t i = 0; i < f->nslots; i++)
    if (f->slot_ids[i] == site)
      return i + 2;
  fx_check(f->nslots < FX_MAX_SLOTS, "more than FX_MAX_SLOTS sites");
  f->slot_ids[f->nslots] = site;
  return 2 + f->nslots++;
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
  msgpack_pack_uint32(&f->pk, 0);
  msgpack_pack_uint32(&f->pk, fx_slot(f, id));
  f->slot_named[fx_slot(f, id) - 2] = 1;
}

void fx_site_flags(struct fx *f, uint64_t id, uint32_t api, size_t nframes,
                   const struct fx_frame *frames, uint32_t flags) {
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
  msgpack_pack_uint32(&f->pk, flags);
  msgpack_pack_uint32(&f->pk, fx_slot(f, id));
  f->slot_named[fx_slot(f, id) - 2] = 1;
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

/* An EVENTS record is an EVENTS chunk of the thread, its header naming the tid. */
void fx_events(struct fx *f, uint64_t thread, uint64_t tid, size_t n) {
  fx_check(f->events_left == 0, "previous EVENTS record is missing events");
  f->header_done = 1;
  if (!is_last(f, f->records_at) ||
      chunk_at(f, f->records_at)->size - sizeof(struct ms_chunk_header) -
              chunk_at(f, f->records_at)->used < 1024)
    f->records_at = open_chunk(f, MS_CHUNK_RECORDS, 0, f->records_seq++, 0);
  f->sites_at = f->records_at;
  size_t t = thread_pos(f, thread);
  size_t at = open_chunk(f, MS_CHUNK_EVENTS, (uint32_t)thread, f->thread_chunks[t]++, 0);
  chunk_at(f, at)->os_tid = (uint32_t)tid;
  mark_at(f, at);
  f->events_at = at;
  f->events_thread = thread;
  f->events_record = 0;
  memset(f->codec, 0, sizeof f->codec);
  f->events_left = n;
}

/* The msgpack EVENTS record (leaks mode's): [MS_REC_EVENTS, thread, tid, events]. */
void fx_events_record(struct fx *f, uint64_t thread, uint64_t tid, size_t n) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, MS_EVENTS_LEN);
  msgpack_pack_uint64(&f->pk, MS_REC_EVENTS);
  msgpack_pack_uint64(&f->pk, thread);
  msgpack_pack_uint64(&f->pk, tid);
  msgpack_pack_array(&f->pk, n);
  f->events_left = n;
  f->events_record = 1;
}

/* An event of an EVENTS record: [kind, site, size, ptr, ts] and len - 5 more elements. */
static void event_head(struct fx *f, size_t len, uint64_t kind, uint64_t site, uint64_t size,
                       uint64_t ptr, uint64_t ts) {
  msgpack_pack_array(&f->pk, len);
  msgpack_pack_uint64(&f->pk, kind);
  msgpack_pack_uint64(&f->pk, site);
  msgpack_pack_uint64(&f->pk, size);
  msgpack_pack_uint64(&f->pk, ptr);
  msgpack_pack_uint64(&f->pk, ts);
}

/* The same event in the record's msgpack form (format.h's MS_EV_* positions). */
static void record_event(struct fx *f, const struct ms_codec_event *e, uint64_t site,
                         size_t nstack, const uint64_t *stack) {
  uint64_t kind = e->op == MS_ITEM_FREE ? MS_EV_FREE : e->op == MS_ITEM_REALLOC ? MS_EV_REALLOC
                                                                                 : MS_EV_ALLOC;
  if (e->op == MS_ITEM_ALLOC || e->op == MS_ITEM_FREE) {
    event_head(f, MS_EV_LEN, kind, site, e->size, e->ptr, e->ts);
  } else if (e->op == MS_ITEM_REALLOC) {
    event_head(f, MS_EV_REALLOC_LEN, kind, site, e->size, e->ptr, e->ts);
    msgpack_pack_uint64(&f->pk, e->old_ptr);
    msgpack_pack_uint64(&f->pk, e->begin_ns);
  } else {
    event_head(f, stack ? MS_EV_SAMPLED_STACK_LEN : MS_EV_SAMPLED_PHASE_LEN, kind, site, e->size,
               e->ptr, e->ts);
    msgpack_pack_double(&f->pk, e->weight);
    msgpack_pack_uint64(&f->pk, e->align);
    msgpack_pack_uint64(&f->pk, e->phase);
    if (stack) {
      msgpack_pack_array(&f->pk, nstack);
      for (size_t i = 0; i < nstack; i++)
        msgpack_pack_uint64(&f->pk, stack[i]);
    }
  }
}

size_t fx_event_bytes(struct fx *f, const void *p, size_t len) {
  fx_check(f->events_left > 0, "more events than announced");
  f->events_left--;
  if (f->events_record) {
    size_t at = f->records_at + sizeof(struct ms_chunk_header) + chunk_at(f, f->records_at)->used;
    f->pk.callback(f->pk.data, p, len);
    return at;
  }
  size_t at = f->events_at + sizeof(struct ms_chunk_header) + chunk_at(f, f->events_at)->used;
  chunk_append(f, f->events_at, p, len);
  return at;
}

void fx_record_bytes(struct fx *f, const void *p, size_t len) {
  f->pk.callback(f->pk.data, p, len);
}

static void item(struct fx *f, struct ms_codec_event *e) {
  fx_check(f->events_left > 0, "more events than announced");
  f->events_left--;
  uint8_t buf[MS_ITEM_EVENT_MAX];
  struct ms_codec_state st;
  memcpy(&st, f->codec, sizeof st);
  size_t len = (size_t)(ms_encode_event(buf, &st, e) - buf);
  memcpy(f->codec, &st, sizeof st);
  chunk_append(f, f->events_at, buf, len);
}

/* A SITE record for a site no fx_site named, in the room kept before the EVENTS chunk. */
static uint32_t event_slot(struct fx *f, uint64_t site) {
  uint32_t slot = fx_slot(f, site);
  if (slot == 0 || f->slot_named[slot - 2])
    return slot;
  f->slot_named[slot - 2] = 1;
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, MS_SITE_LEN);
  msgpack_pack_uint64(&pk, MS_REC_SITE);
  msgpack_pack_uint64(&pk, site);
  msgpack_pack_uint32(&pk, 0);
  msgpack_pack_array(&pk, 0);
  msgpack_pack_uint32(&pk, 0);
  msgpack_pack_uint32(&pk, slot);
  struct ms_chunk_header *h = chunk_at(f, f->sites_at);
  fx_check(sizeof *h + h->used + sb.size <= h->size, "fixture: too many unnamed sites");
  memcpy(f->buf.data + f->sites_at + sizeof *h + h->used, sb.data, sb.size);
  h->used += (uint32_t)sb.size;
  msgpack_sbuffer_destroy(&sb);
  return slot;
}

/* One event: an item of the open EVENTS chunk (its stack first, as a STACK item of its
 * own with a new id), or an element of the open EVENTS record. */
static void emit(struct fx *f, struct ms_codec_event *e, uint64_t site, size_t nstack,
                 const uint64_t *stack) {
  if (f->events_record) {
    fx_check(f->events_left > 0, "more events than announced");
    f->events_left--;
    record_event(f, e, site, nstack, stack);
    return;
  }
  e->slot = event_slot(f, site);
  fx_check(nstack <= MS_ITEM_STACK_MAX, "stack too deep");
  if (nstack) { /* an empty stack is no stack in the compact encoding */
    size_t t = thread_pos(f, f->events_thread);
    e->stack = ++f->thread_stacks[t];
    uint8_t buf[MS_ITEM_STACK_BYTES(MS_ITEM_STACK_MAX)];
    size_t len = (size_t)(ms_encode_stack(buf, e->stack, stack, (uint32_t)nstack) - buf);
    chunk_append(f, f->events_at, buf, len);
  }
  item(f, e);
}

void fx_alloc(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts) {
  struct ms_codec_event e = {.op = MS_ITEM_ALLOC, .size = size, .ptr = ptr, .ts = ts,
                             .weight = 1.0};
  emit(f, &e, site, 0, NULL);
}

static void sample(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts,
                   double weight, uint64_t alignment, uint32_t phase, size_t nstack,
                   const uint64_t *stack) {
  struct ms_codec_event e = {.op = MS_ITEM_SAMPLE, .size = size, .ptr = ptr, .ts = ts,
                             .weight = weight, .align = alignment, .phase = phase};
  emit(f, &e, site, nstack, stack);
}

void fx_sampled(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts,
                double weight, uint64_t alignment) {
  sample(f, site, size, ptr, ts, weight, alignment, 0, 0, NULL);
}

void fx_sampled_phase(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts,
                      double weight, uint64_t alignment, uint32_t phase) {
  sample(f, site, size, ptr, ts, weight, alignment, phase, 0, NULL);
}

void fx_sampled_stack(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts,
                      double weight, uint32_t phase, size_t nstack, const uint64_t *stack) {
  sample(f, site, size, ptr, ts, weight, 0, phase, nstack, stack);
}

void fx_free(struct fx *f, uint64_t site, uint64_t ptr, uint64_t ts) {
  struct ms_codec_event e = {.op = MS_ITEM_FREE, .ptr = ptr, .ts = ts, .weight = 1.0};
  emit(f, &e, site, 0, NULL);
}

void fx_realloc(struct fx *f, uint64_t site, uint64_t size, uint64_t ptr, uint64_t ts,
                uint64_t old_ptr, uint64_t begin_ns) {
  struct ms_codec_event e = {.op = MS_ITEM_REALLOC, .size = size, .ptr = ptr, .ts = ts,
                             .old_ptr = old_ptr, .begin_ns = begin_ns, .weight = 1.0};
  emit(f, &e, site, 0, NULL);
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

void fx_base(struct fx *f, uint64_t thread, size_t n, const uint32_t *slots,
             const uint64_t *calls, const uint64_t *bytes) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, MS_BASE_LEN);
  msgpack_pack_uint64(&f->pk, MS_REC_BASE);
  msgpack_pack_uint64(&f->pk, thread);
  msgpack_pack_array(&f->pk, n);
  for (size_t i = 0; i < n; i++) {
    msgpack_pack_array(&f->pk, MS_COUNTER_LEN);
    msgpack_pack_uint64(&f->pk, slots[i]);
    msgpack_pack_uint64(&f->pk, calls[i]);
    msgpack_pack_uint64(&f->pk, bytes[i]);
    msgpack_pack_uint64(&f->pk, 0);
    msgpack_pack_uint64(&f->pk, 0);
  }
}
