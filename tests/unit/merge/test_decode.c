/* Decoder: record contents, forward compatibility, and every kind of bad input. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "decode.h"
#include "fixture.h"
#include "memscope/event_codec.h"
#include "profile.h"
#include "report.h"
#include "suites.h"

/* --- A capture of everything the decoder delivers ------------------------------------ */

struct cap_frame {
  char function[64], file[64];
  bool function_null, file_null;
  uint32_t line, column;
};

struct capture {
  int headers;
  uint64_t version, pid, ppid, start_ns, start_unix_ns;
  unsigned present;
  char program[64], mode[64], sampler[64];
  bool sampler_null;
  uint64_t sample_interval;

  int sites;
  uint64_t site_id, site_offset;
  uint64_t slot_ids[64]; /* slot -> site id, for plain batches (their events carry slots) */
  uint32_t site_api;
  size_t nframes;
  struct cap_frame frames[8];

  int threads;
  struct mg_thread_rec thread; /* name copied below */
  char thread_name[64];
  bool thread_name_null;

  int batches;
  uint64_t batch_thread, batch_tid, batch_offset;
  size_t nskipped;
  size_t nevents;
  struct mg_event events[64];

  int ends;
  uint64_t end_ns;
  char reason[64];

  int unknown;
  uint64_t unknown_types[8];

  int counters;
  uint64_t counters_thread, counters_tid, counters_seq, counters_offset;
  uint64_t realloc_releases;
  bool has_realloc_releases;
  size_t nentries;
  struct mg_counter_rec entries[16];

  int phases;
  struct mg_phase_rec phase; /* label copied below */
  char phase_label[64];
  bool phase_label_null;

  int records; /* every record, in order */
};

static void copy(char *dst, const char *src, bool *was_null) {
  if (was_null)
    *was_null = src == NULL;
  snprintf(dst, 64, "%s", src ? src : "");
}

static void cap_header(void *ctx, const struct mg_header_rec *h) {
  struct capture *c = ctx;
  c->headers++;
  c->version = h->version;
  c->pid = h->pid;
  c->ppid = h->ppid;
  c->start_ns = h->start_ns;
  c->start_unix_ns = h->start_unix_ns;
  c->present = h->present;
  copy(c->program, h->program, NULL);
  copy(c->mode, h->mode, NULL);
  copy(c->sampler, h->sampler, &c->sampler_null);
  c->sample_interval = h->sample_interval;
}

static void cap_site(void *ctx, const struct mg_site_rec *s) {
  struct capture *c = ctx;
  c->sites++;
  c->records++;
  c->site_id = s->id;
  if (s->slot < 64)
    c->slot_ids[s->slot] = s->id;
  c->site_api = s->api;
  c->site_offset = s->offset;
  c->nframes = s->nframes;
  for (size_t i = 0; i < s->nframes && i < 8; i++) {
    copy(c->frames[i].function, s->frames[i].function, &c->frames[i].function_null);
    copy(c->frames[i].file, s->frames[i].file, &c->frames[i].file_null);
    c->frames[i].line = s->frames[i].line;
    c->frames[i].column = s->frames[i].column;
  }
}

static void cap_thread(void *ctx, const struct mg_thread_rec *t) {
  struct capture *c = ctx;
  c->threads++;
  c->records++;
  c->thread = *t;
  copy(c->thread_name, t->name, &c->thread_name_null);
  c->thread.name = NULL;
}

static void cap_events(void *ctx, const struct mg_events_rec *e) {
  struct capture *c = ctx;
  c->batches++;
  c->records++;
  c->batch_thread = e->thread;
  c->batch_tid = e->os_tid;
  c->batch_offset = e->offset;
  c->nskipped += e->nskipped;
  if (!e->plain)
    for (size_t i = 0; i < e->nevents && c->nevents < 64; i++)
      c->events[c->nevents++] = e->events[i];
  if (!e->plain)
    return;
  /* A plain batch: full-mode mallocs, frees and reallocs, as the general form would say
   * them (a realloc's release joined to its result; one that released nothing does not
   * say when it began: begin_ns 0 then). */
  ck_assert(e->facts & MG_EVENTS_PLAIN);
  size_t events = 0;
  for (size_t i = 0; i < e->nplain; i++) {
    const struct mg_plain_event *pe = &e->plain[i];
    ck_assert(pe->kind == MS_EV_ALLOC || pe->kind == MS_EV_FREE ||
              pe->kind == MS_EV_REALLOC || pe->kind == MG_PLAIN_RELEASE);
    ck_assert(pe->kind == MS_EV_ALLOC || pe->kind == MS_EV_REALLOC || pe->size == 0);
    ck_assert_uint_lt(pe->slot, 64);
    struct mg_event ev = {.kind = pe->kind, .site = c->slot_ids[pe->slot], .size = pe->size,
                          .ptr = pe->ptr, .ts = pe->ts, .weight = 1.0};
    if (pe->kind == MG_PLAIN_RELEASE) { /* its result follows, of the same slot */
      ck_assert_uint_lt(i + 1, e->nplain);
      const struct mg_plain_event *to = &e->plain[++i];
      ck_assert_uint_eq(to->kind, MS_EV_REALLOC);
      ck_assert_uint_eq(to->slot, pe->slot);
      ck_assert_uint_le(pe->ts, to->ts);
      ev = (struct mg_event){.kind = MS_EV_REALLOC, .site = c->slot_ids[to->slot],
                             .size = to->size, .ptr = to->ptr, .ts = to->ts,
                             .old_ptr = pe->ptr, .begin_ns = pe->ts, .weight = 1.0};
    }
    events++;
    if (c->nevents < 64)
      c->events[c->nevents++] = ev;
  }
  ck_assert_uint_eq(events, e->nevents);
}

static void cap_end(void *ctx, const struct mg_end_rec *e) {
  struct capture *c = ctx;
  c->ends++;
  c->records++;
  c->end_ns = e->end_ns;
  copy(c->reason, e->reason, NULL);
}

static void cap_unknown(void *ctx, uint64_t type, uint64_t offset) {
  struct capture *c = ctx;
  (void)offset;
  if (c->unknown < 8)
    c->unknown_types[c->unknown] = type;
  c->unknown++;
  c->records++;
}

static void cap_counters(void *ctx, const struct mg_counters_rec *r) {
  struct capture *c = ctx;
  c->counters++;
  c->records++;
  c->counters_thread = r->thread;
  c->counters_tid = r->os_tid;
  c->counters_seq = r->seq;
  c->counters_offset = r->offset;
  c->realloc_releases = r->realloc_releases;
  c->has_realloc_releases = r->has_realloc_releases;
  c->nentries = r->nentries;
  for (size_t i = 0; i < r->nentries && i < 16; i++)
    c->entries[i] = r->entries[i];
}

static void cap_phase(void *ctx, const struct mg_phase_rec *ph) {
  struct capture *c = ctx;
  c->phases++;
  c->records++;
  c->phase = *ph;
  copy(c->phase_label, ph->label, &c->phase_label_null);
  c->phase.label = NULL;
}

static const struct mg_decode_callbacks cap_cb = {
    .header = cap_header, .site = cap_site, .thread = cap_thread, .events = cap_events,
    .end = cap_end, .unknown = cap_unknown, .counters = cap_counters, .phase = cap_phase,
};

static bool decode(const void *data, size_t len, struct capture *c, struct mg_decode_problem *p) {
  memset(c, 0, sizeof *c);
  return mg_decode_buffer("test.msgpack", data, len, &cap_cb, c, p);
}

static bool decode_fx(struct fx *f, struct capture *c, struct mg_decode_problem *p) {
  return decode(f->buf.data, f->buf.size, c, p);
}

#define ck_assert_problem(p, st, off, text)                                          \
  do {                                                                              \
    ck_assert_int_eq((p)->status, (st));                                            \
    ck_assert((p)->has_offset);                                                     \
    ck_assert_uint_eq((p)->offset, (off));                                          \
    ck_assert_msg(strstr((p)->message, (text)), "message '%s' lacks '%s'", (p)->message, \
                  (text));                                                          \
  } while (0)

/* --- Contents ------------------------------------------------------------------------- */

START_TEST(test_header_parsed) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header(&f, "threads30", 1234);
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_int_eq(p.status, MG_DECODE_OK);
  ck_assert_int_eq(c.headers, 1);
  ck_assert_uint_eq(c.version, MS_FORMAT_VERSION);
  ck_assert_str_eq(c.program, "threads30");
  ck_assert_uint_eq(c.pid, 1234);
  ck_assert_uint_eq(c.ppid, 1);
  ck_assert_str_eq(c.mode, "full");
  ck_assert(c.sampler_null);
  ck_assert_uint_eq(c.sample_interval, 0);
  ck_assert_uint_eq(c.start_ns, 1000);
  ck_assert_uint_eq(c.start_unix_ns, 1700000000000000000ULL);
  ck_assert_uint_eq(c.present, MG_HEADER_HAS_PID | MG_HEADER_HAS_PPID | MG_HEADER_HAS_START_NS |
                                   MG_HEADER_HAS_START_UNIX_NS);
  ck_assert_int_eq(c.records, 0);
  fx_destroy(&f);
}
END_TEST

/* Keys are optional and unknown keys are ignored. */
START_TEST(test_header_sparse_meta) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_mark(&f);
  msgpack_pack_array(&f.pk, 3);
  fx_str(&f, "memscope");
  msgpack_pack_uint64(&f.pk, MS_FORMAT_VERSION);
  msgpack_pack_map(&f.pk, 2);
  fx_str(&f, "future_key");
  msgpack_pack_array(&f.pk, 0);
  fx_str(&f, "pid");
  msgpack_pack_uint64(&f.pk, 9);
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_int_eq(c.headers, 1);
  ck_assert_uint_eq(c.pid, 9);
  ck_assert_uint_eq(c.present, MG_HEADER_HAS_PID);
  ck_assert_str_eq(c.program, "");
  fx_destroy(&f);
}
END_TEST

/* The header's runtime version and command line reach the process; wrong types are named. */
static void run_info_header(struct fx *f, bool good_args) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, 3);
  fx_str(f, "memscope");
  msgpack_pack_uint64(&f->pk, MS_FORMAT_VERSION);
  msgpack_pack_map(&f->pk, 4);
  fx_str(f, MS_META_PID);
  msgpack_pack_uint64(&f->pk, 7);
  fx_str(f, MS_META_RUNTIME_VERSION);
  fx_str(f, "9.8.7");
  fx_str(f, MS_META_COMMAND_LINE);
  msgpack_pack_array(&f->pk, 3);
  fx_str(f, "./app");
  fx_str(f, "two words");
  if (good_args)
    fx_str(f, "a\xff\xe2\x82\xac" "b"); /* a stray byte, then U+20AC */
  else
    msgpack_pack_uint64(&f->pk, 5);
  fx_str(f, MS_META_COMMAND_LINE_TRUNCATED);
  msgpack_pack_true(&f->pk);
}

START_TEST(test_header_run_info) {
  struct fx f;
  fx_init(&f);
  run_info_header(&f, true);
  fx_end(&f, 10, "exit");
  struct mg_profile *prof = mg_profile_new();
  const struct mg_input *in = mg_profile_add_buffer(prof, "run.msgpack", f.buf.data, f.buf.size);
  ck_assert_int_eq(in->problem.status, MG_DECODE_OK);
  const struct mg_process *proc = in->process;
  ck_assert_str_eq(proc->runtime_version, "9.8.7");
  ck_assert_uint_eq(proc->ncommand_line, 3);
  ck_assert_str_eq(proc->command_line[0], "./app");
  ck_assert_str_eq(proc->command_line[1], "two words");
  ck_assert_str_eq(proc->command_line[2], "a\xff\xe2\x82\xac" "b");
  ck_assert(proc->command_line_truncated);
  /* The JSON report has them, valid UTF-8. */
  char *json = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&json, &len);
  mg_report_json(out, prof, NULL);
  fclose(out);
  ck_assert_msg(strstr(json, "\"runtime_version\": \"9.8.7\""), "%s", json);
  ck_assert_msg(strstr(json, "\"command_line\": [\"./app\", \"two words\", \"a\\ufffd\xe2\x82\xac" "b\"]"),
                "%s", json);
  ck_assert_msg(strstr(json, "\"command_line_truncated\": true"), "%s", json);
  free(json);
  mg_profile_free(prof);
  fx_destroy(&f);

  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  run_info_header(&f, false);
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_problem(&p, MG_DECODE_BAD_HEADER, 0,
                    "bad header: \"command_line\" argument 2 is an unsigned integer, not a string");
  fx_destroy(&f);

  fx_init(&f);
  fx_mark(&f);
  msgpack_pack_array(&f.pk, 3);
  fx_str(&f, "memscope");
  msgpack_pack_uint64(&f.pk, MS_FORMAT_VERSION);
  msgpack_pack_map(&f.pk, 1);
  fx_str(&f, MS_META_COMMAND_LINE);
  fx_str(&f, "./app a b");
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_problem(&p, MG_DECODE_BAD_HEADER, 0, "bad header: \"command_line\" is a string, not an array");
  fx_destroy(&f);
}
END_TEST

START_TEST(test_site_decoded) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  const struct fx_frame frames[] = {
      {"worker", "examples/threads30.c", 42, 17},
      {"main", "examples/threads30.c", 80, 5},
      {NULL, NULL, 0, 0},
  };
  fx_init(&f);
  fx_header(&f, "t", 1);
  fx_site(&f, 0xdeadbeefcafe0001ULL, MEMSCOPE_API_CALLOC, 3, frames);
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_int_eq(c.sites, 1);
  ck_assert_uint_eq(c.site_id, 0xdeadbeefcafe0001ULL);
  ck_assert_uint_eq(c.site_api, MEMSCOPE_API_CALLOC);
  ck_assert_uint_eq(c.site_offset, f.starts[1]);
  ck_assert_uint_eq(c.nframes, 3);
  ck_assert_str_eq(c.frames[0].function, "worker");
  ck_assert_str_eq(c.frames[0].file, "examples/threads30.c");
  ck_assert_uint_eq(c.frames[0].line, 42);
  ck_assert_uint_eq(c.frames[0].column, 17);
  ck_assert_str_eq(c.frames[1].function, "main");
  ck_assert_uint_eq(c.frames[1].line, 80);
  ck_assert_uint_eq(c.frames[1].column, 5);
  ck_assert(c.frames[2].function_null);
  ck_assert(c.frames[2].file_null);
  ck_assert_uint_eq(c.frames[2].line, 0);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_thread_and_end_decoded) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header(&f, "t", 1);
  fx_thread(&f, 3, 4711, "worker-1", 100, 200);
  fx_thread(&f, 4, 4712, NULL, 150, 0);
  fx_end(&f, 999, "exit");
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_int_eq(c.threads, 2);
  ck_assert_uint_eq(c.thread.thread, 4);
  ck_assert_uint_eq(c.thread.os_tid, 4712);
  ck_assert(c.thread_name_null);
  ck_assert_uint_eq(c.thread.start_ns, 150);
  ck_assert_uint_eq(c.thread.end_ns, 0);
  ck_assert_int_eq(c.ends, 1);
  ck_assert_uint_eq(c.end_ns, 999);
  ck_assert_str_eq(c.reason, "exit");
  fx_destroy(&f);
}
END_TEST

START_TEST(test_events_decoded) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header(&f, "t", 1);
  fx_events(&f, 2, 5002, 4);
  fx_alloc(&f, 0x11, 48, 0x7f0000001000ULL, 1000);
  fx_realloc(&f, 0x22, 96, 0x7f0000002000ULL, 1200, 0x7f0000001000ULL, 1100);
  fx_free(&f, 0x33, 0x7f0000002000ULL, 1300);
  fx_alloc(&f, 0x11, 1ULL << 40, 0, 1400);
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_int_eq(c.batches, 1);
  ck_assert_uint_eq(c.batch_thread, 2);
  ck_assert_uint_eq(c.batch_tid, 5002);
  ck_assert_uint_eq(c.batch_offset, f.starts[1]);
  ck_assert_uint_eq(c.nevents, 4);
  const struct mg_event *e = c.events;
  ck_assert_uint_eq(e[0].kind, MS_EV_ALLOC);
  ck_assert_uint_eq(e[0].site, 0x11);
  ck_assert_uint_eq(e[0].size, 48);
  ck_assert_uint_eq(e[0].ptr, 0x7f0000001000ULL);
  ck_assert_uint_eq(e[0].ts, 1000);
  ck_assert_uint_eq(e[0].old_ptr, 0);
  ck_assert_uint_eq(e[0].begin_ns, 0);
  ck_assert_uint_eq(e[1].kind, MS_EV_REALLOC);
  ck_assert_uint_eq(e[1].site, 0x22);
  ck_assert_uint_eq(e[1].size, 96);
  ck_assert_uint_eq(e[1].ptr, 0x7f0000002000ULL);
  ck_assert_uint_eq(e[1].ts, 1200);
  ck_assert_uint_eq(e[1].old_ptr, 0x7f0000001000ULL);
  ck_assert_uint_eq(e[1].begin_ns, 1100);
  ck_assert_uint_eq(e[2].kind, MS_EV_FREE);
  ck_assert_uint_eq(e[2].site, 0x33);
  ck_assert_uint_eq(e[2].size, 0);
  ck_assert_uint_eq(e[2].ptr, 0x7f0000002000ULL);
  ck_assert_uint_eq(e[2].ts, 1300);
  ck_assert_uint_eq(e[3].size, 1ULL << 40);
  ck_assert_uint_eq(e[3].ptr, 0);
  fx_destroy(&f);
}
END_TEST

/* Unknown record types and event kinds are skipped; known ones may grow extra trailing
 * elements. */
START_TEST(test_unknown_records_skipped) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header(&f, "t", 1);
  fx_mark(&f); /* [99, "future", {}] */
  msgpack_pack_array(&f.pk, 3);
  msgpack_pack_uint64(&f.pk, 99);
  fx_str(&f, "future");
  msgpack_pack_map(&f.pk, 0);
  fx_site(&f, 7, MEMSCOPE_API_MALLOC, 0, NULL);
  fx_mark(&f); /* [77] */
  msgpack_pack_array(&f.pk, 1);
  msgpack_pack_uint64(&f.pk, 77);
  fx_mark(&f); /* EVENTS with an unknown event kind and a longer ALLOC event */
  msgpack_pack_array(&f.pk, 5);
  msgpack_pack_uint64(&f.pk, MS_REC_EVENTS);
  msgpack_pack_uint64(&f.pk, 1);
  msgpack_pack_uint64(&f.pk, 100);
  msgpack_pack_array(&f.pk, 3);
  msgpack_pack_array(&f.pk, 2); /* kind 9, unknown: skipped whatever its shape */
  msgpack_pack_uint64(&f.pk, 9);
  fx_str(&f, "x");
  msgpack_pack_array(&f.pk, 10); /* sampled ALLOC with phase, stack and one extra element */
  for (uint64_t v = 1; v <= 5; v++)
    msgpack_pack_uint64(&f.pk, v == 1 ? MS_EV_ALLOC : v * 10);
  msgpack_pack_double(&f.pk, 2.5);
  msgpack_pack_uint64(&f.pk, 64);
  msgpack_pack_uint64(&f.pk, 3);
  msgpack_pack_array(&f.pk, 0); /* an empty stack */
  fx_str(&f, "extra");
  msgpack_pack_array(&f.pk, 5);
  for (uint64_t v = 1; v <= 5; v++)
    msgpack_pack_uint64(&f.pk, v == 1 ? MS_EV_FREE : v * 100);
  fx_str(&f, "record extra");
  fx_end(&f, 5, "exit");

  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_int_eq(p.status, MG_DECODE_OK);
  ck_assert_int_eq(c.unknown, 2);
  ck_assert_uint_eq(c.unknown_types[0], 99);
  ck_assert_uint_eq(c.unknown_types[1], 77);
  ck_assert_int_eq(c.sites, 1);
  ck_assert_uint_eq(c.site_id, 7);
  ck_assert_uint_eq(c.nframes, 0);
  ck_assert_int_eq(c.batches, 1);
  ck_assert_uint_eq(c.nskipped, 1);
  ck_assert_uint_eq(c.nevents, 2);
  ck_assert_uint_eq(c.events[0].kind, MS_EV_ALLOC);
  ck_assert_uint_eq(c.events[0].site, 20);
  ck_assert_uint_eq(c.events[0].ts, 50);
  ck_assert(c.events[0].weight == 2.5);
  ck_assert_uint_eq(c.events[0].alignment, 64);
  ck_assert_uint_eq(c.events[0].phase, 3);
  ck_assert_uint_eq(c.events[1].kind, MS_EV_FREE);
  ck_assert_uint_eq(c.events[1].ptr, 400);
  ck_assert_int_eq(c.ends, 1);
  ck_assert_int_eq(c.records, 5);
  fx_destroy(&f);
}
END_TEST

/* --- RESOURCE and MODULE records: known (not "unknown"), checked, not used yet ---------- */

static void fx_resource(struct fx *f, bool good) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, MS_RES_LEN);
  msgpack_pack_uint64(&f->pk, MS_REC_RESOURCE);
  msgpack_pack_uint64(&f->pk, 123);
  msgpack_pack_array(&f->pk, good ? MS_RES_PROCESS_LEN : 3);
  for (int i = 0; i < (good ? MS_RES_PROCESS_LEN : 3); i++) msgpack_pack_uint64(&f->pk, 1000 + i);
  msgpack_pack_array(&f->pk, 1);
  msgpack_pack_array(&f->pk, MS_RES_THREAD_LEN);
  msgpack_pack_uint64(&f->pk, 42);
  msgpack_pack_uint64(&f->pk, 5);
  msgpack_pack_uint64(&f->pk, 6);
}

static void fx_module(struct fx *f, bool good) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, MS_MODULE_LEN);
  msgpack_pack_uint64(&f->pk, MS_REC_MODULE);
  fx_str(f, "/lib/x86_64-linux-gnu/libc.so.6");
  if (good)
    msgpack_pack_uint64(&f->pk, 0x7f0000000000);
  else
    fx_str(f, "not a base");
  fx_str(f, "0123abcd");
  msgpack_pack_uint64(&f->pk, 9);
}

START_TEST(test_resource_and_module_are_known) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header(&f, "t", 1);
  fx_resource(&f, true);
  fx_module(&f, true);
  fx_end(&f, 5, "exit");
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_int_eq(p.status, MG_DECODE_OK);
  ck_assert_int_eq(c.unknown, 0); /* known, checked, not delivered: nothing uses them yet */
  ck_assert_int_eq(c.ends, 1);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_bad_resource_and_module) {
  for (int which = 0; which < 2; which++) {
    struct fx f;
    struct capture c;
    struct mg_decode_problem p;
    fx_init(&f);
    fx_header(&f, "t", 1);
    if (which == 0)
      fx_resource(&f, false);
    else
      fx_module(&f, false);
    decode_fx(&f, &c, &p);
    ck_assert_int_eq(p.status, MG_DECODE_CORRUPT);
    ck_assert_ptr_nonnull(strstr(p.message, which == 0 ? "RESOURCE" : "MODULE"));
    fx_destroy(&f);
  }
}
END_TEST

/* --- PHASE records and the phase of sampled allocations -------------------------------- */

START_TEST(test_phase_decoded) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header_sampled(&f, "t", 1, 4096);
  fx_phase(&f, 2, "serve <a&b>", 777);
  fx_events(&f, 1, 10, 3);
  fx_sampled_phase(&f, 0x11, 24, 0x1000, 5, 3.5, 0, 2);
  fx_sampled(&f, 0x11, 24, 0x2000, 6, 1.0, 0); /* no phase element: phase 0 */
  fx_alloc(&f, 0x11, 8, 0x3000, 7);
  fx_phase(&f, 3, NULL, 0); /* nil label, time unknown */
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_int_eq(c.unknown, 0);
  ck_assert_int_eq(c.phases, 2);
  ck_assert_uint_eq(c.phase.id, 3);
  ck_assert(c.phase_label_null);
  ck_assert_uint_eq(c.phase.ts, 0);
  ck_assert_uint_eq(c.phase.offset, f.starts[3]);
  ck_assert_uint_eq(c.events[0].phase, 2);
  ck_assert(c.events[0].weight == 3.5);
  ck_assert_uint_eq(c.events[1].phase, 0);
  ck_assert_uint_eq(c.events[2].phase, 0);
  /* Events name sites by slot: the fixture wrote a SITE record for 0x11 (format 2). */
  ck_assert_int_eq(c.sites, 1);
  ck_assert_uint_eq(c.site_id, 0x11);
  ck_assert_int_eq(c.records, 4);
  fx_destroy(&f);
  /* The label and time of the first record. */
  fx_init(&f);
  fx_header(&f, "t", 1);
  fx_phase(&f, 1, "load", 1234);
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_str_eq(c.phase_label, "load");
  ck_assert_uint_eq(c.phase.ts, 1234);
  fx_destroy(&f);
}
END_TEST

/* A PHASE record of the wrong shape stops the input like any other bad record. */
static void bad_phase_case(int which, const char *message) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header(&f, "t", 1);
  fx_mark(&f);
  if (which == 0) { /* too short */
    msgpack_pack_array(&f.pk, 3);
    msgpack_pack_uint64(&f.pk, MS_REC_PHASE);
    msgpack_pack_uint64(&f.pk, 1);
    fx_str(&f, "x");
  } else {
    msgpack_pack_array(&f.pk, MS_PHASE_LEN);
    msgpack_pack_uint64(&f.pk, MS_REC_PHASE);
    if (which == 1)
      fx_str(&f, "one");
    else
      msgpack_pack_uint64(&f.pk, which == 2 ? 0 : which == 3 ? 1ULL << 32 : 1);
    if (which == 4)
      msgpack_pack_uint64(&f.pk, 5);
    else
      fx_str(&f, "x");
    if (which == 5)
      msgpack_pack_int64(&f.pk, -1);
    else
      msgpack_pack_uint64(&f.pk, 9);
  }
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_int_eq(c.phases, 0);
  ck_assert_problem(&p, MG_DECODE_CORRUPT, f.starts[1], message);
  fx_destroy(&f);
}

START_TEST(test_phase_bad_shapes) {
  bad_phase_case(0, "bad PHASE record: 3 elements, expected at least 4");
  bad_phase_case(1, "bad PHASE record: id is a string, not an unsigned integer");
  bad_phase_case(2, "bad PHASE record: id is 0, not a phase id (from 1)");
  bad_phase_case(3, "bad PHASE record: id is 4294967296, out of range");
  bad_phase_case(4, "bad PHASE record: label is an unsigned integer, not a string or nil");
  bad_phase_case(5, "bad PHASE record: ts is a negative integer, not an unsigned integer");
}
END_TEST

/* (An EVENTS record, leaks mode's: the compact items have no types to get wrong.) */
START_TEST(test_phase_bad_event_element) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header_sampled(&f, "t", 1, 4096);
  fx_events_record(&f, 1, 10, 2);
  fx_sampled_phase(&f, 0x11, 24, 0x1000, 5, 2.0, 0, 1);
  msgpack_pack_array(&f.pk, MS_EV_SAMPLED_PHASE_LEN);
  for (uint64_t v = 0; v < 5; v++)
    msgpack_pack_uint64(&f.pk, v == 0 ? MS_EV_ALLOC : 7);
  f.events_left--;
  msgpack_pack_double(&f.pk, 2.0);
  msgpack_pack_uint64(&f.pk, 0);
  fx_str(&f, "load");
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_problem(&p, MG_DECODE_CORRUPT, f.starts[1],
                    "bad EVENTS record: event 1 phase is a string, not an unsigned integer");
  fx_destroy(&f);
}
END_TEST

/* --- Sampled mode: header keys, weights, COUNTERS ------------------------------------ */

START_TEST(test_header_sampled) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header_sampled(&f, "t", 3, 65536);
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_str_eq(c.mode, "sampled");
  ck_assert_str_eq(c.sampler, "bytes");
  ck_assert_uint_eq(c.sample_interval, 65536);
  ck_assert(c.present & MG_HEADER_HAS_SAMPLE_INTERVAL);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_bad_header_interval) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_mark(&f);
  msgpack_pack_array(&f.pk, 3);
  fx_str(&f, "memscope");
  msgpack_pack_uint64(&f.pk, MS_FORMAT_VERSION);
  msgpack_pack_map(&f.pk, 1);
  fx_str(&f, MS_META_SAMPLE_INTERVAL);
  fx_str(&f, "64k");
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_problem(&p, MG_DECODE_BAD_HEADER, 0,
                    "bad header: \"sample_interval\" is a string, not an unsigned integer");
  fx_destroy(&f);
}
END_TEST

/* A compact SAMPLE item carries its weight (a double) and alignment exactly; deltas of
 * address and time may be negative.  An EVENTS record (leaks mode's) may give the weight as
 * float64, float32 or an integer, the alignment is optional, and no weight means 1. */
START_TEST(test_sampled_alloc_decoded) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header_sampled(&f, "t", 1, 4096);
  fx_events(&f, 1, 10, 3);
  fx_sampled(&f, 0x11, 24, 0x2000, 5, 170.5, 0);
  fx_sampled(&f, 0x22, 8192, 0x1000, 6, 1.0, 4096);
  fx_alloc(&f, 0x11, 0, 0, 4);
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_uint_eq(c.nevents, 3);
  ck_assert_uint_eq(c.events[0].kind, MS_EV_ALLOC);
  ck_assert_uint_eq(c.events[0].site, 0x11);
  ck_assert(c.events[0].weight == 170.5);
  ck_assert_uint_eq(c.events[0].alignment, 0);
  ck_assert_uint_eq(c.events[0].size, 24);
  ck_assert_uint_eq(c.events[0].ptr, 0x2000);
  ck_assert_uint_eq(c.events[0].ts, 5);
  ck_assert_uint_eq(c.events[1].site, 0x22);
  ck_assert(c.events[1].weight == 1.0);
  ck_assert_uint_eq(c.events[1].alignment, 4096);
  ck_assert_uint_eq(c.events[1].size, 8192);
  ck_assert_uint_eq(c.events[1].ptr, 0x1000);
  ck_assert_uint_eq(c.events[2].site, 0x11);
  ck_assert(c.events[2].weight == 1.0);
  ck_assert_uint_eq(c.events[2].ptr, 0);
  ck_assert_uint_eq(c.events[2].ts, 4);
  fx_destroy(&f);

  fx_init(&f);
  fx_header_sampled(&f, "t", 1, 4096);
  fx_events_record(&f, 1, 10, 5);
  fx_sampled(&f, 0x11, 24, 0x1000, 5, 170.5, 0);
  fx_sampled(&f, 0x11, 8192, 0x2000, 6, 1.0, 4096);
  msgpack_pack_array(&f.pk, 6); /* weight without alignment, as an integer */
  for (uint64_t v = 0; v < 5; v++)
    msgpack_pack_uint64(&f.pk, v == 0 ? MS_EV_ALLOC : 7);
  msgpack_pack_uint64(&f.pk, 3);
  f.events_left--;
  msgpack_pack_array(&f.pk, 6); /* float32 weight */
  for (uint64_t v = 0; v < 5; v++)
    msgpack_pack_uint64(&f.pk, v == 0 ? MS_EV_ALLOC : 8);
  msgpack_pack_float(&f.pk, 2.0f);
  f.events_left--;
  fx_alloc(&f, 0x11, 0, 0, 9); /* plain: weight 1 */
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_uint_eq(c.nevents, 5);
  ck_assert(c.events[0].weight == 170.5);
  ck_assert_uint_eq(c.events[0].alignment, 0);
  ck_assert_uint_eq(c.events[0].size, 24);
  ck_assert(c.events[1].weight == 1.0);
  ck_assert_uint_eq(c.events[1].alignment, 4096);
  ck_assert(c.events[2].weight == 3.0);
  ck_assert_uint_eq(c.events[2].alignment, 0);
  ck_assert(c.events[3].weight == 2.0);
  ck_assert(c.events[4].weight == 1.0);
  fx_destroy(&f);
}
END_TEST

/* One ALLOC event with element 5 (the weight) and 6 (the alignment) as given. */
static void bad_weight_case(void (*pack5)(struct fx *), void (*pack6)(struct fx *),
                            const char *message) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header_sampled(&f, "t", 1, 4096);
  fx_events_record(&f, 1, 10, 2);
  fx_sampled(&f, 0x11, 24, 0x1000, 5, 4.0, 0);
  msgpack_pack_array(&f.pk, 7);
  for (uint64_t v = 0; v < 5; v++)
    msgpack_pack_uint64(&f.pk, v == 0 ? MS_EV_ALLOC : 7);
  pack5(&f);
  pack6(&f);
  f.events_left--;
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_problem(&p, MG_DECODE_CORRUPT, f.starts[1], message);
  ck_assert_int_eq(c.batches, 0);
  fx_destroy(&f);
}

static void pack_str(struct fx *f) { fx_str(f, "x"); }
static void pack_half(struct fx *f) { msgpack_pack_double(&f->pk, 0.5); }
static void pack_nan(struct fx *f) { msgpack_pack_double(&f->pk, __builtin_nan("")); }
static void pack_neg(struct fx *f) { msgpack_pack_int64(&f->pk, -2); }
static void pack_two(struct fx *f) { msgpack_pack_double(&f->pk, 2.0); }
static void pack_zero(struct fx *f) { msgpack_pack_uint64(&f->pk, 0); }

/* A compact SAMPLE item whose weight is not >= 1 (or that stops short): its chunk stops
 * there, the events before it are kept. */
static void bad_sample_item(double weight, bool cut_short, const char *message) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header_sampled(&f, "t", 1, 4096);
  fx_events(&f, 1, 10, 2);
  fx_sampled(&f, 0x11, 24, 0x1000, 5, 4.0, 0);
  size_t at;
  if (cut_short) { /* tag, same slot, size, ptr, ts, weight: no alignment, no phase */
    uint8_t item[13] = {MS_ITEM_SAMPLE | MS_ITEM_SAME_SLOT, 8, 2, 2};
    memcpy(item + 4, &weight, 8);
    item[12] = 0x80; /* a varint that never ends */
    at = fx_event_bytes(&f, item, sizeof item);
  } else {
    at = f.starts[1] + sizeof(struct ms_chunk_header) +
         ((struct ms_chunk_header *)(f.buf.data + f.starts[1]))->used;
    fx_sampled(&f, 0x11, 24, 0x2000, 6, weight, 0);
  }
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_problem(&p, MG_DECODE_CORRUPT, at, message);
  ck_assert_int_eq(c.batches, 1);
  ck_assert_uint_eq(c.nevents, 1);
  ck_assert_uint_eq(c.events[0].ptr, 0x1000);
  fx_destroy(&f);
}

START_TEST(test_bad_weight) {
  bad_sample_item(0.5, false, "bad EVENTS item: a sample's weight is 0.5, not a number >= 1");
  bad_sample_item(__builtin_nan(""), false,
                  "bad EVENTS item: a sample's weight is nan, not a number >= 1");
  bad_sample_item(-2.0, false, "bad EVENTS item: a sample's weight is -2, not a number >= 1");
  bad_sample_item(__builtin_inf(), false,
                  "bad EVENTS item: a sample's weight is inf, not a number >= 1");
  bad_sample_item(2.0, true, "bad EVENTS item (tag 0x14): cut short or out of range");
  /* The same in an EVENTS record. */
  bad_weight_case(pack_str, pack_zero,
                  "bad EVENTS record: event 1 weight is a string, not a number");
  bad_weight_case(pack_half, pack_zero,
                  "bad EVENTS record: event 1 weight is 0.5, not a number >= 1");
  bad_weight_case(pack_nan, pack_zero,
                  "bad EVENTS record: event 1 weight is nan, not a number >= 1");
  bad_weight_case(pack_neg, pack_zero,
                  "bad EVENTS record: event 1 weight is a negative integer, not a number");
  bad_weight_case(pack_two, pack_str,
                  "bad EVENTS record: event 1 alignment is a string, not an unsigned integer");
}
END_TEST

/* A COUNTERS record as older runtimes wrote it, without realloc_releases. */
static void first_snapshot(struct fx *f) {
  fx_init(f);
  fx_header_sampled(f, "t", 1, 4096);
  fx_counters(f, 3, 7003, 42, 2);
  fx_counter(f, 0x11, 1000, 48000, 16, 64);
  fx_counter(f, 0x22, 900, 0, 0, 0);
}

START_TEST(test_counters_decoded) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  first_snapshot(&f);
  fx_mark(&f); /* an empty snapshot, with realloc_releases and a trailing element from
                * a later version */
  msgpack_pack_array(&f.pk, MS_COUNTERS_RELEASES_LEN + 1);
  msgpack_pack_uint64(&f.pk, MS_REC_COUNTERS);
  msgpack_pack_uint64(&f.pk, 4);
  msgpack_pack_uint64(&f.pk, 7004);
  msgpack_pack_uint64(&f.pk, 1);
  msgpack_pack_array(&f.pk, 0);
  msgpack_pack_uint64(&f.pk, 17);
  fx_str(&f, "future");
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_int_eq(c.counters, 2);
  ck_assert_int_eq(c.records, 2);
  ck_assert_uint_eq(c.counters_thread, 4);
  ck_assert_uint_eq(c.counters_tid, 7004);
  ck_assert_uint_eq(c.counters_seq, 1);
  ck_assert_uint_eq(c.counters_offset, f.starts[2]);
  ck_assert_uint_eq(c.nentries, 0);
  ck_assert(c.has_realloc_releases);
  ck_assert_uint_eq(c.realloc_releases, 17);
  fx_destroy(&f);
  /* the first snapshot, alone: an older runtime's, without realloc_releases */
  first_snapshot(&f);
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert(!c.has_realloc_releases);
  ck_assert_uint_eq(c.realloc_releases, 0);
  ck_assert_int_eq(c.counters, 1);
  ck_assert_uint_eq(c.counters_thread, 3);
  ck_assert_uint_eq(c.counters_tid, 7003);
  ck_assert_uint_eq(c.counters_seq, 42);
  ck_assert_uint_eq(c.counters_offset, f.starts[1]);
  ck_assert_uint_eq(c.nentries, 2);
  ck_assert_uint_eq(c.entries[0].site, 0x11);
  ck_assert_uint_eq(c.entries[0].calls, 1000);
  ck_assert_uint_eq(c.entries[0].bytes, 48000);
  ck_assert_uint_eq(c.entries[0].min, 16);
  ck_assert_uint_eq(c.entries[0].max, 64);
  ck_assert_uint_eq(c.entries[1].site, 0x22);
  ck_assert_uint_eq(c.entries[1].calls, 900);
  ck_assert_uint_eq(c.entries[1].max, 0);
  fx_destroy(&f);
}
END_TEST

/* realloc_releases follows the entries, 0 included; absent, it is unknown, not 0. */
START_TEST(test_counters_realloc_releases) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header_sampled(&f, "t", 1, 4096);
  fx_counters_releases(&f, 1, 7001, 1, 2, 6);
  fx_counter(&f, 0x11, 89, 4096, 16, 64);
  fx_counter(&f, 0x22, 82, 0, 0, 0);
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_int_eq(c.counters, 1);
  ck_assert_uint_eq(c.nentries, 2);
  ck_assert_uint_eq(c.entries[0].calls, 89);
  ck_assert_uint_eq(c.entries[1].calls, 82);
  ck_assert(c.has_realloc_releases);
  ck_assert_uint_eq(c.realloc_releases, 6);
  fx_destroy(&f);

  fx_init(&f); /* written as 0 */
  fx_header_sampled(&f, "t", 1, 4096);
  fx_counters_releases(&f, 2, 7002, 5, 0, 0);
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert(c.has_realloc_releases);
  ck_assert_uint_eq(c.realloc_releases, 0);
  fx_destroy(&f);

  fx_init(&f); /* not there: an older runtime's record */
  fx_header_sampled(&f, "t", 1, 4096);
  fx_counters(&f, 2, 7002, 5, 1);
  fx_counter(&f, 0x11, 3, 30, 10, 10);
  ck_assert(decode_fx(&f, &c, &p));
  ck_assert_int_eq(c.counters, 1);
  ck_assert_uint_eq(c.entries[0].calls, 3);
  ck_assert(!c.has_realloc_releases);
  ck_assert_uint_eq(c.realloc_releases, 0);
  fx_destroy(&f);
}
END_TEST

/* A COUNTERS record [5, thread, tid, seq, entries] with one part replaced by `bad`. */
enum counters_flaw { SHORT_RECORD, SEQ_STRING, ENTRIES_MAP, SHORT_ENTRY, CALLS_NIL, MIN_ABOVE_MAX,
                     RELEASES_STRING };

static void bad_counters_case(enum counters_flaw flaw, const char *message) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header_sampled(&f, "t", 1, 4096);
  fx_counters(&f, 1, 10, 1, 1);
  fx_counter(&f, 0x11, 1, 8, 8, 8);
  fx_mark(&f);
  msgpack_pack_array(&f.pk, flaw == SHORT_RECORD ? 4 : flaw == RELEASES_STRING ? 6 : 5);
  msgpack_pack_uint64(&f.pk, MS_REC_COUNTERS);
  msgpack_pack_uint64(&f.pk, 1);
  msgpack_pack_uint64(&f.pk, 10);
  if (flaw == SEQ_STRING)
    fx_str(&f, "2");
  else
    msgpack_pack_uint64(&f.pk, 2);
  if (flaw != SHORT_RECORD) {
    if (flaw == ENTRIES_MAP) {
      msgpack_pack_map(&f.pk, 0);
    } else {
      msgpack_pack_array(&f.pk, 2);
      msgpack_pack_array(&f.pk, 5);
      for (int i = 0; i < 5; i++)
        msgpack_pack_uint64(&f.pk, 1);
      msgpack_pack_array(&f.pk, flaw == SHORT_ENTRY ? 4 : 5);
      msgpack_pack_uint64(&f.pk, 0x22);
      if (flaw == CALLS_NIL)
        msgpack_pack_nil(&f.pk);
      else
        msgpack_pack_uint64(&f.pk, 3);
      msgpack_pack_uint64(&f.pk, 30);
      msgpack_pack_uint64(&f.pk, flaw == MIN_ABOVE_MAX ? 20 : 5);
      if (flaw != SHORT_ENTRY)
        msgpack_pack_uint64(&f.pk, 15);
    }
    if (flaw == RELEASES_STRING)
      fx_str(&f, "6");
  }
  fx_end(&f, 9, "exit");
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_problem(&p, MG_DECODE_CORRUPT, f.starts[2], message);
  ck_assert_int_eq(c.counters, 1); /* the good one before is kept */
  ck_assert_int_eq(c.ends, 0);
  fx_destroy(&f);
}

START_TEST(test_bad_counters_shape) {
  bad_counters_case(SHORT_RECORD, "bad COUNTERS record: 4 elements, expected at least 5");
  bad_counters_case(SEQ_STRING, "bad COUNTERS record: seq is a string, not an unsigned integer");
  bad_counters_case(ENTRIES_MAP, "bad COUNTERS record: entries is a map, not an array");
  bad_counters_case(SHORT_ENTRY,
                    "bad COUNTERS record: entry 1 has 4 elements, expected at least 5");
  bad_counters_case(CALLS_NIL,
                    "bad COUNTERS record: entry 1 calls is nil, not an unsigned integer");
  bad_counters_case(MIN_ABOVE_MAX, "bad COUNTERS record: entry 1 min 20 is above max 15");
  bad_counters_case(RELEASES_STRING,
                    "bad COUNTERS record: realloc releases is a string, not an unsigned integer");
}
END_TEST

/* --- Foreign and broken inputs ------------------------------------------------------- */

START_TEST(test_empty_input) {
  struct capture c;
  struct mg_decode_problem p;
  ck_assert(!decode("", 0, &c, &p));
  ck_assert_problem(&p, MG_DECODE_EMPTY, 0, "empty file");
  ck_assert_int_eq(c.headers, 0);
}
END_TEST

START_TEST(test_wrong_magic) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  msgpack_pack_array(&f.pk, 3);
  fx_str(&f, "memscopf");
  msgpack_pack_uint64(&f.pk, 1);
  msgpack_pack_map(&f.pk, 0);
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_problem(&p, MG_DECODE_NOT_MEMSCOPE, 0, "not a memscope file");
  ck_assert_int_eq(c.headers, 0);
  fx_destroy(&f);
}
END_TEST

/* Valid msgpack that does not start with an array: rejected on its first byte. */
START_TEST(test_not_an_array) {
  struct capture c;
  struct mg_decode_problem p;
  const char text[] = "hello, world\n"; /* 'h' is a msgpack positive fixint */
  ck_assert(!decode(text, sizeof text - 1, &c, &p));
  ck_assert_problem(&p, MG_DECODE_NOT_MEMSCOPE, 0, "not a memscope file");
  const unsigned char map[] = {0x81, 0xa1, 'a', 0x01};
  ck_assert(!decode(map, sizeof map, &c, &p));
  ck_assert_problem(&p, MG_DECODE_NOT_MEMSCOPE, 0, "not a memscope file");
}
END_TEST

START_TEST(test_wrong_version) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header_version(&f, MS_FORMAT_VERSION + 1, "t", 1);
  fx_site(&f, 1, MEMSCOPE_API_MALLOC, 0, NULL);
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_problem(&p, MG_DECODE_VERSION, 0,
                    "unsupported format version 3 (this memscope-merge reads version 2)");
  ck_assert_int_eq(c.headers, 0);
  ck_assert_int_eq(c.records, 0);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_not_msgpack) {
  struct capture c;
  struct mg_decode_problem p;
  const unsigned char bad[] = {0xc1, 0x00, 0x01};
  ck_assert(!decode(bad, sizeof bad, &c, &p));
  ck_assert_problem(&p, MG_DECODE_NOT_MSGPACK, 0, "not msgpack data (invalid byte 0xc1)");
  /* Inside the first object: the offset is the offending byte's. */
  const unsigned char bad2[] = {0x93, 0xa1, 'm', 0xc1};
  ck_assert(!decode(bad2, sizeof bad2, &c, &p));
  ck_assert_problem(&p, MG_DECODE_NOT_MSGPACK, 3, "not msgpack");
}
END_TEST

/* Invalid msgpack after a good header and record: corrupt at the offending byte. */
START_TEST(test_corrupt_after_header) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header(&f, "t", 1);
  fx_thread(&f, 1, 2, "main", 0, 0);
  fx_mark(&f);
  size_t at = f.starts[2];
  const char junk[] = {(char)0x94, 0x01, (char)0xc1};
  fx_record_bytes(&f, junk, sizeof junk);
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_problem(&p, MG_DECODE_CORRUPT, at + 2, "invalid msgpack byte 0xc1");
  ck_assert_int_eq(c.threads, 1);
  fx_destroy(&f);
}
END_TEST

/* A first object that never ends within 1 MiB is not a header. */
START_TEST(test_header_too_large) {
  size_t n = 2 * 1024 * 1024;
  unsigned char *buf = calloc(n, 1);
  buf[0] = 0x93;
  buf[1] = 0xdb; /* str32 of 0x7fffffff bytes */
  buf[2] = 0x7f;
  buf[3] = 0xff;
  buf[4] = 0xff;
  buf[5] = 0xff;
  struct capture c;
  struct mg_decode_problem p;
  ck_assert(!decode(buf, n, &c, &p));
  ck_assert_problem(&p, MG_DECODE_NOT_MEMSCOPE, 0, "no header in the first");
  free(buf);
}
END_TEST

/* Reads path as memscope-merge does (header, pre-scan, decode); returns its input. */
static struct mg_input read_one(const char *path, struct mg_profile **part) {
  *part = mg_profile_read_file(path, 0, NULL, 1, NULL);
  ck_assert_uint_eq((*part)->ninputs, 1);
  return (*part)->inputs[0];
}

/* A FIFO without a writer would block open() forever; a device may never end: both
 * refused without being read. */
START_TEST(test_not_a_regular_file) {
  char dir[] = "/tmp/memscope-unit-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char fifo[64];
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  struct mg_decode_problem p;
  struct capture c;
  memset(&c, 0, sizeof c);
  ck_assert(!mg_decode_file(fifo, &cap_cb, &c, &p, NULL));
  ck_assert_int_eq(p.status, MG_DECODE_IO);
  ck_assert(!p.has_offset);
  ck_assert_str_eq(p.message,
                   "not a regular file (a FIFO): give - to read a stream from standard input");
  struct mg_profile *part;
  struct mg_input in = read_one("/dev/zero", &part);
  ck_assert_int_eq(in.problem.status, MG_DECODE_IO);
  ck_assert(strstr(in.problem.message, "not a regular file (a character device)"));
  ck_assert_ptr_null(in.process);
  mg_profile_free(part);
  unlink(fifo);
  rmdir(dir);
}
END_TEST

/* A valid header, then a RECORDS chunk that claims 32 MiB in a 16 MiB file, its record's
 * string running past the end: reported truncated at the record, with the bytes present
 * counted as if they had been read, and the records before it kept.  Zeros after the
 * chunks instead (pages a killed writer reserved): nothing to say. */
START_TEST(test_garbage_after_header) {
  struct fx f;
  fx_init(&f);
  fx_header(&f, "t", 1);
  fx_thread(&f, 1, 2, "main", 0, 0);
  size_t chunk = f.buf.size;
  struct ms_chunk_header h = {.magic = MS_CHUNK_MAGIC, .kind = MS_CHUNK_RECORDS,
                              .size = 32u << 20, .seq = 1, .used = (32u << 20) - 32};
  fx_raw(&f, &h, sizeof h);
  size_t at = f.buf.size;
  const unsigned char claim[] = {0x93, 0x09, 0xdb, 0x02, 0x00, 0x00, 0x00};
  fx_raw(&f, claim, sizeof claim);
  char path[] = "/tmp/memscope-unit-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, f.buf.data, f.buf.size), (ssize_t)f.buf.size);
  off_t size = 16 << 20;
  ck_assert_int_eq(ftruncate(fd, size), 0);
  close(fd);
  struct mg_profile *part;
  struct mg_input in = read_one(path, &part);
  ck_assert_int_eq(in.problem.status, MG_DECODE_TRUNCATED);
  ck_assert_uint_eq(in.problem.offset, at);
  char want[128];
  snprintf(want, sizeof want, "truncated: the input ends inside a record (%llu bytes of it present)",
           (unsigned long long)(size - at));
  ck_assert_str_eq(in.problem.message, want);
  ck_assert_ptr_nonnull(in.process);
  ck_assert_uint_eq(in.process->nthreads, 1);
  /* The decoder alone says the same after reading it all. */
  struct mg_decode_problem p;
  struct capture c;
  memset(&c, 0, sizeof c);
  ck_assert(!mg_decode_file(path, &cap_cb, &c, &p, NULL));
  ck_assert_str_eq(p.message, want);
  mg_profile_free(part);

  ck_assert_int_eq(truncate(path, 0), 0);
  fd = open(path, O_WRONLY);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, f.buf.data, chunk), (ssize_t)chunk);
  ck_assert_int_eq(ftruncate(fd, size), 0);
  close(fd);
  in = read_one(path, &part);
  ck_assert_int_eq(in.problem.status, MG_DECODE_OK);
  ck_assert_ptr_nonnull(in.process);
  ck_assert_uint_eq(in.process->nthreads, 1);
  ck_assert_uint_eq(in.process->status.skipped_bytes, 0);
  mg_profile_free(part);
  unlink(path);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_bad_site_shape) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header(&f, "t", 1);
  fx_thread(&f, 1, 2, "main", 0, 0);
  fx_mark(&f); /* a SITE with 3 elements */
  msgpack_pack_array(&f.pk, 3);
  msgpack_pack_uint64(&f.pk, MS_REC_SITE);
  msgpack_pack_uint64(&f.pk, 1);
  msgpack_pack_uint64(&f.pk, 1);
  fx_end(&f, 1, "exit");
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_problem(&p, MG_DECODE_CORRUPT, f.starts[2],
                    "bad SITE record: 3 elements, expected at least 6");
  ck_assert_int_eq(c.threads, 1); /* what came before is kept */
  ck_assert_int_eq(c.ends, 0);    /* decoding stopped at the bad record */
  char line[512];
  mg_decode_problem_format(&p, line, sizeof line);
  char want[128];
  snprintf(want, sizeof want, "test.msgpack: offset %zu: bad SITE record: 3 elements, expected at least 6",
           f.starts[2]);
  ck_assert_str_eq(line, want);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_bad_frame_field) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header(&f, "t", 1);
  fx_mark(&f);
  msgpack_pack_array(&f.pk, MS_SITE_LEN);
  msgpack_pack_uint64(&f.pk, MS_REC_SITE);
  msgpack_pack_uint64(&f.pk, 1);
  msgpack_pack_uint64(&f.pk, 1);
  msgpack_pack_array(&f.pk, 1);
  msgpack_pack_array(&f.pk, 4);
  fx_str(&f, "f");
  fx_str(&f, "a.c");
  fx_str(&f, "12"); /* line as a string */
  msgpack_pack_uint64(&f.pk, 1);
  msgpack_pack_uint64(&f.pk, 0); /* flags */
  msgpack_pack_uint64(&f.pk, 2); /* slot */
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_problem(&p, MG_DECODE_CORRUPT, f.starts[1],
                    "bad SITE record: frame 0 line is a string, not an unsigned integer");
  ck_assert_int_eq(c.sites, 0);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_bad_event_shape) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header(&f, "t", 1);
  fx_mark(&f);
  msgpack_pack_array(&f.pk, 4);
  msgpack_pack_uint64(&f.pk, MS_REC_EVENTS);
  msgpack_pack_uint64(&f.pk, 1);
  msgpack_pack_uint64(&f.pk, 2);
  msgpack_pack_array(&f.pk, 2);
  msgpack_pack_array(&f.pk, 5);
  for (int i = 0; i < 5; i++)
    msgpack_pack_uint64(&f.pk, i == 0 ? MS_EV_ALLOC : 1);
  msgpack_pack_array(&f.pk, 5); /* a REALLOC needs 7 */
  for (int i = 0; i < 5; i++)
    msgpack_pack_uint64(&f.pk, i == 0 ? MS_EV_REALLOC : 1);
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_problem(&p, MG_DECODE_CORRUPT, f.starts[1],
                    "bad EVENTS record: event 1 (REALLOC) has 5 elements, expected at least 7");
  ck_assert_int_eq(c.batches, 0); /* a bad batch is not delivered in part */
  fx_destroy(&f);
}
END_TEST

START_TEST(test_bad_record_not_array) {
  struct fx f;
  struct capture c;
  struct mg_decode_problem p;
  fx_init(&f);
  fx_header(&f, "t", 1);
  fx_mark(&f);
  msgpack_pack_int64(&f.pk, -5);
  ck_assert(!decode_fx(&f, &c, &p));
  ck_assert_problem(&p, MG_DECODE_CORRUPT, f.starts[1], "bad record: a negative integer");
  fx_destroy(&f);
}
END_TEST

/* Builds header + 6 objects of every type (records, and two EVENTS chunks), then cuts the
 * file at every byte that matters: see test_truncated_every_offset. */
static void build_six(struct fx *f) {
  const struct fx_frame fr[] = {{"main", "a.c", 3, 4}};
  fx_init(f);
  fx_header(f, "t", 1);
  fx_site(f, 1, MEMSCOPE_API_MALLOC, 1, fr);
  fx_site(f, 2, MEMSCOPE_API_FREE, 1, fr);
  fx_events(f, 1, 10, 2);
  fx_alloc(f, 1, 100, 0x1000, 5);
  fx_free(f, 2, 0x1000, 6);
  fx_thread(f, 2, 11, "w", 1, 9);
  fx_events(f, 2, 11, 1);
  fx_realloc(f, 1, 300, 0x2000, 8, 0, 7);
  fx_end(f, 10, "exit");
}

static const struct ms_chunk_header *chunk_of(const struct fx *f, size_t at) {
  return (const struct ms_chunk_header *)(f->buf.data + at);
}

/* Where object i ends: the next object's start in its RECORDS chunk, or the chunk's used
 * end; an EVENTS chunk's header ends it (its items are read as far as they go). */
static size_t object_end(const struct fx *f, size_t i, size_t chunk) {
  const struct ms_chunk_header *h = chunk_of(f, chunk);
  if (h->kind == MS_CHUNK_EVENTS)
    return chunk + sizeof *h;
  size_t end = chunk + sizeof *h + h->used;
  for (size_t j = 0; j < f->nobjects; j++)
    if (f->starts[j] > f->starts[i] && f->starts[j] < end)
      end = f->starts[j];
  return end;
}

/* A cut inside the header array: nothing but "truncated inside the header".  In the rest
 * of the header region: the header, and "truncated" at the cut.  On a chunk boundary: a
 * valid (shorter) file.  Inside a chunk: the records and EVENTS chunks wholly before the
 * cut, and "truncated" at the chunk, or at the record the cut falls in. */
START_TEST(test_truncated_every_offset) {
  struct fx f;
  build_six(&f);
  size_t nrec = f.nobjects - 1, header_len = f.header_len; /* the header array's end */
  size_t chunks[16], nchunks = 0; /* chunk offsets, in file order */
  for (size_t at = MS_HEADER_REGION; at < f.buf.size; at += chunk_of(&f, at)->size)
    chunks[nchunks++] = at;
  for (size_t cut = 1; cut < f.buf.size; cut++) {
    size_t k = nchunks; /* the chunk the cut falls in */
    for (size_t i = 0; i < nchunks; i++)
      if (chunks[i] <= cut && cut < chunks[i] + chunk_of(&f, chunks[i])->size)
        k = i;
    /* Beyond a chunk's content its zeros change nothing: test their first bytes only. */
    if (k < nchunks && cut > chunks[k] + 64 + chunk_of(&f, chunks[k])->used &&
        cut % 997 != 0)
      continue;
    if (cut > header_len + 64 && cut < MS_HEADER_REGION && cut % 997 != 0)
      continue;
    struct capture c;
    struct mg_decode_problem p;
    bool ok = decode(f.buf.data, cut, &c, &p);
    if (cut < header_len) {
      ck_assert_msg(!ok, "cut %zu accepted", cut);
      ck_assert_int_eq(p.status, MG_DECODE_TRUNCATED);
      ck_assert_uint_eq(p.offset, 0);
      ck_assert_msg(strstr(p.message, "inside the header"), "cut %zu: %s", cut, p.message);
      ck_assert_int_eq(c.headers, 0);
      continue;
    }
    ck_assert_int_eq(c.headers, 1);
    if (cut < MS_HEADER_REGION) {
      ck_assert_msg(!ok, "cut %zu accepted", cut);
      ck_assert_int_eq(p.status, MG_DECODE_TRUNCATED);
      ck_assert_uint_eq(p.offset, cut);
      ck_assert_msg(strstr(p.message, "inside its header region"), "cut %zu: %s", cut,
                    p.message);
      ck_assert_int_eq(c.records, 0);
      continue;
    }
    int records = 0;
    size_t in_record = 0; /* the start of the record the cut falls in, if any */
    for (size_t i = 1; i < f.nobjects; i++) {
      size_t chunk = 0;
      for (size_t j = 0; j < nchunks; j++)
        if (chunks[j] <= f.starts[i])
          chunk = chunks[j];
      size_t end = object_end(&f, i, chunk);
      if (end <= cut)
        records++;
      else if (f.starts[i] < cut && chunk_of(&f, chunk)->kind == MS_CHUNK_RECORDS)
        in_record = f.starts[i];
    }
    ck_assert_msg(c.records == records, "cut %zu: %d records, expected %d", cut, c.records,
                  records);
    if (k == nchunks || chunks[k] == cut) { /* on a boundary */
      ck_assert_msg(ok, "cut %zu: %s", cut, p.message);
      continue;
    }
    ck_assert_msg(!ok, "cut %zu accepted", cut);
    ck_assert_int_eq(p.status, MG_DECODE_TRUNCATED);
    if (in_record) {
      ck_assert_uint_eq(p.offset, in_record);
      ck_assert_msg(strstr(p.message, "inside a record"), "cut %zu: %s", cut, p.message);
    } else {
      ck_assert_uint_eq(p.offset, chunks[k]);
      ck_assert_msg(strstr(p.message, "inside a chunk"), "cut %zu: %s", cut, p.message);
    }
  }
  struct capture c;
  struct mg_decode_problem p;
  ck_assert(decode(f.buf.data, f.buf.size, &c, &p));
  ck_assert_int_eq(c.records, (int)nrec);
  ck_assert_uint_eq(c.nevents, 3);
  fx_destroy(&f);
}
END_TEST

/* Streaming: the records (the header, then each RECORDS chunk's content) fed to the
 * decoder one byte at a time decode the same records, at the file's offsets. */
START_TEST(test_byte_by_byte) {
  struct fx f;
  build_six(&f);
  struct capture c;
  memset(&c, 0, sizeof c);
  struct mg_decoder *d = mg_decoder_new("bytes", &cap_cb, &c);
  size_t fed = 0;
  while (c.headers == 0)
    ck_assert(mg_decoder_feed(d, f.buf.data + fed++, 1));
  ck_assert_uint_eq(fed, f.header_len);
  size_t records = 0;
  for (size_t at = MS_HEADER_REGION; at < f.buf.size; at += chunk_of(&f, at)->size) {
    const struct ms_chunk_header *h = chunk_of(&f, at);
    if (h->kind != MS_CHUNK_RECORDS)
      continue;
    mg_decoder_at(d, at + sizeof *h);
    for (size_t i = 0; i < h->used; i++)
      ck_assert(mg_decoder_feed(d, f.buf.data + at + sizeof *h + i, 1));
    ck_assert_uint_eq(mg_decoder_pending(d), 0);
    fed += h->used;
    records++;
  }
  ck_assert_uint_eq(records, 3); /* the sites, the thread, the end */
  ck_assert(mg_decoder_finish(d));
  ck_assert_int_eq(mg_decoder_problem(d)->status, MG_DECODE_OK);
  ck_assert_uint_eq(mg_decoder_offset(d), fed);
  ck_assert_uint_eq(mg_decoder_records(d), f.nobjects - 3); /* all but the EVENTS chunks */
  ck_assert_int_eq(c.sites, 2);
  ck_assert_uint_eq(c.site_offset, f.starts[2]);
  ck_assert_int_eq(c.threads, 1);
  ck_assert_int_eq(c.batches, 0);
  ck_assert_int_eq(c.ends, 1);
  ck_assert_uint_eq(c.end_ns, 10);
  mg_decoder_free(d);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_decode_file) {
  struct fx f;
  build_six(&f);
  char path[] = "/tmp/memscope-unit-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, f.buf.data, f.buf.size), (ssize_t)f.buf.size);
  close(fd);
  struct capture c;
  memset(&c, 0, sizeof c);
  struct mg_decode_problem p;
  ck_assert(mg_decode_file(path, &cap_cb, &c, &p, NULL));
  ck_assert_int_eq(c.records, (int)f.nobjects - 1);
  unlink(path);

  ck_assert(!mg_decode_file(path, &cap_cb, &c, &p, NULL));
  ck_assert_int_eq(p.status, MG_DECODE_IO);
  ck_assert(!p.has_offset);
  ck_assert_str_eq(p.message, "cannot open: No such file or directory");
  ck_assert_str_eq(p.file, path);
  fx_destroy(&f);
}
END_TEST

Suite *decode_suite(void) {
  Suite *s = suite_create("decode");
  TCase *tc = tcase_create("records");
  tcase_add_test(tc, test_header_parsed);
  tcase_add_test(tc, test_header_sparse_meta);
  tcase_add_test(tc, test_header_run_info);
  tcase_add_test(tc, test_site_decoded);
  tcase_add_test(tc, test_thread_and_end_decoded);
  tcase_add_test(tc, test_events_decoded);
  tcase_add_test(tc, test_unknown_records_skipped);
  tcase_add_test(tc, test_resource_and_module_are_known);
  tcase_add_test(tc, test_bad_resource_and_module);
  tcase_add_test(tc, test_phase_decoded);
  tcase_add_test(tc, test_phase_bad_shapes);
  tcase_add_test(tc, test_phase_bad_event_element);
  tcase_add_test(tc, test_header_sampled);
  tcase_add_test(tc, test_sampled_alloc_decoded);
  tcase_add_test(tc, test_counters_decoded);
  tcase_add_test(tc, test_counters_realloc_releases);
  tcase_add_test(tc, test_byte_by_byte);
  tcase_add_test(tc, test_decode_file);
  suite_add_tcase(s, tc);
  tc = tcase_create("bad input");
  tcase_add_test(tc, test_empty_input);
  tcase_add_test(tc, test_wrong_magic);
  tcase_add_test(tc, test_not_an_array);
  tcase_add_test(tc, test_wrong_version);
  tcase_add_test(tc, test_not_msgpack);
  tcase_add_test(tc, test_corrupt_after_header);
  tcase_add_test(tc, test_header_too_large);
  tcase_add_test(tc, test_not_a_regular_file);
  tcase_add_test(tc, test_garbage_after_header);
  tcase_add_test(tc, test_bad_site_shape);
  tcase_add_test(tc, test_bad_frame_field);
  tcase_add_test(tc, test_bad_event_shape);
  tcase_add_test(tc, test_bad_header_interval);
  tcase_add_test(tc, test_bad_weight);
  tcase_add_test(tc, test_bad_counters_shape);
  tcase_add_test(tc, test_bad_record_not_array);
  tcase_add_test(tc, test_truncated_every_offset);
  suite_add_tcase(s, tc);
  return s;
}
