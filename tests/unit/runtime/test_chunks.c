/* Windows of the output file (chunks.c): a window stays mapped whole while any chunk
 * carved from it is in use and goes in one munmap with its last one (a munmap per ended
 * thread's chunk was most of what a short-lived thread cost); a fork child unmaps the
 * parent's windows.  Chunks are carved here directly, as thread.c does for EVENTS. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "memscope.h"
#include "record_reader.h"

#define THREAD_NO 4242u /* the thread number our chunks carry */
#define MAX_CHUNKS 400

static int mapped(const void *p) {
  unsigned char v;
  return mincore((void *)p, 4096, &v) == 0; /* ENOMEM: nothing mapped there */
}

/* EVENTS chunks of THREAD_NO in the file at `path`, walked by their sizes. */
static uint32_t our_chunks_in_file(const char *path) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  uint32_t n = 0;
  for (uint64_t off = MS_HEADER_REGION;; off += MS_CHUNK_ALIGN) {
    struct ms_chunk_header h;
    if (fseek(f, (long)off, SEEK_SET) != 0 || fread(&h, sizeof h, 1, f) != 1) break;
    if (h.magic != MS_CHUNK_MAGIC) continue; /* (the trimmed end: none) */
    n += h.kind == MS_CHUNK_EVENTS && h.thread == THREAD_NO;
    off += h.size - MS_CHUNK_ALIGN;
  }
  fclose(f);
  return n;
}

START_TEST(window_goes_with_its_last_chunk) {
  char dir[64], path[512];
  make_temp_dir(dir, sizeof dir);
  ms_runtime_init();
  strcpy(ms_config.out_dir, dir);
  char *c[MAX_CHUNKS];
  uint32_t n = 0, starts[3] = {0}, windows = 0; /* chunks that begin a new window */
  ms_output_lock();
  ck_assert_int_eq(ms_output_open_locked(), 0);
  while (windows < 3 && n < MAX_CHUNKS) {
    c[n] = ms_chunk_add_locked(MS_CHUNK_EVENTS, THREAD_NO, 1, n, MS_CHUNK_ALIGN, 0, NULL, NULL,
                               NULL);
    ck_assert_ptr_nonnull(c[n]);
    if (n && c[n] != c[n - 1] + MS_CHUNK_ALIGN) starts[windows++] = n;
    n++;
  }
  ms_output_unlock();
  ck_assert_uint_eq(windows, 3);
  /* The second new window [a, b): all of it ours, no longer the current one. */
  uint32_t a = starts[0], b = starts[1];
  ck_assert_uint_ge(b - a, 2);
  for (uint32_t i = a; i + 1 < b; i++) ms_chunk_release(c[i], MS_CHUNK_ALIGN);
  for (uint32_t i = a; i < b; i++) /* kept: one chunk of it is still in use */
    ck_assert_msg(mapped(c[i]), "chunk %u unmapped before its window's last", i);
  ms_chunk_release(c[b - 1], MS_CHUNK_ALIGN);
  for (uint32_t i = a; i < b; i++)
    ck_assert_msg(!mapped(c[i]), "chunk %u still mapped after its window's last", i);
  /* A fork child lets go of the windows its parent's chunks keep (the current one too). */
  ck_assert(mapped(c[n - 1]));
  pid_t pid = fork();
  if (pid == 0) _exit(mapped(c[n - 1]) || mapped(c[starts[1]]) ? 1 : 0);
  int status = 0;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "the child still maps its parent's windows");
  ck_assert(mapped(c[n - 1])); /* the parent's own are untouched */
  for (uint32_t i = 0; i < n; i++)
    if (i < a || i >= b) ms_chunk_release(c[i], MS_CHUNK_ALIGN);
  ck_assert_int_eq(memscope_stop(), 0);
  /* Every chunk is in the file, walkable by its size. */
  output_path(path, sizeof path, dir, ms_process.program, (long)getpid());
  ck_assert_uint_eq(our_chunks_in_file(path), n);
}
END_TEST

/* Not from a window (none is kept): unmapped at once, as before windows. */
START_TEST(other_mappings_are_unmapped_at_once) {
  char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne(p, MAP_FAILED);
  ms_chunk_release(p + 4096, 4096);
  ck_assert(mapped(p));
  ck_assert(!mapped(p + 4096));
  ck_assert(mapped(p + 2 * 4096));
  munmap(p, 4 * 4096);
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime_chunks");
  TCase *tc = tcase_create("windows");
  tcase_add_test(tc, window_goes_with_its_last_chunk);
  tcase_add_test(tc, other_mappings_are_unmapped_at_once);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
