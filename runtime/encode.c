/* msgpack encoding of the records defined in include/memscope/format.h.
 * msgpack-c's packer is header-only inline code; its sink here is an ms_wbuf, so
 * encoding never allocates through malloc. */
#include <string.h>

#include <msgpack/pack.h>

#include "internal.h"

static int wbuf_sink(void *data, const char *buf, size_t len) {
  return ms_wbuf_append(data, buf, len);
}

static void packer_for(msgpack_packer *pk, struct ms_wbuf *b) {
  msgpack_packer_init(pk, b, wbuf_sink);
}

static void pack_cstr(msgpack_packer *pk, const char *s) {
  if (!s) {
    msgpack_pack_nil(pk);
    return;
  }
  size_t n = strlen(s);
  msgpack_pack_str(pk, n);
  msgpack_pack_str_body(pk, s, n);
}

/* A stack's frames: packed into a buffer on the stack, appended to b at once.  The
 * sink is a plain copy the compiler inlines into msgpack-c's packing, where appending
 * each frame to b cost ~90 instructions (a quarter of a sample's cost in full mode). */
struct frames_sink {
  size_t len;
  char buf[9 * MS_STACK_MAX]; /* 9 bytes: msgpack's largest unsigned integer */
};

static int frames_sink_put(void *data, const char *buf, size_t len) {
  struct frames_sink *s = data;
  memcpy(s->buf + s->len, buf, len);
  s->len += len;
  return 0;
}

static void pack_frames(msgpack_packer *pk, struct ms_wbuf *b, const uint64_t *frames,
                        uint32_t n) {
  if (n > MS_STACK_MAX) n = MS_STACK_MAX; /* (never: a stack is at most that deep) */
  msgpack_pack_array(pk, n);
  struct frames_sink sink;
  sink.len = 0;
  msgpack_packer fp;
  msgpack_packer_init(&fp, &sink, frames_sink_put);
  for (uint32_t f = 0; f < n; f++) msgpack_pack_uint64(&fp, frames[f]);
  ms_wbuf_append(b, sink.buf, sink.len);
}

static void pack_kv_str(msgpack_packer *pk, const char *key, const char *value) {
  pack_cstr(pk, key);
  pack_cstr(pk, value);
}

static void pack_kv_u64(msgpack_packer *pk, const char *key, uint64_t value) {
  pack_cstr(pk, key);
  msgpack_pack_uint64(pk, value);
}

void ms_encode_header(struct ms_wbuf *b, const struct ms_process_meta *meta) {
  msgpack_packer pk;
  packer_for(&pk, b);
  msgpack_pack_array(&pk, 3);
  pack_cstr(&pk, MS_FORMAT_MAGIC);
  msgpack_pack_uint32(&pk, MS_FORMAT_VERSION);
  msgpack_pack_map(&pk, 11);
  pack_kv_str(&pk, MS_META_PROGRAM, meta->program);
  pack_kv_u64(&pk, MS_META_PID, meta->pid);
  pack_kv_u64(&pk, MS_META_PPID, meta->ppid);
  pack_kv_str(&pk, MS_META_MODE, meta->mode);
  pack_kv_str(&pk, MS_META_SAMPLER, meta->sampler);
  pack_kv_u64(&pk, MS_META_SAMPLE_INTERVAL, meta->sample_interval);
  pack_kv_u64(&pk, MS_META_START_NS, meta->start_ns);
  pack_kv_u64(&pk, MS_META_START_UNIX_NS, meta->start_unix_ns);
  pack_kv_str(&pk, MS_META_RUNTIME_VERSION, meta->runtime_version);
  pack_cstr(&pk, MS_META_COMMAND_LINE);
  msgpack_pack_array(&pk, meta->nargs);
  for (uint32_t i = 0; i < meta->nargs; i++) pack_cstr(&pk, meta->args[i]);
  pack_cstr(&pk, MS_META_COMMAND_LINE_TRUNCATED);
  if (meta->args_truncated)
    msgpack_pack_true(&pk);
  else
    msgpack_pack_false(&pk);
}

void ms_encode_site(struct ms_wbuf *b, const struct __memscope_site *site) {
  msgpack_packer pk;
  packer_for(&pk, b);
  msgpack_pack_array(&pk, MS_SITE_LEN);
  msgpack_pack_uint32(&pk, MS_REC_SITE);
  msgpack_pack_uint64(&pk, site->id);
  msgpack_pack_uint32(&pk, site->api);
  msgpack_pack_array(&pk, site->nframes);
  for (uint32_t i = 0; i < site->nframes; i++) {
    const struct __memscope_frame *f = &site->frames[i];
    msgpack_pack_array(&pk, MS_FRAME_LEN);
    pack_cstr(&pk, f->function);
    pack_cstr(&pk, f->file);
    msgpack_pack_uint32(&pk, f->line);
    msgpack_pack_uint32(&pk, f->column);
  }
  msgpack_pack_uint32(&pk, site->flags);
  /* its slot in tables and EVENTS chunks (index is its byte offset); 0 (unknown) past
   * the table's end */
  msgpack_pack_uint32(&pk, site->index / (uint32_t)sizeof(struct ms_site_counter));
}

void ms_encode_thread(struct ms_wbuf *b, uint32_t index, int32_t os_tid, const char *name,
                      uint64_t start_ns, uint64_t end_ns, uint64_t dropped) {
  msgpack_packer pk;
  packer_for(&pk, b);
  msgpack_pack_array(&pk, dropped ? MS_THREAD_DROPPED_LEN : MS_THREAD_LEN);
  msgpack_pack_uint32(&pk, MS_REC_THREAD);
  msgpack_pack_uint32(&pk, index);
  msgpack_pack_int32(&pk, os_tid);
  pack_cstr(&pk, name && name[0] ? name : NULL);
  msgpack_pack_uint64(&pk, start_ns);
  msgpack_pack_uint64(&pk, end_ns);
  if (dropped) msgpack_pack_uint64(&pk, dropped);
}

void ms_encode_events(struct ms_wbuf *b, uint32_t index, int32_t os_tid,
                      const struct ms_event *events, uint32_t n, const uint64_t *stacks) {
  msgpack_packer pk;
  packer_for(&pk, b);
  msgpack_pack_array(&pk, MS_EVENTS_LEN);
  msgpack_pack_uint32(&pk, MS_REC_EVENTS);
  msgpack_pack_uint32(&pk, index);
  msgpack_pack_int32(&pk, os_tid);
  msgpack_pack_array(&pk, n);
  for (uint32_t i = 0; i < n; i++) {
    const struct ms_event *e = &events[i];
    int is_realloc = e->kind == MS_EV_REALLOC;
    /* A sample's weight and alignment are written only when they say something. */
    int has_stack = e->kind == MS_EV_ALLOC && e->nstack && stacks;
    int is_sample = e->kind == MS_EV_ALLOC &&
                    ((e->weight != 0.0 && e->weight != 1.0) || e->align != 0 || e->phase != 0 ||
                     has_stack);
    msgpack_pack_array(&pk, is_realloc  ? MS_EV_REALLOC_LEN
                            : has_stack ? MS_EV_SAMPLED_STACK_LEN
                            : is_sample ? (e->phase ? MS_EV_SAMPLED_PHASE_LEN : MS_EV_SAMPLED_LEN)
                                        : MS_EV_LEN);
    msgpack_pack_uint32(&pk, e->kind);
    msgpack_pack_uint64(&pk, e->site_id);
    msgpack_pack_uint64(&pk, e->size);
    msgpack_pack_uint64(&pk, e->ptr);
    msgpack_pack_uint64(&pk, e->ts);
    if (is_realloc) {
      msgpack_pack_uint64(&pk, e->old_ptr);
      msgpack_pack_uint64(&pk, e->ts - e->begin_delta);
    }
    if (is_sample) {
      msgpack_pack_double(&pk, e->weight == 0.0 ? 1.0 : e->weight);
      msgpack_pack_uint64(&pk, e->align);
      if (e->phase || has_stack) msgpack_pack_uint32(&pk, e->phase);
    }
    if (has_stack) {
      pack_frames(&pk, b, &stacks[e->stack_at], e->nstack);
    }
  }
}

void ms_encode_phase(struct ms_wbuf *b, uint32_t id, const char *label, uint64_t ts) {
  msgpack_packer pk;
  packer_for(&pk, b);
  msgpack_pack_array(&pk, MS_PHASE_LEN);
  msgpack_pack_uint32(&pk, MS_REC_PHASE);
  msgpack_pack_uint32(&pk, id);
  pack_cstr(&pk, label);
  msgpack_pack_uint64(&pk, ts);
}

void ms_encode_resource(struct ms_wbuf *b, const struct ms_resource_sample *s) {
  msgpack_packer pk;
  packer_for(&pk, b);
  msgpack_pack_array(&pk, MS_RES_LEN);
  msgpack_pack_uint32(&pk, MS_REC_RESOURCE);
  msgpack_pack_uint64(&pk, s->ts);
  msgpack_pack_array(&pk, MS_RES_PROCESS_OWN_LEN);
  for (int i = 0; i < MS_RES_PROCESS_OWN_LEN; i++) msgpack_pack_uint64(&pk, s->process[i]);
  msgpack_pack_array(&pk, s->nthreads);
  for (uint32_t i = 0; i < s->nthreads; i++) {
    msgpack_pack_array(&pk, MS_RES_THREAD_LEN);
    msgpack_pack_int32(&pk, s->threads[i].tid);
    msgpack_pack_uint64(&pk, s->threads[i].user_ns);
    msgpack_pack_uint64(&pk, s->threads[i].system_ns);
  }
}

void ms_encode_module(struct ms_wbuf *b, const char *path, uint64_t base, const char *build_id,
                      uint64_t ts) {
  msgpack_packer pk;
  packer_for(&pk, b);
  msgpack_pack_array(&pk, MS_MODULE_LEN);
  msgpack_pack_uint32(&pk, MS_REC_MODULE);
  pack_cstr(&pk, path);
  msgpack_pack_uint64(&pk, base);
  pack_cstr(&pk, build_id);
  msgpack_pack_uint64(&pk, ts);
}

void ms_encode_counters(struct ms_wbuf *b, uint32_t index, int32_t os_tid, uint32_t seq,
                        const struct ms_site_counter *counters, uint32_t nslots) {
  uint32_t used = 0;
  for (uint32_t i = 0; i < nslots; i++) used += counters[i].calls != 0 && i != MS_SLOT_RELEASES;
  msgpack_packer pk;
  packer_for(&pk, b);
  msgpack_pack_array(&pk, MS_COUNTERS_RELEASES_LEN);
  msgpack_pack_uint32(&pk, MS_REC_COUNTERS);
  msgpack_pack_uint32(&pk, index);
  msgpack_pack_int32(&pk, os_tid);
  msgpack_pack_uint32(&pk, seq);
  msgpack_pack_array(&pk, used);
  for (uint32_t i = 0; i < nslots && used; i++) {
    const struct ms_site_counter *c = &counters[i];
    if (!c->calls || i == MS_SLOT_RELEASES) continue;
    used--;
    msgpack_pack_array(&pk, MS_COUNTER_LEN);
    msgpack_pack_uint64(&pk, ms_sites_id_of_index(i));
    msgpack_pack_uint64(&pk, c->calls);
    msgpack_pack_uint64(&pk, c->bytes);
    msgpack_pack_uint64(&pk, c->lo);
    msgpack_pack_uint64(&pk, c->lo + c->span);
  }
  /* Written even when 0: a reader tells "none" from "not counted" (an older runtime). */
  msgpack_pack_uint64(&pk, nslots > MS_SLOT_RELEASES ? counters[MS_SLOT_RELEASES].calls : 0);
}

void ms_encode_base(struct ms_wbuf *b, uint32_t index, const struct ms_site_counter *base,
                    uint32_t nslots) {
  uint32_t used = 0;
  for (uint32_t i = 0; i < nslots; i++) used += base[i].calls != 0 || base[i].bytes != 0;
  if (!used) return;
  msgpack_packer pk;
  packer_for(&pk, b);
  msgpack_pack_array(&pk, MS_BASE_LEN);
  msgpack_pack_uint32(&pk, MS_REC_BASE);
  msgpack_pack_uint32(&pk, index);
  msgpack_pack_array(&pk, used);
  for (uint32_t i = 0; i < nslots; i++) {
    if (!base[i].calls && !base[i].bytes) continue;
    msgpack_pack_array(&pk, MS_COUNTER_LEN);
    msgpack_pack_uint32(&pk, i);
    msgpack_pack_uint64(&pk, base[i].calls);
    msgpack_pack_uint64(&pk, base[i].bytes);
    msgpack_pack_uint64(&pk, 0);
    msgpack_pack_uint64(&pk, 0);
  }
}

void ms_encode_end(struct ms_wbuf *b, uint64_t end_ns, const char *reason) {
  msgpack_packer pk;
  packer_for(&pk, b);
  msgpack_pack_array(&pk, MS_END_LEN);
  msgpack_pack_uint32(&pk, MS_REC_END);
  msgpack_pack_uint64(&pk, end_ns);
  pack_cstr(&pk, reason);
}
