/* The compact encoding of EVENTS chunks (format.h, version 2): written by the runtime
 * straight into the mapped chunk, read by memscope-merge, the tests and the benchmarks.
 * docs/format.md, "Events", says the same in prose.
 *
 * A chunk's content is a sequence of items, each a tag byte and fields:
 *
 *   op (tag & 0x0f)     fields, in order ([x]: only with the flag that says so)
 *   MS_ITEM_ALLOC  1    [slot] size ptr ts [stack]
 *   MS_ITEM_FREE   2    [slot] ptr ts
 *   MS_ITEM_REALLOC 3   [slot] size ptr ts old_ptr begin [stack]
 *   MS_ITEM_SAMPLE 4    [slot] size ptr ts weight align phase [stack]
 *   MS_ITEM_STACK  5    id n frame*n                          (defines a stack)
 *
 *   MS_ITEM_SAME_SLOT (0x10): no slot field, the slot is the previous event's;
 *   MS_ITEM_HAS_STACK (0x20): a stack field follows (ALLOC, REALLOC, SAMPLE only).
 *   Other tag bits are 0; a reader stops at a tag it does not know (corrupt).
 *
 * Fields are unsigned LEB128 varints ("uv") unless said otherwise, with deltas against
 * state that starts at 0 in every chunk (prev_slot, prev_ptr, prev_ts):
 *   slot     uv: the site's slot (SITE records), becomes prev_slot
 *   size     uv: bytes requested
 *   ptr      zigzag uv of ptr - prev_ptr (wrapping 64-bit), becomes prev_ptr
 *   ts       zigzag uv of ts - prev_ts (CLOCK_MONOTONIC ns), becomes prev_ts
 *   old_ptr  zigzag uv of old_ptr - ptr (in place: 0)
 *   begin    uv: ts - begin_ns (the realloc's start)
 *   weight   8 bytes, little-endian IEEE-754 double: allocations the sample stands for
 *   align    uv: requested alignment, 0 = the allocator's default
 *   phase    uv: memscope_phase() id current then, 0 = none
 *   stack    uv: id of a STACK item earlier in this thread's stream (any chunk)
 *   STACK:   id uv (the thread's ids count up from 1; an id is defined once), n uv
 *            (at most MS_ITEM_STACK_MAX), then each frame as zigzag uv of
 *            addr - previous addr (the first against 0): return addresses, innermost
 *            first.
 * ALLOC is a full-mode allocation (weight 1, default alignment, no phase), SAMPLE a
 * sampled one.  Kinds and meanings are those of ms_event_kind in format.h. */
#ifndef MEMSCOPE_EVENT_CODEC_H
#define MEMSCOPE_EVENT_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum {
  MS_ITEM_ALLOC = 1,
  MS_ITEM_FREE = 2,
  MS_ITEM_REALLOC = 3,
  MS_ITEM_SAMPLE = 4,
  MS_ITEM_STACK = 5,
  MS_ITEM_OP_MASK = 0x0f,
  MS_ITEM_SAME_SLOT = 0x10,
  MS_ITEM_HAS_STACK = 0x20,
};
#define MS_ITEM_STACK_MAX 256u
/* Largest item but a STACK: tag, 6 varints of 10 bytes, a double, 2 more varints. */
#define MS_ITEM_EVENT_MAX 96u
/* Largest STACK item of n frames. */
#define MS_ITEM_STACK_BYTES(n) (1u + 10u + 10u + 10u * (n))

/* What the encoder and the decoder carry from item to item; zero at a chunk's start. */
struct ms_codec_state {
  uint64_t prev_slot, prev_ptr, prev_ts;
};

/* One event, as either side sees it. */
struct ms_codec_event {
  uint32_t op;    /* MS_ITEM_ALLOC, FREE, REALLOC or SAMPLE */
  uint32_t slot;
  uint64_t size, ptr, ts;
  uint64_t old_ptr, begin_ns; /* REALLOC */
  double weight;              /* SAMPLE; 1 otherwise */
  uint64_t align, phase;      /* SAMPLE; 0 otherwise */
  uint64_t stack;             /* 0: none */
};

static inline uint64_t ms_zigzag(uint64_t delta) {
  return (delta << 1) ^ (uint64_t)((int64_t)delta >> 63);
}
static inline uint64_t ms_unzigzag(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

/* ---- Encoding: the caller makes sure there is room (MS_ITEM_EVENT_MAX, or
 * MS_ITEM_STACK_BYTES(n)); each returns the new end. ------------------------------ */
static inline uint8_t *ms_put_uv(uint8_t *p, uint64_t v) {
  /* Up to 3 bytes straight (a slot, a size, most deltas of times and addresses in full
   * mode: 3 to 4 instructions a byte instead of the loop's 8), the rest by the loop. */
  if (v < 0x80) {
    *p = (uint8_t)v;
    return p + 1;
  }
  if (v < 0x4000) {
    p[0] = (uint8_t)(v | 0x80);
    p[1] = (uint8_t)(v >> 7);
    return p + 2;
  }
  if (v < 0x200000) {
    p[0] = (uint8_t)(v | 0x80);
    p[1] = (uint8_t)((v >> 7) | 0x80);
    p[2] = (uint8_t)(v >> 14);
    return p + 3;
  }
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

static inline uint8_t *ms_encode_event(uint8_t *p, struct ms_codec_state *s,
                                       const struct ms_codec_event *e) {
  uint8_t *tag = p++;
  uint8_t t = (uint8_t)e->op;
  if (e->slot == s->prev_slot && s->prev_slot != 0) t |= MS_ITEM_SAME_SLOT;
  else p = ms_put_uv(p, e->slot);
  s->prev_slot = e->slot;
  if (e->op != MS_ITEM_FREE) p = ms_put_uv(p, e->size);
  p = ms_put_uv(p, ms_zigzag(e->ptr - s->prev_ptr));
  s->prev_ptr = e->ptr;
  p = ms_put_uv(p, ms_zigzag(e->ts - s->prev_ts));
  s->prev_ts = e->ts;
  if (e->op == MS_ITEM_REALLOC) {
    p = ms_put_uv(p, ms_zigzag(e->old_ptr - e->ptr));
    p = ms_put_uv(p, e->ts - e->begin_ns);
  } else if (e->op == MS_ITEM_SAMPLE) {
    memcpy(p, &e->weight, 8); /* little-endian hosts only (as every supported one) */
    p += 8;
    p = ms_put_uv(p, e->align);
    p = ms_put_uv(p, e->phase);
  }
  if (e->stack && e->op != MS_ITEM_FREE) {
    t |= MS_ITEM_HAS_STACK;
    p = ms_put_uv(p, e->stack);
  }
  *tag = t;
  return p;
}

static inline uint8_t *ms_encode_stack(uint8_t *p, uint64_t id, const uint64_t *frames,
                                       uint32_t n) {
  *p++ = MS_ITEM_STACK;
  p = ms_put_uv(p, id);
  p = ms_put_uv(p, n);
  uint64_t prev = 0;
  for (uint32_t i = 0; i < n; i++) {
    p = ms_put_uv(p, ms_zigzag(frames[i] - prev));
    prev = frames[i];
  }
  return p;
}

/* ---- Decoding, bounds-checked: the input may be anything. -------------------------- */
/* 1 and *v set, or 0 when the varint runs past end or past 10 bytes. */
static inline int ms_get_uv(const uint8_t **pp, const uint8_t *end, uint64_t *v) {
  const uint8_t *p = *pp;
  uint64_t r = 0;
  for (unsigned shift = 0; shift < 70 && p < end; shift += 7) {
    uint8_t b = *p++;
    r |= (uint64_t)(b & 0x7f) << (shift < 64 ? shift : 63);
    if (!(b & 0x80)) {
      *v = r;
      *pp = p;
      return 1;
    }
  }
  return 0;
}

enum ms_decode_item {
  MS_DECODED_EVENT = 1, /* *e is set */
  MS_DECODED_STACK = 2, /* *stack_id and *nframes set, frames[0..n) written */
  MS_DECODED_END = 0,   /* no more content */
  MS_DECODED_BAD = -1,  /* an unknown tag, a field cut short, too many frames */
};
/* Decodes the item at *pp (before end); frames has room for MS_ITEM_STACK_MAX. */
static inline int ms_decode_item(const uint8_t **pp, const uint8_t *end,
                                 struct ms_codec_state *s, struct ms_codec_event *e,
                                 uint64_t *stack_id, uint64_t *frames, uint32_t *nframes) {
  const uint8_t *p = *pp;
  if (p >= end) return MS_DECODED_END;
  uint8_t t = *p++;
  uint32_t op = t & MS_ITEM_OP_MASK;
  uint64_t v;
  if (op == MS_ITEM_STACK) {
    uint64_t n;
    if (t != MS_ITEM_STACK || !ms_get_uv(&p, end, stack_id) || !ms_get_uv(&p, end, &n) ||
        n > MS_ITEM_STACK_MAX)
      return MS_DECODED_BAD;
    uint64_t prev = 0;
    for (uint64_t i = 0; i < n; i++) {
      if (!ms_get_uv(&p, end, &v)) return MS_DECODED_BAD;
      prev += ms_unzigzag(v);
      frames[i] = prev;
    }
    *nframes = (uint32_t)n;
    *pp = p;
    return MS_DECODED_STACK;
  }
  if (op < MS_ITEM_ALLOC || op > MS_ITEM_SAMPLE ||
      (t & ~(MS_ITEM_OP_MASK | MS_ITEM_SAME_SLOT | MS_ITEM_HAS_STACK)) ||
      (op == MS_ITEM_FREE && (t & MS_ITEM_HAS_STACK)))
    return MS_DECODED_BAD;
  e->op = op;
  if (t & MS_ITEM_SAME_SLOT) {
    v = s->prev_slot;
  } else if (!ms_get_uv(&p, end, &v) || v > UINT32_MAX) {
    return MS_DECODED_BAD;
  }
  e->slot = (uint32_t)v;
  s->prev_slot = v;
  e->size = 0;
  if (op != MS_ITEM_FREE && !ms_get_uv(&p, end, &e->size)) return MS_DECODED_BAD;
  if (!ms_get_uv(&p, end, &v)) return MS_DECODED_BAD;
  e->ptr = s->prev_ptr += ms_unzigzag(v);
  if (!ms_get_uv(&p, end, &v)) return MS_DECODED_BAD;
  e->ts = s->prev_ts += ms_unzigzag(v);
  e->old_ptr = e->begin_ns = e->align = e->phase = e->stack = 0;
  e->weight = 1.0;
  if (op == MS_ITEM_REALLOC) {
    if (!ms_get_uv(&p, end, &v)) return MS_DECODED_BAD;
    e->old_ptr = e->ptr + ms_unzigzag(v);
    if (!ms_get_uv(&p, end, &v) || v > e->ts) return MS_DECODED_BAD;
    e->begin_ns = e->ts - v;
  } else if (op == MS_ITEM_SAMPLE) {
    if (end - p < 8) return MS_DECODED_BAD;
    memcpy(&e->weight, p, 8);
    p += 8;
    if (!ms_get_uv(&p, end, &e->align) || !ms_get_uv(&p, end, &e->phase))
      return MS_DECODED_BAD;
  }
  if ((t & MS_ITEM_HAS_STACK) && (!ms_get_uv(&p, end, &e->stack) || e->stack == 0))
    return MS_DECODED_BAD;
  *pp = p;
  return MS_DECODED_EVENT;
}

#endif
