/* Encoding of every record type, read back with msgpack-c: exact fields, and the
 * buffer's growth and fixed-size limits. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "record_reader.h"

static void decode_one(struct ms_wbuf *b, struct record_list *out) {
  ck_assert(!b->failed);
  records_from_buffer(out, b->data, b->len);
  ck_assert_uint_eq(out->count, 1);
  ck_assert_uint_eq(out->trailing_bytes, 0);
}

START_TEST(header_has_magic_version_and_meta) {
  struct ms_wbuf b;
  ck_assert_int_eq(ms_wbuf_init(&b, 0), 0);
  static const char *const args[] = {"prog", "--flag", ""};
  struct ms_process_meta meta = {.program = "prog", .pid = 4242, .ppid = 1, .mode = "sampled",
                                 .sampler = "bytes", .sample_interval = 524288,
                                 .start_ns = 123456789, .start_unix_ns = 1700000000000000000u,
                                 .runtime_version = "9.8.7", .args = args, .nargs = 3,
                                 .args_truncated = 1};
  ms_encode_header(&b, &meta);
  struct record_list l;
  decode_one(&b, &l);
  const msgpack_object *h = &l.items[0].data;
  char s[64];
  ck_assert_str_eq(rec_str(h, 0, s, sizeof s), MS_FORMAT_MAGIC);
  ck_assert_uint_eq(rec_u64(h, 1), MS_FORMAT_VERSION);
  const msgpack_object *m = rec_field(h, 2);
  ck_assert_int_eq(m->type, MSGPACK_OBJECT_MAP);
  ck_assert_uint_eq(m->via.map.size, 11);
  int seen = 0;
  for (uint32_t i = 0; i < m->via.map.size; i++) {
    const msgpack_object_kv *kv = &m->via.map.ptr[i];
    char key[32] = {0};
    memcpy(key, kv->key.via.str.ptr, kv->key.via.str.size);
    if (!strcmp(key, MS_META_PID)) {
      ck_assert_uint_eq(kv->val.via.u64, 4242);
      seen++;
    }
    if (!strcmp(key, MS_META_START_NS)) {
      ck_assert_uint_eq(kv->val.via.u64, 123456789);
      seen++;
    }
    if (!strcmp(key, MS_META_PROGRAM)) {
      ck_assert_uint_eq(kv->val.via.str.size, 4);
      ck_assert(!memcmp(kv->val.via.str.ptr, "prog", 4));
      seen++;
    }
    if (!strcmp(key, MS_META_RUNTIME_VERSION)) {
      ck_assert_int_eq(kv->val.type, MSGPACK_OBJECT_STR);
      ck_assert_uint_eq(kv->val.via.str.size, 5);
      ck_assert(!memcmp(kv->val.via.str.ptr, "9.8.7", 5));
      seen++;
    }
    if (!strcmp(key, MS_META_COMMAND_LINE)) {
      ck_assert_int_eq(kv->val.type, MSGPACK_OBJECT_ARRAY);
      ck_assert_uint_eq(kv->val.via.array.size, 3);
      for (uint32_t k = 0; k < 3; k++) {
        char arg[16];
        ck_assert_str_eq(rec_str(&kv->val, k, arg, sizeof arg), args[k]);
      }
      seen++;
    }
    if (!strcmp(key, MS_META_COMMAND_LINE_TRUNCATED)) {
      ck_assert_int_eq(kv->val.type, MSGPACK_OBJECT_BOOLEAN);
      ck_assert(kv->val.via.boolean);
      seen++;
    }
  }
  ck_assert_int_eq(seen, 6);
  records_free(&l);
  ms_wbuf_release(&b);
}
END_TEST

START_TEST(site_has_every_frame) {
  static const struct __memscope_frame frames[] = {
      {"inner", "lib/inner.h", 12, 7}, {"outer", NULL, 0, 0}};
  struct __memscope_site site = {.id = 0xfedcba9876543210u, .frames = frames, .nframes = 2,
                                 .api = MEMSCOPE_API_CALLOC};
  struct ms_wbuf b;
  ms_wbuf_init(&b, 0);
  ms_encode_site(&b, &site);
  struct record_list l;
  decode_one(&b, &l);
  const msgpack_object *r = &l.items[0].data;
  ck_assert_uint_eq(r->via.array.size, MS_SITE_LEN);
  ck_assert_uint_eq(rec_u64(r, 0), MS_REC_SITE);
  ck_assert_uint_eq(rec_u64(r, MS_SITE_ID), 0xfedcba9876543210u);
  ck_assert_uint_eq(rec_u64(r, MS_SITE_API), MEMSCOPE_API_CALLOC);
  const msgpack_object *fr = rec_field(r, MS_SITE_FRAMES);
  ck_assert_uint_eq(fr->via.array.size, 2);
  char s[64];
  const msgpack_object *f0 = &fr->via.array.ptr[0], *f1 = &fr->via.array.ptr[1];
  ck_assert_str_eq(rec_str(f0, MS_FRAME_FUNCTION, s, sizeof s), "inner");
  ck_assert_str_eq(rec_str(f0, MS_FRAME_FILE, s, sizeof s), "lib/inner.h");
  ck_assert_uint_eq(rec_u64(f0, MS_FRAME_LINE), 12);
  ck_assert_uint_eq(rec_u64(f0, MS_FRAME_COLUMN), 7);
  ck_assert_str_eq(rec_str(f1, MS_FRAME_FUNCTION, s, sizeof s), "outer");
  ck_assert_int_eq(rec_field(f1, MS_FRAME_FILE)->type, MSGPACK_OBJECT_NIL);
  records_free(&l);
  ms_wbuf_release(&b);
}
END_TEST

START_TEST(events_keep_order_and_realloc_fields) {
  struct ms_event ev[3] = {
      {.kind = MS_EV_ALLOC, .site_id = 7, .size = 100, .ptr = 0x1000, .ts = 50},
      {.kind = MS_EV_REALLOC, .site_id = 8, .size = 300, .ptr = 0x2000, .ts = 90,
       .old_ptr = 0x1000, .begin_delta = 15},
      {.kind = MS_EV_FREE, .site_id = 9, .ptr = 0x2000, .ts = 95}};
  struct ms_wbuf b;
  ms_wbuf_init(&b, 0);
  ms_encode_events(&b, 3, -1, ev, 3, NULL);
  struct record_list l;
  decode_one(&b, &l);
  const msgpack_object *r = &l.items[0].data;
  ck_assert_uint_eq(rec_u64(r, 0), MS_REC_EVENTS);
  ck_assert_uint_eq(rec_u64(r, MS_EVENTS_THREAD), 3);
  ck_assert_int_eq(rec_i64(r, MS_EVENTS_OS_TID), -1);
  const msgpack_object *list = rec_field(r, MS_EVENTS_LIST);
  ck_assert_uint_eq(list->via.array.size, 3);
  const msgpack_object *a = &list->via.array.ptr[0], *re = &list->via.array.ptr[1],
                       *f = &list->via.array.ptr[2];
  ck_assert_uint_eq(a->via.array.size, MS_EV_LEN);
  ck_assert_uint_eq(rec_u64(a, MS_EV_KIND), MS_EV_ALLOC);
  ck_assert_uint_eq(rec_u64(a, MS_EV_SITE), 7);
  ck_assert_uint_eq(rec_u64(a, MS_EV_SIZE), 100);
  ck_assert_uint_eq(rec_u64(a, MS_EV_PTR), 0x1000);
  ck_assert_uint_eq(rec_u64(a, MS_EV_TS), 50);
  ck_assert_uint_eq(re->via.array.size, MS_EV_REALLOC_LEN);
  ck_assert_uint_eq(rec_u64(re, MS_EV_OLD_PTR), 0x1000);
  ck_assert_uint_eq(rec_u64(re, MS_EV_BEGIN_NS), 75);
  ck_assert_uint_eq(rec_u64(f, MS_EV_KIND), MS_EV_FREE);
  ck_assert_uint_eq(rec_u64(f, MS_EV_SIZE), 0);
  records_free(&l);
  ms_wbuf_release(&b);
}
END_TEST

START_TEST(sampled_alloc_carries_weight_and_alignment) {
  struct ms_event ev[2] = {
      {.kind = MS_EV_ALLOC, .site_id = 7, .size = 100, .ptr = 0x1000, .ts = 50, .weight = 2.5,
       .align = 64},
      {.kind = MS_EV_ALLOC, .site_id = 7, .size = 100, .ptr = 0x2000, .ts = 60, .weight = 1.0}};
  struct ms_wbuf b;
  ms_wbuf_init(&b, 0);
  ms_encode_events(&b, 1, 1, ev, 2, NULL);
  struct record_list l;
  decode_one(&b, &l);
  const msgpack_object *list = rec_field(&l.items[0].data, MS_EVENTS_LIST);
  const msgpack_object *s0 = &list->via.array.ptr[0], *s1 = &list->via.array.ptr[1];
  ck_assert_uint_eq(s0->via.array.size, MS_EV_SAMPLED_LEN);
  ck_assert_int_eq(rec_field(s0, MS_EV_WEIGHT)->type, MSGPACK_OBJECT_FLOAT64);
  ck_assert(rec_field(s0, MS_EV_WEIGHT)->via.f64 == 2.5);
  ck_assert_uint_eq(rec_u64(s0, MS_EV_ALIGN), 64);
  ck_assert_uint_eq(s1->via.array.size, MS_EV_LEN); /* weight 1, no alignment: short form */
  records_free(&l);
  ms_wbuf_release(&b);
}
END_TEST

START_TEST(counters_list_only_used_slots_with_bounds) {
  struct ms_site_counter c[4] = {{0}};
  c[0] = (struct ms_site_counter){.calls = 2, .bytes = 30, .lo = 10, .span = 10};
  c[MS_SLOT_RELEASES].calls = 7; /* the thread's realloc releases: not a site */
  c[3] = (struct ms_site_counter){.calls = 5}; /* a free site: calls only */
  struct ms_wbuf b;
  ms_wbuf_init(&b, 0);
  ms_encode_counters(&b, 9, 99, 4, c, 4);
  struct record_list l;
  decode_one(&b, &l);
  const msgpack_object *r = &l.items[0].data;
  ck_assert_uint_eq(r->via.array.size, MS_COUNTERS_RELEASES_LEN);
  ck_assert_uint_eq(rec_u64(r, MS_COUNTERS_REALLOC_RELEASES), 7);
  ck_assert_uint_eq(rec_u64(r, 0), MS_REC_COUNTERS);
  ck_assert_uint_eq(rec_u64(r, MS_COUNTERS_THREAD), 9);
  ck_assert_uint_eq(rec_u64(r, MS_COUNTERS_SEQ), 4);
  const msgpack_object *e = rec_field(r, MS_COUNTERS_ENTRIES);
  ck_assert_uint_eq(e->via.array.size, 2);
  const msgpack_object *e0 = &e->via.array.ptr[0], *e1 = &e->via.array.ptr[1];
  ck_assert_uint_eq(rec_u64(e0, MS_COUNTER_SITE), 0); /* slot 0: the unknown site */
  ck_assert_uint_eq(rec_u64(e0, MS_COUNTER_CALLS), 2);
  ck_assert_uint_eq(rec_u64(e0, MS_COUNTER_BYTES), 30);
  ck_assert_uint_eq(rec_u64(e0, MS_COUNTER_MIN), 10);
  ck_assert_uint_eq(rec_u64(e0, MS_COUNTER_MAX), 20);
  ck_assert_uint_eq(rec_u64(e1, MS_COUNTER_CALLS), 5);
  ck_assert_uint_eq(rec_u64(e1, MS_COUNTER_MIN), 0);
  records_free(&l);
  ms_wbuf_release(&b);
}
END_TEST

START_TEST(thread_and_end_records) {
  struct ms_wbuf b;
  ms_wbuf_init(&b, 0);
  ms_encode_thread(&b, 5, 777, "worker-05", 10, 20, 0);
  ms_encode_thread(&b, 6, 778, "", 11, 0, 3);
  ms_encode_end(&b, 99, "exit");
  struct record_list l;
  records_from_buffer(&l, b.data, b.len);
  ck_assert_uint_eq(l.count, 3);
  /* dropped events: written only when there were some */
  ck_assert_uint_eq(l.items[0].data.via.array.size, MS_THREAD_LEN);
  ck_assert_uint_eq(l.items[1].data.via.array.size, MS_THREAD_DROPPED_LEN);
  ck_assert_uint_eq(rec_u64(&l.items[1].data, MS_THREAD_DROPPED), 3);
  char s[64];
  const msgpack_object *t = &l.items[0].data;
  ck_assert_uint_eq(rec_u64(t, MS_THREAD_ID), 5);
  ck_assert_int_eq(rec_i64(t, MS_THREAD_OS_TID), 777);
  ck_assert_str_eq(rec_str(t, MS_THREAD_NAME, s, sizeof s), "worker-05");
  ck_assert_uint_eq(rec_u64(t, MS_THREAD_START_NS), 10);
  ck_assert_uint_eq(rec_u64(t, MS_THREAD_END_NS), 20);
  ck_assert_int_eq(rec_field(&l.items[1].data, MS_THREAD_NAME)->type, MSGPACK_OBJECT_NIL);
  ck_assert_uint_eq(rec_type(&l.items[2]), MS_REC_END);
  ck_assert_str_eq(rec_str(&l.items[2].data, MS_END_REASON, s, sizeof s), "exit");
  records_free(&l);
  ms_wbuf_release(&b);
}
END_TEST

START_TEST(wbuf_grows_for_long_names) {
  size_t n = 300000;
  char *name = malloc(n + 1);
  memset(name, 'x', n);
  name[n] = 0;
  struct __memscope_frame frame = {name, "f.c", 1, 1};
  struct __memscope_site site = {.id = 1, .frames = &frame, .nframes = 1, .api = 1};
  struct ms_wbuf b;
  ms_wbuf_init(&b, 4096);
  ms_encode_site(&b, &site);
  ck_assert(!b.failed);
  ck_assert_uint_gt(b.cap, n);
  struct record_list l;
  decode_one(&b, &l);
  const msgpack_object *f = &rec_field(&l.items[0].data, MS_SITE_FRAMES)->via.array.ptr[0];
  ck_assert_uint_eq(rec_field(f, MS_FRAME_FUNCTION)->via.str.size, n);
  records_free(&l);
  ms_wbuf_release(&b);
  free(name);
}
END_TEST

/* The EVENTS varint writes its first 3 bytes straight, the rest by a loop: at every
 * length boundary it must give LEB128's bytes (the length, each 7-bit group, the
 * continuation bits), which the codec's decoder reads back. */
START_TEST(varints_are_leb128_at_every_length) {
  for (unsigned bits = 0; bits <= 64; bits++) {
    uint64_t base = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits);
    uint64_t values[3] = {base - 1, base, base + 1};
    for (int k = 0; k < 3; k++) {
      uint64_t v = values[k];
      uint8_t got[16] = {0}, want[16] = {0};
      size_t n = (size_t)(ms_put_uv(got, v) - got), m = 0;
      uint64_t x = v;
      do { /* LEB128 by its definition */
        want[m++] = (uint8_t)((x & 0x7f) | (x >= 0x80 ? 0x80 : 0));
        x >>= 7;
      } while (x);
      ck_assert_uint_eq(n, m);
      ck_assert_mem_eq(got, want, m);
      const uint8_t *r = got;
      uint64_t back = 0;
      ck_assert(ms_get_uv(&r, got + n, &back));
      ck_assert_uint_eq(back, v);
      ck_assert_ptr_eq(r, got + n);
    }
  }
}
END_TEST

START_TEST(fixed_wbuf_refuses_to_overflow) {
  char mem[16];
  struct ms_wbuf b = MS_WBUF_FIXED(mem);
  ms_encode_thread(&b, 1, 1, "a-name-that-does-not-fit", 1, 2, 0);
  ck_assert(b.failed);
  ck_assert_uint_le(b.len, sizeof mem);
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime_encode");
  TCase *tc = tcase_create("records");
  tcase_add_test(tc, header_has_magic_version_and_meta);
  tcase_add_test(tc, site_has_every_frame);
  tcase_add_test(tc, events_keep_order_and_realloc_fields);
  tcase_add_test(tc, thread_and_end_records);
  tcase_add_test(tc, sampled_alloc_carries_weight_and_alignment);
  tcase_add_test(tc, counters_list_only_used_slots_with_bounds);
  tcase_add_test(tc, wbuf_grows_for_long_names);
  tcase_add_test(tc, fixed_wbuf_refuses_to_overflow);
  tcase_add_test(tc, varints_are_leb128_at_every_length);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
