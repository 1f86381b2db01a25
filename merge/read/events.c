/* EVENTS chunks into batches of events (events.h). */
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memscope/event_codec.h"
#include "memscope/format.h"
#include "util.h"

/* Slots are handed out from 2 up, one per site: an array covers them.  A slot beyond this
 * (a corrupt or unusual file) goes to the map, so that one odd number costs no memory. */
#define SLOTS_ARRAY_MAX MG_PLAIN_SLOTS
/* Stack ids count up from 1 per thread; the key packs the thread above them. */
#define STACK_ID_BITS 40

void mg_slots_init(struct mg_slots *s) {
  memset(s, 0, sizeof *s);
  mg_map_init(&s->far, sizeof(uint64_t));
}

void mg_slots_destroy(struct mg_slots *s) {
  free(s->ids);
  mg_map_destroy(&s->far);
}

bool mg_slots_known(const struct mg_slots *s, uint32_t slot) {
  if (slot < SLOTS_ARRAY_MAX)
    return slot < s->n && s->ids[slot];
  return mg_map_get(&s->far, slot) != NULL;
}

bool mg_slots_set(struct mg_slots *s, uint32_t slot, uint64_t id) {
  if (mg_slots_known(s, slot))
    return mg_slots_site(s, slot) == id; /* the same site again is no conflict */
  /* Site id 0 ("no known site") is what an unnamed slot gives anyway; it is stored as
   * all ones in the array so that the slot still counts as named. */
  if (slot >= SLOTS_ARRAY_MAX) {
    *(uint64_t *)mg_map_put(&s->far, slot, NULL) = id;
    return true;
  }
  if (slot >= s->n) {
    mg_grow_zeroed((void **)&s->ids, &s->cap, (size_t)slot + 1, sizeof *s->ids);
    s->n = (size_t)slot + 1;
  }
  s->ids[slot] = id ? id : UINT64_MAX;
  return true;
}

uint64_t mg_slots_site(const struct mg_slots *s, uint32_t slot) {
  uint64_t id = 0;
  if (slot < s->n) {
    id = s->ids[slot];
  } else if (slot >= SLOTS_ARRAY_MAX) {
    const uint64_t *v = mg_map_get(&s->far, slot);
    id = v ? *v : 0;
  }
  return id == UINT64_MAX ? 0 : id;
}

static const uint32_t kinds[] = {
    [MS_ITEM_ALLOC] = MS_EV_ALLOC, [MS_ITEM_FREE] = MS_EV_FREE,
    [MS_ITEM_REALLOC] = MS_EV_REALLOC, [MS_ITEM_SAMPLE] = MS_EV_ALLOC};

/* ms_get_uv where at least PLAIN_ITEM_MAX bytes remain: no bound to check, the usual
 * one- and two-byte values first.  The same value and the same refusal (false) of a
 * varint longer than 10 bytes. */
#define PLAIN_ITEM_MAX 71u /* tag and 7 varints: a realloc's with a stack */
static inline bool uv_unchecked(const uint8_t **pp, uint64_t *v) {
  const uint8_t *p = *pp;
  uint64_t b = p[0];
  if (b < 0x80) {
    *v = b;
    *pp = p + 1;
    return true;
  }
  uint64_t r = b & 0x7f;
  b = p[1];
  r |= (b & 0x7f) << 7;
  if (b < 0x80) {
    *v = r;
    *pp = p + 2;
    return true;
  }
  for (unsigned i = 2; i < 10; i++) {
    b = p[i];
    r |= (b & 0x7f) << (7 * i); /* 63 at the tenth byte, as ms_get_uv */
    if (b < 0x80) {
      *v = r;
      *pp = p + i + 1;
      return true;
    }
  }
  return false;
}

/* The tags plain_item takes, as a set of bits: ALLOC and REALLOC with or without their
 * flags, FREE with or without its slot (it has no stack). */
#define TAG_FLAGS(op) \
  (1ull << (op) | 1ull << ((op) | MS_ITEM_SAME_SLOT) | 1ull << ((op) | MS_ITEM_HAS_STACK) | \
   1ull << ((op) | MS_ITEM_SAME_SLOT | MS_ITEM_HAS_STACK))
#define PLAIN_TAGS \
  (TAG_FLAGS(MS_ITEM_ALLOC) | TAG_FLAGS(MS_ITEM_REALLOC) | 1ull << MS_ITEM_FREE | \
   1ull << (MS_ITEM_FREE | MS_ITEM_SAME_SLOT))
_Static_assert((MS_ITEM_OP_MASK | MS_ITEM_SAME_SLOT | MS_ITEM_HAS_STACK) < 64, "tags fit");

/* The fast path: a full-mode ALLOC, FREE or REALLOC item of a named slot (the whole of a
 * full-mode file), decoded into one plain entry, or two for a realloc that released its
 * old block (decode.h); an allocation's stack id in *stack (0: none; a realloc's is not
 * kept: nothing reads it).  Returns the entries written, 0 with nothing consumed and
 * the state unchanged for any other item (the general decoder takes it, and says what
 * is wrong with a bad one), or for a failed realloc of a block, which keeps old_ptr (the
 * general form says it; it is rare).  With sites1 (mg_plain_again: a chunk read again),
 * slots are not checked and each entry gets its site and next op instead of slot and
 * kind.  Inlined into both callers: the constant arguments drop what the other needs. */
static inline __attribute__((always_inline)) unsigned
plain_item(const uint8_t **pp, const uint8_t *end, struct ms_codec_state *st,
           const uint64_t *ids, size_t nids, struct mg_plain_event *out, uint64_t *stack,
           uint64_t allocated[2], const uint32_t *sites1, const uint32_t **ops) {
  const uint8_t *p = *pp;
  uint8_t t = *p++;
  uint8_t op = t & MS_ITEM_OP_MASK;
  if (t >= 64 || !(PLAIN_TAGS >> t & 1))
    return 0;
  uint64_t slot = st->prev_slot, size = 0, dptr, dts, dold = 0, back = 0, id = 0;
  /* One test for the whole item, and each branch with its own reader (the compiler
   * keeps a test per field when one expression chooses). */
  if ((size_t)(end - *pp) >= PLAIN_ITEM_MAX) {
    if ((!(t & MS_ITEM_SAME_SLOT) && !uv_unchecked(&p, &slot)) ||
        (op != MS_ITEM_FREE && !uv_unchecked(&p, &size)) || !uv_unchecked(&p, &dptr) ||
        !uv_unchecked(&p, &dts) ||
        (op == MS_ITEM_REALLOC && (!uv_unchecked(&p, &dold) || !uv_unchecked(&p, &back))) ||
        ((t & MS_ITEM_HAS_STACK) && (!uv_unchecked(&p, &id) || id == 0)))
      return 0;
  } else {
    if ((!(t & MS_ITEM_SAME_SLOT) && !ms_get_uv(&p, end, &slot)) ||
        (op != MS_ITEM_FREE && !ms_get_uv(&p, end, &size)) || !ms_get_uv(&p, end, &dptr) ||
        !ms_get_uv(&p, end, &dts) ||
        (op == MS_ITEM_REALLOC && (!ms_get_uv(&p, end, &dold) || !ms_get_uv(&p, end, &back))) ||
        ((t & MS_ITEM_HAS_STACK) && (!ms_get_uv(&p, end, &id) || id == 0)))
      return 0;
  }
  /* nids <= MG_PLAIN_SLOTS; with sites1, its size (bytes read again may have changed) */
  if (slot >= nids || !(sites1 ? sites1[slot] : ids[slot]))
    return 0;
  uint64_t ptr = st->prev_ptr + ms_unzigzag(dptr), ts = st->prev_ts + ms_unzigzag(dts);
  unsigned n = 1;
  if (op == MS_ITEM_REALLOC) {
    uint64_t old_ptr = ptr + ms_unzigzag(dold);
    if (back > ts || (old_ptr && !ptr && size))
      return 0;
    if (old_ptr) /* released: it returned a block, or was asked for 0 bytes */
      out[n++ - 1] = (struct mg_plain_event){
          ts - back, old_ptr, 0, {sites1 ? sites1[slot] - 1 : (uint32_t)slot},
          {sites1 ? *(*ops)++ : MG_PLAIN_RELEASE}};
    id = 0;
  }
  st->prev_slot = slot;
  st->prev_ptr = ptr;
  st->prev_ts = ts;
  out[n - 1] = (struct mg_plain_event){ts, ptr, size,
                                       {sites1 ? sites1[slot] - 1 : (uint32_t)slot},
                                       {sites1 ? *(*ops)++ : kinds[op]}};
  /* counted here, not read back from *out: a load of a field just stored in a wide
   * store stalls on store forwarding */
  bool counted = op == MS_ITEM_ALLOC && ptr;
  allocated[0] += counted;
  allocated[1] += counted ? size : 0;
  *stack = id;
  *pp = p;
  return n;
}

/* A STACK item into the chunk's stacks; false when it is not one, or a bad one. */
static bool stack_item(struct mg_chunk_events *c, const uint8_t **pp, const uint8_t *end,
                       struct ms_codec_state *st) {
  struct ms_codec_event e;
  uint64_t id, frames[MS_ITEM_STACK_MAX];
  uint32_t nframes;
  const uint8_t *p = *pp;
  if (ms_decode_item(&p, end, st, &e, &id, frames, &nframes) != MS_DECODED_STACK)
    return false;
  MG_GROW(c->stacks, c->stacks_cap, c->nstacks + 1);
  MG_GROW(c->frames, c->frames_cap, c->nframes + nframes);
  c->stacks[c->nstacks++] = (struct mg_chunk_stack){id, c->nframes, nframes};
  memcpy(c->frames + c->nframes, frames, nframes * sizeof *frames);
  c->nframes += nframes;
  *pp = p;
  return true;
}

/* The whole chunk in plain form; false at the first item that is not (c is then to be
 * decoded again in the general form). */
static bool decode_plain(struct mg_chunk_events *c, const uint8_t *content, size_t len,
                         const struct mg_slots *slots) {
  const uint8_t *p = content, *end = content + len;
  struct ms_codec_state st = {0};
  uint64_t allocated[2] = {0, 0}, id; /* ALLOC events that returned a block, their bytes */
  /* Items take 3 bytes at least (tag, ptr, ts), a realloc's two entries 6: room for all
   * at once. */
  size_t need = len / 3 + 1;
  if (c->plain_cap < need) { /* its old entries are of no use: no copy */
    /* All of the huge pages as capacity: chunks of one size differ by a few bytes, and a
     * new array for each slightly larger one zeroed its pages again (the pool file: 4, 6
     * and 12 MB arrays made 3, 3 and 2 times; clear_page 5.4% -> 2.0% of its time) */
    size_t bytes = mg_huge_size(need * sizeof *c->plain);
    free(c->plain);
    c->plain = mg_xmalloc_huge(bytes);
    c->plain_cap = bytes / sizeof *c->plain;
  }
  /* In locals, not behind c and slots: the events' stores could alias them. */
  struct mg_plain_event *plain_events = c->plain;
  const uint64_t *ids = slots->ids;
  size_t n = 0, events = 0, nids = slots->n;
  bool any_stack = false;
  while (p < end) {
    struct mg_plain_event *pe = &plain_events[n];
    unsigned k = plain_item(&p, end, &st, ids, nids, pe, &id, allocated, NULL, NULL);
    if (__builtin_expect(k == 0, 0)) {
      if (*p == MS_ITEM_STACK && stack_item(c, &p, end, &st))
        continue;
      return false;
    }
    if (__builtin_expect(id != 0 || any_stack, 0)) {
      if (!any_stack) { /* the first stack: ids for every entry from now on */
        any_stack = true;
        if (c->stack_ids_cap < c->plain_cap) { /* nothing in it is kept: no copy (realloc
                                                * copied it: 2.6% of the pool file's time) */
          free(c->stack_ids);
          c->stack_ids = mg_xmalloc(c->plain_cap * sizeof *c->stack_ids);
          c->stack_ids_cap = c->plain_cap;
        }
        memset(c->stack_ids, 0, n * sizeof *c->stack_ids);
      }
      c->stack_ids[n] = 0;
      c->stack_ids[n + k - 1] = id;
    }
    n += k;
    events++;
  }
  c->n = events;
  c->nplain = n;
  c->stack_ids_used = any_stack;
  c->facts = MG_EVENTS_PLAIN;
  c->allocated = allocated[0];
  c->allocated_bytes = allocated[1];
  return true;
}

/* Past a STACK item, which a chunk read again has already given (its frames were
 * learnt when the chunk was delivered). */
static void skip_stack(const uint8_t **pp, const uint8_t *end) {
  const uint8_t *p = *pp + 1;
  uint64_t v, n = 0;
  if (ms_get_uv(&p, end, &v) && ms_get_uv(&p, end, &n))
    for (uint64_t i = 0; i < n && ms_get_uv(&p, end, &v); i++)
      ;
  *pp = p;
}

size_t mg_plain_again(const uint8_t **pp, const uint8_t *end, const uint8_t *stop,
                      struct ms_codec_state *st, struct mg_plain_event *out, size_t max,
                      const uint32_t *sites1, size_t nsites1, const uint32_t **ops,
                      bool *bad) {
  const uint8_t *p = *pp;
  size_t n = 0;
  uint64_t stack, allocated[2];
  while (p < stop && n + 2 <= max) {
    unsigned k =
        plain_item(&p, end, st, NULL, nsites1, out + n, &stack, allocated, sites1, ops);
    if (__builtin_expect(k == 0, 0)) {
      if (*p != MS_ITEM_STACK) { /* not what was decoded before: the end */
        p = end;
        if (bad)
          *bad = true;
        break;
      }
      skip_stack(&p, end);
      continue;
    }
    n += k;
  }
  *pp = p;
  return n;
}

void mg_chunk_events_decode(struct mg_chunk_events *c, const uint8_t *content, size_t len,
                            uint64_t at, const struct mg_slots *slots) {
  c->n = c->nplain = c->nstacks = c->nframes = 0;
  c->bad = false;
  c->is_plain = true;
  if (decode_plain(c, content, len, slots))
    return;
  /* Another item: the chunk again, in the general form (what came before it was
   * decoded for nothing; a chunk's kinds are mixed only where sampled and stacks are). */
  c->is_plain = false;
  c->n = c->nplain = c->nstacks = c->nframes = 0;
  bool any_stack = false, plain = true;
  uint64_t allocated = 0, allocated_bytes = 0;
  const uint8_t *p = content, *end = content + len;
  struct ms_codec_state st = {0};
  struct ms_codec_event e;
  uint64_t id, frames[MS_ITEM_STACK_MAX];
  uint32_t nframes;
  MG_GROW(c->events, c->cap, len / 3 + 1);
  for (; p < end;) {
    const uint8_t *item = p;
    int r = ms_decode_item(&p, end, &st, &e, &id, frames, &nframes);
    if (r == MS_DECODED_END)
      break;
    if (r == MS_DECODED_STACK) {
      MG_GROW(c->stacks, c->stacks_cap, c->nstacks + 1);
      MG_GROW(c->frames, c->frames_cap, c->nframes + nframes);
      c->stacks[c->nstacks++] = (struct mg_chunk_stack){id, c->nframes, nframes};
      memcpy(c->frames + c->nframes, frames, nframes * sizeof *frames);
      c->nframes += nframes;
      continue;
    }
    if (r != MS_DECODED_EVENT || (e.op == MS_ITEM_SAMPLE && !(e.weight >= 1.0 &&
                                                              e.weight < 1e300))) {
      c->bad = true;
      c->bad_offset = at + (uint64_t)(item - content);
      if (r == MS_DECODED_EVENT)
        snprintf(c->message, sizeof c->message,
                 "bad EVENTS item: a sample's weight is %g, not a number >= 1", e.weight);
      else
        snprintf(c->message, sizeof c->message,
                 "bad EVENTS item (tag 0x%02x): %s", *item,
                 (*item & MS_ITEM_OP_MASK) > MS_ITEM_STACK || !(*item & MS_ITEM_OP_MASK)
                     ? "unknown kind" : "cut short or out of range");
      break;
    }
    struct mg_event *ev = &c->events[c->n];
    *ev = (struct mg_event){
        .kind = kinds[e.op],
        .phase = e.phase > UINT32_MAX ? UINT32_MAX : (uint32_t)e.phase,
        .site = mg_slots_site(slots, e.slot),
        .size = e.size,
        .ptr = e.ptr,
        .ts = e.ts,
        .old_ptr = e.old_ptr,
        .begin_ns = e.begin_ns,
        .weight = e.weight,
        .alignment = e.align,
    };
    /* ALLOC is full mode's (weight 1, no phase); only a stack makes it more */
    plain &= e.op <= MS_ITEM_FREE && !e.stack;
    if (e.op == MS_ITEM_ALLOC && e.ptr) {
      allocated++;
      allocated_bytes += e.size;
    }
    if (e.stack && !any_stack) { /* the first stack: ids for every event from now on */
      any_stack = true;
      MG_GROW(c->stack_ids, c->stack_ids_cap, c->cap);
      memset(c->stack_ids, 0, c->n * sizeof *c->stack_ids);
    }
    if (any_stack)
      c->stack_ids[c->n] = e.stack;
    c->n++;
  }
  c->stack_ids_used = any_stack;
  c->facts = plain ? MG_EVENTS_PLAIN : 0;
  c->allocated = allocated;
  c->allocated_bytes = allocated_bytes;
}

void mg_chunk_events_free(struct mg_chunk_events *c) {
  free(c->events);
  free(c->plain);
  free(c->stack_ids);
  free(c->stack_refs);
  free(c->stacks);
  free(c->frames);
  memset(c, 0, sizeof *c);
}

void mg_stack_ids_init(struct mg_stack_ids *t) {
  memset(t, 0, sizeof *t);
  mg_map_init(&t->ids, sizeof(size_t));
}

void mg_stack_ids_destroy(struct mg_stack_ids *t) {
  mg_map_destroy(&t->ids);
  free(t->spans);
  free(t->frames);
}

static uint64_t stack_key(uint64_t thread, uint64_t id) { return thread << STACK_ID_BITS | id; }

void mg_stack_ids_resolve(struct mg_stack_ids *t, uint64_t thread, struct mg_chunk_events *c) {
  for (size_t i = 0; i < c->nstacks; i++) {
    const struct mg_chunk_stack *s = &c->stacks[i];
    if (s->id == 0 || s->id >> STACK_ID_BITS)
      continue; /* not an id a thread hands out: its events find no stack */
    bool existed;
    size_t *pos = mg_map_put(&t->ids, stack_key(thread, s->id), &existed);
    if (existed)
      continue; /* defined once: the first definition stands */
    MG_GROW(t->spans, t->spans_cap, t->nspans + 1);
    MG_GROW(t->frames, t->frames_cap, t->nframes + s->n);
    memcpy(t->frames + t->nframes, c->frames + s->at, s->n * sizeof *t->frames);
    t->spans[t->nspans].at = t->nframes;
    t->spans[t->nspans].n = s->n;
    t->nframes += s->n;
    *pos = ++t->nspans;
  }
  if (!c->stack_ids_used)
    return;
  if (c->is_plain) { /* references into the table, for the model to remember */
    MG_GROW(c->stack_refs, c->stack_refs_cap, c->nplain);
    /* A chunk names a few stacks again and again: each id's last answer, direct-mapped,
     * saves most lookups in the map of every thread's ids (the pool file: one per
     * allocation, 2 M, 4% of its instructions; 64 stack ids in all). */
    struct {
      uint64_t id; /* 0: empty (id 0 is "no stack", never looked up) */
      uint32_t ref;
      bool known;
    } memo[64] = {{0}};
    for (size_t i = 0; i < c->nplain; i++) {
      uint64_t id = c->stack_ids[i];
      uint32_t ref = 0;
      if (id) {
        __typeof__(&memo[0]) m = &memo[(id ^ id >> 6) & 63];
        if (m->id != id) {
          const size_t *pos =
              id >> STACK_ID_BITS ? NULL : mg_map_get(&t->ids, stack_key(thread, id));
          m->id = id;
          m->ref = pos && t->spans[*pos - 1].n ? (uint32_t)*pos : 0;
          m->known = pos != NULL;
        }
        t->unknown += !m->known;
        ref = m->ref;
      }
      c->stack_refs[i] = ref;
    }
    return;
  }
  for (size_t i = 0; i < c->n; i++) {
    uint64_t id = c->stack_ids[i];
    if (!id)
      continue;
    const size_t *pos = id >> STACK_ID_BITS ? NULL : mg_map_get(&t->ids, stack_key(thread, id));
    if (!pos) {
      t->unknown++;
      continue;
    }
    c->events[i].stack = t->spans[*pos - 1].n ? t->frames + t->spans[*pos - 1].at : NULL;
    c->events[i].nstack = t->spans[*pos - 1].n;
  }
}

struct mg_stack_refs mg_stack_ids_refs(const struct mg_stack_ids *t,
                                       const struct mg_chunk_events *c) {
  if (!c->is_plain || !c->stack_ids_used)
    return (struct mg_stack_refs){0};
  return (struct mg_stack_refs){c->stack_refs, t->spans, t->frames, t};
}
