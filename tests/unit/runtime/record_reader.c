#include "record_reader.h"

#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memscope/event_codec.h"
#include "memscope/format.h"

#define MS_SLOT_RELEASES_TEST 1u /* thread.c's MS_SLOT_RELEASES (format.h: slot 1) */

void records_from_buffer(struct record_list *out, const char *buf, size_t len) {
  size_t cap = 16, off = 0;
  out->items = calloc(cap, sizeof *out->items);
  out->count = 0;
  out->file_data = NULL;
  for (;;) {
    if (out->count == cap) {
      cap *= 2;
      out->items = realloc(out->items, cap * sizeof *out->items);
    }
    msgpack_unpacked *u = &out->items[out->count];
    msgpack_unpacked_init(u);
    size_t at = off;
    msgpack_unpack_return r = msgpack_unpack_next(u, buf, len, &at);
    if (r != MSGPACK_UNPACK_SUCCESS && r != MSGPACK_UNPACK_EXTRA_BYTES) {
      msgpack_unpacked_destroy(u);
      break;
    }
    off = at;
    out->count++;
  }
  out->trailing_bytes = len - off;
  out->written = out->count;
  out->format = 1;
}

/* ---- format 2: chunks back into a version-1 stream ------------------------------- */

struct chunk_ref {
  uint32_t kind, thread;
  uint64_t seq;
  const uint8_t *content; /* after the header (TABLE: after the header page) */
  size_t len;             /* RECORDS, EVENTS: used; TABLE: data bytes */
};

static int by_thread_seq(const void *a, const void *b) {
  const struct chunk_ref *x = a, *y = b;
  if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
  if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Every chunk of buf, walked by size; a missing header: the next MS_CHUNK_ALIGN. */
static size_t find_chunks(const uint8_t *buf, size_t len, struct chunk_ref **out,
                          struct record_list *l) {
  size_t n = 0, cap = 64;
  *out = calloc(cap, sizeof **out);
  for (size_t off = MS_HEADER_REGION; off + sizeof(struct ms_chunk_header) <= len;) {
    struct ms_chunk_header h;
    memcpy(&h, buf + off, sizeof h);
    if (h.magic != MS_CHUNK_MAGIC || h.size < MS_CHUNK_ALIGN || h.size % MS_CHUNK_ALIGN) {
      off += MS_CHUNK_ALIGN;
      continue;
    }
    size_t size = off + h.size <= len ? h.size : len - off;
    if (n == cap) *out = realloc(*out, (cap *= 2) * sizeof **out);
    struct chunk_ref *c = &(*out)[n];
    *c = (struct chunk_ref){.kind = h.kind, .thread = h.thread, .seq = h.seq};
    if (h.kind == MS_CHUNK_TABLE) {
      c->content = buf + off + MS_CHUNK_ALIGN;
      c->len = size - MS_CHUNK_ALIGN;
    } else {
      c->content = buf + off + sizeof h;
      c->len = h.used <= size - sizeof h ? h.used : size - sizeof h;
    }
    if (h.kind < 4) l->chunks[h.kind]++;
    if (h.kind == MS_CHUNK_EVENTS) l->event_bytes += c->len;
    n++;
    off += h.size;
  }
  qsort(*out, n, sizeof **out, by_thread_seq);
  return n;
}

struct slot_ids {
  uint64_t *id; /* by slot */
  size_t n;
};

static uint64_t id_of_slot(const struct slot_ids *s, uint64_t slot) {
  return slot < s->n ? s->id[slot] : 0;
}

struct stack_table {
  uint64_t **frames; /* by id */
  uint32_t *n;
  size_t cap;
};

static void pack_event(msgpack_packer *pk, const struct ms_codec_event *e,
                       const struct slot_ids *ids, const struct stack_table *st) {
  uint64_t site = id_of_slot(ids, e->slot);
  const uint64_t *frames = NULL;
  uint32_t nf = 0;
  if (e->stack && e->stack < st->cap && st->frames[e->stack]) {
    frames = st->frames[e->stack];
    nf = st->n[e->stack];
  }
  int sample = e->op == MS_ITEM_SAMPLE || frames;
  uint32_t kind = e->op == MS_ITEM_FREE      ? MS_EV_FREE
                  : e->op == MS_ITEM_REALLOC ? MS_EV_REALLOC
                                             : MS_EV_ALLOC;
  msgpack_pack_array(pk, kind == MS_EV_REALLOC ? MS_EV_REALLOC_LEN
                         : frames              ? MS_EV_SAMPLED_STACK_LEN
                         : sample              ? MS_EV_SAMPLED_PHASE_LEN
                                               : MS_EV_LEN);
  msgpack_pack_uint32(pk, kind);
  msgpack_pack_uint64(pk, site);
  msgpack_pack_uint64(pk, e->size);
  msgpack_pack_uint64(pk, e->ptr);
  msgpack_pack_uint64(pk, e->ts);
  if (kind == MS_EV_REALLOC) {
    msgpack_pack_uint64(pk, e->old_ptr);
    msgpack_pack_uint64(pk, e->begin_ns);
  } else if (sample) {
    msgpack_pack_double(pk, e->weight);
    msgpack_pack_uint64(pk, e->align);
    msgpack_pack_uint64(pk, e->phase);
    if (frames) {
      msgpack_pack_array(pk, nf);
      for (uint32_t i = 0; i < nf; i++) msgpack_pack_uint64(pk, frames[i]);
    }
  }
}

/* One EVENTS chunk as an EVENTS record; stacks it defines go into st. */
static void pack_events_chunk(msgpack_packer *pk, const struct chunk_ref *c,
                              const struct slot_ids *ids, struct stack_table *st) {
  /* first pass: count the events (and define the stacks) */
  static uint64_t frames[MS_ITEM_STACK_MAX];
  struct ms_codec_state s = {0};
  struct ms_codec_event e;
  uint64_t sid;
  uint32_t nf, count = 0;
  const uint8_t *p = c->content, *end = c->content + c->len;
  for (int r; (r = ms_decode_item(&p, end, &s, &e, &sid, frames, &nf)) != MS_DECODED_END;) {
    if (r == MS_DECODED_BAD)
      ck_assert_msg(0, "a bad item in thread %u's EVENTS chunk %llu", c->thread,
                    (unsigned long long)c->seq);
    if (r == MS_DECODED_EVENT) {
      count++;
      continue;
    }
    if (sid >= st->cap) {
      size_t cap = (sid + 1) * 2;
      st->frames = realloc(st->frames, cap * sizeof *st->frames);
      st->n = realloc(st->n, cap * sizeof *st->n);
      memset(st->frames + st->cap, 0, (cap - st->cap) * sizeof *st->frames);
      st->cap = cap;
    }
    free(st->frames[sid]);
    st->frames[sid] = malloc((nf + 1) * sizeof *frames);
    memcpy(st->frames[sid], frames, nf * sizeof *frames);
    st->n[sid] = nf;
  }
  msgpack_pack_array(pk, MS_EVENTS_LEN);
  msgpack_pack_uint32(pk, MS_REC_EVENTS);
  msgpack_pack_uint32(pk, c->thread);
  msgpack_pack_int32(pk, 0);
  msgpack_pack_array(pk, count);
  memset(&s, 0, sizeof s);
  p = c->content;
  for (int r; (r = ms_decode_item(&p, end, &s, &e, &sid, frames, &nf)) != MS_DECODED_END;)
    if (r == MS_DECODED_EVENT) pack_event(pk, &e, ids, st);
}

/* A thread's table (its TABLE chunks) minus its BASE, as a COUNTERS record. */
static void pack_table(msgpack_packer *pk, uint32_t thread, const struct chunk_ref *c, size_t n,
                       const msgpack_object *base, const struct slot_ids *ids) {
  size_t bytes = 0;
  for (size_t i = 0; i < n; i++)
    if (c[i].seq + c[i].len > bytes) bytes = c[i].seq + c[i].len;
  struct ms_table_slot *t = calloc(1, bytes + sizeof *t);
  for (size_t i = 0; i < n; i++) memcpy((char *)t + c[i].seq, c[i].content, c[i].len);
  size_t slots = bytes / sizeof *t;
  if (base) {
    const msgpack_object *e = rec_field(base, MS_BASE_ENTRIES);
    for (uint32_t k = 0; k < e->via.array.size; k++) {
      uint64_t slot = rec_u64(&e->via.array.ptr[k], MS_COUNTER_SITE);
      ck_assert_uint_lt(slot, slots);
      t[slot].calls -= rec_u64(&e->via.array.ptr[k], MS_COUNTER_CALLS);
      t[slot].bytes -= rec_u64(&e->via.array.ptr[k], MS_COUNTER_BYTES);
    }
  }
  uint32_t used = 0;
  for (size_t i = 0; i < slots; i++) used += t[i].calls && i != MS_SLOT_RELEASES_TEST;
  msgpack_pack_array(pk, MS_COUNTERS_RELEASES_LEN);
  msgpack_pack_uint32(pk, MS_REC_COUNTERS);
  msgpack_pack_uint32(pk, thread);
  msgpack_pack_int32(pk, 0);
  msgpack_pack_uint32(pk, 0);
  msgpack_pack_array(pk, used);
  for (size_t i = 0; i < slots; i++) {
    if (!t[i].calls || i == MS_SLOT_RELEASES_TEST) continue;
    uint64_t lo = t[i].lo == UINT64_MAX ? 0 : t[i].lo, span = t[i].lo == UINT64_MAX ? 0 : t[i].span;
    msgpack_pack_array(pk, MS_COUNTER_LEN);
    msgpack_pack_uint64(pk, id_of_slot(ids, i));
    msgpack_pack_uint64(pk, t[i].calls);
    msgpack_pack_uint64(pk, t[i].bytes);
    msgpack_pack_uint64(pk, lo);
    msgpack_pack_uint64(pk, lo + span);
  }
  msgpack_pack_uint64(pk, slots > MS_SLOT_RELEASES_TEST ? t[MS_SLOT_RELEASES_TEST].calls : 0);
  free(t);
}

static void records_from_v2(struct record_list *out, const uint8_t *buf, size_t len) {
  memset(&out->status, 0, sizeof out->status);
  memcpy(&out->status, buf + MS_STATUS_OFFSET, sizeof out->status);
  memset(out->chunks, 0, sizeof out->chunks);
  out->event_bytes = 0;
  /* the header object, then the RECORDS stream */
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  size_t hlen = 0;
  ck_assert_int_gt(msgpack_unpack_next(&u, (const char *)buf, MS_STATUS_OFFSET, &hlen), 0);
  msgpack_unpacked_destroy(&u);
  struct chunk_ref *c;
  size_t n = find_chunks(buf, len, &c, out);
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  msgpack_sbuffer_write(&sb, (const char *)buf, hlen);
  for (size_t i = 0; i < n; i++)
    if (c[i].kind == MS_CHUNK_RECORDS) msgpack_sbuffer_write(&sb, (const char *)c[i].content, c[i].len);
  struct record_list written;
  records_from_buffer(&written, sb.data, sb.size);
  ck_assert_uint_eq(written.trailing_bytes, 0);
  /* what the records say: slots, threads with COUNTERS, bases */
  struct slot_ids ids = {0};
  uint8_t has_counters[4096] = {0};
  const msgpack_object *base[4096] = {0};
  for (size_t i = 1; i < written.count; i++) {
    const msgpack_object *r = &written.items[i].data;
    uint64_t type = rec_type(&written.items[i]);
    if (type == MS_REC_SITE) {
      uint64_t slot = rec_u64(r, MS_SITE_SLOT);
      if (slot >= ids.n) {
        size_t cap = (slot + 1) * 2;
        ids.id = realloc(ids.id, cap * sizeof *ids.id);
        memset(ids.id + ids.n, 0, (cap - ids.n) * sizeof *ids.id);
        ids.n = cap;
      }
      ids.id[slot] = rec_u64(r, MS_SITE_ID);
    } else if (type == MS_REC_COUNTERS) {
      uint64_t t = rec_u64(r, MS_COUNTERS_THREAD);
      ck_assert_uint_lt(t, 4096);
      has_counters[t] = 1;
    } else if (type == MS_REC_BASE) {
      uint64_t t = rec_u64(r, MS_BASE_THREAD);
      ck_assert_uint_lt(t, 4096);
      base[t] = r;
    }
  }
  /* derived records: events per chunk, tables of threads without COUNTERS */
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  struct stack_table st = {0};
  uint32_t stack_thread = 0;
  for (size_t i = 0; i < n; i++) {
    if (c[i].kind != MS_CHUNK_EVENTS) continue;
    if (c[i].thread != stack_thread) { /* stack ids are the thread's */
      for (size_t k = 0; k < st.cap; k++) free(st.frames[k]);
      if (st.cap) memset(st.frames, 0, st.cap * sizeof *st.frames);
      stack_thread = c[i].thread;
    }
    pack_events_chunk(&pk, &c[i], &ids, &st);
  }
  for (size_t i = 0; i < n;) {
    size_t k = i;
    while (k < n && c[k].kind == c[i].kind && c[k].thread == c[i].thread) k++;
    if (c[i].kind == MS_CHUNK_TABLE && !(c[i].thread < 4096 && has_counters[c[i].thread]))
      pack_table(&pk, c[i].thread, &c[i], k - i, c[i].thread < 4096 ? base[c[i].thread] : NULL,
                 &ids);
    i = k;
  }
  for (size_t k = 0; k < st.cap; k++) free(st.frames[k]);
  free(st.frames);
  free(st.n);
  free(ids.id);
  size_t nwritten = written.count;
  records_free(&written);
  free(c);
  records_from_buffer(out, sb.data, sb.size);
  out->written = nwritten;
  out->format = 2;
  out->file_data = sb.data; /* (the sbuffer's malloc'ed data: strings point into it) */
}

void records_from_file(struct record_list *out, const char *path) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)len + 1);
  ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  uint32_t magic = 0;
  if ((size_t)len >= MS_HEADER_REGION) memcpy(&magic, buf + MS_STATUS_OFFSET, sizeof magic);
  if (magic == MS_STATUS_MAGIC) {
    records_from_v2(out, (const uint8_t *)buf, (size_t)len);
    free(buf);
    return;
  }
  records_from_buffer(out, buf, (size_t)len);
  out->file_data = buf;
}

void records_free(struct record_list *list) {
  for (size_t i = 0; i < list->count; i++) msgpack_unpacked_destroy(&list->items[i]);
  free(list->items);
  free(list->file_data);
  list->file_data = NULL;
  list->items = NULL;
  list->count = 0;
}

const msgpack_object *rec_field(const msgpack_object *array, uint32_t i) {
  /* (Check's asserts record their place with a write(2) even when they pass: tested
   * first, since large files read millions of fields) */
  if (array->type != MSGPACK_OBJECT_ARRAY || array->via.array.size <= i) {
    ck_assert_int_eq(array->type, MSGPACK_OBJECT_ARRAY);
    ck_assert_uint_gt(array->via.array.size, i);
  }
  return &array->via.array.ptr[i];
}

uint64_t rec_u64(const msgpack_object *array, uint32_t i) {
  const msgpack_object *o = rec_field(array, i);
  if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    ck_assert_int_eq(o->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
  return o->via.u64;
}

int64_t rec_i64(const msgpack_object *array, uint32_t i) {
  const msgpack_object *o = rec_field(array, i);
  if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) return (int64_t)o->via.u64;
  ck_assert_int_eq(o->type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
  return o->via.i64;
}

const char *rec_str(const msgpack_object *array, uint32_t i, char *buf, size_t cap) {
  const msgpack_object *o = rec_field(array, i);
  buf[0] = 0;
  if (o->type == MSGPACK_OBJECT_NIL) return buf;
  ck_assert_int_eq(o->type, MSGPACK_OBJECT_STR);
  size_t n = o->via.str.size < cap - 1 ? o->via.str.size : cap - 1;
  memcpy(buf, o->via.str.ptr, n);
  buf[n] = 0;
  return buf;
}

uint64_t rec_type(const msgpack_unpacked *u) { return rec_u64(&u->data, 0); }

void make_temp_dir(char *dir, size_t cap) {
  snprintf(dir, cap, "/tmp/memscope-unit-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

void output_path_session(char *path, size_t cap, const char *dir, const char *program,
                         long pid, unsigned session) {
  /* memscope.<program>.<pid>.<8 hex>[.<session>].msgpack (format.h): the unique part
   * is random, so the file is found by listing the directory. */
  char prefix[256], suffix[64];
  snprintf(prefix, sizeof prefix, MS_FILE_PREFIX "%s.%ld.", program, pid);
  if (session < 2)
    snprintf(suffix, sizeof suffix, "%s", MS_FILE_SUFFIX);
  else
    snprintf(suffix, sizeof suffix, ".%u" MS_FILE_SUFFIX, session);
  snprintf(path, cap, "%s/(no file %s*%s)", dir, prefix, suffix);
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  for (struct dirent *e; (e = readdir(d));) {
    size_t n = strlen(e->d_name), np = strlen(prefix), ns = strlen(suffix);
    if (n != np + 8 + ns || strncmp(e->d_name, prefix, np) != 0 ||
        strcmp(e->d_name + np + 8, suffix) != 0)
      continue;
    int hex = 1;
    for (size_t i = np; i < np + 8; i++) hex &= isxdigit((unsigned char)e->d_name[i]) != 0;
    if (hex) snprintf(path, cap, "%s/%s", dir, e->d_name);
  }
  closedir(d);
}

void output_path(char *path, size_t cap, const char *dir, const char *program, long pid) {
  output_path_session(path, cap, dir, program, pid, 1);
}

uint64_t thread_dropped(const struct record_list *l, long os_tid) {
  for (size_t i = 1; i < l->written; i++) {
    const msgpack_object *a = &l->items[i].data;
    if (rec_type(&l->items[i]) != MS_REC_THREAD || rec_u64(a, MS_THREAD_OS_TID) != (uint64_t)os_tid)
      continue;
    return a->via.array.size >= MS_THREAD_DROPPED_LEN ? rec_u64(a, MS_THREAD_DROPPED) : 0;
  }
  ck_abort_msg("no THREAD record for tid %ld", os_tid);
  return 0;
}

void site_totals(const struct record_list *l, uint64_t id, uint64_t *calls, uint64_t *bytes) {
  enum { MAX_THREADS = 256 };
  uint64_t best_seq[MAX_THREADS] = {0};
  const msgpack_object *latest[MAX_THREADS] = {0};
  for (size_t i = 1; i < l->count; i++) {
    if (rec_type(&l->items[i]) != MS_REC_COUNTERS) continue;
    const msgpack_object *r = &l->items[i].data;
    uint64_t t = rec_u64(r, MS_COUNTERS_THREAD), seq = rec_u64(r, MS_COUNTERS_SEQ);
    ck_assert_uint_lt(t, MAX_THREADS);
    if (!latest[t] || seq >= best_seq[t]) best_seq[t] = seq, latest[t] = r;
  }
  *calls = *bytes = 0;
  for (int t = 0; t < MAX_THREADS; t++) {
    if (!latest[t]) continue;
    const msgpack_object *e = rec_field(latest[t], MS_COUNTERS_ENTRIES);
    for (uint32_t k = 0; k < e->via.array.size; k++)
      if (rec_u64(&e->via.array.ptr[k], MS_COUNTER_SITE) == id) {
        *calls += rec_u64(&e->via.array.ptr[k], MS_COUNTER_CALLS);
        *bytes += rec_u64(&e->via.array.ptr[k], MS_COUNTER_BYTES);
      }
  }
}

int run_suite(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
