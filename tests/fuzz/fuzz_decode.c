/* libFuzzer target: any bytes through the reader (the container, the records, the compact
 * events, the tables), the whole analysis and both reports.  Whatever the input, the merge
 * must neither crash, nor leak, nor read out of bounds; it reports a problem and goes on.
 * Seeds: the golden fixtures (tests/golden) and files of the unit tests' fixture builder
 * (seeds/), each also squeezed (squeeze.py).
 *
 * A format-2 file is mostly zeros (the header region's 16 KiB, the chunks' padding), where
 * mutations teach the fuzzer nothing.  So an input that starts with "MSFZ" is a squeezed
 * file, inflated here before it is read:
 *   u16 n (little-endian) and n bytes: the header region's start (the header array);
 *   64 bytes: the status block;
 *   then chunks: a 32-byte chunk header and its content, `used` bytes of it (TABLE
 *   chunks: a u32 length and that many bytes of slots, which go after the header page).
 * Each chunk goes to the next MS_CHUNK_ALIGN boundary; it takes the room its header's
 * size says (when that is at most 1 MiB) or what its content needs.  Bytes left over at
 * the end (less than a chunk header) are copied as they are: a file cut short.  Any other
 * input is read as a file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bottleneck.h"
#include "container.h"
#include "memscope/format.h"
#include "profile.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INFLATED_MAX (8u << 20)
#define CHUNK_ROOM_MAX (1u << 20)

static size_t align_up(size_t n) { return (n + MS_CHUNK_ALIGN - 1) / MS_CHUNK_ALIGN * MS_CHUNK_ALIGN; }

/* The file a squeezed input stands for (calloc'ed, *len set), or NULL when it is not one. */
static uint8_t *inflate(const uint8_t *in, size_t size, size_t *len) {
  if (size < 6 || memcmp(in, "MSFZ", 4) != 0)
    return NULL;
  const uint8_t *p = in + 4, *end = in + size;
  size_t n = (size_t)p[0] | (size_t)p[1] << 8;
  p += 2;
  if (n > MS_STATUS_OFFSET)
    n = MS_STATUS_OFFSET;
  uint8_t *out = calloc(1, INFLATED_MAX);
  size_t take = n < (size_t)(end - p) ? n : (size_t)(end - p);
  memcpy(out, p, take);
  p += take;
  take = 64 < end - p ? 64 : (size_t)(end - p);
  memcpy(out + MS_STATUS_OFFSET, p, take);
  p += take;
  size_t at = MS_HEADER_REGION, used_end = p < end ? MS_HEADER_REGION : MS_STATUS_OFFSET + take;
  while (p < end) {
    if (end - p < (ptrdiff_t)sizeof(struct ms_chunk_header)) { /* a cut: as it is */
      memcpy(out + at, p, (size_t)(end - p));
      used_end = at + (size_t)(end - p);
      break;
    }
    struct ms_chunk_header h;
    memcpy(&h, p, sizeof h);
    p += sizeof h;
    size_t skip = sizeof h, content;
    if (h.kind == MS_CHUNK_TABLE) {
      uint32_t tl = 0;
      memcpy(&tl, p, end - p < 4 ? (size_t)(end - p) : 4);
      p += end - p < 4 ? end - p : 4;
      content = tl < (size_t)(end - p) ? tl : (size_t)(end - p);
      skip = MS_CHUNK_ALIGN;
    } else {
      content = h.used < (size_t)(end - p) ? h.used : (size_t)(end - p);
    }
    size_t room = align_up(skip + content);
    if (h.size <= CHUNK_ROOM_MAX && h.size > room)
      room = align_up(h.size);
    if (at + room > INFLATED_MAX)
      break;
    memcpy(out + at, &h, sizeof h);
    memcpy(out + at + skip, p, content);
    p += content;
    at += room;
    used_end = at;
  }
  *len = used_end;
  return out;
}

static void analyse(const uint8_t *data, size_t size, FILE *sink) {
  struct mg_decode_problem problem;
  mg_decode_buffer("fuzz", data, size, NULL, NULL, &problem);
  struct mg_profile *p = mg_profile_new();
  p->window = 64; /* a small window: the late-event path runs too */
  mg_profile_add_buffer(p, "fuzz", data, size);
  mg_profile_finish(p);
  struct mg_report_options opt = {.top = 5};
  mg_report_text(sink, p, &opt);
  mg_report_json(sink, p, &opt);
  mg_profile_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *sink;
  if (!sink)
    sink = fopen("/dev/null", "w");
  size_t len;
  uint8_t *file = inflate(data, size, &len);
  if (file) {
    analyse(file, len, sink);
    free(file);
  } else {
    analyse(data, size, sink);
  }
  return 0;
}
