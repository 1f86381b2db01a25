/* Resources: RESOURCE records (the runtime's resource sampler) become a timeline and a
 * summary per process (resources.c), in the text summary's "Resources" section, in JSON
 * and in the session result.  The ticks here are synthetic, so every number is exact. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "fixture.h"
#include "profile.h"
#include "report.h"
#include "resources.h"
#include "suites.h"

#define MS_ 1000000ULL /* ns in a millisecond */
#define MB 1000000ULL

enum { S_MAKE = 0x10 };
static const struct fx_frame frame[] = {{"make", "r.c", 10, 5}};

struct tick_thread {
  uint64_t tid, user_ms, system_ms;
  int io; /* 0: [tid, user, system]; 1: with read and write; 2: 4 elements */
  uint64_t read, write;
};

/* [7, ts, [rss, vsize, minflt, majflt, user, system, read, write, vcsw, ivcsw], threads] */
static void fx_tick(struct fx *f, uint64_t ts, uint64_t rss, uint64_t vsize, uint64_t minflt,
                    uint64_t majflt, uint64_t user_ms, uint64_t system_ms, uint64_t read,
                    uint64_t write, uint64_t vcsw, uint64_t ivcsw, size_t n,
                    const struct tick_thread *th) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, MS_RES_LEN);
  msgpack_pack_uint64(&f->pk, MS_REC_RESOURCE);
  msgpack_pack_uint64(&f->pk, ts);
  const uint64_t proc[MS_RES_PROCESS_LEN] = {rss, vsize, minflt, majflt, user_ms * MS_,
                                             system_ms * MS_, read, write, vcsw, ivcsw};
  msgpack_pack_array(&f->pk, MS_RES_PROCESS_LEN);
  for (int i = 0; i < MS_RES_PROCESS_LEN; i++)
    msgpack_pack_uint64(&f->pk, proc[i]);
  msgpack_pack_array(&f->pk, n);
  for (size_t i = 0; i < n; i++) {
    msgpack_pack_array(&f->pk, th[i].io == 1 ? 5 : th[i].io == 2 ? 4 : 3);
    msgpack_pack_uint64(&f->pk, th[i].tid);
    msgpack_pack_uint64(&f->pk, th[i].user_ms * MS_);
    msgpack_pack_uint64(&f->pk, th[i].system_ms * MS_);
    if (th[i].io >= 1)
      msgpack_pack_uint64(&f->pk, th[i].read);
    if (th[i].io == 1)
      msgpack_pack_uint64(&f->pk, th[i].write);
  }
}

/* The process starts at 1000 ns (fx_header); ticks at 100, 200, 400 and 405 ms after.
 *   100 ms: rss 10 MB, cpu 10 + 5 ms          (the first tick: no rate)
 *   200 ms: rss 30 MB (the peak), cpu 60 + 15: 60 ms of CPU in 100 ms = 60%,
 *           read 1 MB, written 2 MB: 10 MB/s and 20 MB/s
 *   400 ms: rss 20 MB, vsize 150 MB (the peak), cpu 100 + 35: 60 ms in 200 ms = 30%,
 *           written 3 MB: 5 MB/s
 *   405 ms: the session's last tick, 5 ms later: too close for a rate; cpu 110 + 35
 * Threads: tid 100 is thread 1 "main" (I/O sampled from the second tick on), tid 101
 * thread 2 "worker", tid 999 a thread the sampler saw that never recorded. */
static void build(struct fx *f, uint64_t pid) {
  fx_init(f);
  fx_header(f, "res", pid);
  fx_site(f, S_MAKE, MEMSCOPE_API_MALLOC, 1, frame);
  fx_events(f, 1, 100, 2);
  fx_alloc(f, S_MAKE, 64, 0x1000, 1000 + 50 * MS_);
  fx_free(f, S_MAKE, 0x1000, 1000 + 60 * MS_);
  fx_events(f, 2, 101, 1);
  fx_alloc(f, S_MAKE, 32, 0x2000, 1000 + 70 * MS_);
  const struct tick_thread a[] = {{100, 8, 4, 0, 0, 0}, {101, 1, 0, 0, 0, 0}, {999, 1, 1, 0, 0, 0}};
  fx_tick(f, 1000 + 100 * MS_, 10 * MB, 100 * MB, 10, 1, 10, 5, 0, 0, 1, 0, 3, a);
  const struct tick_thread b[] = {{100, 40, 10, 1, 1000, 2000}, {101, 20, 4, 0, 0, 0}, {999, 1, 1, 0, 0, 0}};
  fx_tick(f, 1000 + 200 * MS_, 30 * MB, 120 * MB, 20, 1, 60, 15, 1 * MB, 2 * MB, 5, 1, 3, b);
  const struct tick_thread c[] = {{100, 60, 20, 1, 1500, 2500}, {101, 30, 10, 2, 7, 0}};
  fx_tick(f, 1000 + 400 * MS_, 20 * MB, 150 * MB, 30, 2, 100, 35, 1 * MB, 3 * MB, 9, 2, 2, c);
  fx_tick(f, 1000 + 405 * MS_, 20 * MB, 150 * MB, 30, 2, 110, 35, 1 * MB, 3 * MB, 9, 2, 2, c);
  fx_thread(f, 2, 101, "worker", 1000, 1000 + 300 * MS_);
  fx_thread(f, 1, 100, "main", 1000, 0);
  fx_end(f, 1000 + 410 * MS_, "exit");
}

static struct mg_profile *profile_of(struct fx *f, const char *name) {
  struct mg_profile *p = mg_profile_new();
  const struct mg_input *in = mg_profile_add_buffer(p, name, f->buf.data, f->buf.size);
  ck_assert_msg(in->problem.status == MG_DECODE_OK, "%s", in->problem.message);
  return p;
}

static char *report_of(const struct mg_profile *p, bool json, const struct mg_report_options *opt) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  if (json)
    mg_report_json(out, p, opt);
  else
    mg_report_text(out, p, opt);
  fclose(out);
  return text;
}

/* The section from its title line to the blank line after it ("" when absent). */
static char *section(const char *text, const char *title) {
  const char *s = strstr(text, title);
  if (!s)
    return strdup("");
  const char *e = strstr(s, "\n\n");
  return strndup(s, e ? (size_t)(e - s + 1) : strlen(s));
}

static void assert_close(double got, double want, const char *what) {
  ck_assert_msg(fabs(got - want) < 1e-6, "%s: %.9f, expected %.9f", what, got, want);
}

START_TEST(test_summary_is_exact) {
  struct fx f;
  build(&f, 7);
  struct mg_profile *p = profile_of(&f, "res.msgpack");
  const struct mg_process *proc = p->inputs[0].process;
  ck_assert_uint_eq(proc->skipped_records, 0);
  const struct mg_resources *res = proc->resources;
  ck_assert_ptr_nonnull(res);
  const struct mg_resource_summary *s = &res->summary;
  ck_assert_uint_eq(s->ticks, 4);
  ck_assert_uint_eq(s->first_ns, 100 * MS_);
  ck_assert_uint_eq(s->last_ns, 405 * MS_);
  ck_assert_uint_eq(s->peak_rss, 30 * MB);
  ck_assert_uint_eq(s->peak_rss_ns, 200 * MS_);
  ck_assert_uint_eq(s->peak_vsize, 150 * MB);
  ck_assert_uint_eq(s->peak_vsize_ns, 400 * MS_);
  assert_close(s->peak_cpu_percent, 60.0, "peak cpu");
  ck_assert_uint_eq(s->peak_cpu_ns, 200 * MS_);
  /* (110 + 35) - (10 + 5) ms of CPU between the first tick and the last, 305 ms apart. */
  assert_close(s->average_cpu_percent, 100.0 * 130 / 305, "average cpu");
  ck_assert_uint_eq(s->user_ns, 110 * MS_);
  ck_assert_uint_eq(s->system_ns, 35 * MS_);
  ck_assert_uint_eq(s->read_bytes, 1 * MB);
  ck_assert_uint_eq(s->write_bytes, 3 * MB);
  assert_close(s->peak_read_rate, 10.0 * MB, "peak read rate");
  assert_close(s->peak_write_rate, 20.0 * MB, "peak write rate");
  ck_assert_uint_eq(s->minor_faults, 30);
  ck_assert_uint_eq(s->major_faults, 2);
  ck_assert_uint_eq(s->voluntary_switches, 9);
  ck_assert_uint_eq(s->involuntary_switches, 2);

  /* The timeline: every tick (far fewer than MG_RESOURCE_POINTS). */
  ck_assert_uint_eq(res->stride, 1);
  ck_assert_uint_eq(res->npoints, 4);
  const struct mg_resource_point *pt = res->points;
  ck_assert_uint_eq(pt[0].ns, 100 * MS_);
  ck_assert_uint_eq(pt[3].ns, 405 * MS_);
  ck_assert(isnan(pt[0].cpu_percent) && isnan(pt[0].read_rate));
  assert_close(pt[1].cpu_percent, 60.0, "cpu at 200 ms");
  assert_close(pt[2].cpu_percent, 30.0, "cpu at 400 ms");
  ck_assert(isnan(pt[3].cpu_percent)); /* 5 ms after the one before */
  assert_close(pt[1].read_rate, 10.0 * MB, "read rate at 200 ms");
  assert_close(pt[2].write_rate, 5.0 * MB, "write rate at 400 ms");
  ck_assert_uint_eq(pt[1].rss, 30 * MB);
  ck_assert_uint_eq(pt[2].minor_faults, 30);
  ck_assert_uint_eq(pt[1].voluntary_switches, 5);

  /* Threads: the runtime's by index, matched by tid, then the one that never recorded. */
  ck_assert_uint_eq(res->nthreads, 3);
  const struct mg_resource_thread *t = res->threads;
  ck_assert_uint_eq(t[0].thread, 1);
  ck_assert_uint_eq(t[0].os_tid, 100);
  ck_assert_str_eq(t[0].name, "main");
  ck_assert_uint_eq(t[0].user_ns, 60 * MS_);
  ck_assert_uint_eq(t[0].system_ns, 20 * MS_);
  ck_assert(t[0].has_io);
  ck_assert_uint_eq(t[0].read_bytes, 1500);
  ck_assert_uint_eq(t[0].write_bytes, 2500);
  assert_close(t[0].cpu_share, 80.0 / 145, "share of thread 1");
  ck_assert_uint_eq(t[1].thread, 2);
  ck_assert_str_eq(t[1].name, "worker");
  ck_assert_uint_eq(t[1].user_ns + t[1].system_ns, 40 * MS_);
  ck_assert(!t[1].has_io); /* 4 elements: no I/O pair */
  assert_close(t[1].cpu_share, 40.0 / 145, "share of thread 2");
  ck_assert_uint_eq(t[2].thread, 0);
  ck_assert_uint_eq(t[2].os_tid, 999);
  ck_assert_ptr_null(t[2].name);
  ck_assert_uint_eq(t[2].ticks, 2);
  assert_close(t[2].cpu_share, 2.0 / 145, "share of tid 999");
  ck_assert_ptr_eq(mg_resources_thread(res, 2), &t[1]);
  ck_assert_ptr_null(mg_resources_thread(res, 3));
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A long run: 3000 ticks keep at most MG_RESOURCE_POINTS points, every tick counted once,
 * and the peaks (a single tick's RSS and CPU spike) survive the merging of points. */
START_TEST(test_downsampling_keeps_peaks) {
  struct mg_process proc = {0};
  const uint64_t n = 3000, spike_rss = 1777, spike_cpu = 2222, step = 20 * MS_;
  uint64_t cpu = 0;
  for (uint64_t i = 0; i < n; i++) {
    cpu += i == spike_cpu ? 19 * MS_ : 2 * MS_; /* 10%, and 95% once */
    struct mg_resource_thread_rec th = {.os_tid = 5, .user_ns = cpu};
    struct mg_resource_rec r = {.ts = (i + 1) * step, .rss = i == spike_rss ? 999 * MB : MB + i,
                                .vsize = 2 * MB, .user_ns = cpu, .minor_faults = i,
                                .nthreads = 1, .threads = &th};
    mg_resources_add(&proc, &r);
  }
  mg_resources_finish(&proc);
  const struct mg_resources *res = proc.resources;
  ck_assert_uint_eq(res->summary.ticks, n);
  ck_assert_uint_le(res->npoints, MG_RESOURCE_POINTS);
  ck_assert_uint_ge(res->npoints, MG_RESOURCE_POINTS / 2);
  ck_assert_uint_eq(res->stride, 4);
  uint64_t ticks = 0, max_rss = 0;
  double max_cpu = 0;
  for (size_t i = 0; i < res->npoints; i++) {
    const struct mg_resource_point *pt = &res->points[i];
    ticks += pt->ticks;
    if (pt->rss > max_rss)
      max_rss = pt->rss;
    if (!isnan(pt->cpu_percent) && pt->cpu_percent > max_cpu)
      max_cpu = pt->cpu_percent;
    if (i)
      ck_assert_uint_gt(pt->ns, res->points[i - 1].ns);
  }
  ck_assert_uint_eq(ticks, n);
  ck_assert_uint_eq(max_rss, 999 * MB);
  ck_assert_uint_eq(res->summary.peak_rss, 999 * MB);
  /* Without a start time or events, time counts from the first tick. */
  ck_assert_uint_eq(res->summary.peak_rss_ns, spike_rss * step);
  assert_close(max_cpu, 95.0, "cpu spike in the timeline");
  assert_close(res->summary.peak_cpu_percent, 95.0, "cpu spike in the summary");
  ck_assert_uint_eq(res->summary.peak_cpu_ns, spike_cpu * step);
  /* The last point ends at the last tick and carries its counters. */
  ck_assert_uint_eq(res->points[res->npoints - 1].ns, (n - 1) * step);
  ck_assert_uint_eq(res->points[res->npoints - 1].minor_faults, n - 1);
  ck_assert_uint_eq(res->nthreads, 1);
  ck_assert_uint_eq(res->threads[0].user_ns, cpu);
  assert_close(res->threads[0].cpu_share, 1.0, "one thread: all of the CPU");
  mg_resources_free(proc.resources);
}
END_TEST

/* Kernel thread ids are reused: a tid whose counters go back is another thread, whose
 * time adds to the first one's. */
START_TEST(test_reused_tid_adds_up) {
  struct mg_process proc = {0};
  /* The second thread with tid 42 starts before the 3rd tick. */
  const uint64_t users[] = {30, 50, 5, 20}, reads[] = {10, 20, 3, 8};
  for (int i = 0; i < 4; i++) {
    struct mg_resource_thread_rec th = {.os_tid = 42, .user_ns = users[i] * MS_,
                                        .read_bytes = reads[i], .has_io = true};
    struct mg_resource_rec r = {.ts = (uint64_t)(i + 1) * 100 * MS_, .user_ns = 100 * MS_ * (uint64_t)(i + 1),
                                .nthreads = 1, .threads = &th};
    mg_resources_add(&proc, &r);
  }
  mg_resources_finish(&proc);
  ck_assert_uint_eq(proc.resources->threads[0].user_ns, 70 * MS_);
  ck_assert_uint_eq(proc.resources->threads[0].read_bytes, 28);
  ck_assert_uint_eq(proc.resources->threads[0].ticks, 4);
  mg_resources_free(proc.resources);
}
END_TEST

START_TEST(test_text_section) {
  struct fx f;
  build(&f, 7);
  struct mg_profile *p = profile_of(&f, "res.msgpack");
  char *text = report_of(p, false, NULL);
  char *sec = section(text, "Resources (CPU, memory and I/O from the resource sampler)");
  ck_assert_msg(*sec, "no Resources section in:\n%s", text);
  static const char *const lines[] = {
      "  process 7 res\n",
      "  ticks                          4\n",
      "  peak rss bytes          30000000\n",
      "  peak rss at ms           200.000\n",
      "  peak vsize bytes       150000000\n",
      "  peak cpu %                  60.0\n",
      "  peak cpu at ms           200.000\n",
      "  average cpu %               42.6\n",
      "  cpu user ms              110.000\n",
      "  cpu system ms             35.000\n",
      "  read bytes               1000000\n",
      "  written bytes            3000000\n",
      "  minor faults                  30\n",
      "  involuntary switches           2\n",
      /* threads by CPU time */
      "       1      100      60.000      20.000     55.2        1500        2500  main\n"
      "       2      101      30.000      10.000     27.6           -           -  worker\n"
      "       -      999       1.000       1.000      1.4           -           -  -\n",
  };
  for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
    ck_assert_msg(strstr(sec, lines[i]), "missing %s in:\n%s", lines[i], sec);
  free(sec);
  free(text);
  /* --thread 2: only that thread's row. */
  struct mg_report_options opt = {.top = 10, .has_thread = true, .thread = 2};
  text = report_of(p, false, &opt);
  sec = section(text, "Resources (");
  ck_assert_ptr_nonnull(strstr(sec, "  worker\n"));
  ck_assert_ptr_null(strstr(sec, "  main\n"));
  ck_assert_ptr_null(strstr(sec, "     999 "));
  free(sec);
  /* A profile read without the thread's site numbers says its site tables are
   * everyone's (memscope-merge --thread reads them: test_cli.c). */
  ck_assert_msg(strstr(text, "    the totals and the site tables count every thread (this profile "
                             "was read without\n"), "%s", text);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);

  /* A file without ticks says how to get some. */
  fx_init(&f);
  fx_header(&f, "plain", 8);
  fx_end(&f, 5000, "exit");
  p = profile_of(&f, "plain.msgpack");
  ck_assert_ptr_null(p->inputs[0].process->resources);
  text = report_of(p, false, NULL);
  sec = section(text, "Resources (");
  ck_assert_str_eq(sec, "Resources (CPU, memory and I/O from the resource sampler)\n"
                        "  no resource data recorded (set MEMSCOPE_RESOURCE_INTERVAL)\n");
  free(sec);
  free(text);
  text = report_of(p, true, NULL);
  ck_assert_ptr_nonnull(strstr(text, "\"resources\": null"));
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_json) {
  struct fx f;
  build(&f, 7);
  struct mg_profile *p = profile_of(&f, "res.msgpack");
  char *text = report_of(p, true, NULL);
  /* Without white space, to search for whole members. */
  size_t k = 0;
  for (size_t i = 0; text[i]; i++)
    if (text[i] != ' ' && text[i] != '\n')
      text[k++] = text[i];
  text[k] = '\0';
  static const char *const parts[] = {
      "\"resources\":{\"summary\":{\"ticks\":4,\"first_tick_ns\":100000000,"
      "\"last_tick_ns\":405000000,\"peak_rss_bytes\":30000000,\"peak_rss_time_ns\":200000000,"
      "\"peak_vsize_bytes\":150000000,\"peak_vsize_time_ns\":400000000,\"peak_cpu_percent\":60,"
      "\"peak_cpu_time_ns\":200000000,\"average_cpu_percent\":42.6,\"cpu_user_ns\":110000000,"
      "\"cpu_system_ns\":35000000,\"read_bytes\":1000000,\"write_bytes\":3000000,"
      "\"peak_read_bytes_per_s\":10000000,\"peak_write_bytes_per_s\":20000000,"
      "\"minor_faults\":30,\"major_faults\":2,\"voluntary_switches\":9,\"involuntary_switches\":2}",
      "{\"thread\":1,\"os_tid\":100,\"name\":\"main\",\"ticks\":4,\"cpu_user_ns\":60000000,"
      "\"cpu_system_ns\":20000000,\"cpu_share\":0.5517,\"read_bytes\":1500,\"write_bytes\":2500}",
      "{\"thread\":null,\"os_tid\":999,\"name\":null,\"ticks\":2,\"cpu_user_ns\":1000000,"
      "\"cpu_system_ns\":1000000,\"cpu_share\":0.0138,\"read_bytes\":null,\"write_bytes\":null}",
      "\"timeline\":{\"ticks_per_point\":1,\"time_ns\":[100000000,200000000,400000000,405000000],"
      "\"ticks\":[1,1,1,1],\"rss_bytes\":[10000000,30000000,20000000,20000000],",
      "\"cpu_percent\":[null,60,30,null],\"read_bytes_per_s\":[null,10000000,0,null],"
      "\"write_bytes_per_s\":[null,20000000,5000000,null],\"minor_faults\":[10,20,30,30],",
  };
  for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
    ck_assert_msg(strstr(text, parts[i]), "missing %s", parts[i]);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A damaged RESOURCE record stops the file there, says which file, where and what, and
 * keeps everything before it (the first tick and the events). */
START_TEST(test_bad_resource_record) {
  for (int which = 0; which < 3; which++) {
    struct fx f;
    fx_init(&f);
    fx_header(&f, "bad", 9);
    fx_site(&f, S_MAKE, MEMSCOPE_API_MALLOC, 1, frame);
    fx_events(&f, 1, 100, 1);
    fx_alloc(&f, S_MAKE, 64, 0x1000, 1000 + 50 * MS_);
    const struct tick_thread a[] = {{100, 8, 4, 0, 0, 0}};
    fx_tick(&f, 1000 + 100 * MS_, 10 * MB, 100 * MB, 10, 1, 10, 5, 0, 0, 1, 0, 1, a);
    fx_mark(&f);
    size_t at = f.starts[f.nobjects - 1];
    msgpack_pack_array(&f.pk, MS_RES_LEN);
    msgpack_pack_uint64(&f.pk, MS_REC_RESOURCE);
    msgpack_pack_uint64(&f.pk, 1000 + 200 * MS_);
    const char *want;
    if (which == 0) { /* a thread entry of 2 elements */
      msgpack_pack_array(&f.pk, MS_RES_PROCESS_LEN);
      for (int i = 0; i < MS_RES_PROCESS_LEN; i++)
        msgpack_pack_uint64(&f.pk, 1);
      msgpack_pack_array(&f.pk, 1);
      msgpack_pack_array(&f.pk, 2);
      msgpack_pack_uint64(&f.pk, 100);
      msgpack_pack_uint64(&f.pk, 1);
      want = "bad RESOURCE record: thread 0 has 2 elements, expected at least 3";
    } else if (which == 1) { /* a counter that is not a number */
      msgpack_pack_array(&f.pk, MS_RES_PROCESS_LEN);
      for (int i = 0; i < MS_RES_PROCESS_LEN; i++)
        if (i == MS_RES_UTIME)
          fx_str(&f, "soon");
        else
          msgpack_pack_uint64(&f.pk, 1);
      msgpack_pack_array(&f.pk, 0);
      want = "bad RESOURCE record: user_ns is a string, not an unsigned integer";
    } else { /* a short process array */
      msgpack_pack_array(&f.pk, 3);
      for (int i = 0; i < 3; i++)
        msgpack_pack_uint64(&f.pk, 1);
      msgpack_pack_array(&f.pk, 0);
      want = "bad RESOURCE record: process has 3 elements, expected at least 10";
    }
    fx_end(&f, 1000 + 300 * MS_, "exit");
    struct mg_profile *p = mg_profile_new();
    const struct mg_input *in = mg_profile_add_buffer(p, "bad.msgpack", f.buf.data, f.buf.size);
    ck_assert_int_eq(in->problem.status, MG_DECODE_CORRUPT);
    ck_assert_uint_eq(in->problem.offset, at);
    char msg[512], expect[512];
    mg_decode_problem_format(&in->problem, msg, sizeof msg);
    snprintf(expect, sizeof expect, "bad.msgpack: offset %zu: %s", at, want);
    ck_assert_str_eq(msg, expect);
    const struct mg_process *proc = in->process;
    ck_assert_ptr_nonnull(proc);
    ck_assert_uint_eq(proc->counts.allocations, 1);
    ck_assert_ptr_nonnull(proc->resources);
    ck_assert_uint_eq(proc->resources->summary.ticks, 1);
    ck_assert_uint_eq(proc->resources->summary.peak_rss, 10 * MB);
    mg_profile_free(p);
    fx_destroy(&f);
  }
}
END_TEST

/* Files read in parallel (-j): each process keeps its own resources; the session result
 * sums peak RSS and CPU time and gives each thread its CPU. */
START_TEST(test_session_in_parallel) {
  char dir[] = "/tmp/memscope-res-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char *paths[3];
  for (int i = 0; i < 3; i++) {
    struct fx f;
    if (i < 2) {
      build(&f, 10 + (uint64_t)i);
    } else {
      fx_init(&f);
      fx_header(&f, "plain", 12);
      fx_end(&f, 5000, "exit");
    }
    char path[128];
    snprintf(path, sizeof path, "%s/memscope.res.%d.msgpack", dir, 10 + i);
    FILE *out = fopen(path, "wb");
    ck_assert_ptr_nonnull(out);
    fwrite(f.buf.data, 1, f.buf.size, out);
    fclose(out);
    paths[i] = strdup(path);
    fx_destroy(&f);
  }
  struct mg_session_result r;
  ck_assert_int_eq(mg_session_from_files(paths, 3, 3, &r), 0);
  ck_assert_uint_eq(r.nprocesses, 3);
  ck_assert(r.has_resources);
  ck_assert_uint_eq(r.peak_rss_bytes, 60 * MB);
  assert_close(r.peak_cpu_percent, 60.0, "session peak cpu");
  ck_assert_uint_eq(r.cpu_user_ns, 220 * MS_);
  ck_assert_uint_eq(r.cpu_system_ns, 70 * MS_);
  ck_assert_uint_eq(r.nthreads, 4);
  for (size_t i = 0; i < r.nthreads; i++) {
    const struct mg_thread_stats *t = &r.threads[i];
    ck_assert_uint_eq(t->cpu_user_ns, t->thread == 1 ? 60 * MS_ : 30 * MS_);
    assert_close(t->cpu_share, t->thread == 1 ? 80.0 / 145 : 40.0 / 145, "thread share");
  }
  const struct mg_process *plain = r.profile->inputs[2].process;
  ck_assert_ptr_null(plain->resources);
  ck_assert_uint_eq(r.profile->inputs[1].process->resources->summary.ticks, 4);
  mg_session_result_free(&r);
  for (int i = 0; i < 3; i++) {
    unlink(paths[i]);
    free(paths[i]);
  }
  rmdir(dir);
}
END_TEST

/* A tick of a newer runtime: the process array ends with memscope's own file's size. */
static void fx_tick_own(struct fx *f, uint64_t ts, uint64_t write, uint64_t own) {
  fx_mark(f);
  msgpack_pack_array(&f->pk, MS_RES_LEN);
  msgpack_pack_uint64(&f->pk, MS_REC_RESOURCE);
  msgpack_pack_uint64(&f->pk, ts);
  msgpack_pack_array(&f->pk, MS_RES_PROCESS_OWN_LEN);
  for (int i = 0; i < MS_RES_PROCESS_OWN_LEN; i++)
    msgpack_pack_uint64(&f->pk, i == MS_RES_WRITE ? write : i == MS_RES_OWN_FILE ? own : 1);
  msgpack_pack_array(&f->pk, 0);
}

/* memscope's own file is left out of the program's writes: written 0.5, 2 and 4 MB while
 * memscope's file reached 0.5, 1.5 and 1.5 MB, so the program wrote 0, 0.5 and 2.5 MB:
 * 5 MB/s over the first 100 ms, 10 MB/s over the next 200 ms.  A tick whose file grew
 * more than the writes counted (its chunks reserved ahead) gives 0, never less. */
START_TEST(test_own_file_left_out) {
  struct fx f;
  fx_init(&f);
  fx_header(&f, "own", 9);
  fx_tick_own(&f, 1000 + 100 * MS_, MB / 2, MB / 2);
  fx_tick_own(&f, 1000 + 200 * MS_, 2 * MB, 3 * MB / 2);
  fx_tick_own(&f, 1000 + 400 * MS_, 4 * MB, 3 * MB / 2);
  fx_tick_own(&f, 1000 + 500 * MS_, 4 * MB, 5 * MB);
  fx_end(&f, 1000 + 500 * MS_, "exit");
  struct mg_profile *p = profile_of(&f, "own.msgpack");
  const struct mg_resources *res = p->inputs[0].process->resources;
  ck_assert_ptr_nonnull(res);
  ck_assert_uint_eq(res->summary.write_bytes, 5 * MB / 2);
  assert_close(res->summary.peak_write_rate, 10.0 * MB, "peak write rate");
  ck_assert_uint_eq(res->npoints, 4);
  assert_close(res->points[1].write_rate, 5.0 * MB, "write rate at 200 ms");
  assert_close(res->points[2].write_rate, 10.0 * MB, "write rate at 400 ms");
  assert_close(res->points[3].write_rate, 0, "write rate at 500 ms");
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

Suite *resources_suite(void) {
  Suite *s = suite_create("resources");
  TCase *tc = tcase_create("resources");
  tcase_add_test(tc, test_summary_is_exact);
  tcase_add_test(tc, test_downsampling_keeps_peaks);
  tcase_add_test(tc, test_reused_tid_adds_up);
  tcase_add_test(tc, test_text_section);
  tcase_add_test(tc, test_json);
  tcase_add_test(tc, test_bad_resource_record);
  tcase_add_test(tc, test_session_in_parallel);
  tcase_add_test(tc, test_own_file_left_out);
  suite_add_tcase(s, tc);
  return s;
}
