/* Test helper: reads a memscope output file back as msgpack objects, independently of
 * memscope-merge, so runtime tests check what was written byte for byte.
 *
 * A format-2 file (format.h: chunks) is read as the version-1 stream it stands for:
 * the header, then the RECORDS chunks' records in order (exactly as written), then
 * what the reader derives, appended after them: one EVENTS record per EVENTS chunk
 * (decoded with event_codec.h, slots turned back into site ids, stacks into frame
 * arrays, os_tid 0) and, for each thread with TABLE chunks and no COUNTERS record, a
 * COUNTERS record (seq 0) of its table minus its BASE record. */
#ifndef MEMSCOPE_TEST_RECORD_READER_H
#define MEMSCOPE_TEST_RECORD_READER_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "memscope/format.h"

struct record_list {
  msgpack_unpacked *items;
  size_t count;
  size_t trailing_bytes; /* bytes after the last complete object */
  char *file_data;       /* the file's bytes: decoded strings point into them */
  size_t written;        /* items[0..written) were in the file; the rest are derived */
  int format;            /* 1 or 2 */
  struct ms_file_status status; /* format 2: the status block */
  size_t chunks[4];      /* format 2: chunks of each kind (RECORDS, EVENTS, TABLE) */
  size_t event_bytes;    /* format 2: content bytes of the EVENTS chunks */
};

/* Decodes every complete object of buf[0..len); strings point into buf. */
void records_from_buffer(struct record_list *out, const char *buf, size_t len);
/* Reads and decodes a file; fails the test if it cannot be read. */
void records_from_file(struct record_list *out, const char *path);
void records_free(struct record_list *list);

/* Accessors that fail the current Check test on a shape mismatch. */
const msgpack_object *rec_field(const msgpack_object *array, uint32_t i);
uint64_t rec_u64(const msgpack_object *array, uint32_t i);
int64_t rec_i64(const msgpack_object *array, uint32_t i);
/* Copies a str field into buf (NUL-terminated); "" for nil. */
const char *rec_str(const msgpack_object *array, uint32_t i, char *buf, size_t cap);
/* Record type of a non-header object (element 0). */
uint64_t rec_type(const msgpack_unpacked *u);

/* Exact calls and bytes of site `id`: the latest COUNTERS snapshot of each thread, summed
 * (as memscope-merge does). */
void site_totals(const struct record_list *l, uint64_t id, uint64_t *calls, uint64_t *bytes);

/* The dropped events of the THREAD record of kernel thread `os_tid` (0 when the record has
 * no such field); fails the test when there is none. */
uint64_t thread_dropped(const struct record_list *l, long os_tid);

/* Runs a Check suite; the process exit status (0 when every test passed). */
struct Suite;
int run_suite(struct Suite *s);

/* A fresh empty directory under /tmp; the output file of this process in it. */
void make_temp_dir(char *dir, size_t cap);
/* The path of a process's output file in dir (session 1, or a later one). */
void output_path(char *path, size_t cap, const char *dir, const char *program, long pid);
void output_path_session(char *path, size_t cap, const char *dir, const char *program,
                         long pid, unsigned session);

#endif
