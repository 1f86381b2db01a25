/* memscope-merge as a command: exit statuses, error lines, when a summary is printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "suites.h"

void build_small_profile(struct fx *f, uint64_t pid);

static char dir[64];

static void write_file(const char *name, const void *data, size_t len) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  fclose(f);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  char *buf = calloc(1, 1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

struct run {
  int status;
  char *out, *err;
};

/* Runs memscope-merge with args (a shell fragment) in the test directory. */
static struct run run(const char *args) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "cd %s && %s %s >stdout.txt 2>stderr.txt", dir, MEMSCOPE_MERGE_BIN,
           args);
  int st = system(cmd);
  ck_assert(WIFEXITED(st));
  char path[128];
  struct run r = {.status = WEXITSTATUS(st)};
  snprintf(path, sizeof path, "%s/stdout.txt", dir);
  r.out = slurp(path);
  snprintf(path, sizeof path, "%s/stderr.txt", dir);
  r.err = slurp(path);
  return r;
}

static void run_free(struct run *r) {
  free(r->out);
  free(r->err);
}

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/memscope-cli-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  struct fx f;
  build_small_profile(&f, 500);
  write_file("good.msgpack", f.buf.data, f.buf.size);
  /* cut in thread 1's EVENTS chunk, inside its last item */
  const struct ms_chunk_header *h = (const struct ms_chunk_header *)(f.buf.data + f.starts[5]);
  write_file("cut.msgpack", f.buf.data, f.starts[5] + sizeof *h + h->used - 1);
  fx_destroy(&f);
  build_small_profile(&f, 600);
  char sub[96];
  snprintf(sub, sizeof sub, "%s/run", dir);
  ck_assert_int_eq(mkdir(sub, 0700), 0);
  write_file("run/memscope.small.600.msgpack", f.buf.data, f.buf.size);
  write_file("run/ignored.txt", "x", 1);
  fx_destroy(&f);
  build_small_profile(&f, 500);
  write_file("run/memscope.small.500.msgpack", f.buf.data, f.buf.size);
  fx_destroy(&f);
  write_file("empty.msgpack", "", 0);
  write_file("text.txt", "hello\n", 6);
}

static void teardown(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_cli_good) {
  struct run r = run("good.msgpack");
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.err, "");
  ck_assert(strncmp(r.out, "memscope: 1 file, 1 process, 2 threads\n", 39) == 0);
  ck_assert(strstr(r.out, "\nTop allocation sites by calls\n"));
  run_free(&r);
  r = run("--top 1 - < good.msgpack"); /* '-' is standard input */
  ck_assert_int_eq(r.status, 0);
  ck_assert(strstr(r.out, "  -: small pid 500, mode full, complete\n"));
  run_free(&r);
}
END_TEST

START_TEST(test_cli_bad_inputs) {
  struct run r = run("good.msgpack cut.msgpack empty.msgpack text.txt missing.msgpack");
  ck_assert_int_eq(r.status, 1);
  ck_assert_msg(strstr(r.out, "memscope: 5 files, 2 processes, 4 threads\n"), "%s", r.out);
  ck_assert(strstr(r.out, "  cut.msgpack: small pid 500, mode full, incomplete (no end record), "
                          "truncated at offset "));
  ck_assert_msg(strstr(r.err, "memscope-merge: cut.msgpack: offset "), "%s", r.err);
  ck_assert_msg(strstr(r.err, ": truncated: the file ends inside a chunk ("), "%s", r.err);
  ck_assert(strstr(r.err, "memscope-merge: empty.msgpack: offset 0: empty file\n"));
  ck_assert(strstr(r.err, "memscope-merge: text.txt: offset 0: not a memscope file"));
  ck_assert(strstr(r.err, "memscope-merge: missing.msgpack: cannot open: No such file or directory\n"));
  run_free(&r);
}
END_TEST

START_TEST(test_cli_nothing_usable) {
  struct run r = run("empty.msgpack text.txt");
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, ""); /* errors only, no summary */
  ck_assert(strstr(r.err, "empty file"));
  ck_assert(strstr(r.err, "not a memscope file"));
  run_free(&r);
}
END_TEST

START_TEST(test_cli_usage) {
  struct run r = run("");
  ck_assert_int_eq(r.status, 2);
  ck_assert(strstr(r.err, "memscope-merge: no input files\n"));
  run_free(&r);
  r = run("--frobnicate good.msgpack");
  ck_assert_int_eq(r.status, 2);
  ck_assert(strstr(r.err, "unknown option '--frobnicate'"));
  run_free(&r);
  r = run("--top many good.msgpack");
  ck_assert_int_eq(r.status, 2);
  run_free(&r);
  r = run("--help");
  ck_assert_int_eq(r.status, 0);
  ck_assert(strncmp(r.out, "usage: memscope-merge [options] FILE|DIR...\n", 44) == 0);
  run_free(&r);
}
END_TEST

/* JSON: parses, and says what the text says.  python3 checks it (docs/json.md). */
START_TEST(test_cli_json) {
  struct run r = run("--json good.msgpack");
  ck_assert_int_eq(r.status, 0);
  ck_assert(r.out[0] == '{');
  run_free(&r);
  r = run("--format json -o out.json good.msgpack && python3 -c '"
          "import json; d = json.load(open(\"out.json\")); "
          "assert d[\"schema\"] == \"memscope-merge/1\"; "
          "t = d[\"totals\"]; assert t[\"allocations\"] == 4 and t[\"frees\"] == 3, t; "
          "assert t[\"live_bytes\"] == {\"value\": 37, \"error\": 0}; "
          "assert t[\"peak_live_bytes\"][\"value\"] == 157; "
          "p = d[\"processes\"][0]; assert p[\"pid\"] == 500 and p[\"complete\"]; "
          "assert [t[\"thread\"] for t in p[\"threads\"]] == [1, 2]; "
          "assert p[\"threads\"][1][\"name\"] == \"worker\"; "
          "assert p[\"cross_thread\"][0][\"bytes\"][\"value\"] == 50; "
          "s = {x[\"id\"]: x for x in d[\"sites\"]}; "
          "assert sorted(s) == [\"0xa\", \"0xb\", \"0xc\", \"0xd\"]; "
          "a = s[\"0xa\"]; assert a[\"calls\"] == 2 and a[\"sizes\"][\"max\"] == 100; "
          "assert a[\"frames\"][1][\"function\"] == \"main\" and a[\"stacks\"] == []; "
          "assert s[\"0xc\"][\"kind\"] == \"free\"; "
          "assert {b[\"type\"] for b in d[\"bottlenecks\"]} == {\"leak\"}; "
          "print(\"ok\")'");
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  ck_assert_str_eq(r.out, "ok\n");
  run_free(&r);
}
END_TEST

START_TEST(test_cli_filters) {
  struct run r = run("--thread 2 good.msgpack");
  ck_assert_int_eq(r.status, 0);
  ck_assert(strstr(r.out, "  thread      tid    allocs     frees   bytes-alloc   bytes-freed  name\n"
                          "       2      501         2         2            37            50  worker\n"
                          "\n"));
  /* The report says what the filter shows, and what still counts every thread. */
  ck_assert_msg(strstr(r.out, "complete\n"
                              "  filter --thread 2: the thread tables, cross-thread frees, "
                              "bottlenecks, and the site\n"
                              "    tables and the summary's sites show only its own numbers; "
                              "the totals, the peak\n"
                              "    and the stacks count every thread"),
                "%s", r.out);
  /* The summary gives the thread's own numbers: its counts, its heap's peak, and its
   * calls by site. */
  ck_assert_msg(strstr(r.out, "  thread 2: 2 allocations of 37 bytes, 2 frees; own live heap peak "
                              "37 bytes\n"), "%s", r.out);
  ck_assert_msg(strstr(r.out, "  most allocations (thread 2's own):\n"), "%s", r.out);
  run_free(&r);
  /* A thread, site or process that is not in the inputs: an error naming it, no report. */
  r = run("--thread 99 good.msgpack");
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert_msg(strstr(r.err, "memscope-merge: --thread 99: no thread 99 in the inputs"), "%s",
                r.err);
  run_free(&r);
  r = run("--site 0x1234 good.msgpack");
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert_msg(strstr(r.err, "memscope-merge: --site 0x1234: no site 0x1234 in the inputs"), "%s",
                r.err);
  run_free(&r);
  r = run("--site 0xB good.msgpack");
  ck_assert_int_eq(r.status, 0);
  ck_assert(strstr(r.out, "  filter --site 0xb: the site tables, the peak's sites and "
                          "bottlenecks show only it\n"));
  ck_assert_msg(strstr(r.out, "Top allocation sites by calls\n"
                              "     calls     bytes  api      function             location\n"
                              "         1        50  calloc   zeroed               src/buf.c:7:9\n"
                              "\n"), "%s", r.out);
  run_free(&r);
  r = run("--process 600 run");
  ck_assert_int_eq(r.status, 0);
  ck_assert_msg(strstr(r.out, "memscope: 2 files, 1 process, 2 threads\n"
                              "  run/memscope.small.500.msgpack: not selected (--process)\n"
                              "  run/memscope.small.600.msgpack: small pid 600, mode full, complete\n"
                              "  filter --process 600: only that process is analysed\n"
                              "\n"), "%s", r.out);
  run_free(&r);
  r = run("--process 7 good.msgpack");
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert(strstr(r.err, "memscope-merge: --process 7: no process with pid 7 in the inputs"));
  run_free(&r);
  r = run("--site zz good.msgpack");
  ck_assert_int_eq(r.status, 2);
  run_free(&r);
}
END_TEST

/* --thread N: the site tables show that thread's own calls and bytes (exact, full mode),
 * for each of two threads that share sites, and the JSON's threads[].sites agree. */
static void build_two_workers(struct fx *f) {
  const struct fx_frame a[] = {{"make_node", "src/tree.c", 10, 3}};
  const struct fx_frame b[] = {{"zeroed", "src/buf.c", 7, 9}};
  const struct fx_frame c[] = {{"drop", "src/tree.c", 30, 5}};
  fx_init(f);
  fx_header(f, "workers", 700);
  fx_site(f, 0xA, MEMSCOPE_API_MALLOC, 1, a);
  fx_site(f, 0xB, MEMSCOPE_API_CALLOC, 1, b);
  fx_site(f, 0xC, MEMSCOPE_API_FREE, 1, c);
  /* thread 2: 3 mallocs (60 bytes) and 1 calloc (8), frees two of its blocks */
  fx_events(f, 2, 702, 6);
  fx_alloc(f, 0xA, 10, 0x1000, 10);
  fx_alloc(f, 0xA, 20, 0x1100, 11);
  fx_alloc(f, 0xA, 30, 0x1200, 12);
  fx_alloc(f, 0xB, 8, 0x1300, 13);
  fx_free(f, 0xC, 0x1000, 14);
  fx_free(f, 0xC, 0x1300, 15);
  /* thread 3: 1 malloc (100 bytes), 5 callocs (80), frees one of thread 2's blocks */
  fx_events(f, 3, 703, 7);
  fx_alloc(f, 0xA, 100, 0x2000, 20);
  for (uint64_t i = 0; i < 5; i++)
    fx_alloc(f, 0xB, 16, 0x2100 + 0x100 * i, 21 + i);
  fx_free(f, 0xC, 0x1100, 30);
  fx_thread(f, 2, 702, "w2", 5, 40);
  fx_thread(f, 3, 703, "w3", 5, 40);
  fx_end(f, 50, "exit");
}

START_TEST(test_cli_thread_sites) {
  struct fx f;
  build_two_workers(&f);
  write_file("workers.msgpack", f.buf.data, f.buf.size);
  fx_destroy(&f);
  struct run r = run("--thread 2 workers.msgpack");
  ck_assert_int_eq(r.status, 0);
  ck_assert_msg(strstr(r.out, "Top allocation sites by calls\n"
                              "     calls     bytes  api      function             location\n"
                              "         3        60  malloc   make_node            src/tree.c:10:3\n"
                              "         1         8  calloc   zeroed               src/buf.c:7:9\n"
                              "\n"), "%s", r.out);
  ck_assert_msg(strstr(r.out, "Top free sites by calls\n"
                              "     calls     bytes  api      function             location\n"
                              "         2        18  free     drop                 src/tree.c:30:5\n"
                              "\n"), "%s", r.out);
  /* its live blocks: the 30-byte one (thread 3 freed its 20-byte one) */
  ck_assert_msg(strstr(r.out, "Live at exit by site\n"
                              "    blocks     bytes  function             location\n"
                              "         1        30  make_node            src/tree.c:10:3\n"
                              "\n"), "%s", r.out);
  ck_assert_msg(strstr(r.out, "Allocation sizes by site\n"
                              "     calls       min       avg       max  function             location\n"
                              "         3        10        20        30  make_node            src/tree.c:10:3\n"
                              "         1         8         8         8  zeroed               src/buf.c:7:9\n"
                              "\n"), "%s", r.out);
  /* lifetimes of the blocks it allocated, whoever freed them */
  ck_assert_msg(strstr(r.out, "   freed  <100us   <10ms     <1s    >=1s  function             location\n"
                              "       2       2       0       0       0  make_node            src/tree.c:10:3\n"
                              "       1       1       0       0       0  zeroed               src/buf.c:7:9\n"
                              "\n"), "%s", r.out);
  ck_assert_msg(strstr(r.out, "  most allocations (thread 2's own):\n"), "%s", r.out);
  ck_assert_msg(strstr(r.out, "  filter --thread 2: the thread tables, cross-thread frees, "
                              "bottlenecks, and the site\n"), "%s", r.out);
  run_free(&r);

  r = run("--thread 3 workers.msgpack");
  ck_assert_int_eq(r.status, 0);
  ck_assert_msg(strstr(r.out, "Top allocation sites by calls\n"
                              "     calls     bytes  api      function             location\n"
                              "         5        80  calloc   zeroed               src/buf.c:7:9\n"
                              "         1       100  malloc   make_node            src/tree.c:10:3\n"
                              "\n"), "%s", r.out);
  ck_assert_msg(strstr(r.out, "Top sites by bytes allocated\n"
                              "     bytes     calls  api      function             location\n"
                              "       100         1  malloc   make_node            src/tree.c:10:3\n"
                              "        80         5  calloc   zeroed               src/buf.c:7:9\n"
                              "\n"), "%s", r.out);
  ck_assert_msg(strstr(r.out, "Top free sites by calls\n"
                              "     calls     bytes  api      function             location\n"
                              "         1        20  free     drop                 src/tree.c:30:5\n"
                              "\n"), "%s", r.out);
  ck_assert_msg(strstr(r.out, "Lifetimes by site (freed blocks; short-lived: freed within 100 us)\n"
                              "   freed  <100us   <10ms     <1s    >=1s  function             location\n"
                              "  (none)\n"), "%s", r.out);
  run_free(&r);

  /* Unfiltered: the whole program's. */
  r = run("workers.msgpack");
  ck_assert_msg(strstr(r.out, "Top allocation sites by calls\n"
                              "     calls     bytes  api      function             location\n"
                              "         6        88  calloc   zeroed               src/buf.c:7:9\n"
                              "         4       160  malloc   make_node            src/tree.c:10:3\n"
                              "\n"), "%s", r.out);
  run_free(&r);

  /* The JSON's thread has the same numbers per site; other threads have none. */
  r = run("--json --thread 3 workers.msgpack >t3.json && python3 -c '"
          "import json; d = json.load(open(\"t3.json\")); "
          "assert d[\"filters\"] == {\"thread\": 3}; "
          "[t] = d[\"processes\"][0][\"threads\"]; assert t[\"thread\"] == 3; "
          "s = {x[\"site\"]: x for x in t[\"sites\"]}; "
          "assert sorted(s) == [\"0xa\", \"0xb\", \"0xc\"], s; "
          "c = {k: (v[\"counts\"][\"allocations\"], v[\"counts\"][\"bytes_allocated\"], "
          "v[\"counts\"][\"frees\"], v[\"counts\"][\"bytes_freed\"][\"value\"]) for k, v in s.items()}; "
          "assert c == {\"0xa\": (1, 100, 0, 0), \"0xb\": (5, 80, 0, 0), "
          "\"0xc\": (0, 0, 1, 20)}, c; "
          "assert s[\"0xb\"][\"sizes\"] == {\"calls\": 5, \"min\": 16, \"avg\": 16, \"max\": 16, "
          "\"bytes\": 80}; "
          "print(\"ok\")'");
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  ck_assert_str_eq(r.out, "ok\n");
  run_free(&r);
  /* thread 2's lifetimes: the blocks it allocated, freed by itself or by thread 3 */
  r = run("--json --thread 2 workers.msgpack >t2.json && python3 -c '"
          "import json; d = json.load(open(\"t2.json\")); "
          "[t] = d[\"processes\"][0][\"threads\"]; s = {x[\"site\"]: x for x in t[\"sites\"]}; "
          "f = {k: sum(b[\"blocks\"][\"value\"] for b in v[\"lifetimes\"]) for k, v in s.items()}; "
          "assert f == {\"0xa\": 2, \"0xb\": 1, \"0xc\": 0}, f; "
          "assert s[\"0xa\"][\"counts\"][\"live_blocks\"][\"value\"] == 1; "
          "print(\"ok\")'");
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  ck_assert_str_eq(r.out, "ok\n");
  run_free(&r);
  r = run("--json workers.msgpack >all.json && python3 -c '"
          "import json; d = json.load(open(\"all.json\")); "
          "assert all(\"sites\" not in t for t in d[\"processes\"][0][\"threads\"]); "
          "print(\"ok\")'");
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  ck_assert_str_eq(r.out, "ok\n");
  run_free(&r);
}
END_TEST

/* A directory is every memscope.*.msgpack under it, in name order; any number of
 * reading threads gives the same report. */
/* The output file's name picks the format; --format wins over it. */
START_TEST(test_cli_formats) {
  struct run r = run("-o r.html good.msgpack && head -c 15 r.html");
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, "<!DOCTYPE html>");
  run_free(&r);
  r = run("-o r.pb.gz good.msgpack && od -An -tx1 -N2 r.pb.gz");
  ck_assert_str_eq(r.out, " 1f 8b\n");
  run_free(&r);
  r = run("-o r.folded good.msgpack && cat r.folded");
  ck_assert_str_eq(r.out, "main;make_node 130\nsite 0xd 7\nzeroed 50\n");
  run_free(&r);
  r = run("-o R.JSON good.msgpack && head -c 1 R.JSON");
  ck_assert_str_eq(r.out, "{");
  run_free(&r);
  r = run("--format text -o r.html good.msgpack && head -c 9 r.html");
  ck_assert_str_eq(r.out, "memscope:");
  run_free(&r);
  r = run("--format folded --folded-value live-blocks good.msgpack");
  ck_assert_str_eq(r.out, "main;make_node 1\nsite 0xd 1\n");
  run_free(&r);
  r = run("--format svg good.msgpack");
  ck_assert_int_eq(r.status, 2);
  ck_assert(strstr(r.err, "--format: unknown format 'svg' (text, json, html, pprof or folded)"));
  run_free(&r);
  r = run("--folded-value heap good.msgpack");
  ck_assert_int_eq(r.status, 2);
  run_free(&r);
  /* --diff: two runs, text only; the threshold; a run without data. */
  r = run("--diff good.msgpack");
  ck_assert_int_eq(r.status, 2);
  ck_assert(strstr(r.err, "--diff takes two runs"));
  run_free(&r);
  r = run("--diff --fail-if-grows 0 good.msgpack run");
  ck_assert_int_eq(r.status, 3); /* the directory holds two processes: twice the allocations */
  ck_assert_msg(strstr(r.out, "allocations +100.0%, bytes allocated +100.0%: FAIL"), "%s", r.out);
  run_free(&r);
  r = run("--diff --fail-if-grows 0 run good.msgpack");
  ck_assert_int_eq(r.status, 0);
  run_free(&r);
  r = run("--diff good.msgpack empty.msgpack");
  ck_assert_int_eq(r.status, 1);
  ck_assert(strstr(r.err, "empty.msgpack: no usable data to compare"));
  run_free(&r);
  r = run("--diff --json good.msgpack good.msgpack");
  ck_assert_int_eq(r.status, 2);
  run_free(&r);
}
END_TEST

START_TEST(test_cli_directory_and_jobs) {
  struct run a = run("run"), b = run("-j 1 run/memscope.small.500.msgpack run/memscope.small.600.msgpack"),
             c = run("--jobs 4 run");
  ck_assert_int_eq(a.status, 0);
  ck_assert_msg(strstr(a.out, "memscope: 2 files, 2 processes, 4 threads\n"
                              "  run/memscope.small.500.msgpack: small pid 500, mode full, complete\n"
                              "  run/memscope.small.600.msgpack: small pid 600, mode full, complete\n"),
                "%s", a.out);
  ck_assert(strstr(a.out, "\nProcesses\n"));
  ck_assert_str_eq(a.out, b.out);
  ck_assert_str_eq(a.out, c.out);
  char *once = a.out; /* (kept: the report of the two files, each read once) */
  a.out = NULL;
  run_free(&a);
  run_free(&b);
  run_free(&c);
  /* A file named again (through its directory, by a link, by name): read once, said,
   * the status unchanged; counted twice, every number would double. */
  char from[128], to[128];
  snprintf(from, sizeof from, "%s/run/memscope.small.500.msgpack", dir);
  snprintf(to, sizeof to, "%s/hard.msgpack", dir);
  ck_assert_int_eq(link(from, to), 0);
  a = run("run run/memscope.small.600.msgpack hard.msgpack ./run/memscope.small.600.msgpack");
  ck_assert_int_eq(a.status, 0);
  ck_assert_str_eq(a.out, once);
  free(once);
  ck_assert_str_eq(a.err,
                   "memscope-merge: run/memscope.small.600.msgpack: the same file as "
                   "run/memscope.small.600.msgpack, named again: read once\n"
                   "memscope-merge: hard.msgpack: the same file as run/memscope.small.500.msgpack, "
                   "named again: read once\n"
                   "memscope-merge: ./run/memscope.small.600.msgpack: the same file as "
                   "run/memscope.small.600.msgpack, named again: read once\n");
  run_free(&a);
  char empty[96];
  snprintf(empty, sizeof empty, "%s/nothing", dir);
  ck_assert_int_eq(mkdir(empty, 0700), 0);
  a = run("nothing good.msgpack");
  ck_assert_int_eq(a.status, 1);
  ck_assert(strstr(a.err, "memscope-merge: nothing: no memscope.*.msgpack file in this directory\n"));
  run_free(&a);
}
END_TEST

/* Many files: past 8 plain ones only those with something to say are listed (a cut one
 * here, the 11th), the rest counted; --top 0 and the JSON report list every one. */
START_TEST(test_cli_many_files_listed_briefly) {
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "cd %s && mkdir fleet && for i in 00 01 02 03 04 05 06 07 08 09 11 12 13; do "
           "cp good.msgpack fleet/memscope.p.$i.msgpack; done && "
           "cp cut.msgpack fleet/memscope.p.10.msgpack",
           dir);
  ck_assert_int_eq(system(cmd), 0); /* (copies: other names of one file are read once) */
  struct run r = run("fleet");
  ck_assert_int_eq(r.status, 1); /* (the cut file) */
  ck_assert_msg(strstr(r.out, "  fleet/memscope.p.07.msgpack: small pid 500, mode full, complete\n"),
                "%s", r.out);
  ck_assert(!strstr(r.out, "memscope.p.08.msgpack"));
  ck_assert(strstr(r.out, "  fleet/memscope.p.10.msgpack: small pid 500, mode full, incomplete (no end "
                          "record), truncated at offset "));
  ck_assert(!strstr(r.out, "memscope.p.13.msgpack"));
  ck_assert_msg(strstr(r.out, "  ... and 5 more files, each complete with nothing to report "
                              "(--top 0 lists them)\n"),
                "%s", r.out);
  run_free(&r);
  r = run("--top 0 fleet");
  ck_assert(strstr(r.out, "  fleet/memscope.p.13.msgpack: small pid 500"));
  ck_assert(!strstr(r.out, "more files"));
  run_free(&r);
}
END_TEST

/* The progress bar: drawn on a terminal once reading lasts (the reader polls every fifth
 * of a second), never when stderr is not one.  A file of 1.44 M events takes long enough;
 * the terminal's half runs under script(1), when there is one and the file took long
 * enough to read here (a fast machine reads it before the first poll). */
START_TEST(test_cli_progress_only_on_terminal) {
  enum { THREADS = 4, CHUNKS = 60, PAIRS = 3000 };
  struct fx f;
  fx_init(&f);
  fx_header(&f, "big", 900);
  fx_site(&f, 0xA, MEMSCOPE_API_MALLOC, 0, NULL);
  fx_site(&f, 0xF, MEMSCOPE_API_FREE, 0, NULL);
  uint64_t ts = 1000;
  for (int k = 0; k < CHUNKS; k++)
    for (uint64_t t = 1; t <= THREADS; t++) {
      fx_events(&f, t, 900 + t, 2 * PAIRS);
      for (int i = 0; i < PAIRS; i++) {
        uint64_t ptr = t << 32 | (uint64_t)(k * PAIRS + i) << 5;
        fx_alloc(&f, 0xA, 24, ptr, ts++);
        fx_free(&f, 0xF, ptr, ts++);
      }
    }
  fx_end(&f, ts, "exit");
  write_file("big.msgpack", f.buf.data, f.buf.size);
  fx_destroy(&f);

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  struct run r = run("--top 1 big.msgpack");
  clock_gettime(CLOCK_MONOTONIC, &t1);
  ck_assert_int_eq(r.status, 0);
  ck_assert_msg(strstr(r.out, "  allocations               720000\n"), "%s", r.out);
  ck_assert_str_eq(r.err, ""); /* not a terminal: not a byte */
  run_free(&r);
  double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  if (took < 0.5 || system("command -v script >/dev/null 2>&1") != 0)
    return;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "cd %s && script -qc '%s --top 1 big.msgpack >/dev/null' pty.log "
           ">/dev/null 2>&1", dir, MEMSCOPE_MERGE_BIN);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ck_assert_int_eq(system(cmd), 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  char path[128];
  snprintf(path, sizeof path, "%s/pty.log", dir);
  char *log = slurp(path);
  /* The bar comes once reading has taken a fifth of a second: on a machine whose load
   * dropped between the two runs this one may have been quicker (it failed so, once in
   * a while, with other tests running alongside).  Read slowly, it must be there. */
  took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  if (took < 1.0) {
    free(log);
    return;
  }
  ck_assert_msg(strstr(log, "\rmemscope-merge: [") && strstr(log, "% of "), "%s", log);
  ck_assert_msg(strstr(log, "\r\033[K"), "the bar is not erased: %s", log); /* erased */
  free(log);
}
END_TEST

Suite *cli_suite(void) {
  Suite *s = suite_create("cli");
  TCase *tc = tcase_create("memscope-merge");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_cli_good);
  tcase_add_test(tc, test_cli_formats);
  tcase_add_test(tc, test_cli_bad_inputs);
  tcase_add_test(tc, test_cli_nothing_usable);
  tcase_add_test(tc, test_cli_usage);
  tcase_add_test(tc, test_cli_json);
  tcase_add_test(tc, test_cli_filters);
  tcase_add_test(tc, test_cli_thread_sites);
  tcase_add_test(tc, test_cli_directory_and_jobs);
  tcase_add_test(tc, test_cli_many_files_listed_briefly);
  tcase_add_test(tc, test_cli_progress_only_on_terminal);
  tcase_set_timeout(tc, 30);
  suite_add_tcase(s, tc);
  return s;
}
