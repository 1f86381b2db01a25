/* pprof output: a gzipped profile.proto (github.com/google/pprof, proto/profile.proto), the
 * format that `go tool pprof`, Pyroscope, Parca and Grafana read.
 *
 * The protobuf wire format is written by hand: varints, and length-delimited fields for
 * strings, packed arrays and sub-messages (each sub-message is built in a buffer of its
 * own, then copied in behind its length).  Field numbers are those of profile.proto.
 *
 * What goes in: four sample types (alloc_objects/count, alloc_space/bytes,
 * inuse_objects/count, inuse_space/bytes; inuse_space is the default, as in Go heap
 * profiles).  One sample per allocation site with allocations or live blocks, whose
 * values are the site's allocations and bytes allocated (exact, from the counters) and
 * its blocks and bytes live at exit (exact in full mode, the rounded estimate in sampled
 * mode).  Its stack is one Location per site, with one Line per frame of the inlined
 * chain, innermost first as pprof wants; the address is made up (sites have none), in a
 * single made-up Mapping that says functions, files, lines and inlining are all there,
 * so pprof never tries to symbolize.  Labels carry the site id and its api.
 *
 * Sites whose sampled allocations carried call stacks (stacks.h) get one sample per
 * stack instead, each with the share of the site's values that its samples estimate
 * (what no stack can take, a live figure none of the sampled blocks explains, stays in a
 * sample of the site alone).  Its locations are the stack's addresses, innermost first,
 * one Line per inlined frame: all of them for an uninstrumented site, the site's own
 * location then the stack's outer addresses for an instrumented one.  Each image gets a
 * Mapping (its path and build id) at a made-up base of its own, addresses relative to
 * it; a frame no image holds has no mapping and its absolute address. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "callers.h"
#include "hashmap.h"
#include "report.h"
#include "stacks.h"
#include "strtab.h"
#include "util.h"

/* profile.proto field numbers. */
enum {
  PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
  PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
  PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
  PROFILE_COMMENT = 13, PROFILE_DEFAULT_SAMPLE_TYPE = 14,
  VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
  SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
  LABEL_KEY = 1, LABEL_STR = 2,
  MAPPING_ID = 1, MAPPING_MEMORY_START = 2, MAPPING_MEMORY_LIMIT = 3, MAPPING_FILENAME = 5,
  MAPPING_BUILD_ID = 6,
  MAPPING_HAS_FUNCTIONS = 7, MAPPING_HAS_FILENAMES = 8, MAPPING_HAS_LINE_NUMBERS = 9,
  MAPPING_HAS_INLINE_FRAMES = 10,
  LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4,
  LINE_FUNCTION_ID = 1, LINE_LINE = 2,
  FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
};
enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

/* Made-up addresses: a site's location sits at BASE + 16 * its number; image k's
 * addresses (relative to the image) at IMAGE_BASE(k) + address. */
#define FAKE_BASE 0x100000ULL
#define IMAGE_BASE(k) (((uint64_t)(k) + 1) << 40)

/* --- Wire format ---------------------------------------------------------------------- */

struct pb {
  unsigned char *p;
  size_t n, cap;
};

static void put(struct pb *b, const void *data, size_t len) {
  MG_GROW(b->p, b->cap, b->n + len);
  memcpy(b->p + b->n, data, len);
  b->n += len;
}

static void varint(struct pb *b, uint64_t v) {
  unsigned char tmp[10];
  size_t k = 0;
  do {
    tmp[k++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  put(b, tmp, k);
}

static void key(struct pb *b, unsigned field, unsigned wire) { varint(b, (uint64_t)field << 3 | wire); }

/* An int64/uint64 field; proto3 leaves out zeros. */
static void field_uint(struct pb *b, unsigned field, uint64_t v) {
  if (!v)
    return;
  key(b, field, WIRE_VARINT);
  varint(b, v);
}

static void field_bytes(struct pb *b, unsigned field, const void *data, size_t len) {
  key(b, field, WIRE_LEN);
  varint(b, len);
  put(b, data, len);
}

/* A sub-message (or packed array) built in `sub`, which is emptied for reuse. */
static void field_message(struct pb *b, unsigned field, struct pb *sub) {
  field_bytes(b, field, sub->p ? sub->p : (unsigned char *)"", sub->n);
  sub->n = 0;
}

/* --- String table ------------------------------------------------------------------------ */

/* The string's index in the table (0 is "", as profile.proto requires: the table starts
 * with it). */
static uint64_t str(struct mg_strtab *t, const char *s) {
  return s && *s ? mg_strtab_intern(t, s) : 0;
}

/* --- The profile ---------------------------------------------------------------------------- */

/* A function is a (name, file) pair; its id is its position + 1. */
struct functions {
  struct mg_map index; /* name index << 32 | file index -> id */
  uint64_t n;
};

static uint64_t function_id(struct functions *fs, struct pb *out, struct pb *sub,
                            uint64_t name, uint64_t file) {
  bool existed;
  uint64_t *id = mg_map_put(&fs->index, name << 32 | file, &existed);
  if (!existed) {
    *id = ++fs->n;
    field_uint(sub, FUNCTION_ID, *id);
    field_uint(sub, FUNCTION_NAME, name);
    field_uint(sub, FUNCTION_SYSTEM_NAME, name);
    field_uint(sub, FUNCTION_FILENAME, file);
    field_message(out, PROFILE_FUNCTION, sub);
  }
  return *id;
}

static void value_type(struct pb *out, unsigned field, struct pb *sub, struct mg_strtab *t,
                       const char *type, const char *unit) {
  field_uint(sub, VALUE_TYPE_TYPE, str(t, type));
  field_uint(sub, VALUE_TYPE_UNIT, str(t, unit));
  field_message(out, field, sub);
}

static void label(struct pb *sample, struct pb *sub, struct mg_strtab *t, const char *k,
                  const char *v) {
  field_uint(sub, LABEL_KEY, str(t, k));
  field_uint(sub, LABEL_STR, str(t, v));
  field_message(sample, SAMPLE_LABEL, sub);
}

/* The locations of stack frames, one per (image, address). */
struct frame_locs {
  struct mg_map index; /* hash of (image, address), probed -> position + 1 */
  struct { uint32_t image; uint64_t address, id; } *v;
  size_t n, cap;
};

struct location_key {
  const struct frame_locs *fl;
  const struct mg_stack_frame *fr;
};

static bool same_location(const void *ctx, size_t pos) {
  const struct location_key *k = ctx;
  return k->fl->v[pos].image == k->fr->image && k->fl->v[pos].address == k->fr->address;
}

/* The Location of the address whose frames start at st->frames[f] (its inlined frames,
 * then the function holding it); *next is where the next address's frames start. */
static uint64_t frame_location(struct frame_locs *fl, uint64_t *nloc, struct pb *out,
                               struct pb *sub, struct pb *sub2, struct mg_strtab *t,
                               struct functions *fs, const struct mg_stack *st, size_t f,
                               size_t *next) {
  size_t end = f;
  while (end < st->nframes && st->frames[end].inlined)
    end++;
  end = end < st->nframes ? end + 1 : end;
  *next = end;
  const struct mg_stack_frame *fr = &st->frames[f];
  uint64_t h = mg_hash_bytes(mg_hash_bytes(MG_HASH_SEED, &fr->image, sizeof fr->image),
                             &fr->address, sizeof fr->address);
  bool existed;
  size_t *slot = mg_map_probe(&fl->index, &h, same_location, &(struct location_key){fl, fr},
                              &existed);
  if (existed)
    return fl->v[*slot - 1].id;
  MG_GROW(fl->v, fl->cap, fl->n + 1);
  uint64_t id = ++*nloc;
  fl->v[fl->n].image = fr->image;
  fl->v[fl->n].address = fr->address;
  fl->v[fl->n].id = id;
  *slot = ++fl->n;
  field_uint(sub, LOCATION_ID, id);
  if (fr->image != UINT32_MAX) {
    field_uint(sub, LOCATION_MAPPING_ID, 2 + (uint64_t)fr->image);
    field_uint(sub, LOCATION_ADDRESS, IMAGE_BASE(fr->image) + fr->address);
  } else {
    field_uint(sub, LOCATION_ADDRESS, fr->address);
  }
  for (size_t k = f; k < end; k++) {
    char name[512];
    mg_stack_frame_name(&st->frames[k], name, sizeof name);
    struct pb fn = {0};
    uint64_t fid = function_id(fs, out, &fn, str(t, name), str(t, st->frames[k].file));
    free(fn.p);
    field_uint(sub2, LINE_FUNCTION_ID, fid);
    field_uint(sub2, LINE_LINE, st->frames[k].line);
    field_message(sub, LOCATION_LINE, sub2);
  }
  field_message(out, PROFILE_LOCATION, sub);
  return id;
}

static void sample(struct pb *out, struct pb *sub, struct pb *sub2, struct pb *packed,
                   struct mg_strtab *t, const struct mg_site *s, const uint64_t *locs,
                   size_t nlocs, const uint64_t values[4]) {
  for (size_t i = 0; i < nlocs; i++)
    varint(packed, locs[i]);
  field_message(sub, SAMPLE_LOCATION_ID, packed);
  for (size_t i = 0; i < 4; i++)
    varint(packed, values[i]);
  field_message(sub, SAMPLE_VALUE, packed);
  char id[24];
  snprintf(id, sizeof id, "0x%" PRIx64, s->id);
  label(sub, sub2, t, "site", id);
  label(sub, sub2, t, "api", s->described ? mg_api_name(s->api) : "?");
  field_message(out, PROFILE_SAMPLE, sub);
}

unsigned char *mg_pprof_encode(const struct mg_profile *p, const struct mg_report_options *opt,
                               size_t *len) {
  struct pb out = {0}, sub = {0}, sub2 = {0}, packed = {0};
  struct mg_strtab t;
  struct functions fs = {0};
  mg_strtab_init(&t);
  mg_strtab_intern(&t, ""); /* index 0 */
  mg_map_init(&fs.index, sizeof(uint64_t));

  static const char *const types[][2] = {{"alloc_objects", "count"}, {"alloc_space", "bytes"},
                                          {"inuse_objects", "count"}, {"inuse_space", "bytes"}};
  for (size_t i = 0; i < 4; i++)
    value_type(&out, PROFILE_SAMPLE_TYPE, &sub, &t, types[i][0], types[i][1]);

  /* The one made-up mapping. */
  field_uint(&sub, MAPPING_ID, 1);
  field_uint(&sub, MAPPING_MEMORY_START, FAKE_BASE);
  field_uint(&sub, MAPPING_MEMORY_LIMIT, FAKE_BASE + 16 * ((uint64_t)p->nsites + 1));
  field_uint(&sub, MAPPING_FILENAME, str(&t, "memscope-sites"));
  field_uint(&sub, MAPPING_HAS_FUNCTIONS, 1);
  field_uint(&sub, MAPPING_HAS_FILENAMES, 1);
  field_uint(&sub, MAPPING_HAS_LINE_NUMBERS, 1);
  field_uint(&sub, MAPPING_HAS_INLINE_FRAMES, 1);
  field_message(&out, PROFILE_MAPPING, &sub);
  /* One per image that stacks fell in. */
  const struct mg_stack_table *tab = p->stacks;
  for (size_t k = 0; tab && k < tab->nimages; k++) {
    const struct mg_stack_image *im = &tab->images[k];
    uint64_t extent = im->extent;
    for (size_t x = 0; x < tab->nstacks; x++) /* no segments known: what was seen */
      for (size_t f = 0; f < tab->stacks[x].nframes; f++)
        if (tab->stacks[x].frames[f].image == k && tab->stacks[x].frames[f].address >= extent)
          extent = tab->stacks[x].frames[f].address + 1;
    field_uint(&sub, MAPPING_ID, 2 + k);
    field_uint(&sub, MAPPING_MEMORY_START, IMAGE_BASE(k));
    field_uint(&sub, MAPPING_MEMORY_LIMIT, IMAGE_BASE(k) + extent);
    field_uint(&sub, MAPPING_FILENAME, str(&t, im->path));
    field_uint(&sub, MAPPING_BUILD_ID, str(&t, im->build_id));
    field_uint(&sub, MAPPING_HAS_FUNCTIONS, im->symbolized);
    field_uint(&sub, MAPPING_HAS_FILENAMES, im->symbolized);
    field_uint(&sub, MAPPING_HAS_LINE_NUMBERS, im->symbolized);
    field_uint(&sub, MAPPING_HAS_INLINE_FRAMES, im->symbolized);
    field_message(&out, PROFILE_MAPPING, &sub);
  }
  struct frame_locs fl = {0};
  mg_map_init(&fl.index, sizeof(size_t));
  uint64_t *locs = NULL, *parts = NULL;
  size_t locs_cap = 0, parts_cap = 0;

  uint64_t nloc = 0, nsite_locs = 0;
  for (size_t i = 0; i < p->nsites; i++) {
    const struct mg_site *s = &p->sites[i];
    if (mg_site_is_free(s) || !mg_report_shows_site(opt, s->id))
      continue;
    struct mg_figure live_blocks = mg_counts_figure(&s->counts, MG_LIVE_BLOCKS);
    struct mg_figure live_bytes = mg_counts_figure(&s->counts, MG_LIVE_BYTES);
    if (!s->counts.allocations && !live_blocks.value)
      continue;
    /* Its location: one Line per frame, innermost first; an undescribed site gets a
     * function named after its id (mg_site_fallback_name). */
    uint64_t loc = ++nloc;
    field_uint(&sub, LOCATION_ID, loc);
    field_uint(&sub, LOCATION_MAPPING_ID, 1);
    field_uint(&sub, LOCATION_ADDRESS, FAKE_BASE + 16 * ++nsite_locs);
    char unknown[40];
    mg_site_fallback_name(s, s->id, unknown, sizeof unknown);
    size_t nframes = s->nframes ? s->nframes : 1;
    for (size_t f = 0; f < nframes; f++) {
      const struct mg_frame *fr = s->nframes ? &s->frames[f] : NULL;
      uint64_t name = str(&t, fr && fr->function ? fr->function : fr ? "??" : unknown);
      uint64_t file = str(&t, fr ? fr->file : NULL);
      struct pb fn = {0};
      uint64_t id = function_id(&fs, &out, &fn, name, file);
      free(fn.p);
      field_uint(&sub2, LINE_FUNCTION_ID, id);
      field_uint(&sub2, LINE_LINE, fr ? fr->line : 0);
      field_message(&sub, LOCATION_LINE, &sub2);
    }
    field_message(&out, PROFILE_LOCATION, &sub);

    /* Its samples: the whole site, or a share per stack and what is left. */
    uint64_t whole[4] = {s->counts.allocations, s->counts.bytes_allocated, live_blocks.value,
                         live_bytes.value};
    const struct mg_stack_span *span = mg_stacks_of_site(p, s->id);
    if (!span) {
      sample(&out, &sub, &sub2, &packed, &t, s, &loc, 1, whole);
      continue;
    }
    static const enum mg_stack_value by[4] = {MG_STACK_CALLS, MG_STACK_BYTES,
                                              MG_STACK_LIVE_BLOCKS, MG_STACK_LIVE_BYTES};
    MG_GROW(parts, parts_cap, 4 * span->n);
    uint64_t rest[4];
    for (size_t k = 0; k < 4; k++)
      rest[k] = mg_stack_split(tab, span, by[k], whole[k], parts + k * span->n) ? 0 : whole[k];
    bool uninstrumented = mg_site_stacks_whole(p, s); /* the stack is the whole path */
    for (size_t e = 0; e < span->n; e++) {
      uint64_t v[4] = {parts[e], parts[span->n + e], parts[2 * span->n + e], parts[3 * span->n + e]};
      if (!v[0] && !v[1] && !v[2] && !v[3])
        continue;
      const struct mg_stack *st = &tab->stacks[tab->entries[span->first + e].stack];
      size_t nlocs = 0, f, to; /* the whole path (callers.h) */
      mg_stack_outer(p, s, &tab->entries[span->first + e], &f, &to);
      MG_GROW(locs, locs_cap, st->nframes + 1);
      if (!uninstrumented)
        locs[nlocs++] = loc;
      while (f < to)
        locs[nlocs++] = frame_location(&fl, &nloc, &out, &sub, &sub2, &t, &fs, st, f, &f);
      sample(&out, &sub, &sub2, &packed, &t, s, locs, nlocs, v);
    }
    if (rest[0] || rest[1] || rest[2] || rest[3])
      sample(&out, &sub, &sub2, &packed, &t, s, &loc, 1, rest);
  }
  free(locs);
  free(parts);
  free(fl.v);
  mg_map_destroy(&fl.index);

  /* When and how long: from the first process's start to the latest event. */
  uint64_t start = 0, duration = 0, interval = 0;
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    if (!proc)
      continue;
    if (proc->start_unix_ns && (!start || proc->start_unix_ns < start))
      start = proc->start_unix_ns;
    if (proc->last_ns > duration)
      duration = proc->last_ns;
    if (proc->sampled && proc->sample_interval > interval)
      interval = proc->sample_interval;
  }
  field_uint(&out, PROFILE_TIME_NANOS, start);
  field_uint(&out, PROFILE_DURATION_NANOS, duration);
  value_type(&out, PROFILE_PERIOD_TYPE, &sub, &t, "space", "bytes");
  field_uint(&out, PROFILE_PERIOD, interval);
  varint(&packed, str(&t, "memscope-merge: allocation sites; alloc_* exact, inuse_* at exit"));
  field_message(&out, PROFILE_COMMENT, &packed);
  /* alloc_space by default: exact in every mode, and never empty; in-use bytes at exit
   * are none for a program that frees what it allocates, and an estimate in sampled mode
   * (docs/reports.md). */
  field_uint(&out, PROFILE_DEFAULT_SAMPLE_TYPE, str(&t, "alloc_space"));

  for (size_t i = 0; i < t.n; i++)
    field_bytes(&out, PROFILE_STRING_TABLE, t.v[i], strlen(t.v[i]));

  mg_strtab_destroy(&t);
  mg_map_destroy(&fs.index);
  free(sub.p);
  free(sub2.p);
  free(packed.p);
  *len = out.n;
  return out.p ? out.p : mg_xcalloc(1, 1);
}

bool mg_report_pprof(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt) {
  size_t len;
  unsigned char *raw = mg_pprof_encode(p, opt, &len);
  /* gzip framing (windowBits 15 + 16), as pprof expects a .pb.gz to be. */
  z_stream z;
  memset(&z, 0, sizeof z);
  bool ok = deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  if (ok) {
    unsigned char buf[64 * 1024];
    z.next_in = raw;
    z.avail_in = (uInt)len;
    int r;
    do {
      z.next_out = buf;
      z.avail_out = sizeof buf;
      r = deflate(&z, Z_FINISH);
      if (r == Z_STREAM_ERROR) {
        ok = false;
        break;
      }
      fwrite(buf, 1, sizeof buf - z.avail_out, out);
    } while (r != Z_STREAM_END);
    deflateEnd(&z);
  }
  free(raw);
  return ok;
}
