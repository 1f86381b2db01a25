/* Replay: turns a process's events into counters, while the input is read.
 *
 * Each thread's events arrive in its program order, but the threads' batches arrive in
 * the order they were flushed, so a block freed by one thread and reused by another can
 * appear reused before it is freed.  The replay therefore merges the threads' streams by
 * timestamp.  format.h makes that safe: an allocation's time is taken after the allocator
 * returned and a free's before it is called, so a free always sorts before the reuse of
 * its address.  A realloc is split in two: the release of old_ptr at begin_ns and the
 * allocation of ptr at ts.
 *
 * Ordering rule: by timestamp; at equal timestamps, releases before allocations across
 * threads (the clock may be coarse); within one thread, always program order (a thread
 * may malloc and free a block within one clock tick).  So this is a k-way merge of the
 * per-thread streams, each kept in program order.  Even where a thread's times step back
 * (files from runtimes before the one that holds them: the TSC read a little behind on
 * another CPU, an unfenced read run early): the thread's own order is what happened, and
 * a malloc and free of one block sorted by such times would become an unmatched free and
 * a block live for ever.  The item that steps back waits behind its predecessors; the
 * merge then takes it as soon as it is the thread's next (its key is its own time).
 *
 * Streaming: events wait in per-thread queues (the window) only until no record still to
 * come can hold an earlier event.  With the pre-scan's order (scan.h) that moment is
 * exact: after EVENTS record k, every event earlier than the first time of records
 * k+1.. is final.  Without it (a pipe), the bound is the latest time seen from each thread
 * that has not ended, which a thread not seen yet can break.  An event that arrives after
 * the window has passed its time (that case, or the window's cap) is replayed at once,
 * out of order, and counted in process->late_events.
 *
 * Sampled mode changes nothing here but the arithmetic: each allocation carries its
 * weight (1 in full mode), and what the replay measures about blocks (freed, live at exit,
 * the peak, lifetimes) is also summed as a weighted estimate with its variance.
 *
 * The peak in sampled mode.  The running estimate of the live heap is unbiased at every
 * moment, but its highest value is not: it picks the moment the noise is highest (21-29%
 * high with 64 MB live through 10 M replacements).  So the samples are split in two
 * halves, each an independent Poisson sample of its own: a block sampled with probability
 * p = 1/w goes to one half only, or to both, by a hash of the block, so that it is in each
 * half with probability q = 1 - sqrt(1 - p), independently (weight 1/q there; a block
 * sure to be sampled is in both).  The moment one half's estimate reaches its highest value is chosen by that half
 * alone; the other half, which had no say in it, estimates the heap (and each site's part
 * of it) at that moment, without bias.  The two directions are averaged.  That moment may
 * miss the true peak, so the figure estimates the heap near the peak: never above it on
 * average.  Each site keeps, per half, its value as of the other half's latest high
 * (copied on its first change after that high), so this costs O(1) per event.  Until a
 * block weighs other than 1 (never, in full mode) both halves are the whole estimate, so
 * the split is not kept but rebuilt from it when needed (split_start).
 *
 * The peak's make-up (which sites held the heap at its peak) is taken the same lazy way:
 * when the heap first shrinks after a new peak, a snapshot is numbered, and each site
 * keeps its values as of it on its first change after it (snapshot_peak). */
#include "replay.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memscope/format.h"
#include "events.h"
#include "live.h"
#include "reread.h"
#include "stacks.h"
#include "util.h"

enum {
  OP_NONE = 0,      /* NULL returned for size 0: neither an allocation nor a failure */
  OP_ALLOC = 1,     /* a block was returned */
  OP_FAILED = 2,    /* NULL returned for a non-zero size */
  OP_RELEASE = 3,   /* a block was given back */
  OP_NULL_FREE = 4, /* free(NULL) */
  OP_KIND = 0x7,
  OP_REALLOC = 0x8, /* flag: this item is a realloc call's result */
  OP_HALF = 0x10,   /* flag: this item is the release of a realloc's old block */
  OP_WEIGHTED = 0x20, /* flag: an allocation weighing other than 1 (its thread's weights) */
  OP_STACK_SHIFT = 6, /* above the flags: an allocation's stack in the process (stacks.h) */
  OP_STACK_MASK = (1 << OP_STACK_SHIFT) - 1, /* the kind and flags */
};

_Static_assert(MG_STACKS_MAX <= UINT32_MAX >> OP_STACK_SHIFT, "stacks.h: a stack fits in op");

/* An event as the replay keeps it while it waits in the window: 32 bytes, the
 * decoder's plain entry (decode.h) with `site` (position in profile->sites) and `op`
 * (OP_* kind and flags, the stack above OP_STACK_SHIFT), so that a plain batch is queued
 * where the decoder wrote it (queue_plain).  An allocation's weight (how many
 * allocations it stands for) is 1 unless the item says OP_WEIGHTED; then it is in its
 * segment's weights, at the item's index: the window is read and written once per
 * event, and full mode has no weight to keep. */

/* A whole running estimate where the upper end of its interval was highest: the peak's
 * upper end (the peak is below it wherever the peak was, 95%). */
struct upper {
  double best_quick;
  struct mg_est at_best;
};

/* A running estimate split in halves (the peak in sampled mode, above). */
struct split {
  struct mg_est live[2];   /* each half's running estimate, weights 1/q */
  double high[2];          /* each half's highest value so far */
  struct mg_est at_high[2]; /* at_high[h]: half h's value at half 1-h's latest high */
  uint64_t epoch[2];       /* epoch[g]: half g's new highs so far */
  struct upper upper;      /* of the whole estimate */
};

static inline struct mg_plain_event item(uint64_t ts, uint64_t ptr, uint64_t size,
                                         uint32_t site, uint32_t op) {
  return (struct mg_plain_event){.ts = ts, .ptr = ptr, .size = size, .site = site, .op = op};
}

/* A running estimate (with its unit) grew: remember it if its upper end is the highest. */
static void track_upper(struct upper *u, const struct mg_est *live) {
  double q = mg_est_quick_high(live);
  if (q > u->best_quick) {
    u->best_quick = q;
    u->at_best = *live;
  }
}

/* A thread's queue: items[head..len), in time order. */
struct seg {
  struct mg_plain_event *items;
  size_t head, len, cap;
  double *weights; /* NULL, or cap of them: weights[i] of items[i] if OP_WEIGHTED */
};

/* Plain batches waiting behind a thread's queue, each entry's op kept (its stack was
 * interned at delivery) and the entries decoded again (mg_plain_again) LAZY_BATCH at a
 * time into the queue when it runs out (queue_encoded), from the chunk's bytes read
 * again from the file, REREAD_BYTES at a time into the thread's slice, which stays in
 * the cache: the window holds 4 bytes an event.  (Keeping the bytes, 8 to 11 an event,
 * in the reader's buffer taken over, had pread write each waiting chunk to memory not
 * touched for a while, and the decoder read it back from there: 20% of the pool file's
 * time.)  A chunk not from a file (a buffer) keeps its bytes so.  Each batch has its ops
 * in an array of its own, reused from batch to batch (ops_spare): one growing array per
 * thread was copied by realloc into fresh pages as the window grew (a quarter of the
 * pool file's page faults).  Invariant: a thread whose queue is empty has nothing
 * encoded. */
struct encoded {
  uint8_t *buf; /* a chunk's bytes: buf[at..len) not decoded yet */
  size_t cap, at, len;
  uint32_t *ops; /* ops[op_at..nops): the op of each entry of buf[at..len) */
  size_t ops_cap, op_at, nops;
  /* Or, when not NULL (buf NULL): the bytes are the file's [file_at, file_at + len),
   * read again; the chunk's offset, for a problem. */
  struct mg_reread *rr;
  uint64_t file_at, chunk_at;
};
struct lazy {
  struct encoded *b; /* b[b_at..nb), in order */
  size_t b_at, nb, b_cap;
  size_t left; /* entries still encoded, in all of them */
  struct ms_codec_state st; /* within b[b_at], at its `at` */
  /* b[b_at]'s bytes read again from its `at`: slice[slice_at..slice_len) (REREAD_BYTES) */
  uint8_t *slice;
  size_t slice_at, slice_len;
};

/* Tallies a thread remembers (a power of two): the pool file's threads use 41 sites, and
 * with 8 hints 3 in 10 of its events missed (a lookup in the map of all pairs). */
#define TALLY_HINTS 32

/* A thread's queue and what the replay follows about it. */
struct tstate {
  struct seg q; /* a plain batch that comes while it is empty is queued where it was
                 * decoded: its array becomes the queue's (queue_plain) */
  struct lazy z; /* behind q */
  bool active;           /* in the active list (has waiting items) */
  bool ended;            /* a THREAD record was seen */
  bool seen;             /* an EVENTS record was seen */
  uint64_t last_ts;      /* latest time queued */
  /* Its own blocks still live (freed by anyone or not), and their peak. */
  uint64_t live, peak, peak_ts;
  struct mg_est est_live, est_peak;
  uint64_t highs; /* new highs of est_live so far (the split's epochs while it is off) */
  struct split split;
  /* Its last tallies by site (direct-mapped): most events hit one of a thread's few
   * sites, and a hit saves a hash lookup in a map of all (thread, site) pairs. */
  struct tally_hint {
    uint32_t site, gen; /* gen: mg_replay.tally_gen when filled; 0: empty */
    struct mg_tally *t;
  } hints[TALLY_HINTS];
  /* The release half of a realloc in flight, for chains. */
  bool chain_pending;
  uint32_t chain;
  uint64_t chain_first;
};

/* What the replay follows about a site in this process. */
struct sstate {
  double live_bytes, live_blocks; /* weighted, for the peak's make-up */
  /* Its live bytes and blocks as of the latest snapshot (numbered snap), copied on its
   * first change after it (snapshot_peak). */
  uint64_t snap;
  double snap_bytes, snap_blocks;
  /* Per half h: its live bytes and blocks now, and as of half 1-h's high numbered
   * stamp[h] (the split, above). */
  struct mg_est half_bytes[2], half_blocks[2], high_bytes[2], high_blocks[2];
  uint64_t stamp[2];
  struct mg_est live_est; /* its whole running estimate of live bytes */
  struct upper upper;     /* of live_est */
  struct mg_est lifetime[MG_LIFETIME_BUCKETS];
  bool has_events;
  uint64_t first, last; /* absolute times */
  uint64_t chains, chain_steps, chain_max, chain_first_bytes, chain_last_bytes;
};

/* A thread's sort key in the merge (cursor_of). */
typedef unsigned __int128 cursor_key;

#define MG_SITE_HINTS 256

struct mg_replay {
  struct site_hint {
    uint64_t id;
    uint32_t slot1; /* position + 1; 0: empty */
  } site_hints[MG_SITE_HINTS];
  struct tstate *threads;
  size_t nthreads;
  /* The sites' states by site position, SITE_CHUNK a chunk, a chunk made (zeroed, by
   * calloc) when a site in it first has an event: positions are the profile's, shared
   * by every process, so a process that uses a few sites far apart holds only their
   * chunks; and a chunk never moves (no copy as the sites grow). */
  struct sstate **site_chunks;
  size_t nsite_chunks;
  uint32_t *active; /* thread positions with waiting items */
  size_t nactive, active_cap;
  cursor_key *merge_key; /* release()'s tournament (struct merge), kept between calls */
  uint32_t *merge_node;
  size_t merge_cap;
  size_t pending, window, window_max;
  uint64_t *order; /* suffix minimums, one per EVENTS record (scan.h) */
  size_t norder, records;
  bool released_any;
  uint64_t frontier; /* time of the last item replayed in order */
  struct live_table live; /* address -> struct live_block */
  uint64_t live_bytes, peak;
  struct mg_est est_live, est_peak;
  struct split split;
  double byte_unit; /* mg_byte_unit of the process */
  uint64_t peak_ts;
  bool peak_dirty; /* a new peak since the last snapshot of its sites */
  uint64_t snaps;  /* snapshots so far (snapshot_peak) */
  uint64_t highs;  /* new highs of est_live so far (the split's epochs while it is off) */
  bool split_on;   /* the split is kept (split_start) */
  bool have_t0;
  bool tl_started;
  size_t tl_last; /* the timeline bucket of the latest event */
  size_t tl_hit;  /* the bucket bucket() found last, and where it starts (rel. time) */
  uint64_t tl_hit_start;
  struct mg_map interactions; /* (alloc thread << 32 | free thread) -> struct mg_interaction */
  bool keep_sites;       /* --thread: a thread's own lifetimes and chains are kept ... */
  uint64_t keep_thread;  /* ... for this thread index (mg_profile.site_thread) */
  uint32_t tally_gen;  /* what a filled hint holds (tallies never move: tallies.h) */
  uint64_t late;
  /* Arrays of queues that were replayed to their end, for the decoder's next chunks
   * and the queues' next batches (spare_array). */
  struct spare {
    struct mg_plain_event *items;
    size_t cap;
  } spares[4];
  size_t nspares;
  /* Chunk buffers whose bytes were decoded, for the reader's next chunks (its pages are
   * mapped: a fresh buffer would fault them in again) or a copy. */
  struct byte_spare {
    uint8_t *buf;
    size_t cap;
  } byte_spares[8];
  size_t nbyte_spares;
  /* Ops arrays of batches decoded (struct encoded), for the next batches' ops. */
  struct ops_spare {
    uint32_t *ops;
    size_t cap;
  } ops_spares[8];
  size_t nops_spares;
  /* The batch being queued, when take_batch took its decoder's array (give_home). */
  const struct mg_events_rec *home;
  struct spare home_taken, home_held; /* its array, and the spare held for the decoder */
};

static inline bool is_release(const struct mg_plain_event *it) {
  uint32_t k = it->op & OP_KIND;
  return k == OP_RELEASE || k == OP_NULL_FREE;
}

/* A thread's or site's state, the arrays growing as positions come (rarely: the test
 * is what runs per event). */
static inline struct tstate *tstate(struct mg_replay *r, size_t thread) {
  if (__builtin_expect(thread >= r->nthreads, 0))
    MG_GROW_ZEROED(r->threads, r->nthreads, thread + 1);
  return &r->threads[thread];
}

#define SITE_CHUNK 1024 /* 888 KB of struct sstate */

static struct sstate *site_chunk(struct mg_replay *r, size_t c) {
  if (c >= r->nsite_chunks)
    MG_GROW_ZEROED(r->site_chunks, r->nsite_chunks, c + 1);
  if (!r->site_chunks[c])
    r->site_chunks[c] = mg_xcalloc(SITE_CHUNK, sizeof(struct sstate));
  return r->site_chunks[c];
}

static inline struct sstate *sstate(struct mg_replay *r, uint32_t site) {
  size_t c = site / SITE_CHUNK;
  if (__builtin_expect(c < r->nsite_chunks && r->site_chunks[c] != NULL, 1))
    return &r->site_chunks[c][site % SITE_CHUNK];
  return &site_chunk(r, c)[site % SITE_CHUNK];
}

/* The site's state when it has one, else NULL (a site without events here). */
static inline struct sstate *sstate_if(const struct mg_replay *r, size_t site) {
  size_t c = site / SITE_CHUNK;
  return c < r->nsite_chunks && r->site_chunks[c] ? &r->site_chunks[c][site % SITE_CHUNK]
                                                  : NULL;
}

/* A site id's position in profile->sites: a direct-mapped cache in front of the
 * profile's map, as a process has few sites and its events repeat them.  Positions never
 * move, so entries stay good. */
static inline uint32_t site_slot(struct mg_profile *p, struct mg_replay *r, uint64_t id) {
  struct site_hint *h = &r->site_hints[(id ^ id >> 7 ^ id >> 19) & (MG_SITE_HINTS - 1)];
  if (__builtin_expect(h->slot1 != 0 && h->id == id, 1))
    return h->slot1 - 1;
  uint32_t slot = (uint32_t)mg_profile_site_slot(p, id);
  *h = (struct site_hint){id, slot + 1};
  return slot;
}

void mg_replay_begin(struct mg_profile *p, struct mg_process *proc, uint64_t *order,
                     size_t norder, size_t window) {
  struct mg_replay *r = mg_xcalloc(1, sizeof *r);
  r->keep_sites = p->has_site_thread;
  r->keep_thread = p->site_thread;
  r->order = order;
  r->norder = norder;
  r->window = window ? window : MG_DEFAULT_WINDOW;
  mg_map_init(&r->interactions, sizeof(struct mg_interaction));
  r->tally_gen = 1;
  r->byte_unit = mg_byte_unit(proc);
  proc->replay = r;
  proc->ordered_by_scan = order != NULL;
  proc->tallies = mg_xmalloc(sizeof *proc->tallies);
  mg_tallies_init(proc->tallies);
  proc->timeline_width = 1000; /* 1 us; doubles as needed */
  if ((proc->present & MG_HEADER_HAS_START_NS) && proc->start_ns) {
    proc->t0 = proc->start_ns;
    r->have_t0 = true;
  }
}

/* --- Counting ---------------------------------------------------------------------- */

static uint64_t rel(const struct mg_process *proc, uint64_t ts) {
  return ts > proc->t0 ? ts - proc->t0 : 0;
}

/* What an item tells its tally it saw (MG_SEEN_*), by its kind and flags. */
static inline unsigned seen_of(uint32_t op) {
  static const unsigned char seen[OP_STACK_MASK + 1] = {
#define SEEN(op) \
  [op] = (op) & (OP_REALLOC | OP_HALF) ? MG_SEEN_REALLOC \
         : ((op) & OP_KIND) == OP_RELEASE || ((op) & OP_KIND) == OP_NULL_FREE ? MG_SEEN_FREE \
                                                                             : MG_SEEN_ALLOC
#define SEEN8(op) SEEN(op), SEEN(op + 1), SEEN(op + 2), SEEN(op + 3), SEEN(op + 4), \
                  SEEN(op + 5), SEEN(op + 6), SEEN(op + 7)
      SEEN8(0), SEEN8(8), SEEN8(16), SEEN8(24), SEEN8(32), SEEN8(40), SEEN8(48), SEEN8(56),
#undef SEEN8
#undef SEEN
  };
  return seen[op & OP_STACK_MASK];
}

/* The pair's tally; it never moves (tallies.h), so a hint stays good for the whole
 * replay. */
static struct mg_tally *tally_of(struct mg_process *proc, struct tstate *ts, uint32_t thread,
                                 uint32_t site) {
  struct mg_replay *r = proc->replay;
  struct tally_hint *h = &ts->hints[site & (TALLY_HINTS - 1)];
  if (h->gen == r->tally_gen && h->site == site)
    return h->t;
  struct mg_tally *t = mg_tallies_put(proc->tallies, mg_tally_key(thread, site));
  *h = (struct tally_hint){site, r->tally_gen, t};
  return t;
}

static struct mg_tally *tally(struct mg_process *proc, uint32_t thread, uint32_t site) {
  return tally_of(proc, tstate(proc->replay, thread), thread, site);
}

/* Where a block of weight w adds x to a pair's sum: NULL while the pair counts in
 * integers (replay.h, struct mg_tally_counts: every block of weight 1, each sum below
 * 2^53 after it), else the pair's weighted sums, made from its counts the first time. */
static inline struct mg_tally_ests *weighted(struct mg_process *proc, struct mg_tally_counts *c,
                                             double w, uint64_t sum, uint64_t x) {
  const uint64_t exact = (uint64_t)1 << 53;
  if (__builtin_expect(c->est == NULL && w == 1 && x < exact && sum < exact - x, 1))
    return NULL;
  if (!c->est) {
    struct mg_tally_ests e = mg_tally_ests_of(c);
    c->est = mg_tallies_new_ests(proc->tallies);
    *c->est = e;
  }
  return c->est;
}

/* The timeline bucket of relative time t, doubling every timeline's width until it
 * fits (bucket's slow path). */
static size_t bucket_find(struct mg_process *proc, struct mg_replay *r, uint64_t t) {
  while (t / proc->timeline_width >= MG_TIMELINE_BUCKETS) {
    proc->timeline_width *= 2;
    r->tl_last /= 2;
    for (size_t i = 0; i < MG_TIMELINE_BUCKETS; i++) {
      double live = 0, allocs = 0;
      if (2 * i < MG_TIMELINE_BUCKETS) {
        live = proc->timeline_live[2 * i] > proc->timeline_live[2 * i + 1]
                   ? proc->timeline_live[2 * i]
                   : proc->timeline_live[2 * i + 1];
        allocs = proc->timeline_allocs[2 * i] + proc->timeline_allocs[2 * i + 1];
      }
      proc->timeline_live[i] = live;
      proc->timeline_allocs[i] = allocs;
    }
    for (size_t k = 0; k < proc->nthreads; k++) {
      struct mg_thread *th = &proc->threads[k];
      for (size_t i = 0; i < MG_TIMELINE_BUCKETS; i++) {
        bool in = 2 * i < MG_TIMELINE_BUCKETS;
        th->timeline_allocs[i] = in ? th->timeline_allocs[2 * i] + th->timeline_allocs[2 * i + 1] : 0;
        th->timeline_bytes[i] = in ? th->timeline_bytes[2 * i] + th->timeline_bytes[2 * i + 1] : 0;
      }
    }
  }
  r->tl_hit = (size_t)(t / proc->timeline_width);
  r->tl_hit_start = (uint64_t)r->tl_hit * proc->timeline_width;
  return r->tl_hit;
}

/* The timeline bucket of a time. */
static inline size_t bucket(struct mg_process *proc, struct mg_replay *r, uint64_t ts) {
  uint64_t t = rel(proc, ts);
  /* Most events fall in the bucket of the one before: no division. */
  if (t - r->tl_hit_start < proc->timeline_width) /* t below the start wraps: no hit */
    return r->tl_hit;
  return bucket_find(proc, r, t);
}

/* Insertion into the process's top MG_PEAK_SITES, by bytes then id. */
static void add_peak_site(struct mg_process *proc, const struct mg_peak_site *e) {
  size_t n = proc->npeak_sites, i = n < MG_PEAK_SITES ? n : MG_PEAK_SITES;
  while (i > 0 && (proc->peak_sites[i - 1].bytes.value < e->bytes.value ||
                   (proc->peak_sites[i - 1].bytes.value == e->bytes.value &&
                    proc->peak_sites[i - 1].site > e->site))) {
    if (i < MG_PEAK_SITES)
      proc->peak_sites[i] = proc->peak_sites[i - 1];
    i--;
  }
  if (i < MG_PEAK_SITES) {
    proc->peak_sites[i] = *e;
    if (n < MG_PEAK_SITES)
      proc->npeak_sites++;
  }
}

static struct mg_est split_peak(const struct mg_est *a, const struct mg_est *b);

/* The peak's make-up: what each site held when the heap left its latest peak.  Taking
 * it is O(1) (leave_peak): a site keeps its values as of the latest snapshot on its first
 * change after it (site_changes), so the top sites are picked once, at the end. */
static void leave_peak(struct mg_replay *r) {
  r->peak_dirty = false;
  r->snaps++;
}

static void snapshot_peak(struct mg_profile *p, struct mg_process *proc, struct mg_replay *r) {
  if (r->peak_dirty)
    leave_peak(r);
  if (!r->snaps)
    return;
  proc->npeak_sites = 0;
  if (!proc->peak_sites)
    proc->peak_sites = mg_xmalloc(MG_PEAK_SITES * sizeof *proc->peak_sites);
  for (size_t s = 0; s < p->nsites; s++) {
    const struct sstate *st = sstate_if(r, s);
    if (!st)
      continue;
    bool kept = st->snap == r->snaps;
    double bytes = kept ? st->snap_bytes : st->live_bytes;
    double blocks = kept ? st->snap_blocks : st->live_blocks;
    if (bytes <= 0 && blocks <= 0)
      continue;
    struct mg_peak_site e = {p->sites[s].id, {.value = bytes}, {.value = blocks}};
    add_peak_site(proc, &e);
  }
}

/* In sampled mode: each site's part of the split's estimate (above), or of the heap at
 * the end when that is the peak's estimate (split_result). */
static void split_peak_sites(struct mg_profile *p, struct mg_process *proc, struct mg_replay *r,
                             bool at_end) {
  proc->npeak_sites = 0;
  if (!proc->peak_sites)
    proc->peak_sites = mg_xmalloc(MG_PEAK_SITES * sizeof *proc->peak_sites);
  for (size_t s = 0; s < p->nsites; s++) {
    const struct sstate *st = sstate_if(r, s);
    if (!st) /* (a zeroed state adds no site) */
      continue;
    struct mg_est bytes[2], blocks[2];
    for (unsigned h = 0; h < 2; h++) {
      bool kept = !at_end && st->stamp[h] == r->split.epoch[1 - h];
      bytes[h] = kept ? st->high_bytes[h] : st->half_bytes[h];
      blocks[h] = kept ? st->high_blocks[h] : st->half_blocks[h];
    }
    struct mg_peak_site e = {p->sites[s].id, split_peak(&bytes[0], &bytes[1]),
                             split_peak(&blocks[0], &blocks[1])};
    if (st->upper.best_quick > 0)
      e.bytes.high = mg_est_high(&st->upper.at_best);
    if (e.bytes.n > 0)
      add_peak_site(proc, &e);
  }
}

/* A block's weight in each half (0: not in it), from a hash of what identifies it, so
 * that the split is independent of anything the program did. */
static void split_weights(const struct live_block *b, double wh[2]) {
  uint64_t h = b->ts ^ (uint64_t)b->site << 40 ^ (uint64_t)b->thread << 20 ^ b->size;
  h = (h ^ (h >> 31)) * 0x9E3779B97F4A7C15ull;
  h ^= h >> 29;
  double u = (double)(h >> 11) * 0x1.0p-53, p = b->weight > 1 ? 1 / b->weight : 1;
  double q = 1 - sqrt(1 - p), one = q * (1 - q) / p;
  wh[0] = wh[1] = 1 / q;
  if (u < one)
    wh[1] = 0;
  else if (u < 2 * one)
    wh[0] = 0;
}

/* A block of weights wh comes (sign 1) or goes (-1); then a half that grew past its
 * highest value makes a new high (after the block is in both halves, when it is). */
static void split_change(struct split *sp, const double wh[2], int sign, double x) {
  for (unsigned h = 0; h < 2; h++)
    if (wh[h] != 0) {
      if (sign > 0)
        mg_est_add(&sp->live[h], wh[h], x);
      else
        mg_est_remove(&sp->live[h], wh[h], x);
    }
  for (unsigned h = 0; h < 2 && sign > 0; h++)
    if (sp->live[h].value > sp->high[h]) {
      sp->high[h] = sp->live[h].value;
      sp->epoch[h]++;
      sp->at_high[1 - h] = sp->live[1 - h];
    }
}

/* A site's part of half h changes: first keep its value as of the other half's latest
 * high, if this is its first change since. */
static void site_split_change(struct mg_replay *r, struct sstate *ss, unsigned h, int sign,
                              double w, double x) {
  if (w == 0)
    return;
  uint64_t epoch = r->split.epoch[1 - h];
  if (ss->stamp[h] != epoch) {
    ss->high_bytes[h] = ss->half_bytes[h];
    ss->high_blocks[h] = ss->half_blocks[h];
    ss->stamp[h] = epoch;
  }
  if (sign > 0) {
    mg_est_add(&ss->half_bytes[h], w, x);
    mg_est_add(&ss->half_blocks[h], w, 1.0);
  } else {
    mg_est_remove(&ss->half_bytes[h], w, x);
    mg_est_remove(&ss->half_blocks[h], w, 1.0);
  }
}

/* The split's estimate of the heap near its peak: the mean of both directions.  Its
 * samples: those of the larger half (a block may be in both). */
static struct mg_est split_peak(const struct mg_est *a, const struct mg_est *b) {
  return (struct mg_est){(a->value + b->value) / 2, (a->var + b->var) / 4,
                         a->n > b->n ? a->n : b->n, a->unit > b->unit ? a->unit : b->unit, 0};
}

/* The peak of a split running estimate, with the upper end it tracked.  The heap at the
 * end (`live`, unbiased too) is another moment the peak is not below: the larger of the
 * two, so that the peak is never shown below what is still live. */
static struct mg_est split_result(const struct split *sp, const struct mg_est *live) {
  struct mg_est e = split_peak(&sp->at_high[0], &sp->at_high[1]);
  if (live->value > e.value) {
    e = *live;
    e.high = 0;
  }
  if (sp->upper.best_quick > 0)
    e.high = mg_est_high(&sp->upper.at_best);
  return e;
}

/* The split while it is off.  Until a block of another weight than 1 comes, every
 * block is in both halves with weight 1, so each half's running estimate is the whole
 * one (est_live), its high est_peak, its epochs the count of new highs; only the sites'
 * values as of the latest high need keeping (half 0's fields).  split_start makes the
 * split that running it all along would have made, bit for bit, and from then on it
 * runs. */
static inline void site_keeps_high(struct mg_replay *r, struct sstate *ss) {
  if (ss->stamp[0] != r->highs) {
    ss->high_bytes[0] = (struct mg_est){ss->live_bytes, 0, ss->live_blocks, 0, 0};
    ss->high_blocks[0] = (struct mg_est){ss->live_blocks, 0, ss->live_blocks, 0, 0};
    ss->stamp[0] = r->highs;
  }
}

static void split_of_whole(struct split *sp, const struct mg_est *live,
                           const struct mg_est *peak, uint64_t highs) {
  for (unsigned h = 0; h < 2; h++) {
    sp->live[h] = *live;
    sp->high[h] = peak->value;
    sp->at_high[h] = *peak;
    sp->epoch[h] = highs;
  }
}

static void split_start(struct mg_replay *r) {
  r->split_on = true;
  split_of_whole(&r->split, &r->est_live, &r->est_peak, r->highs);
  for (size_t i = 0; i < r->nthreads; i++) {
    struct tstate *t = &r->threads[i];
    split_of_whole(&t->split, &t->est_live, &t->est_peak, t->highs);
  }
  for (size_t i = 0; i < r->nsite_chunks * SITE_CHUNK; i++) {
    struct sstate *ss = sstate_if(r, i);
    if (!ss) /* a chunk made later starts zeroed, as this would leave it */
      continue;
    for (unsigned h = 0; h < 2; h++) {
      ss->half_bytes[h] = (struct mg_est){ss->live_bytes, 0, ss->live_blocks, 0, 0};
      ss->half_blocks[h] = (struct mg_est){ss->live_blocks, 0, ss->live_blocks, 0, 0};
      ss->high_bytes[h] = ss->high_bytes[0];
      ss->high_blocks[h] = ss->high_blocks[0];
      ss->stamp[h] = ss->stamp[0];
    }
  }
}

/* A site's live values are about to change: first keep them as of the latest snapshot,
 * and, with the split off, as of the latest high. */
static inline void site_changes(struct mg_replay *r, struct sstate *ss) {
  if (ss->snap != r->snaps) {
    ss->snap_bytes = ss->live_bytes;
    ss->snap_blocks = ss->live_blocks;
    ss->snap = r->snaps;
  }
  if (!r->split_on)
    site_keeps_high(r, ss);
}

/* Inlined into each copy of apply (apply_one's knows the weight); ss is b's site's
 * state, which apply has at hand (a lookup less an event). */
static inline __attribute__((always_inline)) void heap_grows(struct mg_replay *r,
                                                             const struct live_block *b,
                                                             struct sstate *ss, uint64_t ts) {
  if (!r->split_on && b->weight != 1.0)
    split_start(r);
  struct tstate *t = tstate(r, b->thread);
  double x = (double)b->size;
  site_changes(r, ss);
  if (r->split_on) {
    double wh[2];
    split_weights(b, wh);
    for (unsigned h = 0; h < 2; h++) /* before the highs move */
      site_split_change(r, ss, h, 1, wh[h], x);
    split_change(&r->split, wh, 1, x);
    split_change(&t->split, wh, 1, x);
  }
  if (b->weight > 1) { /* a sample: the upper ends of the running estimates */
    mg_est_add(&ss->live_est, b->weight, x);
    ss->live_est.unit = r->byte_unit;
    track_upper(&ss->upper, &ss->live_est);
  }
  r->live_bytes += b->size;
  if (r->live_bytes > r->peak)
    r->peak = r->live_bytes;
  mg_est_add(&r->est_live, b->weight, x);
  if (b->weight > 1) {
    r->est_live.unit = r->byte_unit;
    track_upper(&r->split.upper, &r->est_live);
  }
  if (r->est_live.value > r->est_peak.value) {
    r->est_peak = r->est_live;
    r->peak_ts = ts;
    r->peak_dirty = true;
    r->highs++;
  }
  ss->live_bytes += b->weight * x;
  ss->live_blocks += b->weight;
  t->live += b->size;
  if (t->live > t->peak)
    t->peak = t->live;
  mg_est_add(&t->est_live, b->weight, x);
  if (b->weight > 1) {
    t->est_live.unit = r->byte_unit;
    track_upper(&t->split.upper, &t->est_live);
  }
  if (t->est_live.value > t->est_peak.value) {
    t->est_peak = t->est_live;
    t->peak_ts = ts;
    t->highs++;
  }
}

/* A block of weight w (w) leaves the heap; ss is its site's state. */
static inline __attribute__((always_inline)) void heap_shrinks_as(struct mg_replay *r,
                                                                  const struct live_block *b,
                                                                  struct sstate *ss, double w) {
  if (r->peak_dirty) /* leaving a peak: remember what it was made of */
    leave_peak(r);
  struct tstate *t = tstate(r, b->thread);
  double x = (double)b->size;
  site_changes(r, ss);
  if (r->split_on) {
    double wh[2];
    split_weights(b, wh);
    for (unsigned h = 0; h < 2; h++)
      site_split_change(r, ss, h, -1, wh[h], x);
    split_change(&r->split, wh, -1, x);
    split_change(&t->split, wh, -1, x);
  }
  if (w > 1)
    mg_est_remove(&ss->live_est, w, x);
  r->live_bytes -= b->size;
  mg_est_remove(&r->est_live, w, x);
  ss->live_bytes -= w * x;
  ss->live_blocks -= w;
  t->live -= b->size;
  mg_est_remove(&t->est_live, w, x);
}

/* With a weight of 1 (every block in full mode) in a copy of its own: the compiler
 * drops the products and the tests for samples.  ss is b's site's state.  Inline: every
 * block's free comes here (the call and a second lookup of ss were 4% of the pool
 * file's instructions). */
static inline __attribute__((always_inline)) void heap_shrinks(struct mg_replay *r,
                                                               const struct live_block *b,
                                                               struct sstate *ss) {
  if (b->weight == 1.0)
    heap_shrinks_as(r, b, ss, 1.0);
  else
    heap_shrinks_as(r, b, ss, b->weight);
}

/* --thread: where the kept thread's own lifetimes and chains at this site go, NULL for
 * any other thread (one predictable test when no thread is kept). */
static struct mg_thread_site *kept(struct mg_process *proc, const struct mg_replay *r,
                                   uint32_t thread, uint32_t site) {
  if (__builtin_expect(!r->keep_sites, 1) || proc->threads[thread].index != r->keep_thread)
    return NULL;
  struct mg_thread *t = &proc->threads[thread];
  if (site >= t->nby_slot)
    MG_GROW_ZEROED(t->by_slot, t->nby_slot, (size_t)site + 1);
  return &t->by_slot[site];
}

/* A realloc chain ends with this block (freed, or live at exit). */
static void chain_ends(struct mg_process *proc, struct mg_replay *r, const struct live_block *b) {
  if (b->chain < 2)
    return;
  struct sstate *ss = sstate(r, b->site);
  ss->chains++;
  ss->chain_steps += b->chain;
  if (b->chain > ss->chain_max)
    ss->chain_max = b->chain;
  ss->chain_first_bytes += b->chain_first;
  ss->chain_last_bytes += b->size;
  struct mg_thread_site *k = kept(proc, r, b->thread, b->site);
  if (k) {
    k->chains++;
    k->chain_steps += b->chain;
    if (b->chain > k->chain_max)
      k->chain_max = b->chain;
    k->chain_first_bytes += b->chain_first;
    k->chain_last_bytes += b->size;
  }
}

static size_t lifetime_bucket(uint64_t ns) {
  size_t k = 0;
  for (uint64_t limit = 1000; k < MG_LIFETIME_BUCKETS - 1 && ns >= limit; limit *= 10)
    k++;
  return k;
}

static inline __attribute__((always_inline)) void
apply_as(struct mg_process *proc, struct mg_replay *r, uint32_t thread,
         const struct mg_plain_event *it, double weight) {
  if (!r->have_t0) {
    proc->t0 = it->ts;
    r->have_t0 = true;
  }
  /* The timeline spans every event; buckets without one keep the heap as it was. */
  size_t now = bucket(proc, r, it->ts);
  if (__builtin_expect(!r->tl_started || now != r->tl_last, 0)) { /* else nothing moves */
    if (r->tl_started)
      for (size_t k = r->tl_last + 1; k <= now; k++)
        proc->timeline_live[k] = r->est_live.value;
    if (!r->tl_started || now > r->tl_last)
      r->tl_last = now;
    r->tl_started = true;
  }
  struct sstate *ss = sstate(r, it->site);
  if (!ss->has_events || it->ts < ss->first)
    ss->first = it->ts;
  if (!ss->has_events || it->ts > ss->last)
    ss->last = it->ts;
  ss->has_events = true;
  struct tstate *ts = tstate(r, thread);
  struct mg_tally *t = tally_of(proc, ts, thread, it->site);
  struct mg_tally_counts *c = &t->counts;
  t->seen |= seen_of(it->op);
  if (it->op & OP_REALLOC)
    c->reallocs++;
  switch (it->op & OP_KIND) {
  case OP_ALLOC: {
    c->allocations++;
    c->bytes_allocated += it->size;
    struct mg_sizes *sz = &t->sizes; /* mg_sizes_add of this one size, inline */
    if (!sz->calls || it->size < sz->min)
      sz->min = it->size;
    if (it->size > sz->max)
      sz->max = it->size;
    sz->calls++;
    sz->bytes += it->size;
    if (!(it->op & OP_REALLOC))
      c->samples++; /* kept for sampled processes only (profile.c) */
    size_t k = now; /* bucket(it->ts), above */
    struct mg_thread *th = &proc->threads[thread];
    th->timeline_allocs[k] += weight;
    th->timeline_bytes[k] += weight * (double)it->size;
    proc->timeline_allocs[k] += weight;
    struct live_block nb = {it->size, weight, it->ts, it->size, 0, it->site, thread,
                            it->op >> OP_STACK_SHIFT};
    if ((it->op & OP_REALLOC) && ts->chain_pending) {
      nb.chain = ts->chain + 1;
      nb.chain_first = ts->chain_first;
    }
    ts->chain_pending = false;
    struct live_block old, put = nb; /* nb stays the compiler's: its weight stays known */
    if (mg_live_put(&r->live, it->ptr, &put, &old)) { /* freed where we could not see it */
      heap_shrinks(r, &old, sstate(r, old.site));
      chain_ends(proc, r, &old);
      tally(proc, old.thread, old.site)->counts.overwritten_blocks++;
    }
    heap_grows(r, &nb, ss, it->ts);
    break;
  }
  case OP_FAILED:
    c->failed_allocations++;
    t->null_returns++;
    ts->chain_pending = false;
    break;
  case OP_NONE:
    t->null_returns++;
    if (ts->chain_pending && (it->op & OP_REALLOC)) { /* realloc(p, 0) ended a chain */
      struct live_block end = {.size = 0, .chain = ts->chain, .chain_first = ts->chain_first,
                               .site = it->site, .thread = thread};
      chain_ends(proc, r, &end);
    }
    ts->chain_pending = false;
    break;
  case OP_RELEASE: {
    c->frees++;
    struct live_block b;
    if (mg_live_remove(&r->live, it->ptr, &b)) {
      struct mg_tally_ests *e = weighted(proc, c, b.weight, c->bytes_freed, b.size);
      c->bytes_freed += b.size;
      if (e)
        mg_tally_est_add(&e->est_bytes_freed, b.weight, (double)b.size);
      else
        c->freed_blocks++;
      struct sstate *bss = b.site == it->site ? ss : sstate(r, b.site); /* (looked up once) */
      heap_shrinks(r, &b, bss);
      uint64_t life = it->ts > b.ts ? it->ts - b.ts : 0;
      size_t bucket_ = lifetime_bucket(life);
      mg_est_add(&bss->lifetime[bucket_], b.weight, 1.0);
      struct mg_thread_site *k = kept(proc, r, b.thread, b.site);
      if (k)
        mg_est_add(&k->lifetime[bucket_], b.weight, 1.0);
      struct mg_tally_counts *ac = &tally(proc, b.thread, b.site)->counts;
      if (life < MG_SHORT_LIVED_NS) {
        struct mg_tally_ests *ae = weighted(proc, ac, b.weight, ac->short_lived, 1);
        if (ae)
          mg_tally_est_add(&ae->est_short_lived, b.weight, 1.0);
        else
          ac->short_lived++;
      }
      if (b.thread != thread) {
        struct mg_tally_ests *ae = weighted(proc, ac, b.weight, ac->cross_freed_bytes, b.size);
        if (ae) {
          mg_tally_est_add(&ae->est_cross_freed, b.weight, 1.0);
          mg_tally_est_add(&ae->est_cross_freed_bytes, b.weight, (double)b.size);
        } else {
          ac->cross_freed++;
          ac->cross_freed_bytes += b.size;
        }
        struct mg_interaction *in =
            mg_map_put(&r->interactions, (uint64_t)b.thread << 32 | thread, NULL);
        mg_est_add(&in->blocks, b.weight, 1.0);
        mg_est_add(&in->bytes, b.weight, (double)b.size);
      }
      if (it->op & OP_HALF) { /* the chain goes on with the realloc's result */
        ts->chain_pending = true;
        ts->chain = b.chain;
        ts->chain_first = b.chain ? b.chain_first : b.size;
      } else {
        chain_ends(proc, r, &b);
      }
    } else {
      c->unmatched_frees++;
    }
    break;
  }
  case OP_NULL_FREE:
    c->null_frees++;
    break;
  }
  if (r->est_live.value > proc->timeline_live[r->tl_last])
    proc->timeline_live[r->tl_last] = r->est_live.value;
}

/* An item of any weight. */
static void apply(struct mg_process *proc, struct mg_replay *r, uint32_t thread,
                  const struct mg_plain_event *it, double weight) {
  apply_as(proc, r, thread, it, weight);
}

/* An item of weight 1 (every item in full mode): a copy of its own, where the compiler
 * drops what a weight of 1 makes void (the products, the tests for samples). */
static void apply_one(struct mg_process *proc, struct mg_replay *r, uint32_t thread,
                      const struct mg_plain_event *it) {
  apply_as(proc, r, thread, it, 1.0);
}

/* --- Ordering ---------------------------------------------------------------------- */

/* A thread's position in the merge: threads are ordered by their next item.  The whole
 * sort key is one 128-bit number, compared in one go: time, then releases before the rest
 * (at equal times), then the thread position (deterministic ties: keys are unique).
 * Keeping it in the merge, not behind a pointer into each thread's queue, saves a cache
 * miss per compare when hundreds of threads wait. */
#define CURSOR_DONE (~(cursor_key)0) /* a thread with nothing left to merge */

static inline cursor_key cursor_of(const struct mg_plain_event *it, uint32_t thread) {
  return (cursor_key)it->ts << 64 | (cursor_key)!is_release(it) << 32 | thread;
}

static inline uint32_t cursor_thread(cursor_key k) { return (uint32_t)k; }
static inline uint64_t cursor_ts(cursor_key k) { return (uint64_t)(k >> 64); }

/* The merge is a tournament of losers over the n threads that take part: node i (1 <=
 * i < n) holds the player that lost the match there, node 0 the winner, the player p's
 * leaf hangs under node (p + n) / 2.  Replacing the winner's key costs one compare per
 * level on its way up, where a binary heap needs two on the way down. */
struct merge {
  cursor_key *key; /* by player */
  uint32_t *node;  /* players */
  size_t n;
};

/* The winner's key changed to kw: its matches are played again, from its leaf up.
 * Returns the new winner's key (kept in registers by the caller: reading back the key
 * just stored, as one 16-byte load of two 8-byte stores, stalls on store forwarding). */
static inline cursor_key merge_replay(struct merge *m, cursor_key kw) {
  uint32_t w = m->node[0];
  m->key[w] = kw;
  for (size_t i = (w + m->n) / 2; i > 0; i /= 2) {
    uint32_t o = m->node[i];
    if (m->key[o] < kw) { /* the other wins, w stays here as the loser */
      m->node[i] = w;
      w = o;
      kw = m->key[o];
    }
  }
  m->node[0] = w;
  return kw;
}

/* The best key but the winner's: the best of those that lost to the winner on its way
 * up (every other player lost to one of them first).  While the winner's next key stays
 * below it, the winner wins again without a match being played (release). */
static inline cursor_key merge_second(const struct merge *m) {
  cursor_key best = CURSOR_DONE;
  for (size_t i = (m->node[0] + m->n) / 2; i > 0; i /= 2) {
    cursor_key o = m->key[m->node[i]];
    best = o < best ? o : best;
  }
  return best;
}

/* The first tournament: each player climbs until a node is free (it waits there for its
 * opponent) or it reaches the top. */
static void merge_build(struct merge *m) {
  for (size_t i = 1; i < m->n; i++)
    m->node[i] = UINT32_MAX;
  m->node[0] = 0;
  for (uint32_t p = 0; p < m->n; p++) {
    uint32_t w = p;
    size_t i = (p + m->n) / 2;
    for (; i > 0; i /= 2) {
      uint32_t o = m->node[i];
      if (o == UINT32_MAX) {
        m->node[i] = w;
        break;
      }
      if (m->key[o] < m->key[w]) {
        m->node[i] = w;
        w = o;
      }
    }
    if (i == 0)
      m->node[0] = w;
  }
}

/* How many items of a thread ahead the replay prefetches the live table's lines. */
#define PREFETCH_AHEAD 8

/* An array the replay no longer needs: kept for the next batches (the decoder's next
 * chunks, or an empty queue's) while there is room among the spares: its pages are
 * mapped already, where a fresh array faults them in again (dear on this VM: about
 * 10 us a page). */
static void spare_array(struct mg_replay *r, struct mg_plain_event *items, size_t cap) {
  if (items && r->nspares < sizeof r->spares / sizeof *r->spares)
    r->spares[r->nspares++] = (struct spare){items, cap};
  else
    free(items);
}

/* The spare given back last (its lines the likeliest to be cached); false: none. */
static bool take_spare(struct mg_replay *r, struct spare *out) {
  if (!r->nspares)
    return false;
  *out = r->spares[--r->nspares];
  return true;
}

/* Entries decoded from a queue's encoded part at a time: 8 KiB of items, which stay
 * in the first level cache until the merge has replayed them. */
#define LAZY_BATCH 256

static void byte_spare(struct mg_replay *r, uint8_t *buf, size_t cap) {
  if (buf && r->nbyte_spares < sizeof r->byte_spares / sizeof *r->byte_spares)
    r->byte_spares[r->nbyte_spares++] = (struct byte_spare){buf, cap};
  else
    free(buf);
}

static void ops_spare(struct mg_replay *r, uint32_t *ops, size_t cap) {
  if (ops && r->nops_spares < sizeof r->ops_spares / sizeof *r->ops_spares)
    r->ops_spares[r->nops_spares++] = (struct ops_spare){ops, cap};
  else
    free(ops);
}

/* An array for n ops: a spare (mapped already) when one is large enough, else a new one
 * mapped in one go. */
static struct ops_spare take_ops(struct mg_replay *r, size_t n) {
  struct ops_spare o = {NULL, 0};
  if (r->nops_spares)
    o = r->ops_spares[--r->nops_spares];
  if (o.cap < n) {
    free(o.ops);
    o.cap = (n + 4095) & ~(size_t)4095; /* whole 16 KiB: a chunk's entries vary */
    o.ops = mg_xmalloc(o.cap * sizeof *o.ops);
    mg_prefault(o.ops, n * sizeof *o.ops);
  }
  return o;
}

/* A chunk's bytes are read again this many at a time, into each thread's slice: 9
 * threads' slices stay in the second-level cache, and a read takes in some 3,000 events. */
#define REREAD_BYTES ((size_t)32 << 10)
_Static_assert(REREAD_BYTES > 2 * MG_PLAIN_ITEM_BYTES, "a slice holds whole items");

/* The batch b[b_at] is done with (all of it decoded, or the rest given up). */
static void batch_done(struct mg_replay *r, struct lazy *z, struct encoded *b) {
  byte_spare(r, b->buf, b->cap);
  ops_spare(r, b->ops, b->ops_cap);
  mg_reread_drop(b->rr);
  z->b_at++;
  z->st = (struct ms_codec_state){0};
  z->slice_at = z->slice_len = 0;
}

/* The file no longer gives what it gave (it shrank or changed since the chunk was read
 * first): the rest of the batch is given up, counted and said once for the process
 * (mg_process.reread_problem, the input's problem when it has no other); what was
 * replayed before stays. */
static void reread_failed(struct mg_process *proc, struct lazy *z, struct encoded *b,
                          enum mg_decode_status status, const char *why) {
  struct mg_replay *r = proc->replay;
  size_t lost = b->nops - b->op_at;
  z->left -= lost;
  r->pending -= lost;
  proc->reread_lost += lost;
  struct mg_decode_problem *pb = &proc->reread_problem;
  if (pb->status == MG_DECODE_OK) {
    *pb = (struct mg_decode_problem){.status = status, .has_offset = true,
                                     .offset = b->chunk_at};
    if (status == MG_DECODE_IO)
      snprintf(pb->message, sizeof pb->message,
               "cannot read again: %s (the EVENTS chunk here, when its events were needed "
               "again); %zu of them not counted", why, lost);
    else
      snprintf(pb->message, sizeof pb->message,
               "the file %s while it was read: the EVENTS chunk here %s when its events "
               "were needed again; %zu of them not counted",
               status == MG_DECODE_TRUNCATED ? "shrank" : "changed", why, lost);
  }
  batch_done(r, z, b);
}

/* b's next bytes in the thread's slice: at least MG_PLAIN_ITEM_BYTES beyond its first
 * item, or all that is left of the chunk.  False when the file refused them (the batch
 * is given up). */
static bool reread_slice(struct mg_process *proc, struct lazy *z, struct encoded *b) {
  size_t have = z->slice_len - z->slice_at, left = b->len - b->at;
  if (have >= left || have > MG_PLAIN_ITEM_BYTES)
    return true;
  if (!z->slice)
    z->slice = mg_xmalloc(REREAD_BYTES);
  memmove(z->slice, z->slice + z->slice_at, have);
  size_t want = (left < REREAD_BYTES ? left : REREAD_BYTES) - have;
  long got = mg_reread(b->rr, b->file_at + b->at + have, z->slice + have, want);
  if (got != (long)want) {
    char why[96];
    if (got < 0)
      snprintf(why, sizeof why, "%s", strerror(errno));
    else
      snprintf(why, sizeof why, "ended %zu bytes short", want - (size_t)got);
    reread_failed(proc, z, b, got < 0 ? MG_DECODE_IO : MG_DECODE_TRUNCATED, why);
    return false;
  }
  z->slice_at = 0;
  z->slice_len = have + want;
  return true;
}

/* Up to max (>= 2) of b's entries from its bytes read again (the batch b[b_at]). */
static size_t decode_reread(struct mg_process *proc, struct lazy *z, struct encoded *b,
                            struct mg_plain_event *out, size_t max) {
  if (!reread_slice(proc, z, b))
    return 0;
  const uint8_t *from = z->slice + z->slice_at, *p = from, *end = z->slice + z->slice_len;
  bool whole = (size_t)(end - p) >= b->len - b->at; /* the chunk's end is in the slice */
  const uint32_t *ops = b->ops + b->op_at;
  bool bad = false;
  /* at most two entries beyond its ops (the array has room; and past its last entry, a
   * STACK item may still come): more than before is a change */
  size_t left = b->nops - b->op_at, k;
  k = mg_plain_again(&p, end, whole ? end : end - MG_PLAIN_ITEM_BYTES, &z->st, out,
                     max < left + 2 ? max : left + 2, proc->slot_sites, proc->nslot_sites,
                     &ops, &bad);
  /* an allocation or release of no block (changed bytes) would be a key the live table
   * does not hold */
  for (size_t i = 0; i < k && !bad; i++) {
    uint32_t kind = out[i].op & OP_KIND;
    bad = !out[i].ptr && (kind == OP_ALLOC || kind == OP_RELEASE);
  }
  if (bad || k > left || (p == from && k == 0) || (whole && p == end && k < left)) {
    reread_failed(proc, z, b, MG_DECODE_CORRUPT,
                  k > left || (whole && p == end && !bad) ? "held a different number of events"
                                                          : "held other items");
    return 0;
  }
  b->at += (size_t)(p - from);
  z->slice_at += (size_t)(p - from);
  b->op_at += k;
  if (b->at == b->len)
    batch_done(proc->replay, z, b);
  return k;
}

/* Up to max (>= 2) of the thread's encoded entries, as items, into out. */
static size_t decode_lazy(struct mg_process *proc, struct lazy *z, struct mg_plain_event *out,
                          size_t max) {
  struct mg_replay *r = proc->replay;
  size_t n = 0;
  while (n + 2 <= max && z->b_at < z->nb) {
    struct encoded *b = &z->b[z->b_at];
    if (b->rr) {
      n += decode_reread(proc, z, b, out + n, max - n);
      continue;
    }
    const uint8_t *p = b->buf + b->at, *end = b->buf + b->len;
    const uint32_t *ops = b->ops + b->op_at;
    n += mg_plain_again(&p, end, end, &z->st, out + n, max - n, proc->slot_sites,
                        proc->nslot_sites, &ops, NULL);
    b->at = (size_t)(p - b->buf);
    b->op_at = (size_t)(ops - b->ops);
    if (p == end)
      batch_done(r, z, b);
  }
  z->left -= n; /* one op per entry */
  if (z->b_at == z->nb) /* all decoded: the array is used again from the start */
    z->b_at = z->nb = z->left = 0;
  return n;
}

/* The thread's queue ran out: its next encoded entries become the queue. */
static void refill(struct mg_process *proc, struct tstate *t) {
  struct seg *q = &t->q;
  q->head = q->len = 0;
  if (q->cap < LAZY_BATCH) {
    free(q->items); /* empty: nothing to keep */
    free(q->weights);
    q->items = mg_xmalloc(LAZY_BATCH * sizeof *q->items);
    q->weights = NULL;
    q->cap = LAZY_BATCH;
  }
  q->len = decode_lazy(proc, &t->z, q->items, LAZY_BATCH);
}

/* Replays, in order, every waiting item earlier than `bound`; with `force`, also the
 * earliest ones beyond it until at most `keep` items wait (the window's cap). */
static void release(struct mg_process *proc, struct mg_replay *r,
                    uint64_t bound, bool force, size_t keep) {
  if (r->nactive == 0)
    return;
  size_t cap = r->merge_cap;
  MG_GROW(r->merge_key, r->merge_cap, r->nactive);
  if (r->merge_cap != cap)
    r->merge_node = mg_xrealloc(r->merge_node, r->merge_cap * sizeof *r->merge_node);
  struct merge m = {r->merge_key, r->merge_node, 0};
  for (size_t i = 0; i < r->nactive; i++) {
    struct tstate *t = &r->threads[r->active[i]];
    if (t->q.head < t->q.len && (force || t->q.items[t->q.head].ts < bound))
      m.key[m.n++] = cursor_of(&t->q.items[t->q.head], r->active[i]);
  }
  if (m.n > 0)
    merge_build(&m);
  cursor_key k = m.n > 0 ? m.key[m.node[0]] : CURSOR_DONE;
  cursor_key second = m.n > 1 ? merge_second(&m) : CURSOR_DONE;
  while (m.n > 0) {
    if (k == CURSOR_DONE || (cursor_ts(k) >= bound && (!force || r->pending <= keep)))
      break;
    uint32_t th = cursor_thread(k);
    struct tstate *t = &r->threads[th];
    const struct mg_plain_event *it = &t->q.items[t->q.head]; /* stays put: only a batch moves them */
    if (t->q.head + PREFETCH_AHEAD < t->q.len)
      mg_live_prefetch(&r->live, t->q.items[t->q.head + PREFETCH_AHEAD].ptr);
    size_t at = t->q.head++;
    r->pending--;
    if (it->ts > r->frontier) /* (a thread's item that steps back leaves it) */
      r->frontier = it->ts;
    r->released_any = true;
    if (__builtin_expect(it->op & OP_WEIGHTED, 0))
      apply(proc, r, th, it, t->q.weights[at]);
    else
      apply_one(proc, r, th, it);
    t = &r->threads[th]; /* apply may grow the thread states */
    cursor_key next = CURSOR_DONE;
    if (t->q.head < t->q.len)
      next = cursor_of(&t->q.items[t->q.head], th);
    else if (t->z.nb && (refill(proc, t), t->q.len > 0)) /* its next encoded entries */
      next = cursor_of(&t->q.items[0], th);
    /* A thread's items come in runs (the pool file: 3 in 4 items follow one of the same
     * thread): the winner that stays ahead of the runner-up plays no match. */
    if (next < second) {
      m.key[m.node[0]] = next; /* by player, not thread */
      k = next;
    } else {
      k = merge_replay(&m, next);
      second = merge_second(&m);
    }
  }
/* Drop emptied queues from the active list; compact the others. */
  size_t still = 0;
  for (size_t i = 0; i < r->nactive; i++) {
    struct tstate *t = &r->threads[r->active[i]];
    struct seg *q = &t->q;
    if (q->head == q->len) {
      q->head = q->len = 0;
      t->active = false;
      /* A large array goes to the spares, for the next batch of any thread (a small
       * one stays with its thread). */
      if (q->cap > 4096) {
        spare_array(r, q->items, q->cap);
        free(q->weights);
        q->items = NULL;
        q->weights = NULL;
        q->cap = 0;
      }
    } else {
      /* Once more items were replayed than wait: an array taken over from the decoder
       * is larger than its batch, and batches appended without moving back would map
       * page after page of it. */
      if (q->head > 4096 && q->head > q->len - q->head) {
        memmove(q->items, q->items + q->head, (q->len - q->head) * sizeof *q->items);
        if (q->weights)
          memmove(q->weights, q->weights + q->head, (q->len - q->head) * sizeof *q->weights);
        q->len -= q->head;
        q->head = 0;
      }
      r->active[still++] = r->active[i];
    }
  }
  r->nactive = still;
}

/* The thread whose batch is being queued (mg_replay_events), and how many of its items
 * wait now: the window's count and the active list are settled once per batch. */
struct batch {
  struct tstate *t;
  size_t queued;
  uint64_t late_before; /* an item earlier than this is late (0: none can be) */
};

/* Room in the queue for `items` more: in a spare array when it is empty. */
static void reserve(struct mg_replay *r, struct tstate *t, size_t items) {
  struct seg *s = &t->q;
  struct spare sp;
  if (s->len == s->head && s->cap < s->len + items && take_spare(r, &sp)) {
    spare_array(r, s->items, s->cap);
    free(s->weights);
    *s = (struct seg){sp.items, 0, 0, sp.cap, NULL};
  }
  size_t cap = s->cap;
  MG_GROW(s->items, s->cap, s->len + items);
  if (s->cap != cap) { /* fresh memory; a queue reused is mapped already */
    mg_prefault(s->items + s->len, items * sizeof *s->items);
    if (s->weights)
      s->weights = mg_xrealloc(s->weights, s->cap * sizeof *s->weights);
  }
}

/* Queues one item at its thread's end (program order, whatever its time), or replays it
 * now when the window has already passed its time and nothing of its thread waits (else
 * it would overtake its predecessors: it waits behind them, late all the same).  Room was
 * reserved. */
static inline void queue(struct mg_process *proc, struct mg_replay *r, uint32_t thread,
                         struct batch *b, struct mg_plain_event it, double weight) {
  if (__builtin_expect(it.ts < b->late_before, 0) && b->t->q.head == b->t->q.len &&
      !b->t->z.nb) {
    struct mg_plain_event late = it; /* `it` itself stays in registers */
    r->late++;
    apply(proc, r, thread, &late, weight);
    b->t = &r->threads[thread]; /* apply may move the thread states */
    return;
  }
  struct tstate *t = b->t;
  struct seg *s = &t->q;
  if (__builtin_expect(weight != 1.0, 0)) {
    it.op |= OP_WEIGHTED;
    if (!s->weights) /* as many as items: the same index */
      s->weights = mg_xmalloc(s->cap * sizeof *s->weights);
  }
  if (__builtin_expect(it.ts < b->late_before, 0))
    r->late++; /* (behind its thread's waiting items: see above) */
  size_t at = s->len;
  /* field by field: a copy of the whole from the stack would stall on its stores */
  s->items[s->len++] = item(it.ts, it.ptr, it.size, it.site, it.op);
  if (it.op & OP_WEIGHTED)
    s->weights[at] = weight;
  if (it.ts > t->last_ts)
    t->last_ts = it.ts;
  b->queued++;
}

/* A batch of events in the decoder's general form. */
static void queue_events(struct mg_profile *p, struct mg_process *proc, struct mg_replay *r,
                         uint32_t th, struct batch *b, const struct mg_events_rec *e) {
  for (size_t i = 0; i < e->nevents; i++) {
    const struct mg_event *ev = &e->events[i];
    uint32_t site = site_slot(p, r, ev->site);
    switch (ev->kind) {
    case MS_EV_ALLOC: {
      /* malloc(0) may return NULL: neither an allocation nor a failure. */
      uint32_t op = ev->ptr ? OP_ALLOC : ev->size ? OP_FAILED : OP_NONE;
      if (ev->nstack)
        op |= mg_stacks_sample(proc, site, ev) << OP_STACK_SHIFT;
      queue(proc, r, th, b, item(ev->ts, ev->ptr, ev->size, site, op), ev->weight);
      break;
    }
    case MS_EV_FREE:
      queue(proc, r, th, b,
            item(ev->ts, ev->ptr, 0, site, ev->ptr ? OP_RELEASE : OP_NULL_FREE), 1.0);
      break;
    case MS_EV_REALLOC: {
      /* old_ptr is gone when realloc returned a block or was asked for 0 bytes; a
       * failed realloc leaves it allocated. */
      if (ev->old_ptr && (ev->ptr || ev->size == 0))
        queue(proc, r, th, b,
              item(ev->begin_ns, ev->old_ptr, 0, site, OP_RELEASE | OP_HALF), 1.0);
      uint32_t op = ev->ptr ? OP_ALLOC : ev->size ? OP_FAILED : OP_NONE;
      queue(proc, r, th, b,
            item(ev->ts, ev->ptr, ev->size, site, op | OP_REALLOC), 1.0);
      break;
    }
    }
  }
}

/* A plain batch's entries (decode.h): full-mode mallocs, frees and reallocs (a realloc
 * already split in its release and its result, as queue_events splits it), their sites
 * by slot. */
static inline uint32_t plain_op(const struct mg_plain_event *pe) {
  if (pe->kind == MS_EV_FREE)
    return pe->ptr ? OP_RELEASE : OP_NULL_FREE;
  if (pe->kind == MG_PLAIN_RELEASE)
    return OP_RELEASE | OP_HALF;
  uint32_t op = pe->ptr ? OP_ALLOC : pe->size ? OP_FAILED : OP_NONE;
  return pe->kind == MS_EV_REALLOC ? op | OP_REALLOC : op;
}

/* The op of entry i, with its stack interned when it is an allocation that has one (in
 * the order queue_events interns them).  Forced inline: left to itself, the compiler
 * made it a call per entry once the stacks' hot path was inlined into it (15
 * instructions an entry more, with or without stacks). */
static inline __attribute__((always_inline)) uint32_t
plain_op_stack(struct mg_process *proc, const struct mg_events_rec *e, size_t i, uint32_t site) {
  const struct mg_plain_event *pe = &e->plain[i];
  uint32_t op = plain_op(pe);
  if (e->plain_stacks.ref && e->plain_stacks.ref[i] && op == OP_ALLOC)
    op |= mg_stacks_sample_ref_hot(proc, site, &e->plain_stacks, i, pe->ts, pe->size)
          << OP_STACK_SHIFT;
  return op;
}

/* A plain batch whose array the replay took over (all n entries queued in place) is
 * the thread's queue, which was empty.  The decoder gets an array in its place once the
 * batch has been replayed as far as it can be (give_home): its own again when all of it
 * was (Lua's one thread, always: the same array every chunk, its lines the likeliest to
 * be cached, where a spare and it took turns: 4 MB more of fresh pages for Lua's file),
 * else the spare it got before (held meanwhile), else a new one. */
static void take_batch(struct mg_replay *r, struct tstate *t, const struct mg_events_rec *e,
                       size_t n) {
  spare_array(r, t->q.items, t->q.cap);
  free(t->q.weights);
  t->q = (struct seg){*e->plain_home, 0, n, *e->plain_home_cap, NULL};
  *e->plain_home = NULL;
  *e->plain_home_cap = 0;
  r->home = e;
  r->home_taken = (struct spare){t->q.items, t->q.cap};
  if (!take_spare(r, &r->home_held))
    r->home_held = (struct spare){NULL, 0};
}

/* The decoder's array for its next chunk, after take_batch (above). */
static void give_home(struct mg_replay *r) {
  const struct mg_events_rec *e = r->home;
  struct spare sp = r->home_held;
  r->home = NULL;
  for (size_t i = r->nspares; i-- > 0;) /* the batch's own array, replayed to its end */
    if (r->spares[i].items == r->home_taken.items) {
      r->spares[i] = r->spares[--r->nspares]; /* (their order matters little) */
      if (sp.items)
        spare_array(r, sp.items, sp.cap);
      sp = r->home_taken;
      break;
    }
  if (!sp.items) { /* a new one, mapped in one go (faults are dear) */
    sp.cap = r->home_taken.cap;
    sp.items = mg_xmalloc_huge(sp.cap * sizeof *sp.items);
    mg_prefault(sp.items, e->nplain * sizeof *sp.items);
  }
  *e->plain_home = sp.items;
  *e->plain_home_cap = sp.cap;
}

/* Whatever the thread keeps encoded becomes items at its queue's end, for a batch that
 * is queued item by item after them. */
static void materialize(struct mg_process *proc, struct mg_replay *r, struct tstate *t) {
  size_t left = t->z.left;
  if (!left)
    return;
  reserve(r, t, left + 2);
  while (t->z.nb) /* decode_lazy empties z when it reaches the end */
    t->q.len += decode_lazy(proc, &t->z, t->q.items + t->q.len, t->q.cap - t->q.len);
}

/* Room in the thread's encoded part for one more batch. */
static void lazy_reserve(struct lazy *z) {
  /* Once more batches were decoded than wait, those that wait move to the front. */
  if (z->b_at > z->nb - z->b_at && z->b_at >= 64) {
    memmove(z->b, z->b + z->b_at, (z->nb - z->b_at) * sizeof *z->b);
    z->nb -= z->b_at;
    z->b_at = 0;
  }
  MG_GROW(z->b, z->b_cap, z->nb + 1);
}

/* The batch's bytes, for the thread's encoded part: the reader's buffer when it may be
 * taken (it gets a spare one, whose pages are mapped, for its next chunk), else a copy. */
static struct encoded keep_bytes(struct mg_replay *r, const struct mg_events_rec *e) {
  struct encoded b = {.len = e->content_len};
  struct byte_spare sp = {NULL, 0};
  if (r->nbyte_spares)
    sp = r->byte_spares[--r->nbyte_spares];
  if (e->content_home && *e->content_home == e->content) {
    b.buf = *e->content_home;
    b.cap = *e->content_home_cap;
    *e->content_home = sp.buf;
    *e->content_home_cap = sp.cap;
    return b;
  }
  if (sp.cap < e->content_len) {
    free(sp.buf);
    sp.buf = mg_xmalloc(e->content_len);
    sp.cap = e->content_len;
  }
  memcpy(sp.buf, e->content, e->content_len);
  b.buf = sp.buf;
  b.cap = sp.cap;
  return b;
}

/* A plain batch that is to wait behind other threads' items kept as it was read (its
 * bytes, and each entry's op: its stack is interned now, in the order of delivery):
 * the window holds a quarter of the bytes it would as items, and the items decoded
 * again later stay in the cache until replayed.  Returns how many entries are queued:
 * all, or the first i before one to be queued item by item (out of order, late, or of
 * a slot no SITE record named), which are then items at the queue's end, after all
 * that was encoded. */
static size_t queue_encoded(struct mg_process *proc, struct mg_replay *r, struct batch *b,
                            const struct mg_events_rec *e, uint64_t lower) {
  struct tstate *t = b->t;
  struct lazy *z = &t->z;
  const uint32_t *slot_sites = proc->slot_sites;
  size_t nslots = proc->nslot_sites, i = 0, n = e->nplain;
  if (n == 0)
    return 0;
  lazy_reserve(z);
  struct ops_spare o = take_ops(r, n + 2); /* two beyond: decode_reread */
  uint32_t *ops = o.ops;
  for (; i < n; i++) {
    const struct mg_plain_event *pe = &e->plain[i];
    uint32_t site1 = pe->slot < nslots ? slot_sites[pe->slot] : 0;
    if (pe->ts < lower || !site1)
      break;
    lower = pe->ts;
    ops[i] = plain_op_stack(proc, e, i, site1 - 1);
  }
  if (i > 0 && lower > t->last_ts)
    t->last_ts = lower;
  b->queued += i;
  if (i == n) {
    struct encoded kb;
    if (e->reread) /* its bytes read again from the file when needed */
      kb = (struct encoded){.rr = mg_reread_hold(e->reread), .len = e->content_len,
                            .file_at = e->content_at, .chunk_at = e->offset};
    else
      kb = keep_bytes(r, e);
    kb.ops = o.ops;
    kb.ops_cap = o.cap;
    kb.nops = n;
    z->b[z->nb++] = kb;
    z->left += n;
    if (t->q.head == t->q.len)
      refill(proc, t);
    return n;
  }
  /* Not all: what was encoded, then these i, become items. */
  materialize(proc, r, t);
  reserve(r, t, n); /* these i, and the rest one by one */
  struct mg_plain_event *to = t->q.items + t->q.len;
  for (size_t k = 0; k < i; k++) {
    const struct mg_plain_event *pe = &e->plain[k];
    to[k] = item(pe->ts, pe->ptr, pe->size, slot_sites[pe->slot] - 1, ops[k]);
  }
  t->q.len += i;
  ops_spare(r, o.ops, o.cap);
  return i;
}

static void queue_plain(struct mg_profile *p, struct mg_process *proc, struct mg_replay *r,
                        uint32_t th, struct batch *b, const struct mg_events_rec *e) {
  /* Queued as they come while each is neither late nor earlier than the one before (a
   * thread's events, as a rule): what queue() checks item by item, in one compare.
   * When no item waits in any queue (always, in a program with one thread) and the
   * decoder's array can be taken over (`own`), each entry is turned into its item in
   * place and the array becomes the queue: no copy (Lua's binary-trees: 8% less CPU
   * time).  Else they are copied to the queue's end: where threads' chunks overlap, the
   * decoder's array taken over each time left it writing to cold lines of a new one (the
   * C++ pool's file: 10% more CPU time than the copy to the queue). */
  struct tstate *t = b->t;
  const uint32_t *slot_sites = proc->slot_sites;
  size_t nslots = proc->nslot_sites, i = 0, n = e->nplain;
  struct seg *back = &t->q;
  uint64_t lower = b->late_before;
  if (back->len > back->head && back->items[back->len - 1].ts > lower)
    lower = back->items[back->len - 1].ts;
  if (t->z.nb && t->last_ts > lower) /* the last one queued is encoded, and the latest */
    lower = t->last_ts;
  struct mg_plain_event *own =
      e->plain_home && *e->plain_home == e->plain && r->nactive == 0 ? *e->plain_home : NULL;
  struct mg_plain_event *to = NULL;
  if (!own && e->content) {
    i = queue_encoded(proc, r, b, e, lower);
    t = b->t;
    if (i == n)
      return;
  } else if (!own) {
    materialize(proc, r, t);
    reserve(r, t, n);
    to = back->items + back->len;
  }
  for (; i < n && (own || to); i++) {
    const struct mg_plain_event *pe = &e->plain[i];
    uint32_t site1 = pe->slot < nslots ? slot_sites[pe->slot] : 0;
    if (pe->ts < lower || !site1)
      break;
    lower = pe->ts;
    uint32_t op = plain_op_stack(proc, e, i, site1 - 1);
    if (own) {
      own[i].site = site1 - 1;
      own[i].op = op;
    } else {
      to[i] = item(pe->ts, pe->ptr, pe->size, site1 - 1, op);
    }
  }
  if (own || to) {
    if (i > 0 && lower > t->last_ts)
      t->last_ts = lower;
    b->queued += i;
    if (own && i == n && n > 0) {
      take_batch(r, t, e, n);
      return;
    }
    if (own) { /* not all of them: the items made so far are copied to the back after all */
      reserve(r, t, n);
      memcpy(back->items + back->len, own, i * sizeof *own);
    }
    back->len += i;
  }
  for (; i < n; i++) { /* the rest one by one */
    const struct mg_plain_event *pe = &e->plain[i];
    uint32_t site1 = pe->slot < nslots ? slot_sites[pe->slot] : 0;
    /* a slot no SITE record named is "no known site", as mg_slots_site says */
    uint32_t site = site1 ? site1 - 1 : site_slot(p, r, 0);
    queue(proc, r, th, b,
          item(pe->ts, pe->ptr, pe->size, site, plain_op_stack(proc, e, i, site)), 1.0);
  }
}

/* Everything earlier than this can no longer be reordered. */
static uint64_t bound_now(struct mg_replay *r) {
  if (r->order)
    return r->records < r->norder ? r->order[r->records] : UINT64_MAX;
  uint64_t b = UINT64_MAX;
  for (size_t i = 0; i < r->nthreads; i++)
    if (r->threads[i].seen && !r->threads[i].ended && r->threads[i].last_ts < b)
      b = r->threads[i].last_ts;
  return b;
}

void mg_replay_events(struct mg_profile *p, struct mg_process *proc, size_t thread,
                      const struct mg_events_rec *e) {
  struct mg_replay *r = proc->replay;
  uint32_t th = (uint32_t)thread;
  struct tstate *ts = tstate(r, th);
  ts->seen = true;
  /* Nothing below replays in order, so the frontier stays where it is. */
  struct batch b = {ts, 0, r->released_any ? r->frontier : 0};
  if (e->plain) {
    queue_plain(p, proc, r, th, &b, e);
  } else {
    /* Room for the whole batch at once (a realloc that frees makes two items): one
     * reallocation per record instead of a doubling series per thread. */
    size_t items = e->nevents;
    for (size_t i = 0; i < e->nevents; i++)
      items += e->events[i].kind == MS_EV_REALLOC && e->events[i].old_ptr;
    materialize(proc, r, ts);
    reserve(r, ts, items);
    queue_events(p, proc, r, th, &b, e);
  }
  if (b.queued) {
    if (!b.t->active) {
      b.t->active = true;
      MG_GROW(r->active, r->active_cap, r->nactive + 1);
      r->active[r->nactive++] = th;
    }
    r->pending += b.queued;
    if (r->pending > r->window_max)
      r->window_max = r->pending;
  }
  r->records++;
  release(proc, r, bound_now(r), false, 0);
  if (r->pending > r->window) /* the cap: replay the earliest, later ones may be late */
    release(proc, r, 0, true, r->window / 2);
  if (r->home)
    give_home(r);
}

void mg_replay_thread_ended(struct mg_process *proc, size_t thread) {
  if (proc->replay)
    tstate(proc->replay, thread)->ended = true;
}

static int by_interaction(const void *a, const void *b) {
  const struct mg_interaction *x = a, *y = b;
  if (x->bytes.value != y->bytes.value)
    return x->bytes.value < y->bytes.value ? 1 : -1;
  if (x->alloc_thread != y->alloc_thread)
    return x->alloc_thread < y->alloc_thread ? -1 : 1;
  return (x->free_thread > y->free_thread) - (x->free_thread < y->free_thread);
}

void mg_replay_finish(struct mg_profile *p, struct mg_process *proc) {
  struct mg_replay *r = proc->replay;
  if (!r)
    return;
  release(proc, r, UINT64_MAX, true, 0);
  snapshot_peak(p, proc, r);

  /* What is still in the map was never freed: live at exit, counted where allocated. */
  size_t pos = 0;
  struct live_block lb, *b = &lb;
  while (mg_live_next(&r->live, &pos, &lb)) {
    struct mg_tally_counts *c = &tally(proc, b->thread, b->site)->counts;
    struct mg_tally_ests *e = weighted(proc, c, b->weight, c->live_bytes, b->size);
    c->live_blocks++;
    c->live_bytes += b->size;
    if (e) {
      mg_tally_est_add(&e->est_live_blocks, b->weight, 1.0);
      mg_tally_est_add(&e->est_live_bytes, b->weight, (double)b->size);
    }
    mg_stacks_live(proc, b->site, b->stack, b->weight, b->size);
    chain_ends(proc, r, b);
  }
  proc->counts.peak_live_bytes = r->peak;
  proc->counts.est_peak_live_bytes = r->est_peak;
  if (proc->sampled) {
    if (!r->split_on) /* no block weighed other than 1 */
      split_start(r);
    proc->counts.est_peak_live_bytes = split_result(&r->split, &r->est_live);
    split_peak_sites(p, proc, r, proc->counts.est_peak_live_bytes.value == r->est_live.value);
  }
  proc->peak_ns = rel(proc, r->peak_ts);
  proc->late_events = r->late;
  proc->window_max = r->window_max;

  bool any = false;
  uint64_t first = 0, last = 0;
  for (size_t s = 0; s < p->nsites; s++) {
    const struct sstate *ss = sstate_if(r, s);
    if (!ss) /* no event here: nothing to add */
      continue;
    struct mg_site *site = &p->sites[s];
    struct mg_site part = {
        .has_events = ss->has_events,
        .first_ns = ss->has_events ? rel(proc, ss->first) : 0,
        .last_ns = ss->has_events ? rel(proc, ss->last) : 0,
        .chains = ss->chains,
        .chain_steps = ss->chain_steps,
        .chain_max = ss->chain_max,
        .chain_first_bytes = ss->chain_first_bytes,
        .chain_last_bytes = ss->chain_last_bytes,
    };
    memcpy(part.lifetime, ss->lifetime, sizeof part.lifetime);
    mg_site_add_events(site, &part);
    if (ss->has_events) {
      if (!any || ss->first < first)
        first = ss->first;
      if (!any || ss->last > last)
        last = ss->last;
      any = true;
    }
  }
  proc->first_ns = any ? rel(proc, first) : 0;
  proc->last_ns = any ? rel(proc, last) : 0;

  for (size_t i = 0; i < proc->nthreads && i < r->nthreads; i++) {
    struct mg_thread *t = &proc->threads[i];
    t->peak_live_bytes = r->threads[i].peak;
    t->est_peak_live_bytes = proc->sampled ? split_result(&r->threads[i].split, &r->threads[i].est_live)
                                           : r->threads[i].est_peak;
    t->peak_ns = rel(proc, r->threads[i].peak_ts);
  }

  proc->ninteractions = mg_map_len(&r->interactions);
  proc->interactions = mg_xmalloc((proc->ninteractions ? proc->ninteractions : 1) *
                                  sizeof *proc->interactions);
  pos = 0;
  uint64_t key;
  size_t n = 0;
  struct mg_interaction *in;
  while ((in = mg_map_next(&r->interactions, &pos, &key))) {
    struct mg_interaction x = *in;
    x.alloc_thread = proc->threads[key >> 32].index;
    x.free_thread = proc->threads[(uint32_t)key].index;
    proc->interactions[n++] = x;
  }
  qsort(proc->interactions, n, sizeof *proc->interactions, by_interaction);

  for (size_t i = 0; i < r->nthreads; i++) {
    struct tstate *t = &r->threads[i];
    free(t->q.items);
    free(t->q.weights);
    for (size_t k = t->z.b_at; k < t->z.nb; k++) {
      free(t->z.b[k].buf);
      free(t->z.b[k].ops);
      mg_reread_drop(t->z.b[k].rr);
    }
    free(t->z.slice);
    free(t->z.b);
  }
  for (size_t i = 0; i < r->nspares; i++)
    free(r->spares[i].items);
  for (size_t i = 0; i < r->nbyte_spares; i++)
    free(r->byte_spares[i].buf);
  for (size_t i = 0; i < r->nops_spares; i++)
    free(r->ops_spares[i].ops);
  free(r->threads);
  for (size_t c = 0; c < r->nsite_chunks; c++)
    free(r->site_chunks[c]);
  free(r->site_chunks);
  free(r->active);
  free(r->merge_key);
  free(r->merge_node);
  free(r->order);
  mg_live_destroy(&r->live);
  mg_map_destroy(&r->interactions);
  free(r);
  proc->replay = NULL;
}
