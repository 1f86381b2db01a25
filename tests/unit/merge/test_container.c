/* Format 2's container (read/container.c): the chunk walk and its resync, cut chunks,
 * bad items, unknown kinds, TABLE counts and BASE records, the status block, and files
 * of format 1. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "events.h"
#include "fixture.h"
#include "memscope/event_codec.h"
#include "profile.h"
#include "report.h"
#include "suites.h"
#include "util.h"

enum { SITE_A = 0xa, SITE_F = 0xf };

static void start(struct fx *f) {
  fx_init(f);
  fx_header(f, "c", 700);
  fx_site(f, SITE_A, MEMSCOPE_API_MALLOC, 0, NULL);
  fx_site(f, SITE_F, MEMSCOPE_API_FREE, 0, NULL);
  fx_thread(f, 1, 700, "main", 10, 0);
}

static struct mg_profile *read_fx(struct fx *f, size_t len) {
  struct mg_profile *p = mg_profile_new();
  mg_profile_add_buffer(p, "c.msgpack", f->buf.data, len);
  return p;
}

static const struct mg_thread *thread1(const struct mg_profile *p) {
  return mg_process_find_thread(p->inputs[0].process, 1);
}

/* Zero pages where a chunk was reserved but never written, and garbage: skipped, the
 * chunks after them read; only the garbage is reported. */
START_TEST(test_resync_over_zero_page) {
  struct fx f;
  start(&f);
  fx_events(&f, 1, 700, 1);
  fx_alloc(&f, SITE_A, 10, 0x1000, 100);
  fx_raw(&f, NULL, 2 * MS_CHUNK_ALIGN); /* two pages of zeros */
  fx_events(&f, 1, 700, 1);
  fx_free(&f, SITE_F, 0x1000, 200);
  fx_end(&f, 300, "exit");
  struct mg_profile *p = read_fx(&f, f.buf.size);
  ck_assert_int_eq(p->inputs[0].problem.status, MG_DECODE_OK);
  ck_assert_uint_eq(p->totals.allocations, 1);
  ck_assert_uint_eq(p->totals.frees, 1);
  ck_assert_uint_eq(p->totals.live_blocks, 0);
  ck_assert_uint_eq(p->inputs[0].process->status.skipped_bytes, 0);
  mg_profile_free(p);
  /* A page of garbage instead: the same, and its bytes are said. */
  fx_destroy(&f);
  start(&f);
  fx_events(&f, 1, 700, 1);
  fx_alloc(&f, SITE_A, 10, 0x1000, 100);
  char junk[MS_CHUNK_ALIGN];
  memset(junk, 0x5a, sizeof junk);
  fx_raw(&f, junk, sizeof junk);
  fx_events(&f, 1, 700, 1);
  fx_free(&f, SITE_F, 0x1000, 200);
  p = read_fx(&f, f.buf.size);
  ck_assert_uint_eq(p->totals.frees, 1);
  ck_assert_uint_eq(p->inputs[0].process->status.skipped_bytes, MS_CHUNK_ALIGN);
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  mg_report_text(out, p, NULL);
  fclose(out);
  ck_assert_msg(strstr(text, "    warning: 4096 bytes between chunks were neither a chunk nor "
                             "zeros (skipped)\n"), "%s", text);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A file cut where a chunk begins has no piece of a chunk to show the cut: the status
 * block's cursor does (chunk_end past the end), unless the disk was full (the cursor
 * then passed the reservation that failed). */
START_TEST(test_cut_at_chunk_boundary) {
  struct fx f;
  start(&f);
  fx_events(&f, 1, 700, 1);
  fx_alloc(&f, SITE_A, 16, 0x1000, 100);
  fx_events(&f, 1, 700, 1);
  fx_free(&f, SITE_F, 0x1000, 200);
  size_t last = f.starts[f.nobjects - 1]; /* the second EVENTS chunk's start */
  ck_assert_uint_eq(last % MS_CHUNK_ALIGN, 0);
  fx_status(&f, &(struct ms_file_status){.chunk_end = f.buf.size});
  struct mg_profile *p = read_fx(&f, f.buf.size);
  ck_assert_int_eq(p->inputs[0].problem.status, MG_DECODE_OK);
  ck_assert_uint_eq(p->totals.frees, 1);
  mg_profile_free(p);
  p = read_fx(&f, last);
  const struct mg_input *in = &p->inputs[0];
  ck_assert_int_eq(in->problem.status, MG_DECODE_TRUNCATED);
  ck_assert_uint_eq(in->problem.offset, last);
  char want[200];
  snprintf(want, sizeof want,
           "truncated: the file ends at byte %zu, before the end of its chunks (byte %zu): "
           "cut short, or the program died while adding a chunk", last, f.buf.size);
  ck_assert_str_eq(in->problem.message, want);
  ck_assert_uint_eq(p->totals.frees, 0); /* what the cut file holds is read */
  ck_assert_uint_eq(p->totals.allocations, 1);
  mg_profile_free(p);
  fx_status(&f, &(struct ms_file_status){.chunk_end = f.buf.size, .flags = MS_STATUS_DISK_FULL,
                                         .full_ns = 300});
  p = read_fx(&f, last);
  ck_assert_int_ne(p->inputs[0].problem.status, MG_DECODE_TRUNCATED);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A chunk cut by the end of the file: its complete items are read, the file is
 * truncated at the chunk. */
START_TEST(test_chunk_cut_by_end) {
  struct fx f;
  start(&f);
  fx_events(&f, 1, 700, 300);
  for (int i = 0; i < 300; i++)
    fx_alloc(&f, SITE_A, 16, 0x10000 + 64 * (uint64_t)i, 100 + (uint64_t)i);
  size_t at = f.starts[f.nobjects - 1];
  /* 300 allocations of ~5 bytes: cut the file 1000 bytes into the content. */
  struct mg_profile *p = read_fx(&f, at + 32 + 1000);
  const struct mg_input *in = &p->inputs[0];
  ck_assert_int_eq(in->problem.status, MG_DECODE_TRUNCATED);
  ck_assert_uint_eq(in->problem.offset, at);
  ck_assert_str_eq(in->problem.message,
                   "truncated: the file ends inside a chunk (1032 of its 4096 bytes present)");
  /* Items are whole within `used`; the cut keeps those wholly inside the file. */
  uint64_t n = p->totals.allocations;
  ck_assert_uint_gt(n, 150);
  ck_assert_uint_lt(n, 300);
  ck_assert_uint_eq(p->totals.live_blocks, n);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A bad item stops its chunk with its offset; the other chunks are read. */
START_TEST(test_bad_item) {
  struct fx f;
  start(&f);
  fx_events(&f, 1, 700, 2);
  fx_alloc(&f, SITE_A, 10, 0x1000, 100);
  fx_alloc(&f, SITE_A, 10, 0x2000, 110);
  size_t chunk = f.starts[f.nobjects - 1];
  uint32_t used = ((struct ms_chunk_header *)(f.buf.data + chunk))->used;
  /* A third item with an unknown tag, written by hand into the chunk. */
  f.buf.data[chunk + 32 + used] = 0x0e;
  ((struct ms_chunk_header *)(f.buf.data + chunk))->used = used + 1;
  fx_events(&f, 1, 700, 1);
  fx_free(&f, SITE_F, 0x1000, 200);
  struct mg_profile *p = read_fx(&f, f.buf.size);
  const struct mg_input *in = &p->inputs[0];
  ck_assert_int_eq(in->problem.status, MG_DECODE_CORRUPT);
  ck_assert_uint_eq(in->problem.offset, chunk + 32 + used);
  ck_assert_str_eq(in->problem.message, "bad EVENTS item (tag 0x0e): unknown kind");
  ck_assert_uint_eq(p->totals.allocations, 2);
  ck_assert_uint_eq(p->totals.frees, 1);
  char msg[512];
  mg_decode_problem_format(&in->problem, msg, sizeof msg);
  ck_assert(strstr(msg, "c.msgpack: offset "));
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* EVENTS chunk content decoded with a fast path for plain full-mode items: against the
 * codec's own decoder, on values of every length (10-byte varints too), near the end of
 * the content (where the fast path checks bounds again), with a slot no SITE named, a
 * sample, and a varint of 11 bytes in the middle of the chunk. */
static uint64_t rnd(uint64_t *x) { /* xorshift64 */
  *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
  return *x;
}

START_TEST(test_plain_decode) {
  enum { N = 3000 };
  static uint8_t buf[N * MS_ITEM_EVENT_MAX + 32];
  static struct ms_codec_event want[N];
  struct mg_slots slots;
  mg_slots_init(&slots);
  mg_slots_set(&slots, 2, 0xa);
  mg_slots_set(&slots, 3, 0xb);
  mg_slots_set(&slots, 4, 0); /* named, site id 0 */
  uint64_t x = 88172645463325252ull;
  for (int round = 0; round < 4; round++) {
    struct ms_codec_state st = {0};
    uint8_t *p = buf;
    for (size_t i = 0; i < N; i++) {
      unsigned bits = (unsigned)(rnd(&x) % 65); /* values of every length */
      uint64_t big = bits ? rnd(&x) >> (64 - bits) : 0;
      struct ms_codec_event e = {.op = rnd(&x) % 2 ? MS_ITEM_ALLOC : MS_ITEM_FREE,
                                 .slot = 2 + (uint32_t)(rnd(&x) % 3), .weight = 1.0};
      e.size = e.op == MS_ITEM_ALLOC ? big : 0;
      e.ptr = rnd(&x) % 4 ? st.prev_ptr + 16 * (rnd(&x) % 100) : rnd(&x);
      e.ts = st.prev_ts + (rnd(&x) % 8 ? rnd(&x) % 5000 : rnd(&x));
      if (round == 1 && i == N - 2)
        e.slot = 9; /* named by no SITE record: the general form from here */
      if (round == 2 && i == N / 2) { /* a sample: the general form from here */
        e.op = MS_ITEM_SAMPLE;
        e.weight = 3.0;
      }
      want[i] = e;
      p = ms_encode_event(p, &st, &e);
    }
    size_t len = (size_t)(p - buf), cut = 0;
    if (round == 3) { /* an 11-byte varint as item N/2's ptr: the chunk stops there */
      const uint8_t *q = buf;
      struct ms_codec_state s2 = {0};
      struct ms_codec_event e;
      uint64_t id, frames[1];
      uint32_t nf;
      for (size_t i = 0; i < N / 2; i++)
        ms_decode_item(&q, buf + len, &s2, &e, &id, frames, &nf);
      cut = (size_t)(q - buf);
      uint8_t bad[] = {MS_ITEM_FREE, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                       0x80, 0x80, 0x01, 0};
      memmove(buf + cut + sizeof bad, buf + cut, len - cut); /* the rest stays after */
      memcpy(buf + cut, bad, sizeof bad);
      len += sizeof bad;
    }
    struct mg_chunk_events c = {0};
    mg_chunk_events_decode(&c, buf, len, 1000, &slots);
    size_t n = round == 3 ? N / 2 : N;
    ck_assert_uint_eq(c.n, n);
    ck_assert(c.is_plain == (round == 0)); /* a bad item too is the general decoder's */
    ck_assert(c.bad == (round == 3));
    if (round == 3)
      ck_assert_uint_eq(c.bad_offset, 1000 + cut);
    uint64_t allocated = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
      const struct ms_codec_event *w = &want[i];
      uint64_t site = w->slot == 2 ? 0xa : w->slot == 3 ? 0xb : 0;
      uint32_t kind = w->op == MS_ITEM_FREE ? MS_EV_FREE : MS_EV_ALLOC;
      if (w->op == MS_ITEM_ALLOC && w->ptr)
        allocated++, bytes += w->size;
      if (c.is_plain) {
        const struct mg_plain_event *e = &c.plain[i];
        ck_assert(e->ts == w->ts && e->ptr == w->ptr && e->size == w->size);
        ck_assert_uint_eq(e->slot, w->slot);
        ck_assert_uint_eq(e->kind, kind);
      } else {
        const struct mg_event *e = &c.events[i];
        ck_assert(e->ts == w->ts && e->ptr == w->ptr && e->size == w->size);
        ck_assert_uint_eq(e->site, site);
        ck_assert_uint_eq(e->kind, kind);
        ck_assert(e->weight == w->weight);
      }
    }
    ck_assert(!!(c.facts & MG_EVENTS_PLAIN) == (round != 2));
    if (c.facts & MG_EVENTS_PLAIN) {
      ck_assert_uint_eq(c.allocated, allocated);
      ck_assert_uint_eq(c.allocated_bytes, bytes);
    }
    mg_chunk_events_free(&c);
  }
  mg_slots_destroy(&slots);
}
END_TEST

/* Reallocs and stacks in plain form: a realloc that gave its block back is its release
 * (at begin_ns) and its result, one that released nothing its result alone; a malloc's
 * stack becomes a reference into the file's table, a realloc's is dropped; a failed
 * realloc of a block (it keeps old_ptr) sends the chunk to the general form. */
START_TEST(test_plain_realloc_stacks) {
  struct mg_slots slots;
  mg_slots_init(&slots);
  mg_slots_set(&slots, 2, 0xa);
  static uint8_t buf[4096];
  const uint64_t frames[] = {0x401000, 0x402000};
  for (int round = 0; round < 2; round++) {
    struct ms_codec_state st = {0};
    uint8_t *p = ms_encode_stack(buf, 1, frames, 2);
    const struct ms_codec_event ev[] = {
        {.op = MS_ITEM_ALLOC, .slot = 2, .size = 10, .ptr = 0x1000, .ts = 100, .stack = 1},
        {.op = MS_ITEM_REALLOC, .slot = 2, .size = 20, .ptr = 0x2000, .ts = 200,
         .old_ptr = 0x1000, .begin_ns = 150},
        {.op = MS_ITEM_REALLOC, .slot = 2, .size = 30, .ptr = 0x3000, .ts = 300,
         .begin_ns = 290, .stack = 1},
        {.op = MS_ITEM_REALLOC, .slot = 2, .size = 0, .ptr = 0, .ts = 400,
         .old_ptr = 0x3000, .begin_ns = 390},
        {.op = MS_ITEM_FREE, .slot = 2, .ptr = 0x2000, .ts = 500},
        {.op = MS_ITEM_REALLOC, .slot = 2, .size = 8, .ptr = 0, .ts = 600,
         .old_ptr = 0x4000, .begin_ns = 590}, /* failed: the general form (round 1) */
    };
    size_t nev = round == 0 ? 5 : 6;
    for (size_t i = 0; i < nev; i++)
      p = ms_encode_event(p, &st, &ev[i]);
    struct mg_chunk_events c = {0};
    mg_chunk_events_decode(&c, buf, (size_t)(p - buf), 0, &slots);
    struct mg_stack_ids ids;
    mg_stack_ids_init(&ids);
    mg_stack_ids_resolve(&ids, 1, &c);
    ck_assert_uint_eq(c.n, nev);
    ck_assert(!c.bad);
    if (round == 1) {
      ck_assert(!c.is_plain);
      ck_assert_uint_eq(c.events[5].kind, MS_EV_REALLOC);
      ck_assert_uint_eq(c.events[5].old_ptr, 0x4000);
      ck_assert_uint_eq(c.events[0].nstack, 2);
      ck_assert_uint_eq(c.events[0].stack[1], 0x402000);
    } else {
      ck_assert(c.is_plain);
      ck_assert(c.facts & MG_EVENTS_PLAIN);
      ck_assert_uint_eq(c.allocated, 1);
      ck_assert_uint_eq(c.allocated_bytes, 10);
      const struct mg_plain_event want[] = {
          {100, 0x1000, 10, {2}, {MS_EV_ALLOC}},  {150, 0x1000, 0, {2}, {MG_PLAIN_RELEASE}},
          {200, 0x2000, 20, {2}, {MS_EV_REALLOC}}, {300, 0x3000, 30, {2}, {MS_EV_REALLOC}},
          {390, 0x3000, 0, {2}, {MG_PLAIN_RELEASE}}, {400, 0, 0, {2}, {MS_EV_REALLOC}},
          {500, 0x2000, 0, {2}, {MS_EV_FREE}}};
      ck_assert_uint_eq(c.nplain, 7);
      for (size_t i = 0; i < 7; i++) {
        const struct mg_plain_event *e = &c.plain[i];
        ck_assert(e->ts == want[i].ts && e->ptr == want[i].ptr && e->size == want[i].size);
        ck_assert_uint_eq(e->slot, want[i].slot);
        ck_assert_uint_eq(e->kind, want[i].kind);
      }
      struct mg_stack_refs refs = mg_stack_ids_refs(&ids, &c);
      ck_assert_ptr_nonnull(refs.ref);
      ck_assert_ptr_eq(refs.source, &ids);
      for (size_t i = 0; i < 7; i++)
        ck_assert_uint_eq(refs.ref[i], i == 0 ? 1 : 0); /* the realloc's stack: dropped */
      ck_assert_uint_eq(refs.spans[0].n, 2);
      ck_assert_uint_eq(refs.frames[refs.spans[0].at + 1], 0x402000);
    }
    mg_stack_ids_destroy(&ids);
    mg_chunk_events_free(&c);
  }
  mg_slots_destroy(&slots);
}
END_TEST

/* The decoder's entry array is as large as its huge pages: a chunk a few bytes longer
 * than the one before (chunks of one size differ so) is decoded into the same array, not
 * a new one whose pages would be zeroed again.  Every entry exact, both times. */
START_TEST(test_plain_array_reused) {
  enum { N = 60000 }; /* about 5 bytes an item: (len / 3 + 1) entries take 3.2 MB */
  static uint8_t buf[(N + 8) * MS_ITEM_EVENT_MAX];
  struct mg_slots slots;
  mg_slots_init(&slots);
  mg_slots_set(&slots, 2, 0xa);
  struct mg_chunk_events c = {0};
  const struct mg_plain_event *first = NULL;
  for (size_t extra = 0; extra <= 2; extra++) { /* 0, then 1 and 2 items more */
    struct ms_codec_state st = {0};
    uint8_t *p = buf;
    for (size_t i = 0; i < N + extra; i++) {
      struct ms_codec_event e = {.op = i % 2 ? MS_ITEM_FREE : MS_ITEM_ALLOC, .slot = 2,
                                 .size = i % 2 ? 0 : 16 + i % 7, .ptr = 0x10000 + 32 * (i / 2),
                                 .ts = 1000 + i, .weight = 1.0};
      p = ms_encode_event(p, &st, &e);
    }
    size_t len = (size_t)(p - buf);
    mg_chunk_events_decode(&c, buf, len, 0, &slots);
    ck_assert(c.is_plain);
    ck_assert_uint_eq(c.nplain, N + extra);
    ck_assert_uint_ge(c.plain_cap * sizeof *c.plain, mg_huge_size((len / 3 + 1) * sizeof *c.plain));
    if (extra == 0) {
      first = c.plain;
      ck_assert_uint_gt(c.plain_cap * sizeof *c.plain, (size_t)2 << 20); /* huge pages */
    }
    ck_assert_ptr_eq(c.plain, first); /* the same array */
    for (size_t i = 0; i < N + extra; i++) {
      const struct mg_plain_event *e = &c.plain[i];
      ck_assert_uint_eq(e->ts, 1000 + i);
      ck_assert_uint_eq(e->ptr, 0x10000 + 32 * (i / 2));
      ck_assert_uint_eq(e->size, i % 2 ? 0 : 16 + i % 7);
      ck_assert_uint_eq(e->kind, i % 2 ? MS_EV_FREE : MS_EV_ALLOC);
    }
    ck_assert_uint_eq(c.allocated, (N + extra + 1) / 2);
  }
  mg_chunk_events_free(&c);
  mg_slots_destroy(&slots);
}
END_TEST

/* Stack references through the resolver's memo: 100 stacks (ids that share the memo's
 * entries), allocations naming them in a scrambled order, some naming an id never
 * defined (counted as unknown, no reference) or no stack; each reference is the right
 * stack's, in two chunks of one thread (the ids span its chunks). */
START_TEST(test_plain_stack_memo) {
  enum { STACKS = 100, N = 3000 };
  static uint8_t buf[STACKS * 64 + N * MS_ITEM_EVENT_MAX];
  struct mg_slots slots;
  mg_slots_init(&slots);
  mg_slots_set(&slots, 2, 0xa);
  struct mg_stack_ids ids;
  mg_stack_ids_init(&ids);
  uint64_t unknown = 0;
  for (int chunk = 0; chunk < 2; chunk++) {
    uint8_t *p = buf;
    if (chunk == 0) /* stack id s: frames 0x1000 * s, 0x7000 */
      for (uint64_t s = 1; s <= STACKS; s++)
        p = ms_encode_stack(p, s, (const uint64_t[]){0x1000 * s, 0x7000}, 2);
    struct ms_codec_state st = {0};
    uint64_t want[N];
    for (size_t i = 0; i < N; i++) {
      uint64_t id = (i * 37 + (size_t)chunk) % (STACKS + 10); /* 0: none, > STACKS: never defined */
      want[i] = id;
      unknown += id > STACKS;
      struct ms_codec_event e = {.op = MS_ITEM_ALLOC, .slot = 2, .size = 8, .ptr = 0x100 + 16 * i,
                                 .ts = 10 + i, .weight = 1.0, .stack = id};
      p = ms_encode_event(p, &st, &e);
    }
    struct mg_chunk_events c = {0};
    mg_chunk_events_decode(&c, buf, (size_t)(p - buf), 0, &slots);
    ck_assert(c.is_plain);
    ck_assert_uint_eq(c.nplain, N);
    mg_stack_ids_resolve(&ids, 1, &c);
    struct mg_stack_refs refs = mg_stack_ids_refs(&ids, &c);
    ck_assert_ptr_nonnull(refs.ref);
    for (size_t i = 0; i < N; i++) {
      if (want[i] == 0 || want[i] > STACKS) {
        ck_assert_uint_eq(refs.ref[i], 0);
        continue;
      }
      ck_assert_uint_ne(refs.ref[i], 0);
      const struct mg_frames_span *sp = &refs.spans[refs.ref[i] - 1];
      ck_assert_uint_eq(sp->n, 2);
      ck_assert_uint_eq(refs.frames[sp->at], 0x1000 * want[i]);
    }
    ck_assert_uint_eq(ids.unknown, unknown);
    mg_chunk_events_free(&c);
  }
  mg_stack_ids_destroy(&ids);
  mg_slots_destroy(&slots);
}
END_TEST

/* An EVENTS chunk with nothing in it (a thread killed before its first item) is read as
 * no events, from a file as from memory. */
START_TEST(test_empty_events_chunk) {
  struct fx f;
  start(&f);
  fx_events(&f, 1, 700, 0);
  fx_events(&f, 1, 700, 1);
  fx_alloc(&f, SITE_A, 10, 0x1000, 100);
  fx_end(&f, 300, "exit");
  char path[] = "/tmp/memscope.empty.XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, f.buf.data, f.buf.size), (ssize_t)f.buf.size);
  close(fd);
  for (int from_file = 0; from_file < 2; from_file++) {
    struct mg_profile *p = mg_profile_new();
    const struct mg_input *in = from_file ? mg_profile_add_file(p, path)
                                          : mg_profile_add_buffer(p, "c.msgpack", f.buf.data,
                                                                  f.buf.size);
    ck_assert_msg(in->problem.status == MG_DECODE_OK, "%s", in->problem.message);
    ck_assert_uint_eq(p->totals.allocations, 1);
    ck_assert_uint_eq(p->totals.live_blocks, 1);
    mg_profile_free(p);
  }
  unlink(path);
  fx_destroy(&f);
}
END_TEST

/* Unknown chunk kinds are skipped and counted like unknown records. */
START_TEST(test_unknown_chunk_kind) {
  struct fx f;
  start(&f);
  fx_chunk(&f, 77, 0, 0, "future", 6);
  fx_events(&f, 1, 700, 1);
  fx_alloc(&f, SITE_A, 10, 0x1000, 100);
  struct mg_profile *p = read_fx(&f, f.buf.size);
  ck_assert_int_eq(p->inputs[0].problem.status, MG_DECODE_OK);
  ck_assert_uint_eq(p->inputs[0].process->skipped_records, 1);
  ck_assert_uint_eq(p->totals.allocations, 1);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A thread without COUNTERS record is counted from its table: killed after counting its
 * last allocation, before writing its event; that one missing event is tolerated. */
START_TEST(test_counted_from_table) {
  struct fx f;
  start(&f);
  fx_events(&f, 1, 700, 3);
  fx_alloc(&f, SITE_A, 10, 0x1000, 100);
  fx_alloc(&f, SITE_A, 30, 0x2000, 110);
  fx_free(&f, SITE_F, 0x1000, 120);
  struct ms_table_slot t[4] = {{0}};
  t[fx_slot(&f, SITE_A)] = (struct ms_table_slot){3, 60, 10, 20}; /* one more: 20 bytes */
  t[fx_slot(&f, SITE_F)] = (struct ms_table_slot){1, 0, 0, 0};
  fx_table(&f, 1, 0, 4, t);
  struct mg_profile *p = read_fx(&f, f.buf.size);
  ck_assert_int_eq(p->inputs[0].problem.status, MG_DECODE_OK);
  const struct mg_process *proc = p->inputs[0].process;
  ck_assert(proc->has_counters);
  ck_assert(thread1(p)->from_table);
  ck_assert_uint_eq(p->totals.allocations, 3);
  ck_assert_uint_eq(p->totals.bytes_allocated, 60);
  ck_assert_uint_eq(p->totals.frees, 1);
  ck_assert_uint_eq(proc->disagreeing_sites, 0);
  const struct mg_site *a = mg_profile_find_site(p, SITE_A);
  ck_assert_uint_eq(a->sizes.min, 10);
  ck_assert_uint_eq(a->sizes.max, 30);
  mg_profile_free(p);
  fx_destroy(&f);
  /* Two calls missing is a disagreement. */
  start(&f);
  fx_events(&f, 1, 700, 1);
  fx_alloc(&f, SITE_A, 10, 0x1000, 100);
  memset(t, 0, sizeof t);
  t[fx_slot(&f, SITE_A)] = (struct ms_table_slot){3, 30, 10, 0};
  fx_table(&f, 1, 0, 4, t);
  p = read_fx(&f, f.buf.size);
  ck_assert_uint_eq(p->inputs[0].process->disagreeing_sites, 1);
  ck_assert_uint_eq(p->totals.allocations, 3);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A later session's table minus its BASE record; slot 1 is the realloc releases; a
 * thread with a COUNTERS record ignores its table. */
START_TEST(test_table_minus_base) {
  struct fx f;
  fx_init(&f);
  fx_header_sampled(&f, "c", 700, 1024);
  fx_site(&f, SITE_A, MEMSCOPE_API_MALLOC, 0, NULL);
  uint32_t slots[] = {fx_slot(&f, SITE_A), 1};
  uint64_t calls[] = {5, 2}, bytes[] = {500, 0};
  fx_base(&f, 1, 2, slots, calls, bytes);
  fx_counters(&f, 2, 701, 1, 1);
  fx_counter(&f, SITE_A, 4, 40, 10, 10);
  struct ms_table_slot t[3] = {{0}};
  t[1] = (struct ms_table_slot){3, 0, 0, 0};
  t[2] = (struct ms_table_slot){12, 1300, 8, 200};
  fx_table(&f, 1, 0, 3, t);
  struct ms_table_slot t2[3] = {{0}};
  t2[2] = (struct ms_table_slot){99, 9900, 100, 0};
  fx_table(&f, 2, 0, 3, t2);
  fx_end(&f, 500, "exit");
  struct mg_profile *p = read_fx(&f, f.buf.size);
  ck_assert_int_eq(p->inputs[0].problem.status, MG_DECODE_OK);
  ck_assert_uint_eq(thread1(p)->counts.allocations, 7);
  ck_assert_uint_eq(thread1(p)->counts.bytes_allocated, 800);
  ck_assert_uint_eq(thread1(p)->realloc_releases, 1);
  const struct mg_thread *t2p = mg_process_find_thread(p->inputs[0].process, 2);
  ck_assert_uint_eq(t2p->counts.allocations, 4);
  ck_assert_uint_eq(p->totals.allocations, 11);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

static char *text_of(struct mg_profile *p) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  mg_report_text(out, p, NULL);
  fclose(out);
  return text;
}

/* The status block reaches the reports. */
START_TEST(test_status_disk_full_and_signal) {
  struct fx f;
  start(&f); /* start_ns 1000 */
  struct ms_file_status st = {.flags = MS_STATUS_DISK_FULL | MS_STATUS_SIGNAL,
                              .full_ns = 1000 + 2100000000ull, .lost_events = 1234,
                              .signal = 11, .signal_tid = 4242,
                              .signal_ns = 1000 + 1300000000ull};
  fx_status(&f, &st);
  fx_events(&f, 1, 700, 1);
  fx_alloc(&f, SITE_A, 10, 0x1000, 100);
  struct mg_profile *p = read_fx(&f, f.buf.size);
  const struct mg_process *proc = p->inputs[0].process;
  ck_assert_uint_eq(proc->status.flags, MS_STATUS_DISK_FULL | MS_STATUS_SIGNAL);
  ck_assert_uint_eq(proc->status.lost_events, 1234);
  char *text = text_of(p);
  ck_assert_msg(strstr(text, "    warning: recording stopped at +2.1 s: no space left for the "
                             "file; 1234 events lost; counts go on (a thread's calls are missing only "
                             "where its counts found no room either)\n"),
                "%s", text);
  ck_assert_msg(strstr(text, "    warning: the process died of SIGSEGV (thread 4242) at +1.3 s: "
                             "everything before it is here\n"), "%s", text);
  free(text);
  text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  mg_report_json(out, p, NULL);
  fclose(out);
  ck_assert_msg(strstr(text, "\"disk_full\": {\"at_ns\": 2100000000, \"lost_events\": 1234}") ||
                strstr(text, "\"lost_events\": 1234"), "%s", text);
  ck_assert_msg(strstr(text, "\"name\": \"SIGSEGV\""), "%s", text);
  ck_assert_msg(strstr(text, "\"tid\": 4242"), "%s", text);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Calls of threads that had no record (the status block's dropped_calls) are the
 * process's dropped calls, with its threads' own (THREAD records: none here); a file
 * with nothing else to say is then not "complete" without a word. */
START_TEST(test_status_dropped_calls) {
  struct fx f;
  start(&f);
  struct ms_file_status st = {.dropped_calls = 7};
  fx_status(&f, &st);
  fx_events(&f, 1, 700, 1);
  fx_alloc(&f, SITE_A, 10, 0x1000, 100);
  struct mg_profile *p = read_fx(&f, f.buf.size);
  const struct mg_process *proc = p->inputs[0].process;
  ck_assert_uint_eq(proc->status.dropped_calls, 7);
  ck_assert_uint_eq(mg_process_dropped_events(proc), 7);
  char *text = text_of(p);
  ck_assert_msg(strstr(text, ", 7 calls not recorded (memscope busy in a signal handler or a "
                             "fork, or out of memory)"), "%s", text);
  free(text);
  text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  mg_report_json(out, p, NULL);
  fclose(out);
  ck_assert_msg(strstr(text, "\"dropped_events\": 7,"), "%s", text);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* One thread after a full disk: 1 allocation event at A, none at F; its table counts 3
 * allocations (30 bytes) at A and 2 frees at F, so its events are 4 calls short. */
/* ... ended in order (an END record with that reason) unless end_reason is NULL. */
static struct mg_profile *short_by_four(struct fx *f, uint64_t lost_events,
                                        const char *end_reason) {
  start(f);
  fx_status(f, &(struct ms_file_status){.flags = MS_STATUS_DISK_FULL,
                                        .full_ns = 1000 + 500000000ull,
                                        .lost_events = lost_events});
  fx_events(f, 1, 700, 1);
  fx_alloc(f, SITE_A, 10, 0x1000, 100);
  struct ms_table_slot t[4] = {{0}};
  t[fx_slot(f, SITE_A)] = (struct ms_table_slot){3, 30, 10, 0};
  t[fx_slot(f, SITE_F)] = (struct ms_table_slot){2, 0, 0, 0};
  fx_table(f, 1, 0, 4, t);
  if (end_reason)
    fx_end(f, 300, end_reason);
  return read_fx(f, f->buf.size);
}

static char *json_of(struct mg_profile *p) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  mg_report_json(out, p, NULL);
  fclose(out);
  return text;
}

/* Events lost for want of room leave their calls counted: when the status block's
 * lost_events covers what the events lack, the sites are short, not disagreeing, and
 * the reports say which figures miss them; when it does not, they disagree. */
START_TEST(test_lost_events_not_disagreement) {
  struct fx f;
  struct mg_profile *p = short_by_four(&f, 4, NULL);
  const struct mg_process *proc = p->inputs[0].process;
  ck_assert_int_eq(p->inputs[0].problem.status, MG_DECODE_OK);
  ck_assert_uint_eq(proc->disagreeing_sites, 0);
  ck_assert_uint_eq(proc->short_sites, 2);
  ck_assert_uint_eq(proc->short_calls, 4);
  ck_assert_uint_eq(p->totals.allocations, 3); /* the counters' */
  ck_assert_uint_eq(p->totals.frees, 2);
  char *text = text_of(p);
  ck_assert_msg(!strstr(text, "disagree"), "%s", text);
  ck_assert_msg(strstr(text, "    warning: recording stopped at +0.5 s: no space left for the "
                             "file; 4 events lost; counts go on (a thread's calls are missing only "
                             "where its counts found no room either)\n"
                             "    warning: 4 counted calls at 2 sites have no event (lost for "
                             "want of room): counts are exact, but peak, "
                             "live, leaks and lifetimes miss them\n"),
                "%s", text);
  free(text);
  text = json_of(p);
  ck_assert_msg(strstr(text, "\"disagreeing_sites\": 0,"), "%s", text);
  ck_assert_msg(strstr(text, "\"lost_events\": 4,\n        \"short_sites\": 2,\n"
                             "        \"short_calls\": 4\n      }"),
                "%s", text);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);

  /* 2 events lost and the one call a thread counted from its table may lack (killed
   * mid-call) make 3, not 4: the loss does not explain them. */
  p = short_by_four(&f, 2, NULL);
  proc = p->inputs[0].process;
  ck_assert_uint_eq(proc->disagreeing_sites, 2);
  ck_assert_uint_eq(proc->short_sites, 0);
  ck_assert_uint_eq(proc->short_calls, 0);
  text = text_of(p);
  ck_assert_msg(strstr(text, ", counters and events disagree at 2 sites\n"), "%s", text);
  ck_assert_msg(!strstr(text, "have no event"), "%s", text);
  free(text);
  text = json_of(p);
  ck_assert_msg(strstr(text, "\"disagreeing_sites\": 2,"), "%s", text);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);

  /* Events beyond the counters are never a loss, whatever was lost. */
  start(&f);
  fx_status(&f, &(struct ms_file_status){.flags = MS_STATUS_DISK_FULL, .full_ns = 2000,
                                         .lost_events = 100});
  fx_events(&f, 1, 700, 3);
  fx_alloc(&f, SITE_A, 10, 0x1000, 100);
  fx_alloc(&f, SITE_A, 10, 0x2000, 110);
  fx_alloc(&f, SITE_A, 10, 0x3000, 120);
  struct ms_table_slot t[4] = {{0}};
  t[fx_slot(&f, SITE_A)] = (struct ms_table_slot){1, 10, 10, 0};
  fx_table(&f, 1, 0, 4, t);
  p = read_fx(&f, f.buf.size);
  ck_assert_uint_eq(p->inputs[0].process->disagreeing_sites, 1);
  ck_assert_uint_eq(p->inputs[0].process->short_sites, 0);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* The same thread in a file that ended in order (END "exit"): a stop and the exit let no
 * call count after them, so the missing event is a disagreement, not a kill mid-call
 * (the runtime's join_at_end flake: a thread running at exit, counted from its table,
 * one malloc more than its events, which this tolerated).  Nor does it excuse a call
 * that lost events do not cover. */
START_TEST(test_counted_from_table_after_end) {
  struct fx f;
  start(&f);
  fx_events(&f, 1, 700, 2);
  fx_alloc(&f, SITE_A, 10, 0x1000, 100);
  fx_free(&f, SITE_F, 0x1000, 120);
  struct ms_table_slot t[4] = {{0}};
  t[fx_slot(&f, SITE_A)] = (struct ms_table_slot){2, 30, 10, 10}; /* one more: 20 bytes */
  t[fx_slot(&f, SITE_F)] = (struct ms_table_slot){1, 0, 0, 0};
  fx_table(&f, 1, 0, 4, t);
  fx_end(&f, 300, "exit");
  struct mg_profile *p = read_fx(&f, f.buf.size);
  ck_assert_int_eq(p->inputs[0].problem.status, MG_DECODE_OK);
  const struct mg_process *proc = p->inputs[0].process;
  ck_assert(proc->complete);
  ck_assert(thread1(p)->from_table);
  ck_assert_uint_eq(proc->disagreeing_sites, 1);
  ck_assert_uint_eq(p->totals.allocations, 2); /* the counters' */
  ck_assert_uint_eq(p->totals.bytes_allocated, 30);
  ck_assert_uint_eq(p->totals.frees, 1);
  char *text = text_of(p);
  ck_assert_msg(strstr(text, ", counters and events disagree at 1 site\n"), "%s", text);
  free(text);
  text = json_of(p);
  ck_assert_msg(strstr(text, "\"disagreeing_sites\": 1,"), "%s", text);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);

  /* Short by 4 with 3 events lost: without END a kill mid-call makes up the fourth;
   * with it nothing does. */
  p = short_by_four(&f, 3, NULL);
  ck_assert_uint_eq(p->inputs[0].process->disagreeing_sites, 0);
  ck_assert_uint_eq(p->inputs[0].process->short_calls, 4);
  mg_profile_free(p);
  fx_destroy(&f);
  p = short_by_four(&f, 3, "exit");
  ck_assert_uint_eq(p->inputs[0].process->disagreeing_sites, 2);
  ck_assert_uint_eq(p->inputs[0].process->short_calls, 0);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A file of format 1 is refused with a message that says what to do. */
START_TEST(test_version_1_refused) {
  struct fx f;
  fx_init(&f);
  fx_header_version(&f, 1, "old", 1);
  fx_site(&f, SITE_A, MEMSCOPE_API_MALLOC, 0, NULL);
  struct mg_profile *p = read_fx(&f, f.buf.size);
  const struct mg_input *in = &p->inputs[0];
  ck_assert_int_eq(in->problem.status, MG_DECODE_VERSION);
  ck_assert_ptr_null(in->process);
  char msg[512];
  mg_decode_problem_format(&in->problem, msg, sizeof msg);
  ck_assert_str_eq(msg, "c.msgpack: was written by an older memscope (record format 1); this "
                        "memscope-merge reads format 2: record the program again");
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Decoding on worker threads gives what decoding in line does; a thread's stacks span
 * its chunks. */
START_TEST(test_parallel_same_as_inline) {
  struct fx f;
  fx_init(&f);
  fx_header_sampled(&f, "c", 700, 64);
  fx_site(&f, SITE_A, MEMSCOPE_API_MALLOC, 0, NULL);
  uint64_t stack[] = {0x401000, 0x402000};
  for (int k = 0; k < 40; k++) {
    fx_events(&f, 1 + (uint64_t)k % 3, 700, 4);
    for (int i = 0; i < 4; i++)
      fx_sampled_stack(&f, SITE_A, 100, 0x100000 + 0x100 * (uint64_t)(k * 4 + i),
                       1000 + (uint64_t)(k * 4 + i), 2.0, 0, 2, stack);
  }
  char path[] = "/tmp/memscope-container-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, f.buf.data, f.buf.size), (ssize_t)f.buf.size);
  close(fd);
  struct mg_profile *a = mg_profile_read_file(path, 0, NULL, 1, NULL);
  struct mg_profile *b = mg_profile_read_file(path, 0, NULL, 4, NULL);
  unlink(path);
  const struct mg_process *pa = a->inputs[0].process, *pb = b->inputs[0].process;
  ck_assert_uint_eq(pa->events, 160);
  ck_assert_uint_eq(pb->events, 160);
  ck_assert_uint_eq(pa->late_events, 0);
  ck_assert_uint_eq(pb->late_events, 0);
  ck_assert_ptr_nonnull(pa->stacks);
  ck_assert_ptr_nonnull(pb->stacks);
  mg_profile_free(a);
  mg_profile_free(b);
  fx_destroy(&f);
}
END_TEST

/* A thread killed before its THREAD record is named by its chunks' headers: an EVENTS
 * chunk's, or (with no events) a TABLE chunk's; a THREAD record has the last word. */
START_TEST(test_tid_from_chunk_header) {
  struct fx f;
  start(&f); /* thread 1 has a THREAD record: tid 700 */
  fx_events(&f, 1, 1234, 1);
  fx_alloc(&f, SITE_A, 10, 0x1000, 100);
  fx_events(&f, 2, 702, 1);
  fx_alloc(&f, SITE_A, 20, 0x2000, 110);
  struct ms_table_slot t[3] = {{0}};
  t[fx_slot(&f, SITE_A)] = (struct ms_table_slot){4, 40, 10, 0};
  fx_table(&f, 3, 0, 3, t);
  ((struct ms_chunk_header *)(f.buf.data + f.buf.size - 2 * MS_CHUNK_ALIGN))->os_tid = 703;
  struct mg_profile *p = read_fx(&f, f.buf.size);
  ck_assert_int_eq(p->inputs[0].problem.status, MG_DECODE_OK);
  const struct mg_process *proc = p->inputs[0].process;
  ck_assert_uint_eq(mg_process_find_thread(proc, 1)->os_tid, 700);
  ck_assert_uint_eq(mg_process_find_thread(proc, 2)->os_tid, 702);
  const struct mg_thread *t3 = mg_process_find_thread(proc, 3);
  ck_assert_ptr_nonnull(t3);
  ck_assert_uint_eq(t3->os_tid, 703);
  ck_assert_uint_eq(t3->counts.allocations, 4);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A file cut inside a chunk's first page (its header, say): truncated there, the chunks
 * before it read. */
START_TEST(test_cut_in_chunk_header) {
  struct fx f;
  start(&f);
  fx_events(&f, 1, 700, 1);
  fx_alloc(&f, SITE_A, 10, 0x1000, 100);
  fx_events(&f, 1, 700, 1);
  fx_free(&f, SITE_F, 0x1000, 200);
  size_t at = f.starts[f.nobjects - 1];
  struct mg_profile *p = read_fx(&f, at + 20);
  const struct mg_input *in = &p->inputs[0];
  ck_assert_int_eq(in->problem.status, MG_DECODE_TRUNCATED);
  ck_assert_uint_eq(in->problem.offset, at);
  ck_assert_str_eq(in->problem.message,
                   "truncated: the file ends inside a chunk (20 bytes of its first page present)");
  ck_assert_uint_eq(p->totals.allocations, 1);
  ck_assert_uint_eq(p->totals.frees, 0);
  ck_assert_uint_eq(in->process->status.skipped_bytes, 0);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* The fuzz target's seeds from this fixture builder (tests/fuzz/seeds): written when
 * MEMSCOPE_FUZZ_SEEDS names a directory, each checked to read as intended.  Together they
 * hold every chunk kind, every item kind, stacks over chunks, a BASE record, a status
 * block, a garbage page, zeros and a leaks-mode EVENTS record. */
static void seed(const char *dir, const char *name, struct fx *f, enum mg_decode_status want) {
  struct mg_profile *p = read_fx(f, f->buf.size);
  ck_assert_int_eq(p->inputs[0].problem.status, want);
  mg_profile_free(p);
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *out = fopen(path, "wb");
  ck_assert_ptr_nonnull(out);
  ck_assert_uint_eq(fwrite(f->buf.data, 1, f->buf.size, out), f->buf.size);
  fclose(out);
  fx_destroy(f);
}

START_TEST(test_fuzz_seeds) {
  const char *dir = getenv("MEMSCOPE_FUZZ_SEEDS");
  if (!dir)
    return;
  struct fx f;
  /* Full mode: every item kind, tables, a thread without THREAD record, zeros. */
  start(&f);
  fx_events(&f, 1, 700, 6);
  fx_alloc(&f, SITE_A, 10, 0x1000, 100);
  fx_realloc(&f, SITE_A, 40, 0x3000, 130, 0x1000, 120);
  fx_realloc(&f, SITE_A, 0, 0, 140, 0x3000, 135);
  fx_alloc(&f, SITE_A, 1u << 30, 0, 150);
  fx_free(&f, SITE_F, 0, 160);
  fx_free(&f, SITE_F, 0x9000, 170);
  fx_raw(&f, NULL, MS_CHUNK_ALIGN);
  fx_events(&f, 2, 702, 2);
  fx_alloc(&f, SITE_A, 30, 0x2000, 110);
  fx_free(&f, SITE_F, 0x2000, 180);
  struct ms_table_slot t[4] = {{0}};
  t[1] = (struct ms_table_slot){2, 0, 0, 0};
  t[fx_slot(&f, SITE_A)] = (struct ms_table_slot){3, 1073741874, 10, 1073741814};
  t[fx_slot(&f, SITE_F)] = (struct ms_table_slot){1, 0, 0, 0};
  fx_table(&f, 1, 0, 4, t);
  fx_counters_releases(&f, 2, 702, 1, 2, 0);
  fx_counter(&f, SITE_A, 1, 30, 30, 30);
  fx_counter(&f, SITE_F, 1, 0, 0, 0);
  fx_end(&f, 300, "exit");
  seed(dir, "unit_full.mspk", &f, MG_DECODE_OK);

  /* Sampled: stacks defined in one chunk and used in the next, phases, a BASE record,
   * the status block, a page of garbage. */
  fx_init(&f);
  fx_header_sampled(&f, "c", 700, 64);
  fx_site(&f, SITE_A, MEMSCOPE_API_MALLOC, 0, NULL);
  fx_phase(&f, 1, "load", 50);
  uint32_t slots[] = {fx_slot(&f, SITE_A)};
  uint64_t calls[] = {2}, bytes[] = {200};
  fx_base(&f, 1, 1, slots, calls, bytes);
  struct ms_file_status st = {.flags = MS_STATUS_DISK_FULL | MS_STATUS_SIGNAL, .full_ns = 900,
                              .lost_events = 3, .signal = 6, .signal_tid = 700,
                              .signal_ns = 950};
  fx_status(&f, &st);
  uint64_t stack[] = {0x401000, 0x402000, 0x3ff000};
  for (int k = 0; k < 3; k++) {
    fx_events(&f, 1, 700, 2);
    fx_sampled_stack(&f, SITE_A, 100, 0x100000 + 0x100 * (uint64_t)k, 1000 + 10 * (uint64_t)k,
                     2.5, 1, 3, stack);
    fx_sampled_phase(&f, SITE_A, 8, 0x200000 + 0x100 * (uint64_t)k, 1005 + 10 * (uint64_t)k,
                     64.0, 16, 1);
  }
  char junk[MS_CHUNK_ALIGN];
  memset(junk, 0xa5, sizeof junk);
  fx_raw(&f, junk, sizeof junk);
  struct ms_table_slot t1[3] = {{0}};
  t1[2] = (struct ms_table_slot){9, 900, 8, 92};
  fx_table(&f, 1, 0, 3, t1);
  seed(dir, "unit_sampled.mspk", &f, MG_DECODE_OK);

  /* Leaks mode: the live blocks as an EVENTS record. */
  fx_init(&f);
  fx_mark(&f);
  msgpack_pack_array(&f.pk, 3);
  fx_str(&f, MS_FORMAT_MAGIC);
  msgpack_pack_uint64(&f.pk, MS_FORMAT_VERSION);
  msgpack_pack_map(&f.pk, 2);
  fx_str(&f, MS_META_MODE);
  fx_str(&f, "leaks");
  fx_str(&f, MS_META_PID);
  msgpack_pack_uint64(&f.pk, 701);
  fx_site(&f, SITE_A, MEMSCOPE_API_MALLOC, 0, NULL);
  fx_events_record(&f, 1, 0, 2);
  fx_sampled_stack(&f, SITE_A, 24, 0x5000, 400, 1.0, 0, 2, stack);
  fx_sampled(&f, SITE_A, 48, 0x6000, 410, 1.0, 0);
  fx_counters_releases(&f, 1, 701, 1, 1, 0);
  fx_counter(&f, SITE_A, 5, 200, 24, 48);
  fx_end(&f, 500, "exit");
  seed(dir, "unit_leaks.mspk", &f, MG_DECODE_OK);
}
END_TEST

Suite *container_suite(void) {
  Suite *s = suite_create("container");
  TCase *tc = tcase_create("chunks");
  tcase_add_test(tc, test_resync_over_zero_page);
  tcase_add_test(tc, test_chunk_cut_by_end);
  tcase_add_test(tc, test_cut_at_chunk_boundary);
  tcase_add_test(tc, test_bad_item);
  tcase_add_test(tc, test_unknown_chunk_kind);
  tcase_add_test(tc, test_counted_from_table);
  tcase_add_test(tc, test_counted_from_table_after_end);
  tcase_add_test(tc, test_table_minus_base);
  tcase_add_test(tc, test_status_disk_full_and_signal);
  tcase_add_test(tc, test_lost_events_not_disagreement);
  tcase_add_test(tc, test_status_dropped_calls);
  tcase_add_test(tc, test_version_1_refused);
  tcase_add_test(tc, test_parallel_same_as_inline);
  tcase_add_test(tc, test_tid_from_chunk_header);
  tcase_add_test(tc, test_cut_in_chunk_header);
  tcase_add_test(tc, test_fuzz_seeds);
  tcase_add_test(tc, test_plain_decode);
  tcase_add_test(tc, test_plain_realloc_stacks);
  tcase_add_test(tc, test_plain_array_reused);
  tcase_add_test(tc, test_plain_stack_memo);
  tcase_add_test(tc, test_empty_events_chunk);
  suite_add_tcase(s, tc);
  return s;
}
