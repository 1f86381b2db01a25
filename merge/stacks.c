/* Stacks of sampled allocations: collection, placement in images, symbolization, and
 * the table the reports read (stacks.h). */
#include "stacks.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "elfinfo.h"
#include "json.h"
#include "memscope/format.h"
#include "symbolize.h"
#include "util.h"

static uint64_t fnv_bytes(uint64_t h, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

#define FNV_SEED 1469598103934665603ULL

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* --- Interned strings ------------------------------------------------------------------ */

struct ms_strpool {
  struct ms_map index; /* FNV hash, probed on collisions -> position + 1 */
  char **v;
  size_t n, cap;
};

static const char *intern(struct ms_strpool *sp, const char *s) {
  if (!s)
    return NULL;
  for (uint64_t h = fnv_bytes(FNV_SEED, s, strlen(s));; h++) {
    bool existed;
    size_t *slot = ms_map_put(&sp->index, h, &existed);
    if (!existed) {
      MS_GROW(sp->v, sp->cap, sp->n + 1);
      sp->v[sp->n] = ms_xstrdup(s);
      *slot = ++sp->n;
      return sp->v[sp->n - 1];
    }
    if (strcmp(sp->v[*slot - 1], s) == 0)
      return sp->v[*slot - 1];
  }
}

/* --- One process, while reading ------------------------------------------------------------ */

struct raw_stack {
  uint64_t *addr; /* return addresses, innermost first */
  uint32_t n;
  uint64_t ts;    /* its earliest sample: when its addresses are looked up */
};

/* The samples of one (site, stack): keyed by site position while reading, by id after. */
struct sample {
  uint64_t site;
  uint32_t stack; /* from 1 */
  uint64_t samples;
  struct ms_est calls, bytes, live_blocks, live_bytes;
};

struct pmodule {
  char *path, *build_id;
  uint64_t base;
};

struct listing {
  uint64_t ts;
  uint32_t module;
};

struct ms_proc_stacks {
  struct ms_map index; /* addresses' hash, probed -> position + 1 in raw */
  struct raw_stack *raw;
  size_t nraw, raw_cap;
  struct ms_map tally; /* site << 32 | stack -> struct sample, while reading */
  struct sample *samples; /* after the end of the process */
  size_t nsamples;
  struct pmodule *modules;
  size_t nmodules, modules_cap;
  struct ms_map module_index; /* hash of (path, base), probed -> position + 1 */
  struct listing *listings;   /* every MODULE record: (ts, module) */
  size_t nlistings, listings_cap;
};

static struct ms_proc_stacks *proc_stacks(struct ms_process *proc) {
  if (!proc->stacks) {
    struct ms_proc_stacks *s = ms_xcalloc(1, sizeof *s);
    ms_map_init(&s->index, sizeof(size_t));
    ms_map_init(&s->tally, sizeof(struct sample));
    ms_map_init(&s->module_index, sizeof(size_t));
    proc->stacks = s;
  }
  return proc->stacks;
}

void ms_proc_stacks_free(struct ms_proc_stacks *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->nraw; i++)
    free(s->raw[i].addr);
  free(s->raw);
  free(s->samples);
  for (size_t i = 0; i < s->nmodules; i++) {
    free(s->modules[i].path);
    free(s->modules[i].build_id);
  }
  free(s->modules);
  free(s->listings);
  ms_map_destroy(&s->index);
  ms_map_destroy(&s->tally);
  ms_map_destroy(&s->module_index);
  free(s);
}

static uint32_t intern_stack(struct ms_proc_stacks *s, const uint64_t *addr, uint32_t n,
                             uint64_t ts) {
  for (uint64_t h = fnv_bytes(FNV_SEED, addr, n * sizeof *addr);; h++) {
    bool existed;
    size_t *slot = ms_map_put(&s->index, h, &existed);
    if (!existed) {
      if (s->nraw >= MS_STACKS_MAX) {
        ms_map_remove(&s->index, h, NULL);
        return 0;
      }
      MS_GROW(s->raw, s->raw_cap, s->nraw + 1);
      struct raw_stack *r = &s->raw[s->nraw];
      r->addr = ms_xmalloc(n * sizeof *addr);
      memcpy(r->addr, addr, n * sizeof *addr);
      r->n = n;
      r->ts = ts;
      *slot = ++s->nraw;
      return (uint32_t)s->nraw;
    }
    struct raw_stack *r = &s->raw[*slot - 1];
    if (r->n == n && memcmp(r->addr, addr, n * sizeof *addr) == 0) {
      if (ts < r->ts)
        r->ts = ts;
      return (uint32_t)*slot;
    }
  }
}

uint32_t ms_stacks_sample(struct ms_process *proc, uint32_t site, const struct ms_event *ev) {
  if (ev->kind != MS_EV_ALLOC || !ev->ptr || !ev->nstack)
    return 0;
  struct ms_proc_stacks *s = proc_stacks(proc);
  uint32_t stack = intern_stack(s, ev->stack, ev->nstack, ev->ts);
  if (!stack)
    return 0;
  struct sample *t = ms_map_put(&s->tally, (uint64_t)site << 32 | stack, NULL);
  t->samples++;
  ms_est_add(&t->calls, ev->weight, 1.0);
  ms_est_add(&t->bytes, ev->weight, (double)ev->size);
  return stack;
}

void ms_stacks_live(struct ms_process *proc, uint32_t site, uint32_t stack, double weight,
                    uint64_t size) {
  if (!proc->stacks || !stack)
    return;
  struct sample *t = ms_map_put(&proc->stacks->tally, (uint64_t)site << 32 | stack, NULL);
  ms_est_add(&t->live_blocks, weight, 1.0);
  ms_est_add(&t->live_bytes, weight, (double)size);
}

void ms_stacks_module(struct ms_process *proc, const struct ms_module_rec *m) {
  struct ms_proc_stacks *s = proc_stacks(proc);
  uint64_t h = fnv_bytes(fnv_bytes(FNV_SEED, m->path, strlen(m->path)), &m->base, sizeof m->base);
  size_t module;
  for (;; h++) {
    bool existed;
    size_t *slot = ms_map_put(&s->module_index, h, &existed);
    if (!existed) {
      MS_GROW(s->modules, s->modules_cap, s->nmodules + 1);
      s->modules[s->nmodules] = (struct pmodule){ms_xstrdup(m->path), ms_xstrdup(m->build_id), m->base};
      *slot = ++s->nmodules;
      module = s->nmodules - 1;
      break;
    }
    const struct pmodule *pm = &s->modules[*slot - 1];
    if (pm->base == m->base && strcmp(pm->path, m->path) == 0) {
      module = *slot - 1;
      break;
    }
  }
  MS_GROW(s->listings, s->listings_cap, s->nlistings + 1);
  s->listings[s->nlistings++] = (struct listing){m->ts, (uint32_t)module};
}

void ms_stacks_end_process(const struct ms_profile *p, struct ms_process *proc) {
  struct ms_proc_stacks *s = proc->stacks;
  if (!s || s->samples)
    return;
  s->nsamples = ms_map_len(&s->tally);
  s->samples = ms_xmalloc((s->nsamples ? s->nsamples : 1) * sizeof *s->samples);
  size_t pos = 0, n = 0;
  uint64_t key;
  struct sample *t;
  while ((t = ms_map_next(&s->tally, &pos, &key))) {
    s->samples[n] = *t;
    s->samples[n].site = p->sites[key >> 32].id;
    s->samples[n].stack = (uint32_t)key;
    n++;
  }
  ms_map_destroy(&s->tally);
  ms_map_init(&s->tally, sizeof(struct sample));
  ms_map_destroy(&s->index); /* no more stacks to intern */
  ms_map_init(&s->index, sizeof(size_t));
}

/* --- Images: finding and checking the files ------------------------------------------------ */

enum image_status { IMG_OK, IMG_MISSING, IMG_MISMATCH, IMG_UNUSABLE };

struct image {
  char *path, *build_id; /* as recorded */
  const char *program;   /* the header's program name (path ""), else NULL */
  char *file;            /* what was read for it, NULL when nothing */
  struct ms_elf_info elf;
  bool have_elf;         /* elf holds its segments (read from file) */
  enum image_status status;
  char *problem;         /* why it is not OK: the warning */
  uint32_t table;        /* position in table->images once used, else UINT32_MAX */
};

struct resolver {
  const struct ms_symbolize_options *o;
  char **dirs; /* --symbol-path */
  size_t ndirs;
  struct image *images;
  size_t nimages, images_cap;
  struct ms_map image_index; /* hash of (path, build id, program) -> position + 1 */
  struct ms_stack_table *t;
};

static void warn(struct resolver *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct resolver *r, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct ms_stack_table *t = r->t;
  t->warnings = ms_xrealloc(t->warnings, (t->nwarnings + 1) * sizeof *t->warnings);
  t->warnings[t->nwarnings++] = ms_xstrdup(msg);
  if (!r->o->quiet)
    fprintf(stderr, "memscope-merge: warning: %s\n", msg);
}

/* Tries one candidate file: true when it is the image (build ids agree, or none was
 * recorded). */
static bool try_file(struct image *im, const char *file, char *first_err, size_t errsize,
                     bool *mismatch) {
  struct ms_elf_info elf;
  char err[256];
  if (!ms_elf_read(file, &elf, err, sizeof err)) {
    if (!first_err[0] && strcmp(err, "cannot open: No such file or directory") != 0)
      snprintf(first_err, errsize, "%s: %s", file, err);
    return false;
  }
  if (im->build_id[0] && strcmp(elf.build_id, im->build_id) != 0) {
    if (!*mismatch) { /* the first one found, for the warning and its segments */
      *mismatch = true;
      free(im->file);
      im->file = ms_xstrdup(file);
      im->elf = elf;
      im->have_elf = true;
    }
    return false;
  }
  free(im->file);
  im->file = ms_xstrdup(file);
  im->elf = elf;
  im->have_elf = true;
  return true;
}

static char *joined(const char *dir, const char *sep, const char *name) {
  size_t len = strlen(dir) + strlen(sep) + strlen(name) + 1;
  char *s = ms_xmalloc(len);
  snprintf(s, len, "%s%s%s", dir, sep, name);
  return s;
}

/* Looks for the image's file: under each --symbol-path directory by its path, then by
 * its base name; then at its path; then by build id in each directory's .build-id/ and
 * in /usr/lib/debug/.build-id/. */
static void locate(struct resolver *r, struct image *im) {
  char **cand = NULL;
  size_t n = 0, cap = 0;
  const char *name = im->path[0] ? im->path : im->program;
  bool absolute = im->path[0] == '/';
  for (size_t d = 0; name && d < r->ndirs; d++) {
    if (absolute) {
      MS_GROW(cand, cap, n + 1);
      cand[n++] = joined(r->dirs[d], "", im->path);
    }
    MS_GROW(cand, cap, n + 1);
    cand[n++] = joined(r->dirs[d], "/", base_name(name));
  }
  if (absolute) {
    MS_GROW(cand, cap, n + 1);
    cand[n++] = ms_xstrdup(im->path);
  }
  size_t idlen = strlen(im->build_id);
  if (idlen > 2) {
    char rel[300];
    snprintf(rel, sizeof rel, "/.build-id/%.2s/%s.debug", im->build_id, im->build_id + 2);
    for (size_t d = 0; d <= r->ndirs; d++) {
      MS_GROW(cand, cap, n + 1);
      cand[n++] = joined(d < r->ndirs ? r->dirs[d] : "/usr/lib/debug", "", rel);
    }
  }
  char first_err[512] = "";
  bool mismatch = false, found = false;
  for (size_t i = 0; i < n && !found; i++)
    found = try_file(im, cand[i], first_err, sizeof first_err, &mismatch);
  for (size_t i = 0; i < n; i++)
    free(cand[i]);
  free(cand);
  char msg[1024];
  if (found) {
    im->status = IMG_OK;
    return;
  }
  const char *shown = im->path[0] ? im->path : name ? name : "the program";
  if (mismatch) {
    im->status = IMG_MISMATCH;
    snprintf(msg, sizeof msg,
             "%s: build id %s of %s differs from the recorded %s (another build of it); "
             "its frames are shown as %s+0xOFFSET",
             shown, im->elf.build_id[0] ? im->elf.build_id : "(none)", im->file, im->build_id,
             base_name(shown));
  } else if (first_err[0]) {
    im->status = IMG_UNUSABLE;
    snprintf(msg, sizeof msg, "%s: cannot be used (%s); its frames are shown as %s+0xOFFSET",
             shown, first_err, base_name(shown));
  } else if (!im->path[0]) {
    im->status = IMG_MISSING;
    snprintf(msg, sizeof msg,
             "the program %s: its path was not recorded (a file from an older runtime) and "
             "no --symbol-path directory holds it; its frames are shown as %s+0xOFFSET",
             name ? name : "(unnamed)", name ? base_name(name) : "program");
  } else {
    im->status = IMG_MISSING;
    snprintf(msg, sizeof msg,
             "%s: not found%s (give the directory that holds it with --symbol-path); its "
             "frames are shown as %s+0xOFFSET",
             shown, r->ndirs ? " here nor under --symbol-path" : "", base_name(shown));
  }
  im->problem = ms_xstrdup(msg);
}

static size_t image_of(struct resolver *r, const struct pmodule *m, const char *program) {
  const char *prog = m->path[0] ? NULL : program;
  uint64_t h = fnv_bytes(FNV_SEED, m->path, strlen(m->path) + 1);
  h = fnv_bytes(h, m->build_id, strlen(m->build_id) + 1);
  if (prog)
    h = fnv_bytes(h, prog, strlen(prog));
  for (;; h++) {
    bool existed;
    size_t *slot = ms_map_put(&r->image_index, h, &existed);
    if (!existed) {
      MS_GROW(r->images, r->images_cap, r->nimages + 1);
      struct image *im = &r->images[r->nimages];
      memset(im, 0, sizeof *im);
      im->path = ms_xstrdup(m->path);
      im->build_id = ms_xstrdup(m->build_id);
      im->program = prog ? intern(r->t->strings, prog) : NULL;
      im->table = UINT32_MAX;
      locate(r, im);
      *slot = ++r->nimages;
      return r->nimages - 1;
    }
    const struct image *im = &r->images[*slot - 1];
    if (strcmp(im->path, m->path) == 0 && strcmp(im->build_id, m->build_id) == 0 &&
        ((!prog && !im->program) || (prog && im->program && strcmp(prog, im->program) == 0)))
      return *slot - 1;
  }
}

/* The image is used by some address: it enters the table, and its problem is told. */
static uint32_t use_image(struct resolver *r, size_t i) {
  struct image *im = &r->images[i];
  if (im->table != UINT32_MAX)
    return im->table;
  struct ms_stack_table *t = r->t;
  t->images = ms_xrealloc(t->images, (t->nimages + 1) * sizeof *t->images);
  t->images[t->nimages] = (struct ms_stack_image){
      .path = intern(t->strings, im->path[0] ? im->path : im->program ? im->program : ""),
      .build_id = intern(t->strings, im->build_id),
      .file = im->status == IMG_OK ? intern(t->strings, im->file) : NULL,
      .extent = im->have_elf ? ms_elf_extent(&im->elf) : 0,
  };
  im->table = (uint32_t)t->nimages++;
  if (im->problem)
    warn(r, "%s", im->problem);
  return im->table;
}

/* --- Addresses -> (image, relative address) ------------------------------------------------ */

static int by_listing(const void *a, const void *b) {
  const struct listing *x = a, *y = b;
  if (x->ts != y->ts)
    return x->ts < y->ts ? -1 : 1;
  return (x->module > y->module) - (x->module < y->module);
}

struct place {
  uint32_t image; /* resolver image, UINT32_MAX: none */
  uint64_t rel;   /* relative to it, or the absolute address */
};

/* Generations: runs of listings with one ts, in time order. */
struct gens {
  size_t *start; /* listing index where each generation starts; start[n] = nlistings */
  size_t n;
};

/* The image holding pc, in the modules loaded at time ts: the latest generation listed
 * at or before ts, then the ones before it, then the later ones.  In a generation, an
 * image whose segments hold pc; else, among the images whose file was not read (no
 * segments known), the one loaded highest below pc. */
static struct place place_of(const struct ms_proc_stacks *s, const size_t *module_image,
                             const struct image *images, const struct gens *g, uint64_t pc,
                             uint64_t ts) {
  struct place none = {UINT32_MAX, pc};
  if (!g->n)
    return none;
  size_t cur = 0;
  while (cur + 1 < g->n && s->listings[g->start[cur + 1]].ts <= ts)
    cur++;
  for (size_t k = 0; k < g->n; k++) {
    size_t gen = k <= cur ? cur - k : k; /* cur, cur-1, ..., 0, then cur+1, ... */
    const struct pmodule *best = NULL;
    size_t best_image = 0;
    for (size_t l = g->start[gen]; l < g->start[gen + 1]; l++) {
      const struct pmodule *m = &s->modules[s->listings[l].module];
      size_t ii = module_image[s->listings[l].module];
      const struct image *im = &images[ii];
      if (pc < m->base)
        continue;
      if (im->have_elf && ms_elf_contains(&im->elf, pc - m->base))
        return (struct place){(uint32_t)ii, pc - m->base};
      if (!im->have_elf && (!best || m->base > best->base)) {
        best = m;
        best_image = ii;
      }
    }
    if (best)
      return (struct place){(uint32_t)best_image, pc - best->base};
  }
  return none;
}

/* --- Symbolization of distinct places ------------------------------------------------------- */

struct pair {
  struct place at;
  size_t first, n; /* its frames in resolver's frame list */
  bool symbolized;
};

struct pairs {
  struct pair *v;
  size_t n, cap;
  struct ms_map index; /* hash, probed -> position + 1 */
  struct ms_stack_frame *frames; /* symbolized frames of all pairs */
  size_t nframes, frames_cap;
  struct ms_strpool *strings;
};

static uint32_t pair_of(struct pairs *ps, struct place at) {
  for (uint64_t h = fnv_bytes(fnv_bytes(FNV_SEED, &at.image, sizeof at.image), &at.rel, sizeof at.rel);; h++) {
    bool existed;
    size_t *slot = ms_map_put(&ps->index, h, &existed);
    if (!existed) {
      MS_GROW(ps->v, ps->cap, ps->n + 1);
      ps->v[ps->n] = (struct pair){.at = at};
      *slot = ++ps->n;
      return (uint32_t)(ps->n - 1);
    }
    const struct pair *q = &ps->v[*slot - 1];
    if (q->at.image == at.image && q->at.rel == at.rel)
      return (uint32_t)(*slot - 1);
  }
}

struct sym_ctx {
  struct pairs *ps;
  const uint32_t *which; /* request -> pair */
};

static void on_frames(void *ctx, size_t request, const struct ms_sym_frame *f, size_t n) {
  struct sym_ctx *c = ctx;
  struct pairs *ps = c->ps;
  struct pair *q = &ps->v[c->which[request]];
  q->symbolized = true;
  if (n == 1 && !f[0].function && !f[0].file)
    return; /* nothing known: shown as image+offset */
  q->first = ps->nframes;
  q->n = n;
  MS_GROW(ps->frames, ps->frames_cap, ps->nframes + n);
  for (size_t i = 0; i < n; i++)
    ps->frames[ps->nframes++] = (struct ms_stack_frame){
        .function = intern(ps->strings, f[i].function),
        .file = intern(ps->strings, f[i].file),
        .line = f[i].line,
        .column = f[i].column,
        .inlined = i + 1 < n,
    };
}

static void split_dirs(struct resolver *r, const char *path) {
  if (!path)
    return;
  const char *p = path;
  while (*p) {
    const char *end = strchr(p, ':');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len) {
      r->dirs = ms_xrealloc(r->dirs, (r->ndirs + 1) * sizeof *r->dirs);
      r->dirs[r->ndirs++] = ms_xstrndup(p, len);
    }
    p += len + (end != NULL);
  }
}

/* --- The table ------------------------------------------------------------------------------- */

static int by_entry(const void *a, const void *b) {
  const struct ms_stack_site *x = a, *y = b;
  if (x->site != y->site)
    return x->site < y->site ? -1 : 1;
  if (x->bytes.value != y->bytes.value)
    return x->bytes.value < y->bytes.value ? 1 : -1;
  return (x->stack > y->stack) - (x->stack < y->stack);
}

void ms_stack_table_free(struct ms_stack_table *t) {
  if (!t)
    return;
  for (size_t i = 0; i < t->nstacks; i++)
    free(t->stacks[i].frames);
  free(t->stacks);
  free(t->entries);
  free(t->images);
  for (size_t i = 0; i < t->nwarnings; i++)
    free(t->warnings[i]);
  free(t->warnings);
  ms_map_destroy(&t->site_index);
  if (t->strings) {
    for (size_t i = 0; i < t->strings->n; i++)
      free(t->strings->v[i]);
    free(t->strings->v);
    ms_map_destroy(&t->strings->index);
    free(t->strings);
  }
  free(t);
}

void ms_stacks_resolve(struct ms_profile *p, const struct ms_symbolize_options *o) {
  struct ms_symbolize_options defaults = {0};
  if (!o)
    o = &defaults;
  if (p->stacks)
    return;
  bool any = false;
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct ms_process *proc = p->inputs[i].process;
    any |= proc && proc->stacks && proc->stacks->nraw;
  }
  if (!any)
    return;
  struct ms_stack_table *t = ms_xcalloc(1, sizeof *t);
  t->strings = ms_xcalloc(1, sizeof *t->strings);
  ms_map_init(&t->strings->index, sizeof(size_t));
  ms_map_init(&t->site_index, sizeof(struct ms_stack_span));
  p->stacks = t;
  struct resolver r = {.o = o, .t = t};
  ms_map_init(&r.image_index, sizeof(size_t));
  split_dirs(&r, o->symbol_path);
  struct pairs ps = {.strings = t->strings};
  ms_map_init(&ps.index, sizeof(size_t));

  /* 1. Every address of every process to a pair (image, relative address). */
  uint32_t **stack_pairs = ms_xcalloc(p->ninputs, sizeof *stack_pairs); /* per process, flat */
  size_t **stack_at = ms_xcalloc(p->ninputs, sizeof *stack_at); /* raw stack -> offset */
  for (size_t i = 0; i < p->ninputs; i++) {
    struct ms_process *proc = p->inputs[i].process;
    struct ms_proc_stacks *s = proc ? proc->stacks : NULL;
    if (!s || !s->nraw)
      continue;
    if (s->nlistings > 1)
      qsort(s->listings, s->nlistings, sizeof *s->listings, by_listing);
    size_t *module_image = ms_xcalloc(s->nmodules ? s->nmodules : 1, sizeof *module_image);
    for (size_t m = 0; m < s->nmodules; m++)
      module_image[m] = image_of(&r, &s->modules[m], proc->program);
    struct gens g = {ms_xcalloc(s->nlistings + 1, sizeof(size_t)), 0};
    for (size_t l = 0; l < s->nlistings; l++)
      if (l == 0 || s->listings[l].ts != s->listings[l - 1].ts)
        g.start[g.n++] = l;
    g.start[g.n] = s->nlistings;
    size_t total = 0;
    stack_at[i] = ms_xmalloc((s->nraw + 1) * sizeof *stack_at[i]);
    for (size_t k = 0; k < s->nraw; k++) {
      stack_at[i][k] = total;
      total += s->raw[k].n;
    }
    stack_at[i][s->nraw] = total;
    stack_pairs[i] = ms_xmalloc((total ? total : 1) * sizeof *stack_pairs[i]);
    for (size_t k = 0; k < s->nraw; k++) {
      const struct raw_stack *rs = &s->raw[k];
      for (uint32_t a = 0; a < rs->n; a++) {
        uint64_t pc = rs->addr[a] ? rs->addr[a] - 1 : 0; /* inside the call */
        struct place at = place_of(s, module_image, r.images, &g, pc, rs->ts);
        if (at.image != UINT32_MAX)
          at.image = use_image(&r, at.image);
        stack_pairs[i][stack_at[i][k] + a] = pair_of(&ps, at);
      }
    }
    free(g.start);
    free(module_image);
  }

  /* 2. One symbolizer run for the pairs in images that were found. */
  if (o->no_symbolize) {
    /* nothing: images and offsets */
  } else {
    char buf[4096];
    const char *sym = ms_symbolizer_find(o->symbolizer, buf, sizeof buf);
    struct ms_sym_request *req = ms_xmalloc((ps.n ? ps.n : 1) * sizeof *req);
    uint32_t *which = ms_xmalloc((ps.n ? ps.n : 1) * sizeof *which);
    size_t nreq = 0;
    for (size_t k = 0; k < ps.n; k++) {
      const struct pair *q = &ps.v[k];
      if (q->at.image == UINT32_MAX || !t->images[q->at.image].file)
        continue;
      req[nreq] = (struct ms_sym_request){t->images[q->at.image].file, q->at.rel};
      which[nreq++] = (uint32_t)k;
    }
    if (nreq && !sym) {
      if (o->symbolizer || getenv("MEMSCOPE_SYMBOLIZER"))
        warn(&r, "symbolizer %s: not found or not executable; frames are shown as "
                 "image+0xOFFSET",
             o->symbolizer ? o->symbolizer : getenv("MEMSCOPE_SYMBOLIZER"));
      else
        warn(&r, "no llvm-symbolizer found (install llvm, or give one with --symbolizer "
                 "PATH or MEMSCOPE_SYMBOLIZER); frames are shown as image+0xOFFSET");
    } else if (nreq) {
      t->symbolizer = intern(t->strings, sym);
      char err[1024];
      struct sym_ctx c = {&ps, which};
      bool ok = ms_symbolize(sym, r.dirs, r.ndirs, req, nreq, on_frames, &c, err, sizeof err);
      if (!ok)
        warn(&r, "symbolization incomplete: %s", err);
      for (size_t k = 0; k < nreq; k++)
        t->images[ps.v[which[k]].at.image].symbolized = true;
    }
    free(req);
    free(which);
  }

  /* 3. Stacks: distinct sequences of pairs, over all processes. */
  struct ms_map stack_index; /* hash of the pair sequence, probed -> position + 1 */
  ms_map_init(&stack_index, sizeof(size_t));
  uint32_t **seqs = NULL; /* each stack's pairs */
  size_t *seqlen = NULL, seq_cap = 0, len_cap = 0;
  struct ms_map entry_index; /* hash of (site, stack), probed -> position + 1 */
  ms_map_init(&entry_index, sizeof(size_t));
  size_t entries_cap = 0;
  for (size_t i = 0; i < p->ninputs; i++) {
    struct ms_process *proc = p->inputs[i].process;
    struct ms_proc_stacks *s = proc ? proc->stacks : NULL;
    if (!s || !s->nraw)
      continue;
    uint32_t *table_of = ms_xmalloc(s->nraw * sizeof *table_of);
    for (size_t k = 0; k < s->nraw; k++) {
      const uint32_t *seq = &stack_pairs[i][stack_at[i][k]];
      size_t n = s->raw[k].n;
      for (uint64_t h = fnv_bytes(FNV_SEED, seq, n * sizeof *seq);; h++) {
        bool existed;
        size_t *slot = ms_map_put(&stack_index, h, &existed);
        if (!existed) {
          MS_GROW(seqs, seq_cap, t->nstacks + 1);
          MS_GROW(seqlen, len_cap, t->nstacks + 1);
          seqs[t->nstacks] = ms_xmalloc(n * sizeof *seq);
          memcpy(seqs[t->nstacks], seq, n * sizeof *seq);
          seqlen[t->nstacks] = n;
          *slot = ++t->nstacks;
          table_of[k] = (uint32_t)(t->nstacks - 1);
          break;
        }
        if (seqlen[*slot - 1] == n && memcmp(seqs[*slot - 1], seq, n * sizeof *seq) == 0) {
          table_of[k] = (uint32_t)(*slot - 1);
          break;
        }
      }
    }
    for (size_t e = 0; e < s->nsamples; e++) {
      const struct sample *sm = &s->samples[e];
      uint32_t stack = table_of[sm->stack - 1];
      uint64_t h = fnv_bytes(fnv_bytes(FNV_SEED, &sm->site, sizeof sm->site), &stack, sizeof stack);
      struct ms_stack_site *to = NULL;
      for (;; h++) {
        bool existed;
        size_t *slot = ms_map_put(&entry_index, h, &existed);
        if (!existed) {
          MS_GROW(t->entries, entries_cap, t->nentries + 1);
          to = &t->entries[t->nentries];
          *to = (struct ms_stack_site){.site = sm->site, .stack = stack};
          *slot = ++t->nentries;
          break;
        }
        to = &t->entries[*slot - 1];
        if (to->site == sm->site && to->stack == stack)
          break;
      }
      to->samples += sm->samples;
      to->estimated |= proc->sampled;
      to->calls.value += sm->calls.value;
      to->calls.var += sm->calls.var;
      to->bytes.value += sm->bytes.value;
      to->bytes.var += sm->bytes.var;
      to->live_blocks.value += sm->live_blocks.value;
      to->live_blocks.var += sm->live_blocks.var;
      to->live_bytes.value += sm->live_bytes.value;
      to->live_bytes.var += sm->live_bytes.var;
    }
    free(table_of);
  }
  ms_map_destroy(&entry_index);
  ms_map_destroy(&stack_index);

  /* Their frames. */
  t->stacks = ms_xcalloc(t->nstacks ? t->nstacks : 1, sizeof *t->stacks);
  for (size_t k = 0; k < t->nstacks; k++) {
    size_t nf = 0;
    for (size_t a = 0; a < seqlen[k]; a++)
      nf += ps.v[seqs[k][a]].n ? ps.v[seqs[k][a]].n : 1;
    struct ms_stack *st = &t->stacks[k];
    st->frames = ms_xcalloc(nf ? nf : 1, sizeof *st->frames);
    for (size_t a = 0; a < seqlen[k]; a++) {
      const struct pair *q = &ps.v[seqs[k][a]];
      const char *module = q->at.image == UINT32_MAX ? NULL : t->images[q->at.image].path;
      if (!q->n) {
        st->frames[st->nframes++] = (struct ms_stack_frame){
            .module = module, .image = q->at.image, .address = q->at.rel};
        continue;
      }
      for (size_t f = 0; f < q->n; f++) {
        struct ms_stack_frame fr = ps.frames[q->first + f];
        fr.module = module;
        fr.image = q->at.image;
        fr.address = q->at.rel;
        st->frames[st->nframes++] = fr;
      }
    }
    free(seqs[k]);
  }
  free(seqs);
  free(seqlen);

  /* Entries by site, and each site's span. */
  if (t->nentries > 1)
    qsort(t->entries, t->nentries, sizeof *t->entries, by_entry);
  for (size_t e = 0; e < t->nentries; e++) {
    const struct ms_stack_site *x = &t->entries[e];
    bool existed;
    struct ms_stack_span *span = ms_map_put(&t->site_index, x->site, &existed);
    if (!existed)
      span->first = e;
    span->n++;
    span->calls += x->calls.value;
    span->bytes += x->bytes.value;
    span->live_blocks += x->live_blocks.value;
    span->live_bytes += x->live_bytes.value;
  }

  for (size_t i = 0; i < p->ninputs; i++) {
    free(stack_pairs[i]);
    free(stack_at[i]);
  }
  free(stack_pairs);
  free(stack_at);
  free(ps.v);
  free(ps.frames);
  ms_map_destroy(&ps.index);
  for (size_t i = 0; i < r.nimages; i++) {
    free(r.images[i].path);
    free(r.images[i].build_id);
    free(r.images[i].file);
    free(r.images[i].problem);
  }
  free(r.images);
  ms_map_destroy(&r.image_index);
  for (size_t i = 0; i < r.ndirs; i++)
    free(r.dirs[i]);
  free(r.dirs);
}

/* --- For the reports --------------------------------------------------------------------- */

const struct ms_stack_span *ms_stacks_of_site(const struct ms_profile *p, uint64_t site) {
  return p->stacks ? ms_map_get(&p->stacks->site_index, site) : NULL;
}

size_t ms_stack_first_frames(const struct ms_stack *s) {
  size_t n = 0;
  while (n < s->nframes && s->frames[n].inlined)
    n++;
  return n < s->nframes ? n + 1 : n;
}

void ms_stack_frame_name(const struct ms_stack_frame *f, char *buf, size_t size) {
  if (f->function)
    snprintf(buf, size, "%s", f->function);
  else if (f->module)
    snprintf(buf, size, "%s+0x%" PRIx64, f->module[0] ? base_name(f->module) : "?", f->address);
  else
    snprintf(buf, size, "0x%" PRIx64, f->address);
}

static double entry_value(const struct ms_stack_site *e, enum ms_stack_value v) {
  switch (v) {
  case MS_STACK_CALLS: return e->calls.value;
  case MS_STACK_LIVE_BLOCKS: return e->live_blocks.value;
  case MS_STACK_LIVE_BYTES: return e->live_bytes.value;
  default: return e->bytes.value;
  }
}

static double span_value(const struct ms_stack_span *s, enum ms_stack_value v) {
  switch (v) {
  case MS_STACK_CALLS: return s->calls;
  case MS_STACK_LIVE_BLOCKS: return s->live_blocks;
  case MS_STACK_LIVE_BYTES: return s->live_bytes;
  default: return s->bytes;
  }
}

double ms_stack_share(const struct ms_stack_span *span, const struct ms_stack_site *e,
                      enum ms_stack_value v) {
  double sum = span_value(span, v);
  return sum > 0 ? entry_value(e, v) / sum : 0;
}

/* Largest remainders: floor every part, then one more unit to the biggest fractions
 * (the earlier entry on ties) until the parts add up to `whole`. */
bool ms_stack_split(const struct ms_stack_table *t, const struct ms_stack_span *span,
                    enum ms_stack_value v, uint64_t whole, uint64_t *out) {
  if (!(span_value(span, v) > 0)) {
    memset(out, 0, span->n * sizeof *out);
    return false;
  }
  double *frac = ms_xmalloc((span->n ? span->n : 1) * sizeof *frac);
  uint64_t given = 0;
  for (size_t i = 0; i < span->n; i++) {
    double x = (double)whole * ms_stack_share(span, &t->entries[span->first + i], v);
    out[i] = (uint64_t)floor(x);
    frac[i] = x - floor(x);
    given += out[i];
  }
  for (size_t left = span->n; given < whole && left > 0; left--) {
    size_t best = 0;
    for (size_t i = 1; i < span->n; i++)
      if (frac[i] > frac[best])
        best = i;
    out[best]++;
    frac[best] = -1;
    given++;
  }
  free(frac);
  return true;
}

bool ms_site_uninstrumented(const struct ms_site *s) {
  return (s->flags & MS_SITE_FLAG_UNINSTRUMENTED) ||
         (s->id & ~0xffffull) == MS_UNINSTRUMENTED_SITE_ID(0);
}

/* --- The text section ---------------------------------------------------------------------- */

static void est_text(char *buf, size_t size, const struct ms_est *e, bool estimated) {
  struct ms_figure f = ms_est_figure(e, estimated);
  if (f.estimated)
    snprintf(buf, size, "%" PRIu64 "±%" PRIu64, f.value, f.error);
  else
    snprintf(buf, size, "%" PRIu64, f.value);
}

static void print_frame(FILE *out, const struct ms_stack_frame *f) {
  char name[512], loc[1024];
  ms_stack_frame_name(f, name, sizeof name);
  if (f->file && f->line)
    snprintf(loc, sizeof loc, "%s:%" PRIu32, f->file, f->line);
  else if (f->file)
    snprintf(loc, sizeof loc, "%s", f->file);
  else if (f->function && f->module)
    snprintf(loc, sizeof loc, "(%s+0x%" PRIx64 ")", f->module[0] ? base_name(f->module) : "?",
             f->address);
  else
    snprintf(loc, sizeof loc, "??");
  fprintf(out, "        %-20s %s%s\n", name, loc, f->inlined ? "  (inlined)" : "");
}

static int by_bytes(const void *a, const void *b) {
  const struct ms_stack_site *x = *(const struct ms_stack_site *const *)a;
  const struct ms_stack_site *y = *(const struct ms_stack_site *const *)b;
  if (x->bytes.value != y->bytes.value)
    return x->bytes.value < y->bytes.value ? 1 : -1;
  if (x->site != y->site)
    return x->site < y->site ? -1 : 1;
  return (x->stack > y->stack) - (x->stack < y->stack);
}

/* The entries of uninstrumented (or instrumented) sites, by estimated bytes. */
static void print_stacks(FILE *out, const struct ms_profile *p, const struct ms_report_options *opt,
                         bool uninstrumented) {
  const struct ms_stack_table *t = p->stacks;
  const struct ms_stack_site **rows = ms_xmalloc((t->nentries ? t->nentries : 1) * sizeof *rows);
  size_t n = 0;
  for (size_t e = 0; e < t->nentries; e++) {
    const struct ms_site *s = ms_profile_find_site(p, t->entries[e].site);
    if (s && ms_site_uninstrumented(s) == uninstrumented && ms_report_shows_site(opt, s->id))
      rows[n++] = &t->entries[e];
  }
  if (n) {
    qsort(rows, n, sizeof *rows, by_bytes);
    fprintf(out, "\n%s\n", uninstrumented ? "  Top stacks by estimated bytes"
                                          : "Stacks of sampled allocations at instrumented sites "
                                            "(by estimated bytes)");
    size_t shown = opt->top && opt->top < n ? opt->top : n;
    for (size_t i = 0; i < shown; i++) {
      const struct ms_stack_site *e = rows[i];
      const struct ms_site *s = ms_profile_find_site(p, e->site);
      char bytes[64], calls[64], live[64];
      est_text(bytes, sizeof bytes, &e->bytes, e->estimated);
      est_text(calls, sizeof calls, &e->calls, e->estimated);
      est_text(live, sizeof live, &e->live_bytes, e->estimated);
      fprintf(out, "  #%zu  %s bytes in %s calls, %s bytes live at exit  (%s, site 0x%" PRIx64
                   ", %" PRIu64 " %s)\n",
              i + 1, bytes, calls, live, s->described ? ms_api_name(s->api) : "?", s->id,
              e->samples, e->samples == 1 ? "sample" : "samples");
      const struct ms_stack *st = &t->stacks[e->stack];
      for (size_t f = 0; f < st->nframes; f++)
        print_frame(out, &st->frames[f]);
    }
    if (shown < n)
      fprintf(out, "  (%zu more; --top 0 shows all)\n", n - shown);
  }
  free(rows);
}

static int by_site_bytes(const void *a, const void *b) {
  const struct ms_site *x = *(const struct ms_site *const *)a, *y = *(const struct ms_site *const *)b;
  uint64_t bx = ms_site_bytes(x), by = ms_site_bytes(y);
  if (bx != by)
    return bx < by ? 1 : -1;
  return (x->id > y->id) - (x->id < y->id);
}

void ms_report_text_stacks(FILE *out, const struct ms_profile *p,
                           const struct ms_report_options *opt) {
  struct ms_report_options none = {.top = MS_REPORT_DEFAULT_TOP};
  if (!opt)
    opt = &none;
  const struct ms_site **sites = ms_xmalloc((p->nsites ? p->nsites : 1) * sizeof *sites);
  size_t n = 0;
  for (size_t i = 0; i < p->nsites; i++)
    if (ms_site_uninstrumented(&p->sites[i]) && ms_report_shows_site(opt, p->sites[i].id) &&
        ms_site_calls(&p->sites[i])) /* the runtime describes every api's site */
      sites[n++] = &p->sites[i];
  if (n || p->stacks) {
    fprintf(out, "\nAllocations from uninstrumented code\n");
    if (!n) {
      fputs("  (none)\n", out);
    } else {
      qsort(sites, n, sizeof *sites, by_site_bytes);
      fprintf(out, "  %-14s %10s %14s %16s\n", "api", "calls", "bytes", "live-bytes");
      for (size_t i = 0; i < n; i++) {
        const struct ms_site *s = sites[i];
        struct ms_figure live = ms_counts_figure(&s->counts, MS_LIVE_BYTES);
        char lb[64];
        if (live.estimated)
          snprintf(lb, sizeof lb, "%" PRIu64 "±%" PRIu64, live.value, live.error);
        else
          snprintf(lb, sizeof lb, "%" PRIu64, live.value);
        fprintf(out, "  %-14s %10" PRIu64 " %14" PRIu64 " %16s\n",
                s->described || s->api ? ms_api_name(s->api) : ms_api_name((uint32_t)(s->id & 0xffff)),
                ms_site_calls(s), ms_site_bytes(s), lb);
      }
    }
    if (p->stacks) {
      print_stacks(out, p, opt, true);
      print_stacks(out, p, opt, false);
      for (size_t i = 0; i < p->stacks->nwarnings; i++)
        fprintf(out, "%s  warning: %s\n", i ? "" : "\n", p->stacks->warnings[i]);
    }
  }
  free(sites);
}

/* --- JSON ------------------------------------------------------------------------------------ */

static void json_hex(struct ms_json *j, const char *key, uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  ms_json_kstring(j, key, buf);
}

static void json_est(struct ms_json *j, const char *key, const struct ms_est *e, bool estimated) {
  struct ms_figure f = ms_est_figure(e, estimated);
  ms_json_key(j, key);
  ms_json_object(j);
  ms_json_kuint(j, "value", f.value);
  ms_json_kuint(j, "error", f.error);
  ms_json_end(j);
}

void ms_stacks_json_site(struct ms_json *j, const struct ms_profile *p, const struct ms_site *s) {
  ms_json_array(j);
  const struct ms_stack_span *span = ms_stacks_of_site(p, s->id);
  for (size_t i = 0; span && i < span->n; i++) {
    const struct ms_stack_site *e = &p->stacks->entries[span->first + i];
    const struct ms_stack *st = &p->stacks->stacks[e->stack];
    ms_json_object(j);
    ms_json_kuint(j, "id", e->stack);
    json_hex(j, "site_id", e->site);
    ms_json_kuint(j, "samples", e->samples);
    json_est(j, "est_calls", &e->calls, e->estimated);
    json_est(j, "est_bytes", &e->bytes, e->estimated);
    json_est(j, "live_est_blocks", &e->live_blocks, e->estimated);
    json_est(j, "live_est_bytes", &e->live_bytes, e->estimated);
    ms_json_key(j, "frames");
    ms_json_array(j);
    for (size_t f = 0; f < st->nframes; f++) {
      const struct ms_stack_frame *fr = &st->frames[f];
      ms_json_object(j);
      ms_json_kstring(j, "function", fr->function);
      ms_json_kstring(j, "file", fr->file);
      ms_json_kuint(j, "line", fr->line);
      ms_json_kuint(j, "column", fr->column);
      ms_json_kstring(j, "module", fr->module);
      json_hex(j, "address", fr->address);
      ms_json_kbool(j, "inlined", fr->inlined);
      ms_json_end(j);
    }
    ms_json_end(j);
    ms_json_end(j);
  }
  ms_json_end(j);
}

void ms_stacks_json(struct ms_json *j, const struct ms_profile *p) {
  const struct ms_stack_table *t = p->stacks;
  if (!t)
    return;
  ms_json_key(j, "symbolization");
  ms_json_object(j);
  ms_json_kstring(j, "symbolizer", t->symbolizer);
  ms_json_kuint(j, "stacks", t->nstacks);
  ms_json_key(j, "images");
  ms_json_array(j);
  for (size_t i = 0; i < t->nimages; i++) {
    const struct ms_stack_image *im = &t->images[i];
    ms_json_object(j);
    ms_json_kstring(j, "path", im->path);
    ms_json_kstring(j, "build_id", im->build_id);
    ms_json_kstring(j, "file", im->file);
    ms_json_kbool(j, "symbolized", im->symbolized);
    ms_json_end(j);
  }
  ms_json_end(j);
  ms_json_key(j, "warnings");
  ms_json_array(j);
  for (size_t i = 0; i < t->nwarnings; i++)
    ms_json_string(j, t->warnings[i]);
  ms_json_end(j);
  ms_json_end(j);
}
