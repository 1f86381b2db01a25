#include "record_reader.h"

#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memscope/format.h"

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
  ck_assert_int_eq(array->type, MSGPACK_OBJECT_ARRAY);
  ck_assert_uint_gt(array->via.array.size, i);
  return &array->via.array.ptr[i];
}

uint64_t rec_u64(const msgpack_object *array, uint32_t i) {
  const msgpack_object *o = rec_field(array, i);
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
