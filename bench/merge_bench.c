/* merge_bench: memscope-merge's throughput and memory on a synthetic run.
 *
 * Writes a full-mode record file (format 2) the way the runtime would for T threads that
 * run at the same time: the header region, a RECORDS chunk of SITE records, each thread's
 * events as compact items (event_codec.h) in EVENTS chunks of BATCH events, the threads'
 * chunks in turn, times interleaved, one block in 16 freed by the next thread; then reads
 * it back through the analysis library as memscope-merge does (chunk walk, EVENTS chunks
 * decoded on -j threads, streaming replay, combine, bottlenecks, both reports), and
 * prints events per second and the process's peak RSS.
 *
 * usage: merge_bench [-t THREADS] [-e EVENTS_PER_THREAD] [-p PROCESSES] [-j JOBS]
 *                    [-s SITES] [-k] [-r]
 *   -s SITES spreads the allocations over this many sites (default 8), each with a C++
 *      name (templates: <, >, &) inlined into two callers, as big programs have: what
 *      the HTML report is measured on (docs/reports.md);
 *   -k keeps the generated files (their paths are printed);
 *   -r replays only: no file, the same events handed to the model as decoded batches
 *      (replay_only), and the replay's time per event printed apart from the rest. */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "memscope/abi.h"
#include "memscope/event_codec.h"
#include "memscope/format.h"
#include "build.h"
#include "inputs.h"
#include "load.h"
#include "profile.h"
#include "bottleneck.h"
#include "replay.h"
#include "report.h"
#include "scan.h"

#define BATCH 8192 /* events per EVENTS chunk */
static unsigned SITES = 8; /* -s */
static bool rich_sites;    /* -s given: C++ names and inlined frames */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void str(msgpack_packer *pk, const char *s) {
  msgpack_pack_str(pk, strlen(s));
  msgpack_pack_str_body(pk, s, strlen(s));
}

/* One chunk out, padded to MS_CHUNK_ALIGN: the buffer is written and emptied, so
 * generating costs no memory. */
static void chunk(FILE *f, uint16_t kind, uint32_t thread, uint64_t seq, const void *content,
                  size_t len) {
  size_t size = (sizeof(struct ms_chunk_header) + len + MS_CHUNK_ALIGN - 1) / MS_CHUNK_ALIGN *
                MS_CHUNK_ALIGN;
  struct ms_chunk_header h = {.magic = MS_CHUNK_MAGIC, .kind = kind, .size = (uint32_t)size,
                              .thread = thread, .seq = seq, .used = (uint32_t)len};
  fwrite(&h, sizeof h, 1, f);
  fwrite(content, 1, len, f);
  static const char zeros[MS_CHUNK_ALIGN];
  fwrite(zeros, 1, size - sizeof h - len, f);
}

static void records(FILE *f, msgpack_sbuffer *sb, uint64_t seq) {
  chunk(f, MS_CHUNK_RECORDS, 0, seq, sb->data, sb->size);
  msgpack_sbuffer_clear(sb);
}

/* The workload, one batch at a time, as decoded events: what the file holds and what
 * the replay-only mode (-r) hands the model directly.  Each thread alternates malloc and
 * free of its own blocks; every 16th block is left for the next thread to free (a
 * cross-thread free, one batch later).  Returns the batch's events (at most BATCH). */
static unsigned batch_events(unsigned b, unsigned t, unsigned threads, unsigned per_thread,
                             struct mg_event *out) {
  unsigned n = per_thread - b * BATCH < BATCH ? per_thread - b * BATCH : BATCH;
  for (unsigned i = 0; i < n; i++) {
    uint64_t k = (uint64_t)b * BATCH + i;              /* event number in the thread */
    uint64_t ts = 1000000 + k * 1000 + t;              /* threads interleave in time */
    uint64_t block = k / 2, ptr = ((uint64_t)(t + 1) << 32) | (block << 4);
    struct mg_event *ev = &out[i];
    *ev = (struct mg_event){.ts = ts, .weight = 1.0};
    if (k % 2 == 0) {
      ev->kind = MS_EV_ALLOC;
      /* rich sites: every thread walks all of them, from its own offset */
      ev->site = 0x1000 + (block + (rich_sites ? (uint64_t)t * 7 : 0)) % (SITES - 1);
      ev->size = 16 + block % 512;
      ev->ptr = ptr;
    } else {
      /* every 16th block: free the previous thread's block of 2 batches ago */
      bool remote = block % 16 == 0 && t > 0 && k >= 2 * BATCH;
      uint64_t victim = remote ? (((uint64_t)t << 32) | (((k - 2 * BATCH) / 2) << 4)) : ptr;
      if (!remote && block % 16 == 0 && t + 1 < threads && k + 2 * BATCH < per_thread)
        victim = 0; /* kept for the next thread: this free is free(NULL) */
      ev->kind = MS_EV_FREE;
      ev->site = 0x1000 + SITES - 1;
      ev->ptr = victim;
    }
  }
  return n;
}

/* Returns the number of events written. */
static uint64_t generate(const char *path, unsigned pid, unsigned threads, unsigned per_thread) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(1);
  }
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, 3);
  str(&pk, MS_FORMAT_MAGIC);
  msgpack_pack_uint64(&pk, MS_FORMAT_VERSION);
  msgpack_pack_map(&pk, 3);
  str(&pk, MS_META_PROGRAM), str(&pk, "bench");
  str(&pk, MS_META_PID), msgpack_pack_uint64(&pk, pid);
  str(&pk, MS_META_MODE), str(&pk, "full");
  { /* the header region: the header, zeros, the status block */
    static char region[MS_HEADER_REGION];
    memcpy(region, sb.data, sb.size);
    struct ms_file_status st = {.magic = MS_STATUS_MAGIC};
    memcpy(region + MS_STATUS_OFFSET, &st, sizeof st);
    fwrite(region, 1, sizeof region, f);
    msgpack_sbuffer_clear(&sb);
  }
  for (unsigned s = 0; s < SITES; s++) {
    msgpack_pack_array(&pk, MS_SITE_LEN);
    msgpack_pack_uint64(&pk, MS_REC_SITE);
    msgpack_pack_uint64(&pk, 0x1000 + s);
    msgpack_pack_uint32(&pk, s == SITES - 1 ? MEMSCOPE_API_FREE : MEMSCOPE_API_MALLOC);
    if (!rich_sites) {
      msgpack_pack_array(&pk, 1);
      msgpack_pack_array(&pk, MS_FRAME_LEN);
      str(&pk, "work"), str(&pk, "bench.c");
      msgpack_pack_uint32(&pk, 10 + s), msgpack_pack_uint32(&pk, 3);
    } else {
      char fn[160], caller[64], file[64];
      snprintf(fn, sizeof fn, "ns%u::Pool<std::pair<int, Item%u&>>::grow(size_t) const &",
               s % 50, s);
      snprintf(caller, sizeof caller, "Worker%u::run<&handler%u>", s % 200, s % 7);
      snprintf(file, sizeof file, "src/module%u/pool.hpp", s % 50);
      msgpack_pack_array(&pk, 3);
      msgpack_pack_array(&pk, MS_FRAME_LEN);
      str(&pk, fn), str(&pk, file);
      msgpack_pack_uint32(&pk, 100 + s % 900), msgpack_pack_uint32(&pk, 9);
      msgpack_pack_array(&pk, MS_FRAME_LEN);
      str(&pk, caller), str(&pk, "src/worker.cc");
      msgpack_pack_uint32(&pk, 40 + s % 200), msgpack_pack_uint32(&pk, 5);
      msgpack_pack_array(&pk, MS_FRAME_LEN);
      str(&pk, "main"), str(&pk, "src/main.cc");
      msgpack_pack_uint32(&pk, 12), msgpack_pack_uint32(&pk, 3);
    }
    msgpack_pack_uint32(&pk, 0);     /* flags */
    msgpack_pack_uint32(&pk, 2 + s); /* slot */
  }
  records(f, &sb, 0);
  uint8_t *items = malloc((size_t)BATCH * MS_ITEM_EVENT_MAX);
  uint64_t events = 0;
  unsigned batches = (per_thread + BATCH - 1) / BATCH;
  static struct mg_event evs[BATCH];
  for (unsigned b = 0; b < batches; b++) {
    for (unsigned t = 0; t < threads; t++) {
      unsigned n = batch_events(b, t, threads, per_thread, evs);
      struct ms_codec_state st = {0};
      uint8_t *p = items;
      for (unsigned i = 0; i < n; i++) {
        const struct mg_event *ev = &evs[i];
        /* site 0x1000 + s has slot 2 + s (SITE records above) */
        struct ms_codec_event e = {.op = ev->kind == MS_EV_ALLOC ? MS_ITEM_ALLOC : MS_ITEM_FREE,
                                   .slot = (uint32_t)(ev->site - 0x1000 + 2), .size = ev->size,
                                   .ptr = ev->ptr, .ts = ev->ts, .weight = 1.0};
        p = ms_encode_event(p, &st, &e);
      }
      chunk(f, MS_CHUNK_EVENTS, t + 1, b, items, (size_t)(p - items));
      events += n;
    }
  }
  free(items);
  msgpack_pack_array(&pk, MS_END_LEN);
  msgpack_pack_uint64(&pk, MS_REC_END);
  msgpack_pack_uint64(&pk, 1000000 + (uint64_t)per_thread * 1000 + threads);
  str(&pk, "exit");
  records(f, &sb, 1);
  msgpack_sbuffer_destroy(&sb);
  fclose(f);
  return events;
}

/* -r: the model alone.  The same process as the file, built from its decoded records
 * (build.h) with the pre-scan's order, each batch generated into one buffer that stays in
 * cache, as a decoder hands it over: the time is the replay's and the model's, without
 * reading or decoding.  Returns the number of events. */
static uint64_t replay_only(struct mg_profile *dst, unsigned pid, unsigned threads,
                            unsigned per_thread, double *generating) {
  struct mg_profile *part = mg_profile_new();
  size_t input = mg_profile_add_input(part, "bench");
  struct mg_header_rec h = {.version = MS_FORMAT_VERSION, .program = "bench", .mode = "full",
                            .pid = pid, .present = MG_HEADER_HAS_PID};
  struct mg_process *proc = mg_input_attach_process(&part->inputs[input], &h);
  unsigned batches = (per_thread + BATCH - 1) / BATCH;
  /* A batch's earliest time is its first event's (each thread's times grow). */
  size_t norder = (size_t)batches * threads;
  uint64_t *order = malloc(norder * sizeof *order);
  for (unsigned b = 0; b < batches; b++)
    for (unsigned t = 0; t < threads; t++)
      order[(size_t)b * threads + t] = 1000000 + (uint64_t)b * BATCH * 1000 + t;
  mg_scan_suffix_min(order, norder);
  mg_replay_begin(part, proc, order, norder, part->window);
  struct mg_frame_rec frame = {"work", "bench.c", 10, 3};
  for (unsigned s = 0; s < SITES; s++) {
    struct mg_site_rec site = {.id = 0x1000 + s, .nframes = 1, .frames = &frame,
                               .api = s == SITES - 1 ? MEMSCOPE_API_FREE : MEMSCOPE_API_MALLOC};
    mg_process_add_site(part, proc, &site);
  }
  static struct mg_event evs[BATCH];
  /* What generating the batches costs alone, to leave it out of the replay's time. */
  double t0 = now();
  for (unsigned b = 0; b < batches; b++)
    for (unsigned t = 0; t < threads; t++)
      batch_events(b, t, threads, per_thread, evs);
  *generating += now() - t0;
  uint64_t events = 0;
  for (unsigned b = 0; b < batches; b++)
    for (unsigned t = 0; t < threads; t++) {
      struct mg_events_rec e = {.thread = t + 1, .os_tid = 1000 + t, .events = evs};
      e.nevents = batch_events(b, t, threads, per_thread, evs);
      mg_process_add_events(part, proc, &e);
      events += e.nevents;
    }
  struct mg_end_rec end = {.end_ns = 1000000 + (uint64_t)per_thread * 1000 + threads,
                           .reason = "exit"};
  mg_process_add_end(part, proc, &end);
  mg_profile_end_process(part, proc);
  mg_profile_absorb(dst, part, NULL);
  return events;
}

int main(int argc, char **argv) {
  unsigned threads = 500, per_thread = 4096, processes = 1, jobs = 0;
  bool keep = false, replay = false;
  int c;
  while ((c = getopt(argc, argv, "t:e:p:j:s:kr")) != -1) {
    switch (c) {
    case 't': threads = (unsigned)atoi(optarg); break;
    case 'e': per_thread = (unsigned)atoi(optarg); break;
    case 'p': processes = (unsigned)atoi(optarg); break;
    case 'j': jobs = (unsigned)atoi(optarg); break;
    case 'k': keep = true; break;
    case 'r': replay = true; break;
    case 's':
      SITES = (unsigned)atoi(optarg);
      rich_sites = true;
      if (SITES < 2)
        return 2;
      break;
    default:
      fprintf(stderr, "usage: merge_bench [-t THREADS] [-e EVENTS_PER_THREAD] [-p PROCESSES] "
                      "[-j JOBS] [-s SITES] [-k] [-r]\n");
      return 2;
    }
  }
  if (!threads || !per_thread || !processes)
    return 2;
  char **paths = calloc(processes, sizeof *paths);
  uint64_t events = 0, bytes = 0;
  for (unsigned i = 0; i < processes && !replay; i++) {
    paths[i] = malloc(64);
    snprintf(paths[i], 64, "/tmp/memscope.bench.%u.%u.msgpack", (unsigned)getpid(), i + 1);
    events += generate(paths[i], i + 1, threads, per_thread);
    FILE *f = fopen(paths[i], "rb");
    fseek(f, 0, SEEK_END);
    bytes += (uint64_t)ftell(f);
    fclose(f);
  }
  struct rusage before;
  getrusage(RUSAGE_SELF, &before);

  double t0 = now();
  struct mg_profile *p = mg_profile_new();
  struct mg_read_options opt = {.jobs = jobs};
  double replay_secs = 0, generating = 0;
  if (replay) {
    for (unsigned i = 0; i < processes; i++)
      events += replay_only(p, i + 1, threads, per_thread, &generating);
    replay_secs = now() - t0 - generating;
    t0 += generating;
  } else {
    mg_profile_add_files(p, paths, processes, &opt);
  }
  mg_profile_finish(p);
  FILE *sink = fopen("/dev/null", "w");
  mg_report_text(sink, p, NULL);
  mg_report_json(sink, p, NULL);
  fclose(sink);
  double secs = now() - t0;

  struct rusage after;
  getrusage(RUSAGE_SELF, &after);
  uint64_t window = 0, late = 0;
  for (size_t i = 0; i < p->ninputs; i++)
    if (p->inputs[i].process) {
      if (p->inputs[i].process->window_max > window)
        window = p->inputs[i].process->window_max;
      late += p->inputs[i].process->late_events;
    }
  printf("merge_bench: %u process(es) x %u threads x %u events = %llu events, %.1f MB of records\n",
         processes, threads, per_thread, (unsigned long long)events, (double)bytes / 1e6);
  double cpu = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec) +
               (double)(after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
               1e-6 * (double)(after.ru_utime.tv_usec - before.ru_utime.tv_usec +
                               after.ru_stime.tv_usec - before.ru_stime.tv_usec);
  if (replay)
    printf("  replay            %.3f s, %.1f ns/event (model only: no file, no decoding; "
           "generating the batches, %.1f ns/event, left out)\n",
           replay_secs, replay_secs * 1e9 / (double)events, generating * 1e9 / (double)events);
  printf("  merge time        %.3f s (read, replay, combine, bottlenecks, text and JSON)\n", secs);
  /* CPU time is steadier than wall time on a shared machine. */
  printf("  cpu time          %.3f s (user + system, every thread)\n", cpu);
  printf("  throughput        %.2f M events/s, %.1f MB/s\n", (double)events / secs / 1e6,
         (double)bytes / secs / 1e6);
  printf("  peak RSS          %.1f MB (%.1f MB before reading)\n", after.ru_maxrss / 1024.0,
         before.ru_maxrss / 1024.0);
  printf("  replay window     %llu events at most, %llu late\n", (unsigned long long)window,
         (unsigned long long)late);
  printf("  totals            %llu allocations, %llu frees, %llu unmatched\n",
         (unsigned long long)p->totals.allocations, (unsigned long long)p->totals.frees,
         (unsigned long long)p->totals.unmatched_frees);
  mg_profile_free(p);
  for (unsigned i = 0; i < processes && !replay; i++) {
    if (keep)
      printf("  kept %s\n", paths[i]);
    else
      unlink(paths[i]);
    free(paths[i]);
  }
  free(paths);
  return 0;
}
