/* Reading a record file: the container around the records (container.h). */
#include "container.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "memscope/format.h"
#include "parallel.h"
#include "reread.h"
#include "scan.h"
#include "util.h"

#define HEADER_SIZE 32u /* sizeof(struct ms_chunk_header) */
/* RECORDS content is fed to the decoder in pieces of at most this. */
#define RECORDS_PIECE (1u << 20)
/* A table larger than this (a corrupt `seq`) is not believed. */
#define TABLE_MAX_BYTES (1u << 30)

_Static_assert(sizeof(struct ms_chunk_header) == HEADER_SIZE, "format.h: 32-byte chunk header");
_Static_assert(sizeof(struct ms_file_status) == 64, "format.h: 64-byte status block");

/* --- Reading bytes: a descriptor (pread) or memory ------------------------------------ */

struct src {
  int fd;
  const uint8_t *data; /* or NULL */
  uint64_t size;
};

/* What is needed to read: a buffer per reader (each thread has its own). */
struct getter {
  const struct src *src;
  uint8_t *buf;
  size_t cap;
  int err; /* errno of a failed read */
  const uint8_t *mapped_buf; /* the buffer whose first `mapped` bytes were written */
  size_t mapped;
};

/* [off, off + len) of the input, len within its size; NULL when the system refused. */
static const uint8_t *get(struct getter *g, uint64_t off, size_t len) {
  static const uint8_t nothing[1];
  if (g->src->data)
    return g->src->data + off;
  if (len == 0) /* an empty chunk (a thread killed before its first item): no buffer yet */
    return nothing;
  if (len > g->cap) { /* nothing in it is kept: no copy; whole MiBs, as chunks come in
                       * about that size and the replay hands buffers back (replay.c) */
    free(g->buf);
    g->cap = (len + ((size_t)1 << 20) - 1) & ~(((size_t)1 << 20) - 1);
    g->buf = mg_xmalloc(g->cap);
    g->mapped = 0; /* at the old one's address, perhaps, but not its pages */
  }
  /* pread would fault the pages it fills in one at a time, inside its copy (half the
   * pool file's page faults: a buffer first used for a small chunk, or handed over by
   * the replay, has pages never written): mapped in one call instead, beyond what this
   * buffer is known to have mapped (a look at each mapped page costs too: 2% of Lua's) */
  if (g->buf != g->mapped_buf) /* new, or swapped by the replay (content_home) */
    g->mapped_buf = g->buf, g->mapped = 0;
  if (len > g->mapped) {
    mg_prefault(g->buf + g->mapped, len - g->mapped);
    g->mapped = len;
  }
  long got = mg_pread_full(g->src->fd, g->buf, len, off);
  if (got != (long)len) { /* short: the file shrank since it was measured */
    g->err = got < 0 ? errno : EIO;
    return NULL;
  }
  return g->buf;
}

/* --- The index of chunks --------------------------------------------------------------- */

struct chunk {
  uint64_t offset, seq;
  uint64_t first; /* EVENTS: the earliest time (scan.h) */
  uint32_t size, thread;
  uint32_t have; /* content bytes to read: `used`, or what the file holds of it */
  uint16_t kind;
};

/* What the container learns of a thread from the records and the tables. */
struct thread_facts {
  uint64_t thread, os_tid;
  bool counted; /* a COUNTERS record */
  struct mg_counter_rec *base; /* its BASE record's entries (site: slot) */
  size_t nbase;
  struct ms_table_slot *table;
  size_t ntable;
};

struct reader {
  const char *name;
  struct src src;
  struct getter get;
  const struct mg_decode_callbacks *cb;
  void *ctx;
  unsigned jobs;
  _Atomic uint64_t *progress;
  uint64_t reported; /* bytes added to *progress */
  struct mg_decoder *d;
  bool header_seen;
  struct mg_decode_problem problem; /* the container's first problem */
  struct chunk *chunks; /* in file order */
  size_t nchunks, chunks_cap;
  uint64_t garbage; /* bytes outside any chunk that were not zeros */
  struct mg_slots slots;
  struct mg_map thread_pos; /* thread index -> position in threads */
  struct thread_facts *threads;
  size_t nthreads, threads_cap;
  struct mg_stack_ids stacks;
  struct mg_reread *reread; /* the file, for consumers that read chunks again (NULL) */
  size_t *events; /* the EVENTS chunks (positions in chunks) in delivery order */
  size_t nevents;
};

static void problem_at(struct reader *r, enum mg_decode_status status, bool has_offset,
                       uint64_t offset, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void problem_at(struct reader *r, enum mg_decode_status status, bool has_offset,
                       uint64_t offset, const char *fmt, ...) {
  if (r->problem.status != MG_DECODE_OK)
    return;
  r->problem.status = status;
  r->problem.has_offset = has_offset;
  r->problem.offset = offset;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->problem.message, sizeof r->problem.message, fmt, ap);
  va_end(ap);
}

static void io_failed(struct reader *r, uint64_t offset) {
  problem_at(r, MG_DECODE_IO, true, offset, "cannot read: %s", strerror(r->get.err));
}

static void progress(struct reader *r, uint64_t bytes) {
  r->reported += bytes;
  if (r->progress)
    atomic_fetch_add_explicit(r->progress, bytes, memory_order_relaxed);
}

static struct thread_facts *facts(struct reader *r, uint64_t thread) {
  bool existed;
  size_t *pos = mg_map_put(&r->thread_pos, thread, &existed);
  if (!existed) {
    MG_GROW(r->threads, r->threads_cap, r->nthreads + 1);
    r->threads[r->nthreads] = (struct thread_facts){.thread = thread};
    *pos = r->nthreads++;
  }
  return &r->threads[*pos];
}

/* A chunk header, if that is what the page starts with. */
static bool chunk_header(const uint8_t *p, size_t len, struct ms_chunk_header *h) {
  if (len < HEADER_SIZE)
    return false;
  memcpy(h, p, sizeof *h);
  return h->magic == MS_CHUNK_MAGIC && h->kind != 0 && h->size % MS_CHUNK_ALIGN == 0 &&
         h->size >= MS_CHUNK_ALIGN && h->used <= h->size - HEADER_SIZE;
}

static bool all_zero(const uint8_t *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (p[i])
      return false;
  return true;
}

/* The earliest time of an EVENTS chunk, from its first page (page) or, when its first
 * event lies further, from more of it. */
static uint64_t first_time(struct reader *r, const struct chunk *c, const uint8_t *page,
                           size_t in_page) {
  uint64_t t = mg_scan_events_chunk(page, in_page < c->have ? in_page : c->have);
  if (t == 0 && c->have > in_page) { /* a long STACK item first, most likely */
    size_t more = c->have < 65536 ? c->have : 65536;
    const uint8_t *p = get(&r->get, c->offset + HEADER_SIZE, more);
    t = p ? mg_scan_events_chunk(p, more) : 0;
  }
  return t;
}

/* Where the chunks end: the writers' cursor (the status block's chunk_end: every chunk
 * was reserved below it), or the end of the file when the status has none or the file
 * was cut before it.  What lies after it was not written by memscope: if the first page
 * there holds anything but zeros, the file is corrupt from there on (the rest is not
 * read: 1 GB of garbage after a profile costs one page).  *cut_at: the cursor when the
 * file ends before it (a copy cut at a chunk boundary leaves no piece of a chunk to
 * tell), 0 otherwise; not after a full disk, whose cursor passed the last reservation. */
static uint64_t chunks_end(struct reader *r, uint64_t *cut_at) {
  uint64_t size = r->src.size;
  *cut_at = 0;
  const uint8_t *p = size >= MS_HEADER_REGION
                         ? get(&r->get, MS_STATUS_OFFSET, sizeof(struct ms_file_status))
                         : NULL;
  if (!p)
    return size;
  struct ms_file_status st;
  memcpy(&st, p, sizeof st);
  if (st.magic != MS_STATUS_MAGIC || st.chunk_end < MS_HEADER_REGION)
    return size;
  if (st.chunk_end > size && !(st.flags & MS_STATUS_DISK_FULL))
    *cut_at = st.chunk_end;
  if (st.chunk_end >= size)
    return size;
  size_t len = size - st.chunk_end < MS_CHUNK_ALIGN ? (size_t)(size - st.chunk_end) : MS_CHUNK_ALIGN;
  const uint8_t *after = get(&r->get, st.chunk_end, len);
  if (after && !all_zero(after, len))
    problem_at(r, MG_DECODE_CORRUPT, true, st.chunk_end,
               "%llu bytes after the last chunk (the status block's chunk_end) are not "
               "memscope's: not read",
               (unsigned long long)(size - st.chunk_end));
  return st.chunk_end;
}

/* Walks the chunks from the end of the header region. */
static void walk(struct reader *r) {
  uint64_t cut_at, size = chunks_end(r, &cut_at), zeros = 0;
  bool cut = false;
  for (uint64_t off = MS_HEADER_REGION; off < size;) {
    size_t len = size - off < MS_CHUNK_ALIGN ? (size_t)(size - off) : MS_CHUNK_ALIGN;
    const uint8_t *p = get(&r->get, off, len);
    if (!p) {
      io_failed(r, off);
      return;
    }
    struct ms_chunk_header h;
    if (!chunk_header(p, len, &h)) {
      /* Chunks fill whole pages: a piece of one at the end is a file cut short. */
      if (len < MS_CHUNK_ALIGN) {
        problem_at(r, MG_DECODE_TRUNCATED, true, off,
                   "truncated: the file ends inside a chunk (%zu bytes of its first page "
                   "present)", len);
        break;
      }
      if (all_zero(p, len))
        zeros += len;
      else
        r->garbage += len;
      off += MS_CHUNK_ALIGN;
      continue;
    }
    struct chunk c = {.offset = off, .seq = h.seq, .size = h.size, .thread = h.thread,
                      .have = h.used, .kind = h.kind};
    if (h.size > size - off) { /* cut by the end of the file: what is there is complete */
      uint64_t there = size - off - HEADER_SIZE;
      if (c.have > there)
        c.have = (uint32_t)there;
      if (!cut)
        problem_at(r, MG_DECODE_TRUNCATED, true, off,
                   "truncated: the file ends inside a chunk (%llu of its %u bytes present)",
                   (unsigned long long)(size - off), h.size);
      cut = true;
    }
    if (c.kind == MS_CHUNK_EVENTS)
      c.first = first_time(r, &c, p + HEADER_SIZE, len - HEADER_SIZE);
    /* A thread killed before its THREAD record is named by its chunks' headers (the
     * record, read later, has the last word). */
    if ((c.kind == MS_CHUNK_EVENTS || c.kind == MS_CHUNK_TABLE) && h.os_tid &&
        !facts(r, c.thread)->os_tid)
      facts(r, c.thread)->os_tid = h.os_tid;
    MG_GROW(r->chunks, r->chunks_cap, r->nchunks + 1);
    r->chunks[r->nchunks++] = c;
    if (c.kind != MS_CHUNK_RECORDS && c.kind != MS_CHUNK_EVENTS && c.kind != MS_CHUNK_TABLE &&
        r->cb->unknown)
      r->cb->unknown(r->ctx, c.kind, off);
    off += h.size;
  }
  (void)zeros; /* a killed writer's reserved pages: nothing to say */
  if (cut_at) /* (a cut inside a chunk was named above: the first problem stays) */
    problem_at(r, MG_DECODE_TRUNCATED, true, size,
               "truncated: the file ends at byte %llu, before the end of its chunks (byte "
               "%llu): cut short, or the program died while adding a chunk",
               (unsigned long long)size, (unsigned long long)cut_at);
}

/* --- Order of delivery ------------------------------------------------------------------ */

static int by_seq(const void *a, const void *b) {
  const struct chunk *x = *(const struct chunk *const *)a, *y = *(const struct chunk *const *)b;
  if (x->seq != y->seq)
    return x->seq < y->seq ? -1 : 1;
  return (x->offset > y->offset) - (x->offset < y->offset);
}

static _Thread_local const struct chunk *sort_base; /* qsort has no context */

/* EVENTS chunks by thread, then by `how` (seq, or offset). */
static int by_thread_seq(const void *a, const void *b) {
  const struct chunk *x = &sort_base[*(const size_t *)a], *y = &sort_base[*(const size_t *)b];
  if (x->thread != y->thread)
    return x->thread < y->thread ? -1 : 1;
  if (x->seq != y->seq)
    return x->seq < y->seq ? -1 : 1;
  return (x->offset > y->offset) - (x->offset < y->offset);
}

static int by_thread_offset(const void *a, const void *b) {
  const struct chunk *x = &sort_base[*(const size_t *)a], *y = &sort_base[*(const size_t *)b];
  if (x->thread != y->thread)
    return x->thread < y->thread ? -1 : 1;
  return (x->offset > y->offset) - (x->offset < y->offset);
}

/* The EVENTS chunks in file order, except that each thread's come in `seq` order (its
 * chunks keep the places they have in the file, filled in seq order).  Normally the two
 * orders agree: a thread reserves its next chunk after the last. */
static void events_order(struct reader *r) {
  size_t n = 0;
  for (size_t i = 0; i < r->nchunks; i++)
    n += r->chunks[i].kind == MS_CHUNK_EVENTS;
  r->events = mg_xcalloc(n ? n : 1, sizeof *r->events);
  size_t *places = mg_xcalloc(n ? n : 1, sizeof *places);
  for (size_t i = 0, k = 0; i < r->nchunks; i++)
    if (r->chunks[i].kind == MS_CHUNK_EVENTS)
      places[k] = r->events[k] = i, k++;
  sort_base = r->chunks;
  qsort(places, n, sizeof *places, by_thread_offset);
  qsort(r->events, n, sizeof *r->events, by_thread_seq);
  /* Both sorted by thread first: the k-th place of a thread gets its k-th chunk. */
  size_t *order = mg_xcalloc(r->nchunks ? r->nchunks : 1, sizeof *order);
  for (size_t k = 0; k < n; k++)
    order[places[k]] = r->events[k];
  size_t m = 0;
  for (size_t i = 0; i < r->nchunks; i++)
    if (r->chunks[i].kind == MS_CHUNK_EVENTS)
      r->events[m++] = order[i];
  free(places);
  free(order);
  r->nevents = n;
}

/* Each batch's earliest time, in delivery order: the EVENTS records among the records
 * (leaks mode's), then the EVENTS chunks. */
static void give_order(struct reader *r, const struct chunk **records, size_t nrecords) {
  uint64_t *mins = NULL;
  size_t n = 0, cap = 0;
  for (size_t i = 0; i < nrecords; i++) {
    const struct chunk *c = records[i];
    const uint8_t *p = get(&r->get, c->offset + HEADER_SIZE, c->have);
    if (p)
      mg_scan_records(p, c->have, &mins, &n, &cap);
  }
  MG_GROW(mins, cap, n + r->nevents + 1);
  for (size_t k = 0; k < r->nevents; k++)
    mins[n++] = r->chunks[r->events[k]].first;
  if (r->cb->order)
    r->cb->order(r->ctx, mins, n);
  else
    free(mins);
}

/* --- Records ---------------------------------------------------------------------------- */

/* The decoder's records pass through here first: the container needs the sites' slots,
 * the threads' tids, which threads wrote COUNTERS, and their BASE records. */
static void on_header(void *ctx, const struct mg_header_rec *h) {
  struct reader *r = ctx;
  r->header_seen = true;
  if (r->cb->header)
    r->cb->header(r->ctx, h);
}

static void on_site(void *ctx, const struct mg_site_rec *s) {
  struct reader *r = ctx;
  if (!mg_slots_set(&r->slots, s->slot, s->id)) {
    char msg[128];
    snprintf(msg, sizeof msg, "bad SITE record: slot %u is already another site's", s->slot);
    mg_decoder_fail(r->d, MG_DECODE_CORRUPT, s->offset, msg);
    return;
  }
  if (r->cb->site)
    r->cb->site(r->ctx, s);
}

static void on_thread(void *ctx, const struct mg_thread_rec *t) {
  struct reader *r = ctx;
  facts(r, t->thread)->os_tid = t->os_tid;
  if (r->cb->thread)
    r->cb->thread(r->ctx, t);
}

static void on_counters(void *ctx, const struct mg_counters_rec *c) {
  struct reader *r = ctx;
  struct thread_facts *f = facts(r, c->thread);
  f->counted = true;
  if (!f->os_tid)
    f->os_tid = c->os_tid;
  if (r->cb->counters)
    r->cb->counters(r->ctx, c);
}

static void on_base(void *ctx, const struct mg_base_rec *b) {
  struct reader *r = ctx;
  struct thread_facts *f = facts(r, b->thread);
  free(f->base); /* one per thread and file; a second replaces the first */
  f->base = mg_xcalloc(b->nentries ? b->nentries : 1, sizeof *f->base);
  memcpy(f->base, b->entries, b->nentries * sizeof *f->base);
  f->nbase = b->nentries;
  if (r->cb->base)
    r->cb->base(r->ctx, b);
}

static void on_events(void *ctx, const struct mg_events_rec *e) {
  struct reader *r = ctx;
  if (r->cb->events)
    r->cb->events(r->ctx, e);
}

/* The rest go straight through. */
#define PASS(name, type)                                    \
  static void on_##name(void *ctx, const type *x) {         \
    struct reader *r = ctx;                                 \
    if (r->cb->name)                                        \
      r->cb->name(r->ctx, x);                               \
  }
PASS(end, struct mg_end_rec)
PASS(phase, struct mg_phase_rec)
PASS(module, struct mg_module_rec)
PASS(resource, struct mg_resource_rec)

static void on_unknown(void *ctx, uint64_t type, uint64_t offset) {
  struct reader *r = ctx;
  if (r->cb->unknown)
    r->cb->unknown(r->ctx, type, offset);
}

static const struct mg_decode_callbacks through = {
    .header = on_header, .site = on_site, .thread = on_thread, .events = on_events,
    .end = on_end, .unknown = on_unknown, .counters = on_counters, .phase = on_phase,
    .module = on_module, .resource = on_resource, .base = on_base,
};

/* The RECORDS chunks' content, in seq order, as the records after the header. */
static void read_records(struct reader *r, const struct chunk **records, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const struct chunk *c = records[i];
    uint64_t at = c->offset + HEADER_SIZE;
    mg_decoder_at(r->d, at);
    for (uint32_t done = 0; done < c->have;) {
      uint32_t len = c->have - done < RECORDS_PIECE ? c->have - done : RECORDS_PIECE;
      const uint8_t *p = get(&r->get, at + done, len);
      if (!p) {
        io_failed(r, at + done);
        return;
      }
      if (!mg_decoder_feed(r->d, p, len))
        return;
      done += len;
    }
    progress(r, c->size);
    if (mg_decoder_pending(r->d) == 0)
      continue;
    /* The records of a chunk are whole: one that is not is cut by the end of the file
     * (reported as such) or corrupt, and the next chunk cannot complete it. */
    if (c->offset + c->size > r->src.size) {
      mg_decoder_finish(r->d);
      return;
    }
    char msg[128];
    snprintf(msg, sizeof msg, "corrupt data: the RECORDS chunk at offset %llu ends inside a "
             "record", (unsigned long long)c->offset);
    mg_decoder_fail(r->d, MG_DECODE_CORRUPT, at + c->have - mg_decoder_pending(r->d), msg);
    return;
  }
}

/* --- Tables ----------------------------------------------------------------------------- */

static void read_tables(struct reader *r) {
  for (size_t i = 0; i < r->nchunks; i++) {
    const struct chunk *c = &r->chunks[i];
    if (c->kind != MS_CHUNK_TABLE)
      continue;
    progress(r, c->size);
    uint64_t end = c->offset + c->size < r->src.size ? c->offset + c->size : r->src.size;
    uint64_t from = c->offset + MS_CHUNK_ALIGN;
    if (end <= from || c->seq % sizeof(struct ms_table_slot) ||
        c->seq + (end - from) > TABLE_MAX_BYTES)
      continue; /* nothing there, or not a table this reader believes */
    size_t first = (size_t)(c->seq / sizeof(struct ms_table_slot));
    size_t n = (size_t)((end - from) / sizeof(struct ms_table_slot));
    const uint8_t *p = get(&r->get, from, n * sizeof(struct ms_table_slot));
    if (!p) {
      io_failed(r, from);
      return;
    }
    struct thread_facts *f = facts(r, c->thread);
    if (first + n > f->ntable) {
      f->table = mg_xrealloc(f->table, (first + n) * sizeof *f->table);
      memset(f->table + f->ntable, 0, (first + n - f->ntable) * sizeof *f->table);
      f->ntable = first + n;
    }
    memcpy(f->table + first, p, n * sizeof *f->table);
  }
}

static uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

/* A thread without COUNTERS record is counted from its table, minus its BASE. */
static void table_counters(struct reader *r, struct thread_facts *f) {
  for (size_t k = 0; k < f->nbase; k++) {
    const struct mg_counter_rec *b = &f->base[k];
    if (b->site < f->ntable) {
      f->table[b->site].calls = minus(f->table[b->site].calls, b->calls);
      f->table[b->site].bytes = minus(f->table[b->site].bytes, b->bytes);
    }
  }
  struct mg_counter_rec *entries = mg_xcalloc(f->ntable + 1, sizeof *entries);
  struct mg_counter_rec *unknown = &entries[0]; /* slot 0, and slots no SITE named */
  size_t n = 1;
  for (size_t slot = 2; slot < f->ntable; slot++) {
    const struct ms_table_slot *t = &f->table[slot];
    if (!t->calls)
      continue;
    struct mg_counter_rec e = {mg_slots_site(&r->slots, (uint32_t)slot), t->calls, t->bytes,
                               t->lo, t->lo + t->span};
    if (!mg_slots_known(&r->slots, (uint32_t)slot) || slot > UINT32_MAX) {
      unknown->calls += e.calls;
      unknown->bytes += e.bytes;
      unknown->min = unknown->min && unknown->min < e.min ? unknown->min : e.min;
      unknown->max = unknown->max > e.max ? unknown->max : e.max;
    } else {
      entries[n++] = e;
    }
  }
  if (f->ntable > 0 && f->table[0].calls) {
    const struct ms_table_slot *t = &f->table[0];
    unknown->calls += t->calls;
    unknown->bytes += t->bytes;
    unknown->min = unknown->min && unknown->min < t->lo ? unknown->min : t->lo;
    unknown->max = unknown->max > t->lo + t->span ? unknown->max : t->lo + t->span;
  }
  bool has_unknown = unknown->calls > 0;
  struct mg_counters_rec c = {
      .thread = f->thread,
      .os_tid = f->os_tid,
      .nentries = n - !has_unknown,
      .entries = has_unknown ? entries : entries + 1,
      .realloc_releases = f->ntable > 1 ? f->table[1].calls : 0,
      .has_realloc_releases = true,
      .from_table = true,
  };
  if (r->cb->counters)
    r->cb->counters(r->ctx, &c);
  free(entries);
}


/* --- Events ----------------------------------------------------------------------------- */

/* One EVENTS chunk being decoded: its own buffer, its events. */
struct job {
  struct getter get;
  struct mg_chunk_events ev;
  bool io_failed;
  const uint8_t *content; /* the chunk's bytes (in get's buffer, or the source's) */
};

/* Decodes delivery position k into job (on any thread). */
static void decode_chunk(struct reader *r, size_t k, struct job *job) {
  const struct chunk *c = &r->chunks[r->events[k]];
  const uint8_t *p = get(&job->get, c->offset + HEADER_SIZE, c->have);
  job->io_failed = !p;
  job->content = p;
  job->ev.n = 0;
  job->ev.bad = false;
  if (p)
    mg_chunk_events_decode(&job->ev, p, c->have, c->offset + HEADER_SIZE, &r->slots);
}

/* Hands position k's events over (on the reading thread, in order). */
static void deliver_chunk(struct reader *r, size_t k, struct job *job) {
  const struct chunk *c = &r->chunks[r->events[k]];
  if (job->io_failed) {
    r->get.err = job->get.err;
    io_failed(r, c->offset);
  }
  mg_stack_ids_resolve(&r->stacks, c->thread, &job->ev);
  const struct thread_facts *f = facts(r, c->thread);
  struct mg_events_rec e = {.offset = c->offset, .thread = c->thread, .os_tid = f->os_tid,
                            .nevents = job->ev.n,
                            .events = job->ev.is_plain ? NULL : job->ev.events,
                            .plain = job->ev.is_plain ? job->ev.plain : NULL,
                            .nplain = job->ev.is_plain ? job->ev.nplain : 0,
                            .plain_home = job->ev.is_plain ? &job->ev.plain : NULL,
                            .plain_home_cap = &job->ev.plain_cap,
                            .plain_stacks = mg_stack_ids_refs(&r->stacks, &job->ev),
                            .content = job->ev.is_plain ? job->content : NULL,
                            .content_len = job->ev.is_plain && job->content ? c->have : 0,
                            .content_home = job->ev.is_plain && job->content &&
                                                    job->content == job->get.buf
                                                ? &job->get.buf : NULL,
                            .content_home_cap = &job->get.cap,
                            .reread = job->ev.is_plain && job->content ? r->reread : NULL,
                            .content_at = c->offset + HEADER_SIZE,
                            .facts = job->ev.facts, .allocated = job->ev.allocated,
                            .allocated_bytes = job->ev.allocated_bytes};
  if (r->cb->events)
    r->cb->events(r->ctx, &e);
  if (job->ev.bad)
    problem_at(r, MG_DECODE_CORRUPT, true, job->ev.bad_offset, "%s", job->ev.message);
  progress(r, c->size);
}

/* Chunks in flight: position k uses jobs[k % njobs]; there is one more job than chunks
 * may be ahead, since a worker may start chunk k + ahead while k is being delivered. */
struct pipeline {
  struct reader *r;
  struct job *jobs;
  size_t njobs;
};

static void *pipe_read(void *ctx, size_t k, _Atomic uint64_t *bytes) {
  (void)bytes; /* counted at delivery, where the replay is */
  struct pipeline *pl = ctx;
  struct job *job = &pl->jobs[k % pl->njobs];
  decode_chunk(pl->r, k, job);
  return job;
}

static void pipe_deliver(void *ctx, size_t k, void *result) {
  struct pipeline *pl = ctx;
  deliver_chunk(pl->r, k, result);
}

static void read_events(struct reader *r) {
  size_t ahead = 2 * (size_t)r->jobs;
  struct pipeline pl = {r, NULL, r->jobs > 1 ? ahead + 1 : 1};
  pl.jobs = mg_xcalloc(pl.njobs, sizeof *pl.jobs);
  if (!r->src.data && r->nevents)
    r->reread = mg_reread_open(r->src.fd);
  for (size_t j = 0; j < pl.njobs; j++)
    pl.jobs[j].get.src = &r->src;
  if (r->jobs > 1 && r->nevents > 1) {
    struct mg_parallel_work w = {.read = pipe_read, .deliver = pipe_deliver, .ctx = &pl};
    mg_run_in_order(r->nevents, r->jobs, ahead, 0, &w);
  } else {
    for (size_t k = 0; k < r->nevents; k++) {
      decode_chunk(r, k, &pl.jobs[0]);
      deliver_chunk(r, k, &pl.jobs[0]);
    }
  }
  for (size_t j = 0; j < pl.njobs; j++) {
    free(pl.jobs[j].get.buf);
    mg_chunk_events_free(&pl.jobs[j].ev);
  }
  free(pl.jobs);
}

/* --- A whole file ----------------------------------------------------------------------- */

/* The header region: the header array at 0 (fed to the decoder alone), the status block. */
static bool read_header(struct reader *r) {
  uint64_t size = r->src.size;
  if (size == 0) {
    mg_decoder_finish(r->d); /* "empty file" */
    return false;
  }
  size_t len = size < MS_STATUS_OFFSET ? (size_t)size : MS_STATUS_OFFSET;
  const uint8_t *p = get(&r->get, 0, len);
  if (!p) {
    io_failed(r, 0);
    return false;
  }
  size_t header = mg_scan_object_size(p, len);
  if (!mg_decoder_feed(r->d, p, header ? header : len))
    return false;
  if (!r->header_seen) {
    if (size >= MS_STATUS_OFFSET)
      mg_decoder_fail(r->d, MG_DECODE_NOT_MEMSCOPE, 0,
                      "not a memscope file (no header in the first " "16320 bytes)");
    else
      mg_decoder_finish(r->d); /* truncated inside the header */
    return false;
  }
  if (size < MS_HEADER_REGION) {
    problem_at(r, MG_DECODE_TRUNCATED, true, size,
               "truncated: the file ends inside its header region (%llu of %u bytes)",
               (unsigned long long)size, MS_HEADER_REGION);
    return true;
  }
  return true;
}

static void read_status(struct reader *r) {
  struct mg_status_rec s = {0};
  if (r->src.size >= MS_HEADER_REGION) {
    const uint8_t *p = get(&r->get, MS_STATUS_OFFSET, sizeof(struct ms_file_status));
    struct ms_file_status st;
    if (p) {
      memcpy(&st, p, sizeof st);
      if (st.magic == MS_STATUS_MAGIC) {
        s.flags = st.flags;
        s.full_ns = st.full_ns;
        s.lost_events = st.lost_events;
        s.signal = st.signal;
        s.signal_tid = st.signal_tid;
        s.signal_ns = st.signal_ns;
        s.dropped_calls = st.dropped_calls;
      }
    }
  }
  s.skipped_bytes = r->garbage;
  if ((s.flags || s.skipped_bytes || s.dropped_calls) && r->cb->status)
    r->cb->status(r->ctx, &s);
}

static void read_container(struct reader *r) {
  if (!read_header(r))
    return;
  progress(r, r->src.size < MS_HEADER_REGION ? r->src.size : MS_HEADER_REGION);
  walk(r);
  read_status(r);
  const struct chunk **records = mg_xcalloc(r->nchunks + 1, sizeof *records);
  size_t nrecords = 0;
  for (size_t i = 0; i < r->nchunks; i++)
    if (r->chunks[i].kind == MS_CHUNK_RECORDS)
      records[nrecords++] = &r->chunks[i];
  qsort(records, nrecords, sizeof *records, by_seq);
  events_order(r);
  give_order(r, records, nrecords);
  read_records(r, records, nrecords);
  free(records);
  read_tables(r);
  for (size_t i = 0; i < r->nthreads; i++)
    if (!r->threads[i].counted && r->threads[i].ntable)
      table_counters(r, &r->threads[i]);
  read_events(r);
  /* Zeros, garbage and chunks of kinds skipped were read too. */
  if (r->reported < r->src.size)
    progress(r, r->src.size - r->reported);
}

static bool read_source(const struct src *src, const char *name,
                        const struct mg_decode_callbacks *cb, void *ctx,
                        struct mg_decode_problem *problem, const struct mg_read_how *how) {
  static const struct mg_decode_callbacks none;
  struct reader r = {
      .name = name, .src = *src, .cb = cb ? cb : &none, .ctx = ctx,
      .jobs = how && how->jobs ? how->jobs : 1, .progress = how ? how->progress : NULL,
  };
  r.get.src = &r.src;
  r.problem.file = name;
  r.d = mg_decoder_new(name, &through, &r);
  mg_slots_init(&r.slots);
  mg_map_init(&r.thread_pos, sizeof(size_t));
  mg_stack_ids_init(&r.stacks);
  read_container(&r);
  /* The records' problem first: it stopped what followed it. */
  const struct mg_decode_problem *dp = mg_decoder_problem(r.d);
  *problem = dp->status != MG_DECODE_OK ? *dp : r.problem;
  problem->file = name;
  mg_decoder_free(r.d);
  mg_slots_destroy(&r.slots);
  for (size_t i = 0; i < r.nthreads; i++) {
    free(r.threads[i].base);
    free(r.threads[i].table);
  }
  free(r.threads);
  mg_map_destroy(&r.thread_pos);
  mg_stack_ids_destroy(&r.stacks);
  mg_reread_drop(r.reread); /* the replay may still hold it */
  free(r.chunks);
  free(r.events);
  free(r.get.buf);
  return problem->status == MG_DECODE_OK;
}

bool mg_decode_fd(int fd, uint64_t size, const char *name, const struct mg_decode_callbacks *cb,
                  void *ctx, struct mg_decode_problem *problem, const struct mg_read_how *how) {
  struct src src = {.fd = fd, .size = size};
  return read_source(&src, name, cb, ctx, problem, how);
}

bool mg_decode_buffer(const char *name, const void *data, size_t len,
                      const struct mg_decode_callbacks *cb, void *ctx,
                      struct mg_decode_problem *problem) {
  struct src src = {.fd = -1, .data = data ? data : (const uint8_t *)"", .size = len};
  return read_source(&src, name, cb, ctx, problem, NULL);
}

/* Standard input into an unnamed temporary file: the chunks are read out of order. */
static int spool_stdin(const char *name, struct mg_decode_problem *problem, uint64_t *size) {
  memset(problem, 0, sizeof *problem);
  problem->status = MG_DECODE_IO;
  problem->file = name;
  FILE *tmp = tmpfile();
  if (!tmp) {
    snprintf(problem->message, sizeof problem->message,
             "cannot make a temporary file for standard input: %s", strerror(errno));
    return -1;
  }
  char *buf = mg_xmalloc(1 << 20);
  uint64_t total = 0;
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, 1 << 20);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      problem->has_offset = true;
      problem->offset = total;
      snprintf(problem->message, sizeof problem->message, "cannot read: %s", strerror(errno));
      break;
    }
    if (n == 0 || fwrite(buf, 1, (size_t)n, tmp) != (size_t)n)
      break;
    total += (uint64_t)n;
    /* Every profile starts ["memscope", ...: a stream that does not is not spooled on
     * (/dev/zero would never end); the decoder names the problem from what came. */
    static const char magic[] = "\x93\xa8" MS_FORMAT_MAGIC;
    size_t head = total < sizeof magic - 1 ? (size_t)total : sizeof magic - 1;
    if (total == (uint64_t)n && memcmp(buf, magic, head) != 0)
      break;
  }
  free(buf);
  if (problem->has_offset || fflush(tmp) != 0) {
    if (!problem->has_offset)
      snprintf(problem->message, sizeof problem->message,
               "cannot spool standard input to a temporary file: %s", strerror(errno));
    fclose(tmp);
    return -1;
  }
  int fd = dup(fileno(tmp));
  fclose(tmp);
  *size = total;
  problem->status = MG_DECODE_OK;
  return fd;
}

bool mg_decode_file(const char *path, const struct mg_decode_callbacks *cb, void *ctx,
                    struct mg_decode_problem *problem, const struct mg_read_how *how) {
  uint64_t size = 0;
  int fd = strcmp(path, "-") == 0 ? spool_stdin(path, problem, &size)
                                  : mg_decode_open(path, problem, &size);
  if (fd < 0)
    return false;
  bool ok = mg_decode_fd(fd, size, path, cb, ctx, problem, how);
  close(fd);
  return ok;
}
