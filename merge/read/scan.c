/* The pre-scan (scan.h): a msgpack skipper that reads just the record type and the first
 * event's times of EVENTS records, and the first event of EVENTS chunks.  A thread's events are in program order, so within
 * one record times only grow: the first event holds the record's earliest time (its
 * begin_ns when it is a realloc, taken before its ts). */
#include "scan.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memscope/event_codec.h"
#include "memscope/format.h"
#include "util.h"

struct cur {
  const unsigned char *p, *end;
  uint64_t after; /* bytes of the input after `end`, not in the buffer yet */
};

/* SHORT: more of the input is needed.  BAD: the decoder stops here (or soon after) on its
 * own.  CUT: a length runs past the end of the input, so the record cannot end: the
 * decoder would wait for the rest to the end of the file (scan.h). */
enum { OK = 0, SHORT = 1, BAD = -1, CUT = -2 };

static int need(const struct cur *c, size_t n) { return (size_t)(c->end - c->p) >= n ? OK : SHORT; }

/* Whether n more bytes from c->p can still come. */
static bool fits(const struct cur *c, uint64_t n) {
  uint64_t have = (uint64_t)(c->end - c->p);
  return n <= have || n - have <= c->after;
}

/* Steps over n bytes of the current object: CUT when they can never all come, SHORT when
 * they have not yet. */
static int step_over(struct cur *c, uint64_t n) {
  if (!fits(c, n))
    return CUT;
  if ((uint64_t)(c->end - c->p) < n)
    return SHORT;
  c->p += n;
  return OK;
}

static uint64_t be(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++)
    v = v << 8 | p[i];
  return v;
}

/* One object's header: *items gets how many nested objects follow (array elements, map
 * keys and values), payload bytes are skipped; *uint the value of an unsigned integer. */
static int head(struct cur *c, uint64_t *items, uint64_t *uint, bool *is_uint, bool *is_array) {
  if (need(c, 1))
    return SHORT;
  unsigned b = *c->p;
  uint64_t skip = 0, len = 0;
  int lbytes = 0;
  *items = 0;
  *is_uint = *is_array = false;
  if (b <= 0x7f) {
    *is_uint = true, *uint = b, c->p++;
    return OK;
  }
  if (b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
    c->p++;
    return OK;
  }
  if (b >= 0x80 && b <= 0x8f) {
    *items = 2ULL * (b & 0xf), c->p++;
    return OK;
  }
  if (b >= 0x90 && b <= 0x9f) {
    *items = b & 0xf, *is_array = true, c->p++;
    return OK;
  }
  if (b >= 0xa0 && b <= 0xbf) {
    return step_over(c, 1 + (uint64_t)(b & 0x1f));
  }
  switch (b) {
  case 0xcc: case 0xcd: case 0xce: case 0xcf: {
    int n = 1 << (b - 0xcc);
    if (need(c, 1 + n))
      return SHORT;
    *is_uint = true, *uint = be(c->p + 1, n), c->p += 1 + n;
    return OK;
  }
  case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
    /* A signed integer that is not negative is an unsigned one to msgpack-c too. */
    int n = 1 << (b - 0xd0);
    if (need(c, 1 + n))
      return SHORT;
    uint64_t v = be(c->p + 1, n);
    if (!(c->p[1] & 0x80))
      *is_uint = true, *uint = v;
    c->p += 1 + n;
    return OK;
  }
  case 0xca: skip = 4; break;
  case 0xcb: skip = 8; break;
  case 0xd4: skip = 2; break; /* fixext: type byte + data */
  case 0xd5: skip = 3; break;
  case 0xd6: skip = 5; break;
  case 0xd7: skip = 9; break;
  case 0xd8: skip = 17; break;
  case 0xc4: case 0xd9: lbytes = 1; break;
  case 0xc5: case 0xda: lbytes = 2; break;
  case 0xc6: case 0xdb: lbytes = 4; break;
  case 0xc7: lbytes = -1; break; /* ext 8/16/32: length, type byte, data */
  case 0xc8: lbytes = -2; break;
  case 0xc9: lbytes = -4; break;
  case 0xdc: case 0xdd: {
    int n = b == 0xdc ? 2 : 4;
    if (need(c, 1 + n))
      return SHORT;
    *items = be(c->p + 1, n), *is_array = true, c->p += 1 + n;
    /* Each element takes a byte at least: more than the input holds never ends, and
     * the decoder stops there one way or another (truncated, or out of memory). */
    return fits(c, *items) ? OK : BAD;
  }
  case 0xde: case 0xdf: {
    int n = b == 0xde ? 2 : 4;
    if (need(c, 1 + n))
      return SHORT;
    *items = 2 * be(c->p + 1, n), c->p += 1 + n;
    return fits(c, *items) ? OK : BAD;
  }
  default: return BAD; /* 0xc1 */
  }
  if (lbytes) {
    int n = lbytes < 0 ? -lbytes : lbytes;
    if (need(c, 1 + n))
      return SHORT;
    len = be(c->p + 1, n) + (lbytes < 0);
    return step_over(c, 1 + n + len);
  }
  return step_over(c, 1 + skip);
}

/* Skips n whole objects. */
static int skip(struct cur *c, uint64_t n) {
  while (n > 0) {
    uint64_t items, u;
    bool is_uint, is_array;
    int r = head(c, &items, &u, &is_uint, &is_array);
    if (r)
      return r;
    n = n - 1 + items;
    if (n < items) /* claimed sizes beyond reason: the decoder will say what is wrong */
      return BAD;
  }
  return OK;
}

static int uint_at(struct cur *c, uint64_t *v, bool *ok) {
  uint64_t items;
  bool is_array;
  int r = head(c, &items, v, ok, &is_array);
  if (r == OK && items)
    r = skip(c, items);
  return r;
}

/* A record the decoder refuses (not an array [type, ...]) ends the scan: after garbage
 * that starts with zeros or text, going on would skim the rest of a large file for
 * nothing.  The decoder reads the object whole before it looks at it, so its n items
 * left are skimmed first: one that runs past the end of the file is a CUT. */
static int refused(struct cur *c, uint64_t n) {
  int r = skip(c, n);
  return r ? r : BAD;
}

/* One record; *min is its earliest time when it is an EVENTS record (*is_events). */
static int record(struct cur *c, bool *is_events, uint64_t *min) {
  uint64_t n, type, items;
  bool is_uint, is_array;
  *is_events = false;
  int r = head(c, &n, &type, &is_uint, &is_array);
  if (r)
    return r;
  if (!is_array || n == 0)
    return refused(c, n);
  r = uint_at(c, &type, &is_uint);
  if (r)
    return r;
  n--;
  if (!is_uint)
    return refused(c, n);
  if (type != MS_REC_EVENTS || n < MS_EVENTS_LEN - 1)
    return skip(c, n);
  if ((r = skip(c, MS_EVENTS_LIST - 1)))
    return r;
  n -= MS_EVENTS_LIST - 1;
  uint64_t nev;
  if ((r = head(c, &nev, &type, &is_uint, &is_array)))
    return r;
  n--;
  *is_events = true;
  *min = UINT64_MAX;
  if (!is_array || nev == 0)
    return skip(c, nev + n);
  /* The first event: [kind, site, size, ptr, ts, (old_ptr, begin_ns)]. */
  uint64_t nf, f[MS_EV_REALLOC_LEN] = {0};
  bool okf[MS_EV_REALLOC_LEN] = {false};
  if ((r = head(c, &nf, &type, &is_uint, &is_array)))
    return r;
  if (!is_array) {
    *min = 0; /* not an event: the decoder will complain; hold everything meanwhile */
    return skip(c, nf + nev - 1 + n);
  }
  uint64_t k = 0;
  for (; k < nf && k < MS_EV_REALLOC_LEN; k++)
    if ((r = uint_at(c, &f[k], &okf[k])))
      return r;
  if ((r = skip(c, nf - k)))
    return r;
  *min = okf[MS_EV_TS] ? f[MS_EV_TS] : 0;
  if (okf[MS_EV_KIND] && f[MS_EV_KIND] == MS_EV_REALLOC && okf[MS_EV_BEGIN_NS] &&
      f[MS_EV_BEGIN_NS] < *min)
    *min = f[MS_EV_BEGIN_NS];
  (void)items;
  return skip(c, nev - 1 + n);
}

/* Scans whole records from *c; appends EVENTS minimums; stops at SHORT, BAD or CUT, with
 * *c at the start of the record it could not finish. */
static int scan(struct cur *c, uint64_t **mins, size_t *n, size_t *cap, bool *header_done) {
  for (;;) {
    struct cur save = *c;
    int r;
    bool is_events = false;
    uint64_t min = 0;
    if (!*header_done) {
      r = skip(c, 1);
      if (r == OK)
        *header_done = true;
    } else {
      r = record(c, &is_events, &min);
    }
    if (r) {
      *c = save;
      return r;
    }
    if (is_events) {
      MG_GROW(*mins, *cap, *n + 1);
      (*mins)[(*n)++] = min;
    }
  }
}

void mg_scan_records(const void *data, size_t len, uint64_t **mins, size_t *n, size_t *cap) {
  struct cur c = {data, (const unsigned char *)data + len, 0};
  bool header_done = true;
  scan(&c, mins, n, cap, &header_done);
}

uint64_t mg_scan_events_chunk(const void *content, size_t len) {
  const uint8_t *p = content, *end = p + len;
  struct ms_codec_state st = {0};
  struct ms_codec_event e;
  uint64_t id, frames[MS_ITEM_STACK_MAX];
  uint32_t nframes;
  for (;;) {
    switch (ms_decode_item(&p, end, &st, &e, &id, frames, &nframes)) {
    case MS_DECODED_EVENT: return e.op == MS_ITEM_REALLOC ? e.begin_ns : e.ts;
    case MS_DECODED_STACK: continue;
    case MS_DECODED_END: return UINT64_MAX;
    default: return 0; /* the decoder reports it; meanwhile nothing is final */
    }
  }
}

void mg_scan_suffix_min(uint64_t *mins, size_t n) {
  for (size_t k = n; k-- > 1;)
    if (mins[k] < mins[k - 1])
      mins[k - 1] = mins[k];
}

size_t mg_scan_object_size(const void *data, size_t len) {
  struct cur c = {data, (const unsigned char *)data + len, 0};
  return skip(&c, 1) == OK ? (size_t)(c.p - (const unsigned char *)data) : 0;
}
