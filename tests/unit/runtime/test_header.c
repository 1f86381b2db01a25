/* The file header's runtime version and command line (format.h, docs/format.md): a
 * session's file read back must carry this process's argv exactly (ctest passes
 * arguments with a space, an empty one and non-ASCII bytes), and the bounds on long
 * command lines are those format.h states.  ctest runs it with MEMSCOPE_MODE=off, so
 * the only file is the session the test starts. */
#define _GNU_SOURCE
#include <check.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "memscope.h"
#include "record_reader.h"

static int test_argc;
static char **test_argv;

/* The value of `key` in the header's meta map; fails the test when it is absent. */
static const msgpack_object *meta_value(const msgpack_object *header, const char *key) {
  const msgpack_object *m = rec_field(header, 2);
  ck_assert_int_eq(m->type, MSGPACK_OBJECT_MAP);
  for (uint32_t i = 0; i < m->via.map.size; i++) {
    const msgpack_object *k = &m->via.map.ptr[i].key;
    if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(key) &&
        !memcmp(k->via.str.ptr, key, k->via.str.size))
      return &m->via.map.ptr[i].val;
  }
  ck_abort_msg("no %s in the header", key);
  return NULL;
}

static void assert_str(const msgpack_object *o, const char *want) {
  ck_assert_int_eq(o->type, MSGPACK_OBJECT_STR);
  ck_assert_uint_eq(o->via.str.size, strlen(want));
  ck_assert(!memcmp(o->via.str.ptr, want, o->via.str.size));
}

START_TEST(header_has_runtime_version_and_argv) {
  char dir[64], path[300];
  make_temp_dir(dir, sizeof dir);
  ck_assert_int_eq(memscope_start(dir), 0);
  ck_assert_int_eq(memscope_stop(), 0);
  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  struct record_list l;
  records_from_file(&l, path);
  ck_assert_uint_ge(l.count, 1);
  const msgpack_object *h = &l.items[0].data;

  assert_str(meta_value(h, MS_META_RUNTIME_VERSION), MEMSCOPE_TEST_RUNTIME_VERSION);
  const msgpack_object *cmd = meta_value(h, MS_META_COMMAND_LINE);
  ck_assert_int_eq(cmd->type, MSGPACK_OBJECT_ARRAY);
  ck_assert_uint_eq(cmd->via.array.size, (uint32_t)test_argc);
  for (int i = 0; i < test_argc; i++) assert_str(&cmd->via.array.ptr[i], test_argv[i]);
  const msgpack_object *cut = meta_value(h, MS_META_COMMAND_LINE_TRUNCATED);
  ck_assert_int_eq(cut->type, MSGPACK_OBJECT_BOOLEAN);
  ck_assert(!cut->via.boolean);
  records_free(&l);
}
END_TEST

/* ctest's arguments, so that the test above sees the cases it is about. */
START_TEST(test_runs_with_awkward_arguments) {
  ck_assert_int_eq(test_argc, 5);
  ck_assert_str_eq(test_argv[1], "two words");
  ck_assert_str_eq(test_argv[2], "");
  ck_assert_str_eq(test_argv[3], "--name=value");
  ck_assert_str_eq(test_argv[4], "\xc3\xbcn\xc3\xaf");
}
END_TEST

START_TEST(split_takes_whole_arguments_within_the_bounds) {
  const char *args[4];
  uint8_t cut = 9;
  /* All of the file, every argument ending in a NUL, an empty one among them. */
  static const char all[] = "a\0bb\0\0c\0";
  ck_assert_uint_eq(ms_command_line_split(all, sizeof all - 1, 1, args, 4, &cut), 4);
  ck_assert_str_eq(args[0], "a");
  ck_assert_str_eq(args[1], "bb");
  ck_assert_str_eq(args[2], "");
  ck_assert_str_eq(args[3], "c");
  ck_assert_uint_eq(cut, 0);
  /* The last argument without its NUL (a program that rewrote its argv): still one. */
  static const char open_end[] = "a\0bc";
  ck_assert_uint_eq(ms_command_line_split(open_end, 4, 1, args, 4, &cut), 2);
  ck_assert_str_eq(args[1], "bc");
  ck_assert_uint_eq(cut, 0);
  /* Cut by the byte bound: an argument that runs to it is left out. */
  ck_assert_uint_eq(ms_command_line_split(open_end, 4, 0, args, 4, &cut), 1);
  ck_assert_str_eq(args[0], "a");
  ck_assert_uint_eq(cut, 1);
  /* Cut right after a NUL: every argument in is whole, but there was more. */
  static const char at_nul[] = "a\0b\0";
  ck_assert_uint_eq(ms_command_line_split(at_nul, 4, 0, args, 4, &cut), 2);
  ck_assert_uint_eq(cut, 1);
  /* More arguments than room. */
  ck_assert_uint_eq(ms_command_line_split(all, sizeof all - 1, 1, args, 3, &cut), 3);
  ck_assert_uint_eq(cut, 1);
  /* Nothing (a process without a command line). */
  ck_assert_uint_eq(ms_command_line_split("", 0, 1, args, 4, &cut), 0);
  ck_assert_uint_eq(cut, 0);
}
END_TEST

START_TEST(split_bounds_a_long_command_line) {
  /* 100 arguments of 99 bytes and a NUL, as the runtime reads them: the first
   * MS_COMMAND_LINE_MAX_BYTES bytes of a longer file. */
  static char buf[MS_COMMAND_LINE_MAX_BYTES + 1];
  for (size_t i = 0; i < MS_COMMAND_LINE_MAX_BYTES; i++) buf[i] = i % 100 == 99 ? 0 : 'x';
  const char *args[MS_COMMAND_LINE_MAX_ARGS];
  uint8_t cut = 0;
  uint32_t n = ms_command_line_split(buf, MS_COMMAND_LINE_MAX_BYTES, 0, args,
                                     MS_COMMAND_LINE_MAX_ARGS, &cut);
  ck_assert_uint_eq(n, MS_COMMAND_LINE_MAX_BYTES / 100); /* 40 whole ones */
  ck_assert_uint_eq(strlen(args[n - 1]), 99);
  ck_assert_uint_eq(cut, 1);
  /* 200 one-byte arguments: the count bound. */
  for (size_t i = 0; i < 400; i++) buf[i] = i % 2 ? 0 : 'y';
  n = ms_command_line_split(buf, 400, 1, args, MS_COMMAND_LINE_MAX_ARGS, &cut);
  ck_assert_uint_eq(n, MS_COMMAND_LINE_MAX_ARGS);
  ck_assert_uint_eq(cut, 1);
}
END_TEST

int main(int argc, char **argv) {
  test_argc = argc;
  test_argv = argv;
  Suite *s = suite_create("runtime_header");
  TCase *tc = tcase_create("header");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, header_has_runtime_version_and_argv);
  tcase_add_test(tc, test_runs_with_awkward_arguments);
  tcase_add_test(tc, split_takes_whole_arguments_within_the_bounds);
  tcase_add_test(tc, split_bounds_a_long_command_line);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
