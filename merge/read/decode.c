#include "decode.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memscope/format.h"
#include "util.h"

/* Input is handed to msgpack in pieces of at most this size, so feeding a large buffer
 * does not make the unpacker copy all of it at once. */
#define FEED_CHUNK (64 * 1024)
/* A header is a few hundred bytes.  A first object still incomplete after this much input
 * is not one, and waiting for its end could mean reading a whole foreign file. */
#define MAX_HEADER_BYTES (1024 * 1024)

struct mg_decoder {
  struct mg_decode_callbacks cb;
  void *ctx;
  msgpack_unpacker unpacker;
  msgpack_unpacked object;
  uint64_t fed;      /* bytes received */
  uint64_t consumed; /* bytes of complete objects */
  uint64_t current;  /* start of the object being decoded */
  uint64_t records;
  uint64_t delta;    /* file offset - stream offset of the bytes being fed (wrapping) */
  bool header_seen;
  bool stopped;
  struct mg_decode_problem problem;
};

/* --- Problems ---------------------------------------------------------------------- */

/* Stops decoding on a problem found at `offset`; returns false for the callers' sake. */
static bool stop(struct mg_decoder *d, enum mg_decode_status status, uint64_t offset,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static bool stop(struct mg_decoder *d, enum mg_decode_status status, uint64_t offset,
                 const char *fmt, ...) {
  d->stopped = true;
  d->problem.status = status;
  d->problem.has_offset = true;
  d->problem.offset = offset; /* callers turn stream offsets into the file's (delta) */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->problem.message, sizeof d->problem.message, fmt, ap);
  va_end(ap);
  return false;
}

void mg_decode_problem_format(const struct mg_decode_problem *p, char *buf, size_t size) {
  const char *file = p->file ? p->file : "(input)";
  if (p->has_offset)
    snprintf(buf, size, "%s: offset %llu: %s", file, (unsigned long long)p->offset,
             p->message);
  else
    snprintf(buf, size, "%s: %s", file, p->message);
}

static const char *type_name(msgpack_object_type t) {
  switch (t) {
  case MSGPACK_OBJECT_NIL: return "nil";
  case MSGPACK_OBJECT_BOOLEAN: return "a boolean";
  case MSGPACK_OBJECT_POSITIVE_INTEGER: return "an unsigned integer";
  case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "a negative integer";
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64: return "a float";
  case MSGPACK_OBJECT_STR: return "a string";
  case MSGPACK_OBJECT_ARRAY: return "an array";
  case MSGPACK_OBJECT_MAP: return "a map";
  case MSGPACK_OBJECT_BIN: return "binary data";
  case MSGPACK_OBJECT_EXT: return "an extension object";
  }
  return "an unknown object";
}

/* --- Field access -------------------------------------------------------------------
 * Record checks share one shape: a `struct rec` names the record for messages, and each
 * getter either stores the field or stops the decoder with "bad KIND record: ...". */

struct rec {
  struct mg_decoder *d;
  const char *kind; /* "SITE", ... */
  uint64_t offset;
  const char *part; /* "frame", "event" while checking one, else NULL */
  uint32_t index;   /* which frame or event */
};

static bool bad_record(const struct rec *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool bad_record(const struct rec *r, const char *fmt, ...) {
  char what[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return stop(r->d, MG_DECODE_CORRUPT, r->offset, "bad %s record: %s", r->kind, what);
}

/* "bad KIND record: FIELD what".  Field names ("frame 2 line", "event 7", "site id")
 * are only spelled out here, on the error path: formatting them for each of millions
 * of fields would dominate decoding. */
static bool bad_field(const struct rec *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool bad_field(const struct rec *r, const char *field, const char *fmt, ...) {
  char name[64], what[160];
  if (r->part)
    snprintf(name, sizeof name, "%s %u%s%s", r->part, r->index, *field ? " " : "", field);
  else
    snprintf(name, sizeof name, "%s", field);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return bad_record(r, "%s %s", name, what);
}

/* The elements of an array of at least min elements (more are allowed: see decode.h). */
static bool get_array(const struct rec *r, const msgpack_object *o, uint32_t min,
                      const char *field, const msgpack_object **items, uint32_t *n) {
  if (o->type != MSGPACK_OBJECT_ARRAY)
    return bad_field(r, field, "is %s, not an array", type_name(o->type));
  if (o->via.array.size < min)
    return bad_field(r, field, "has %u elements, expected at least %u", o->via.array.size, min);
  *items = o->via.array.ptr;
  *n = o->via.array.size;
  return true;
}

static bool get_uint(const struct rec *r, const msgpack_object *o, const char *field,
                     uint64_t *out) {
  if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return bad_field(r, field, "is %s, not an unsigned integer", type_name(o->type));
  *out = o->via.u64;
  return true;
}

static bool get_u32(const struct rec *r, const msgpack_object *o, const char *field,
                    uint32_t *out) {
  uint64_t v;
  if (!get_uint(r, o, field, &v))
    return false;
  if (v > UINT32_MAX)
    return bad_field(r, field, "is %llu, out of range", (unsigned long long)v);
  *out = (uint32_t)v;
  return true;
}

/* A NUL-terminated copy in the object's zone, which lives as long as the record. */
static bool zone_string(struct mg_decoder *d, const msgpack_object *o, const char **out) {
  char *s = msgpack_zone_malloc_no_align(d->object.zone, o->via.str.size + 1);
  if (!s)
    return stop(d, MG_DECODE_NOMEM, d->current + d->delta, "out of memory");
  memcpy(s, o->via.str.ptr, o->via.str.size);
  s[o->via.str.size] = '\0';
  *out = s;
  return true;
}

/* A string or nil (-> NULL). */
static bool get_str(const struct rec *r, const msgpack_object *o, const char *field,
                    const char **out) {
  if (o->type == MSGPACK_OBJECT_NIL) {
    *out = NULL;
    return true;
  }
  if (o->type != MSGPACK_OBJECT_STR)
    return bad_field(r, field, "is %s, not a string or nil", type_name(o->type));
  return zone_string(r->d, o, out);
}

static void *zone_array(struct mg_decoder *d, size_t n, size_t elem) {
  void *p = msgpack_zone_malloc(d->object.zone, n ? n * elem : 1);
  if (!p)
    stop(d, MG_DECODE_NOMEM, d->current + d->delta, "out of memory");
  return p;
}

/* --- Header ------------------------------------------------------------------------ */

static bool str_equals(const msgpack_object *o, const char *s) {
  size_t n = strlen(s);
  return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
         memcmp(o->via.str.ptr, s, n) == 0;
}

/* The header's command line: an array of strings (arguments are bytes, not always UTF-8). */
static bool decode_command_line(struct mg_decoder *d, const msgpack_object *val,
                                struct mg_header_rec *h) {
  if (val->type != MSGPACK_OBJECT_ARRAY)
    return stop(d, MG_DECODE_BAD_HEADER, 0, "bad header: \"%s\" is %s, not an array",
                MS_META_COMMAND_LINE, type_name(val->type));
  uint32_t n = val->via.array.size;
  const char **args = zone_array(d, n, sizeof *args);
  if (!args)
    return false;
  for (uint32_t i = 0; i < n; i++) {
    const msgpack_object *a = &val->via.array.ptr[i];
    if (a->type != MSGPACK_OBJECT_STR)
      return stop(d, MG_DECODE_BAD_HEADER, 0,
                  "bad header: \"%s\" argument %u is %s, not a string", MS_META_COMMAND_LINE,
                  i, type_name(a->type));
    if (!zone_string(d, a, &args[i]))
      return false;
  }
  h->command_line = args;
  h->ncommand_line = n;
  return true;
}

static bool decode_header(struct mg_decoder *d, const msgpack_object *o) {
  /* What makes a memscope file is the magic; after that, the version decides whether
   * this reader may interpret the rest, so it is checked before the header's shape. */
  const msgpack_object *el = o->via.array.ptr;
  uint32_t n = o->type == MSGPACK_OBJECT_ARRAY ? o->via.array.size : 0;
  if (n < 1 || !str_equals(&el[0], MS_FORMAT_MAGIC))
    return stop(d, MG_DECODE_NOT_MEMSCOPE, 0,
                "not a memscope file (the first object is not the header "
                "[\"" MS_FORMAT_MAGIC "\", version, meta])");
  if (n < 2 || el[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return stop(d, MG_DECODE_BAD_HEADER, 0,
                "bad header: the format version is not an unsigned integer");
  if (el[1].via.u64 == 1) {
    stop(d, MG_DECODE_VERSION, 0,
         "was written by an older memscope (record format 1); this memscope-merge reads "
         "format %d: record the program again", MS_FORMAT_VERSION);
    d->problem.has_offset = false; /* the whole file is meant */
    return false;
  }
  if (el[1].via.u64 != MS_FORMAT_VERSION)
    return stop(d, MG_DECODE_VERSION, 0,
                "unsupported format version %llu (this memscope-merge reads version %d)",
                (unsigned long long)el[1].via.u64, MS_FORMAT_VERSION);
  if (n < 3 || el[2].type != MSGPACK_OBJECT_MAP)
    return stop(d, MG_DECODE_BAD_HEADER, 0, "bad header: the meta map is missing");

  struct mg_header_rec h = {.version = el[1].via.u64};
  const msgpack_object_map *meta = &el[2].via.map;
  for (uint32_t i = 0; i < meta->size; i++) {
    const msgpack_object *key = &meta->ptr[i].key, *val = &meta->ptr[i].val;
    /* Unknown keys (and non-string ones) are someone else's business. */
    struct {
      const char *name;
      const char **str;
      uint64_t *num;
      unsigned bit;
    } known[] = {
        {MS_META_PROGRAM, &h.program, NULL, 0},
        {MS_META_MODE, &h.mode, NULL, 0},
        {MS_META_SAMPLER, &h.sampler, NULL, 0},
        {MS_META_SAMPLE_INTERVAL, NULL, &h.sample_interval, MG_HEADER_HAS_SAMPLE_INTERVAL},
        {MS_META_PID, NULL, &h.pid, MG_HEADER_HAS_PID},
        {MS_META_PPID, NULL, &h.ppid, MG_HEADER_HAS_PPID},
        {MS_META_START_NS, NULL, &h.start_ns, MG_HEADER_HAS_START_NS},
        {MS_META_START_UNIX_NS, NULL, &h.start_unix_ns, MG_HEADER_HAS_START_UNIX_NS},
        {MS_META_RUNTIME_VERSION, &h.runtime_version, NULL, 0},
    };
    if (str_equals(key, MS_META_COMMAND_LINE)) {
      if (!decode_command_line(d, val, &h))
        return false;
      continue;
    }
    if (str_equals(key, MS_META_COMMAND_LINE_TRUNCATED)) {
      if (val->type != MSGPACK_OBJECT_BOOLEAN)
        return stop(d, MG_DECODE_BAD_HEADER, 0, "bad header: \"%s\" is %s, not a boolean",
                    MS_META_COMMAND_LINE_TRUNCATED, type_name(val->type));
      h.command_line_truncated = val->via.boolean;
      continue;
    }
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
      if (!str_equals(key, known[k].name))
        continue;
      if (known[k].str) {
        if (val->type != MSGPACK_OBJECT_STR)
          return stop(d, MG_DECODE_BAD_HEADER, 0, "bad header: \"%s\" is %s, not a string",
                      known[k].name, type_name(val->type));
        if (!zone_string(d, val, known[k].str))
          return false;
      } else {
        if (val->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
          return stop(d, MG_DECODE_BAD_HEADER, 0,
                      "bad header: \"%s\" is %s, not an unsigned integer", known[k].name,
                      type_name(val->type));
        *known[k].num = val->via.u64;
        h.present |= known[k].bit;
      }
    }
  }
  d->header_seen = true;
  if (d->cb.header)
    d->cb.header(d->ctx, &h);
  return true;
}

/* --- Records ----------------------------------------------------------------------- */

static bool decode_site(struct mg_decoder *d, const msgpack_object *el, uint32_t n,
                        uint64_t offset) {
  struct rec r = {.d = d, .kind = "SITE", .offset = offset};
  struct mg_site_rec s = {.offset = offset};
  const msgpack_object *frames;
  uint32_t nframes;
  if (n < MS_SITE_LEN)
    return bad_record(&r, "%u elements, expected at least %d", n, MS_SITE_LEN);
  if (!get_uint(&r, &el[MS_SITE_ID], "site id", &s.id) ||
      !get_u32(&r, &el[MS_SITE_API], "api", &s.api) ||
      !get_array(&r, &el[MS_SITE_FRAMES], 0, "frames", &frames, &nframes) ||
      !get_u32(&r, &el[MS_SITE_FLAGS], "flags", &s.flags) ||
      !get_u32(&r, &el[MS_SITE_SLOT], "slot", &s.slot))
    return false;
  if (s.slot < 2) /* 0 collects unknown sites, 1 a thread's realloc releases */
    return bad_field(&r, "slot", "is %u, a reserved slot (sites have 2 and up)", s.slot);
  struct mg_frame_rec *out = zone_array(d, nframes, sizeof *out);
  if (!out)
    return false;
  r.part = "frame";
  for (uint32_t i = 0; i < nframes; i++) {
    const msgpack_object *f;
    uint32_t nf;
    r.index = i;
    if (!get_array(&r, &frames[i], MS_FRAME_LEN, "", &f, &nf) ||
        !get_str(&r, &f[MS_FRAME_FUNCTION], "function", &out[i].function) ||
        !get_str(&r, &f[MS_FRAME_FILE], "file", &out[i].file) ||
        !get_u32(&r, &f[MS_FRAME_LINE], "line", &out[i].line) ||
        !get_u32(&r, &f[MS_FRAME_COLUMN], "column", &out[i].column))
      return false;
  }
  s.nframes = nframes;
  s.frames = out;
  if (d->cb.site)
    d->cb.site(d->ctx, &s);
  return true;
}

static bool decode_thread(struct mg_decoder *d, const msgpack_object *el, uint32_t n,
                          uint64_t offset) {
  struct rec r = {.d = d, .kind = "THREAD", .offset = offset};
  struct mg_thread_rec t = {.offset = offset};
  if (n < MS_THREAD_LEN)
    return bad_record(&r, "%u elements, expected at least %d", n, MS_THREAD_LEN);
  if (!get_uint(&r, &el[MS_THREAD_ID], "thread", &t.thread) ||
      !get_uint(&r, &el[MS_THREAD_OS_TID], "os tid", &t.os_tid) ||
      !get_str(&r, &el[MS_THREAD_NAME], "name", &t.name) ||
      !get_uint(&r, &el[MS_THREAD_START_NS], "start_ns", &t.start_ns) ||
      !get_uint(&r, &el[MS_THREAD_END_NS], "end_ns", &t.end_ns))
    return false;
  if (n >= MS_THREAD_DROPPED_LEN && !get_uint(&r, &el[MS_THREAD_DROPPED], "dropped", &t.dropped))
    return false;
  if (d->cb.thread)
    d->cb.thread(d->ctx, &t);
  return true;
}

/* A sampled allocation's weight: a float (an integer is accepted too), finite and >= 1,
 * since it is 1/probability; anything else would make the estimates meaningless. */
static bool get_weight(const struct rec *r, const msgpack_object *o, double *out) {
  double w;
  if (o->type == MSGPACK_OBJECT_FLOAT64 || o->type == MSGPACK_OBJECT_FLOAT32)
    w = o->via.f64;
  else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
    w = (double)o->via.u64;
  else
    return bad_field(r, "weight", "is %s, not a number", type_name(o->type));
  if (!isfinite(w) || w < 1.0)
    return bad_field(r, "weight", "is %g, not a number >= 1", w);
  *out = w;
  return true;
}

/* A sampled allocation's stack: an array of return addresses (unsigned integers). */
static bool get_stack(const struct rec *r, const msgpack_object *o, struct mg_event *ev) {
  const msgpack_object *items;
  uint32_t n;
  if (!get_array(r, o, 0, "stack", &items, &n))
    return false;
  uint64_t *out = zone_array(r->d, n, sizeof *out);
  if (!out)
    return false;
  for (uint32_t k = 0; k < n; k++) {
    if (items[k].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
      return bad_field(r, "stack", "element %u is %s, not an address (unsigned integer)", k,
                       type_name(items[k].type));
    out[k] = items[k].via.u64;
  }
  ev->stack = n ? out : NULL;
  ev->nstack = n;
  return true;
}

static const char *event_kind_name(uint64_t kind) {
  switch (kind) {
  case MS_EV_ALLOC: return "ALLOC";
  case MS_EV_FREE: return "FREE";
  case MS_EV_REALLOC: return "REALLOC";
  }
  return "?";
}

static bool decode_events(struct mg_decoder *d, const msgpack_object *el, uint32_t n,
                          uint64_t offset) {
  struct rec r = {.d = d, .kind = "EVENTS", .offset = offset};
  struct mg_events_rec e = {.offset = offset};
  const msgpack_object *list;
  uint32_t nlist;
  if (n < MS_EVENTS_LEN)
    return bad_record(&r, "%u elements, expected at least %d", n, MS_EVENTS_LEN);
  if (!get_uint(&r, &el[MS_EVENTS_THREAD], "thread", &e.thread) ||
      !get_uint(&r, &el[MS_EVENTS_OS_TID], "os tid", &e.os_tid) ||
      !get_array(&r, &el[MS_EVENTS_LIST], 0, "events", &list, &nlist))
    return false;
  struct mg_event *out = zone_array(d, nlist, sizeof *out);
  if (!out)
    return false;
  size_t kept = 0;
  r.part = "event";
  for (uint32_t i = 0; i < nlist; i++) {
    const msgpack_object *f;
    uint32_t nf;
    uint64_t kind;
    r.index = i;
    if (!get_array(&r, &list[i], 1, "", &f, &nf) ||
        !get_uint(&r, &f[MS_EV_KIND], "kind", &kind))
      return false;
    if (kind != MS_EV_ALLOC && kind != MS_EV_FREE && kind != MS_EV_REALLOC) {
      e.nskipped++;
      continue;
    }
    uint32_t need = kind == MS_EV_REALLOC ? MS_EV_REALLOC_LEN : MS_EV_LEN;
    if (nf < need)
      return bad_record(&r, "event %u (%s) has %u elements, expected at least %u", i,
                        event_kind_name(kind), nf, need);
    struct mg_event *ev = &out[kept];
    memset(ev, 0, sizeof *ev);
    ev->kind = (uint32_t)kind;
    static const char *const names[] = {
        [MS_EV_SITE] = "site", [MS_EV_SIZE] = "size", [MS_EV_PTR] = "ptr",
        [MS_EV_TS] = "ts", [MS_EV_OLD_PTR] = "old_ptr", [MS_EV_BEGIN_NS] = "begin_ns",
    };
    uint64_t *dest[] = {
        [MS_EV_SITE] = &ev->site, [MS_EV_SIZE] = &ev->size, [MS_EV_PTR] = &ev->ptr,
        [MS_EV_TS] = &ev->ts, [MS_EV_OLD_PTR] = &ev->old_ptr, [MS_EV_BEGIN_NS] = &ev->begin_ns,
    };
    for (uint32_t k = MS_EV_SITE; k < need; k++)
      if (!get_uint(&r, &f[k], names[k], dest[k]))
        return false;
    /* A sampled allocation appends its weight, its alignment, its phase, its stack. */
    ev->weight = 1.0;
    if (kind == MS_EV_ALLOC && nf > MS_EV_WEIGHT &&
        (!get_weight(&r, &f[MS_EV_WEIGHT], &ev->weight) ||
         (nf > MS_EV_ALIGN && !get_uint(&r, &f[MS_EV_ALIGN], "alignment", &ev->alignment)) ||
         (nf > MS_EV_PHASE && !get_u32(&r, &f[MS_EV_PHASE], "phase", &ev->phase)) ||
         (nf > MS_EV_STACK && !get_stack(&r, &f[MS_EV_STACK], ev))))
      return false;
    kept++;
  }
  e.nevents = kept;
  e.events = out;
  if (d->cb.events)
    d->cb.events(d->ctx, &e);
  return true;
}

/* The entries [key, calls, bytes, min, max] of a COUNTERS or BASE record, into the zone;
 * NULL when one is malformed (reported).  key names the first field: "site" or "slot". */
static struct mg_counter_rec *decode_entries(struct rec *r, const msgpack_object *list,
                                             uint32_t nlist, const char *key) {
  struct mg_counter_rec *out = zone_array(r->d, nlist, sizeof *out);
  if (!out)
    return NULL;
  r->part = "entry";
  for (uint32_t i = 0; i < nlist; i++) {
    const msgpack_object *f;
    uint32_t nf;
    struct mg_counter_rec *e = &out[i];
    r->index = i;
    if (!get_array(r, &list[i], MS_COUNTER_LEN, "", &f, &nf) ||
        !get_uint(r, &f[MS_COUNTER_SITE], key, &e->site) ||
        !get_uint(r, &f[MS_COUNTER_CALLS], "calls", &e->calls) ||
        !get_uint(r, &f[MS_COUNTER_BYTES], "bytes", &e->bytes) ||
        !get_uint(r, &f[MS_COUNTER_MIN], "min", &e->min) ||
        !get_uint(r, &f[MS_COUNTER_MAX], "max", &e->max))
      return NULL;
    /* Cheap sanity: a writer that got these wrong got the rest wrong too. */
    if (e->calls && e->min > e->max) {
      bad_field(r, "min", "%llu is above max %llu", (unsigned long long)e->min,
                (unsigned long long)e->max);
      return NULL;
    }
  }
  r->part = NULL;
  return out;
}

static bool decode_counters(struct mg_decoder *d, const msgpack_object *el, uint32_t n,
                            uint64_t offset) {
  struct rec r = {.d = d, .kind = "COUNTERS", .offset = offset};
  struct mg_counters_rec c = {.offset = offset};
  const msgpack_object *list;
  uint32_t nlist;
  if (n < MS_COUNTERS_LEN)
    return bad_record(&r, "%u elements, expected at least %d", n, MS_COUNTERS_LEN);
  if (!get_uint(&r, &el[MS_COUNTERS_THREAD], "thread", &c.thread) ||
      !get_uint(&r, &el[MS_COUNTERS_OS_TID], "os tid", &c.os_tid) ||
      !get_uint(&r, &el[MS_COUNTERS_SEQ], "seq", &c.seq) ||
      !get_array(&r, &el[MS_COUNTERS_ENTRIES], 0, "entries", &list, &nlist))
    return false;
  struct mg_counter_rec *out = decode_entries(&r, list, nlist, "site");
  if (!out)
    return false;
  if (n >= MS_COUNTERS_RELEASES_LEN) {
    if (!get_uint(&r, &el[MS_COUNTERS_REALLOC_RELEASES], "realloc releases",
                  &c.realloc_releases))
      return false;
    c.has_realloc_releases = true;
  }
  c.nentries = nlist;
  c.entries = out;
  if (d->cb.counters)
    d->cb.counters(d->ctx, &c);
  return true;
}

/* BASE: a thread's table when a later session began: [slot, calls, bytes, 0, 0]. */
static bool decode_base(struct mg_decoder *d, const msgpack_object *el, uint32_t n,
                        uint64_t offset) {
  struct rec r = {.d = d, .kind = "BASE", .offset = offset};
  struct mg_base_rec b = {.offset = offset};
  const msgpack_object *list;
  uint32_t nlist;
  if (n < MS_BASE_LEN)
    return bad_record(&r, "%u elements, expected at least %d", n, MS_BASE_LEN);
  if (!get_uint(&r, &el[MS_BASE_THREAD], "thread", &b.thread) ||
      !get_array(&r, &el[MS_BASE_ENTRIES], 0, "entries", &list, &nlist))
    return false;
  struct mg_counter_rec *out = decode_entries(&r, list, nlist, "slot");
  if (!out)
    return false;
  b.nentries = nlist;
  b.entries = out;
  if (d->cb.base)
    d->cb.base(d->ctx, &b);
  return true;
}

static bool decode_end(struct mg_decoder *d, const msgpack_object *el, uint32_t n,
                       uint64_t offset) {
  struct rec r = {.d = d, .kind = "END", .offset = offset};
  struct mg_end_rec e = {.offset = offset};
  if (n < MS_END_LEN)
    return bad_record(&r, "%u elements, expected at least %d", n, MS_END_LEN);
  if (!get_uint(&r, &el[MS_END_NS], "end_ns", &e.end_ns) ||
      !get_str(&r, &el[MS_END_REASON], "reason", &e.reason))
    return false;
  if (d->cb.end)
    d->cb.end(d->ctx, &e);
  return true;
}

static bool decode_phase(struct mg_decoder *d, const msgpack_object *el, uint32_t n,
                         uint64_t offset) {
  struct rec r = {.d = d, .kind = "PHASE", .offset = offset};
  struct mg_phase_rec ph = {.offset = offset};
  if (n < MS_PHASE_LEN)
    return bad_record(&r, "%u elements, expected at least %d", n, MS_PHASE_LEN);
  if (!get_u32(&r, &el[MS_PHASE_ID], "id", &ph.id) ||
      !get_str(&r, &el[MS_PHASE_LABEL], "label", &ph.label) ||
      !get_uint(&r, &el[MS_PHASE_TS], "ts", &ph.ts))
    return false;
  if (ph.id == 0) /* 0 means "no phase" in events: it cannot be named */
    return bad_field(&r, "id", "is 0, not a phase id (from 1)");
  if (d->cb.phase)
    d->cb.phase(d->ctx, &ph);
  return true;
}

/* RESOURCE: a tick of the resource sampler.  A thread's entry has 3 elements, or 5 from
 * runtimes that sample its I/O too (read and write bytes after the CPU times). */
static bool decode_resource(struct mg_decoder *d, const msgpack_object *el, uint32_t n,
                            uint64_t offset) {
  struct rec r = {.d = d, .kind = "RESOURCE", .offset = offset};
  struct mg_resource_rec res = {.offset = offset};
  const msgpack_object *proc, *list;
  uint32_t nproc, nlist;
  if (n < MS_RES_LEN)
    return bad_record(&r, "%u elements, expected at least %d", n, MS_RES_LEN);
  if (!get_uint(&r, &el[MS_RES_TS], "ts", &res.ts) ||
      !get_array(&r, &el[MS_RES_PROCESS], MS_RES_PROCESS_LEN, "process", &proc, &nproc) ||
      !get_array(&r, &el[MS_RES_THREADS], 0, "threads", &list, &nlist))
    return false;
  static const char *const names[MS_RES_PROCESS_LEN] = {
      [MS_RES_RSS] = "rss_bytes", [MS_RES_VSIZE] = "vsize_bytes",
      [MS_RES_MINFLT] = "minor_faults", [MS_RES_MAJFLT] = "major_faults",
      [MS_RES_UTIME] = "user_ns", [MS_RES_STIME] = "system_ns",
      [MS_RES_READ] = "read_bytes", [MS_RES_WRITE] = "write_bytes",
      [MS_RES_VCSW] = "voluntary_switches", [MS_RES_IVCSW] = "involuntary_switches",
  };
  uint64_t *dest[MS_RES_PROCESS_LEN] = {
      [MS_RES_RSS] = &res.rss, [MS_RES_VSIZE] = &res.vsize,
      [MS_RES_MINFLT] = &res.minor_faults, [MS_RES_MAJFLT] = &res.major_faults,
      [MS_RES_UTIME] = &res.user_ns, [MS_RES_STIME] = &res.system_ns,
      [MS_RES_READ] = &res.read_bytes, [MS_RES_WRITE] = &res.write_bytes,
      [MS_RES_VCSW] = &res.voluntary_switches, [MS_RES_IVCSW] = &res.involuntary_switches,
  };
  for (uint32_t k = 0; k < MS_RES_PROCESS_LEN; k++)
    if (!get_uint(&r, &proc[k], names[k], dest[k]))
      return false;
  if (nproc >= MS_RES_PROCESS_OWN_LEN &&
      !get_uint(&r, &proc[MS_RES_OWN_FILE], "own_file_bytes", &res.own_file_bytes))
    return false;
  struct mg_resource_thread_rec *out = zone_array(d, nlist, sizeof *out);
  if (!out)
    return false;
  r.part = "thread";
  for (uint32_t i = 0; i < nlist; i++) {
    const msgpack_object *f;
    uint32_t nf;
    struct mg_resource_thread_rec *t = &out[i];
    memset(t, 0, sizeof *t);
    r.index = i;
    if (!get_array(&r, &list[i], MS_RES_THREAD_LEN, "", &f, &nf) ||
        !get_uint(&r, &f[MS_RES_THREAD_TID], "os_tid", &t->os_tid) ||
        !get_uint(&r, &f[MS_RES_THREAD_UTIME], "user_ns", &t->user_ns) ||
        !get_uint(&r, &f[MS_RES_THREAD_STIME], "system_ns", &t->system_ns))
      return false;
    /* The I/O pair follows when the runtime sampled it (anything after it, or a lone
     * 4th element, is a later extension and ignored, as everywhere). */
    t->has_io = nf >= MS_RES_THREAD_LEN + 2;
    if (t->has_io &&
        (!get_uint(&r, &f[MS_RES_THREAD_LEN], "read_bytes", &t->read_bytes) ||
         !get_uint(&r, &f[MS_RES_THREAD_LEN + 1], "write_bytes", &t->write_bytes)))
      return false;
  }
  res.nthreads = nlist;
  res.threads = out;
  if (d->cb.resource)
    d->cb.resource(d->ctx, &res);
  return true;
}

/* MODULE: a loaded image, for the symbolization of stacks (stacks.c). */
static bool decode_module(struct mg_decoder *d, const msgpack_object *el, uint32_t n,
                          uint64_t offset) {
  struct rec r = {.d = d, .kind = "MODULE", .offset = offset};
  struct mg_module_rec m = {.offset = offset};
  if (n < MS_MODULE_LEN)
    return bad_record(&r, "%u elements, expected at least %d", n, MS_MODULE_LEN);
  if (!get_str(&r, &el[MS_MODULE_PATH], "path", &m.path) ||
      !get_uint(&r, &el[MS_MODULE_BASE], "base", &m.base) ||
      !get_str(&r, &el[MS_MODULE_BUILD_ID], "build_id", &m.build_id) ||
      !get_uint(&r, &el[MS_MODULE_TS], "ts", &m.ts))
    return false;
  if (!m.path)
    m.path = "";
  if (!m.build_id)
    m.build_id = "";
  for (const char *c = m.build_id; *c; c++)
    if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
      return bad_field(&r, "build_id", "'%.64s' is not lowercase hex", m.build_id);
  if (d->cb.module)
    d->cb.module(d->ctx, &m);
  return true;
}

static bool decode_record(struct mg_decoder *d, const msgpack_object *o, uint64_t offset) {
  if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0)
    return stop(d, MG_DECODE_CORRUPT, offset,
                "bad record: %s, not an array [type, ...]",
                o->type == MSGPACK_OBJECT_ARRAY ? "an empty array" : type_name(o->type));
  const msgpack_object *el = o->via.array.ptr;
  uint32_t n = o->via.array.size;
  if (el[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return stop(d, MG_DECODE_CORRUPT, offset,
                "bad record: the record type is %s, not an unsigned integer",
                type_name(el[0].type));
  bool ok = true;
  switch (el[0].via.u64) {
  case MS_REC_SITE: ok = decode_site(d, el, n, offset); break;
  case MS_REC_THREAD: ok = decode_thread(d, el, n, offset); break;
  case MS_REC_EVENTS: ok = decode_events(d, el, n, offset); break;
  case MS_REC_END: ok = decode_end(d, el, n, offset); break;
  case MS_REC_COUNTERS: ok = decode_counters(d, el, n, offset); break;
  case MS_REC_PHASE: ok = decode_phase(d, el, n, offset); break;
  case MS_REC_RESOURCE: ok = decode_resource(d, el, n, offset); break;
  case MS_REC_MODULE: ok = decode_module(d, el, n, offset); break;
  case MS_REC_BASE: ok = decode_base(d, el, n, offset); break;
  default:
    if (d->cb.unknown)
      d->cb.unknown(d->ctx, el[0].via.u64, offset);
    break;
  }
  if (ok)
    d->records++;
  return ok;
}

/* --- Streaming ----------------------------------------------------------------------- */

struct mg_decoder *mg_decoder_new(const char *name, const struct mg_decode_callbacks *cb,
                                  void *ctx) {
  struct mg_decoder *d = mg_xcalloc(1, sizeof *d);
  if (cb)
    d->cb = *cb;
  d->ctx = ctx;
  d->problem.file = name;
  if (!msgpack_unpacker_init(&d->unpacker, FEED_CHUNK)) {
    fprintf(stderr, "memscope-merge: out of memory\n");
    exit(1);
  }
  msgpack_unpacked_init(&d->object);
  return d;
}

void mg_decoder_free(struct mg_decoder *d) {
  if (!d)
    return;
  msgpack_unpacked_destroy(&d->object);
  msgpack_unpacker_destroy(&d->unpacker);
  free(d);
}

/* Decodes every complete object in the unpacker's buffer. */
static bool drain(struct mg_decoder *d) {
  for (;;) {
    size_t size = 0;
    msgpack_unpack_return ret = msgpack_unpacker_next_with_size(&d->unpacker, &d->object, &size);
    if (ret == MSGPACK_UNPACK_SUCCESS) {
      d->current = d->consumed;
      d->consumed += size;
      bool ok = d->header_seen ? decode_record(d, &d->object.data, d->current + d->delta)
                               : decode_header(d, &d->object.data);
      msgpack_unpacked_destroy(&d->object);
      if (!ok)
        return false;
      continue;
    }
    if (ret == MSGPACK_UNPACK_CONTINUE) {
      if (!d->header_seen && msgpack_unpacker_message_size(&d->unpacker) > MAX_HEADER_BYTES)
        return stop(d, MG_DECODE_NOT_MEMSCOPE, 0,
                    "not a memscope file (no header in the first %d bytes)", MAX_HEADER_BYTES);
      return true;
    }
    if (ret == MSGPACK_UNPACK_PARSE_ERROR) {
      /* The unpacker stops on the offending byte: `parsed` counts the bytes of the
       * current object before it. */
      uint64_t at = d->consumed + d->unpacker.parsed + d->delta;
      unsigned byte = (unsigned char)d->unpacker.buffer[d->unpacker.off];
      if (!d->header_seen)
        return stop(d, MG_DECODE_NOT_MSGPACK, at, "not msgpack data (invalid byte 0x%02x)",
                    byte);
      return stop(d, MG_DECODE_CORRUPT, at, "corrupt data: invalid msgpack byte 0x%02x",
                  byte);
    }
    return stop(d, MG_DECODE_NOMEM, d->consumed + d->delta,
                "cannot decode %s: out of memory (corrupt length?)",
                d->header_seen ? "record" : "header");
  }
}

static bool is_array_marker(unsigned char b) {
  return (b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd;
}

bool mg_decoder_feed(struct mg_decoder *d, const void *data, size_t len) {
  const unsigned char *p = data;
  if (d->stopped)
    return false;
  /* A file must start with the header array.  Deciding on the first byte keeps us from
   * reading a large foreign file as one huge msgpack object; 0xc1 (never valid) is left
   * to the unpacker, which calls it "not msgpack". */
  if (d->fed == 0 && len > 0 && !is_array_marker(p[0]) && p[0] != 0xc1) {
    d->fed += len;
    return stop(d, MG_DECODE_NOT_MEMSCOPE, 0,
                "not a memscope file (the first object is not the header "
                "[\"" MS_FORMAT_MAGIC "\", version, meta])");
  }
  while (len > 0) {
    size_t chunk = len < FEED_CHUNK ? len : FEED_CHUNK;
    if (!msgpack_unpacker_reserve_buffer(&d->unpacker, chunk))
      return stop(d, MG_DECODE_NOMEM, d->consumed + d->delta,
                  "cannot decode record: out of memory");
    memcpy(msgpack_unpacker_buffer(&d->unpacker), p, chunk);
    msgpack_unpacker_buffer_consumed(&d->unpacker, chunk);
    d->fed += chunk;
    p += chunk;
    len -= chunk;
    if (!drain(d))
      return false;
  }
  return true;
}

bool mg_decoder_finish(struct mg_decoder *d) {
  if (d->stopped)
    return false;
  if (d->fed == 0)
    return stop(d, MG_DECODE_EMPTY, 0, "empty file");
  size_t pending = msgpack_unpacker_message_size(&d->unpacker);
  if (pending > 0)
    return stop(d, MG_DECODE_TRUNCATED, d->consumed + d->delta,
                "truncated: the input ends inside %s (%zu bytes of it present)",
                d->header_seen ? "a record" : "the header", pending);
  return true;
}

void mg_decoder_at(struct mg_decoder *d, uint64_t file_offset) {
  d->delta = file_offset - d->fed;
}

size_t mg_decoder_pending(const struct mg_decoder *d) {
  return msgpack_unpacker_message_size(&d->unpacker);
}

void mg_decoder_fail(struct mg_decoder *d, enum mg_decode_status status, uint64_t offset,
                     const char *message) {
  if (d->stopped)
    return;
  stop(d, status, offset, "%s", message);
}

const struct mg_decode_problem *mg_decoder_problem(const struct mg_decoder *d) {
  return &d->problem;
}

uint64_t mg_decoder_offset(const struct mg_decoder *d) { return d->consumed; }
uint64_t mg_decoder_records(const struct mg_decoder *d) { return d->records; }

/* --- Opening files ------------------------------------------------------------------- */

static void io_problem(struct mg_decode_problem *problem, const char *name, const char *what,
                       int err) {
  memset(problem, 0, sizeof *problem);
  problem->status = MG_DECODE_IO;
  problem->file = name;
  snprintf(problem->message, sizeof problem->message, "%s: %s", what, strerror(err));
}

static const char *file_kind(mode_t mode) {
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a file";
}

/* O_NONBLOCK: opening a FIFO without a writer would wait for one forever.  It changes
 * nothing for a regular file, the only kind kept: a FIFO or a device (/dev/zero) may
 * never end, and a container cannot be walked in one anyway; "-" is the way to pass a
 * stream. */
int mg_decode_open(const char *path, struct mg_decode_problem *problem, uint64_t *size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    io_problem(problem, path, "cannot open", errno);
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    io_problem(problem, path, "cannot open", errno);
    close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    memset(problem, 0, sizeof *problem);
    problem->status = MG_DECODE_IO;
    problem->file = path;
    snprintf(problem->message, sizeof problem->message,
             "not a regular file (%s): give - to read a stream from standard input",
             file_kind(st.st_mode));
    close(fd);
    return -1;
  }
  if (size)
    *size = (uint64_t)st.st_size;
  return fd;
}
