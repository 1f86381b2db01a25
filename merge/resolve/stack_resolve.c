/* Resolving the stacks of every process into the profile's stack table: placing each
 * address in an image (elfinfo.c), symbolizing each distinct place once (symbolize.c) and
 * merging the stacks of all processes (stack_resolve.h). */
#include "stack_resolve.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfinfo.h"
#include "names.h"
#include "strtab.h"
#include "symbolize.h"
#include "util.h"

/* --- Images: finding and checking the files ------------------------------------------------ */

enum image_status { IMG_OK, IMG_MISSING, IMG_MISMATCH, IMG_UNUSABLE };

struct image {
  char *path, *build_id; /* as recorded */
  const char *program;   /* the header's program name (path ""), else NULL */
  char *file;            /* what was read for it, NULL when nothing */
  struct mg_elf_info elf;
  bool have_elf;         /* elf holds its segments (read from file) */
  enum image_status status;
  char *problem;         /* why it is not OK: the warning */
  uint32_t table;        /* position in table->images once used, else UINT32_MAX */
};

struct resolver {
  const struct mg_symbolize_options *o;
  char **dirs; /* --symbol-path */
  size_t ndirs;
  struct image *images;
  size_t nimages, images_cap;
  struct mg_map image_index; /* hash of (path, build id, program) -> position + 1 */
  struct mg_stack_table *t;
};

static void warn(struct resolver *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct resolver *r, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct mg_stack_table *t = r->t;
  t->warnings = mg_xrealloc(t->warnings, (t->nwarnings + 1) * sizeof *t->warnings);
  t->warnings[t->nwarnings++] = mg_xstrdup(msg);
  if (!r->o->quiet)
    fprintf(stderr, "memscope-merge: warning: %s\n", msg);
}

/* Tries one candidate file: true when it is the image (build ids agree, or none was
 * recorded). */
static bool try_file(struct image *im, const char *file, char *first_err, size_t errsize,
                     bool *mismatch) {
  struct mg_elf_info elf;
  char err[256];
  if (!mg_elf_read(file, &elf, err, sizeof err)) {
    if (!first_err[0] && strcmp(err, "cannot open: No such file or directory") != 0)
      snprintf(first_err, errsize, "%s: %s", file, err);
    return false;
  }
  if (im->build_id[0] && strcmp(elf.build_id, im->build_id) != 0) {
    if (!*mismatch) { /* the first one found, for the warning and its segments */
      *mismatch = true;
      free(im->file);
      im->file = mg_xstrdup(file);
      im->elf = elf;
      im->have_elf = true;
    }
    return false;
  }
  free(im->file);
  im->file = mg_xstrdup(file);
  im->elf = elf;
  im->have_elf = true;
  return true;
}

static char *joined(const char *dir, const char *sep, const char *name) {
  size_t len = strlen(dir) + strlen(sep) + strlen(name) + 1;
  char *s = mg_xmalloc(len);
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
      MG_GROW(cand, cap, n + 1);
      cand[n++] = joined(r->dirs[d], "", im->path);
    }
    MG_GROW(cand, cap, n + 1);
    cand[n++] = joined(r->dirs[d], "/", mg_base_name(name));
  }
  if (absolute) {
    MG_GROW(cand, cap, n + 1);
    cand[n++] = mg_xstrdup(im->path);
  }
  size_t idlen = strlen(im->build_id);
  if (idlen > 2) {
    char rel[300];
    snprintf(rel, sizeof rel, "/.build-id/%.2s/%s.debug", im->build_id, im->build_id + 2);
    for (size_t d = 0; d <= r->ndirs; d++) {
      MG_GROW(cand, cap, n + 1);
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
             mg_base_name(shown));
  } else if (first_err[0]) {
    im->status = IMG_UNUSABLE;
    snprintf(msg, sizeof msg, "%s: cannot be used (%s); its frames are shown as %s+0xOFFSET",
             shown, first_err, mg_base_name(shown));
  } else if (!im->path[0]) {
    im->status = IMG_MISSING;
    snprintf(msg, sizeof msg,
             "the program %s: its path was not recorded (a file from an older runtime) and "
             "no --symbol-path directory holds it; its frames are shown as %s+0xOFFSET",
             name ? name : "(unnamed)", name ? mg_base_name(name) : "program");
  } else {
    im->status = IMG_MISSING;
    snprintf(msg, sizeof msg,
             "%s: not found%s (give the directory that holds it with --symbol-path); its "
             "frames are shown as %s+0xOFFSET",
             shown, r->ndirs ? " here nor under --symbol-path" : "", mg_base_name(shown));
  }
  im->problem = mg_xstrdup(msg);
}

struct image_key {
  const struct resolver *r;
  const struct mg_proc_module *m;
  const char *prog;
};

static bool same_image(const void *ctx, size_t pos) {
  const struct image_key *k = ctx;
  const struct image *im = &k->r->images[pos];
  return strcmp(im->path, k->m->path) == 0 && strcmp(im->build_id, k->m->build_id) == 0 &&
         ((!k->prog && !im->program) || (k->prog && im->program && strcmp(k->prog, im->program) == 0));
}

static size_t image_of(struct resolver *r, const struct mg_proc_module *m, const char *program) {
  const char *prog = m->path[0] ? NULL : program;
  uint64_t h = mg_hash_bytes(MG_HASH_SEED, m->path, strlen(m->path) + 1);
  h = mg_hash_bytes(h, m->build_id, strlen(m->build_id) + 1);
  if (prog)
    h = mg_hash_bytes(h, prog, strlen(prog));
  bool existed;
  size_t *slot = mg_map_probe(&r->image_index, &h, same_image, &(struct image_key){r, m, prog},
                              &existed);
  if (existed)
    return *slot - 1;
  MG_GROW(r->images, r->images_cap, r->nimages + 1);
  struct image *im = &r->images[r->nimages];
  memset(im, 0, sizeof *im);
  im->path = mg_xstrdup(m->path);
  im->build_id = mg_xstrdup(m->build_id);
  im->program = prog ? mg_strtab_copy(r->t->strings, prog) : NULL;
  im->table = UINT32_MAX;
  *slot = ++r->nimages;
  locate(r, im);
  return r->nimages - 1;
}

/* The image is used by some address: it enters the table, and its problem is told. */
static uint32_t use_image(struct resolver *r, size_t i) {
  struct image *im = &r->images[i];
  if (im->table != UINT32_MAX)
    return im->table;
  struct mg_stack_table *t = r->t;
  t->images = mg_xrealloc(t->images, (t->nimages + 1) * sizeof *t->images);
  t->images[t->nimages] = (struct mg_stack_image){
      .path = mg_strtab_copy(t->strings, im->path[0] ? im->path : im->program ? im->program : ""),
      .build_id = mg_strtab_copy(t->strings, im->build_id),
      .file = im->status == IMG_OK ? mg_strtab_copy(t->strings, im->file) : NULL,
      .extent = im->have_elf ? mg_elf_extent(&im->elf) : 0,
  };
  im->table = (uint32_t)t->nimages++;
  if (im->problem)
    warn(r, "%s", im->problem);
  return im->table;
}

/* --- Addresses -> (image, relative address) ------------------------------------------------ */

static int by_listing(const void *a, const void *b) {
  const struct mg_module_listing *x = a, *y = b;
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
static struct place place_of(const struct mg_proc_stacks *s, const size_t *module_image,
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
    const struct mg_proc_module *best = NULL;
    size_t best_image = 0;
    for (size_t l = g->start[gen]; l < g->start[gen + 1]; l++) {
      const struct mg_proc_module *m = &s->modules[s->listings[l].module];
      size_t ii = module_image[s->listings[l].module];
      const struct image *im = &images[ii];
      if (pc < m->base)
        continue;
      if (im->have_elf && mg_elf_contains(&im->elf, pc - m->base))
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
  struct mg_map index; /* hash, probed -> position + 1 */
  struct mg_stack_frame *frames; /* symbolized frames of all pairs */
  size_t nframes, frames_cap;
  struct mg_strtab *strings;
};

struct pair_key {
  const struct pairs *ps;
  struct place at;
};

static bool same_pair(const void *ctx, size_t pos) {
  const struct pair_key *k = ctx;
  const struct pair *q = &k->ps->v[pos];
  return q->at.image == k->at.image && q->at.rel == k->at.rel;
}

static uint32_t pair_of(struct pairs *ps, struct place at) {
  uint64_t h = mg_hash_bytes(mg_hash_bytes(MG_HASH_SEED, &at.image, sizeof at.image), &at.rel,
                             sizeof at.rel);
  bool existed;
  size_t *slot = mg_map_probe(&ps->index, &h, same_pair, &(struct pair_key){ps, at}, &existed);
  if (!existed) {
    MG_GROW(ps->v, ps->cap, ps->n + 1);
    ps->v[ps->n] = (struct pair){.at = at};
    *slot = ++ps->n;
  }
  return (uint32_t)(*slot - 1);
}

struct sym_ctx {
  struct pairs *ps;
  const uint32_t *which; /* request -> pair */
};

static void on_frames(void *ctx, size_t request, const struct mg_sym_frame *f, size_t n) {
  struct sym_ctx *c = ctx;
  struct pairs *ps = c->ps;
  struct pair *q = &ps->v[c->which[request]];
  q->symbolized = true;
  if (n == 1 && !f[0].function && !f[0].file)
    return; /* nothing known: shown as image+offset */
  q->first = ps->nframes;
  q->n = n;
  MG_GROW(ps->frames, ps->frames_cap, ps->nframes + n);
  for (size_t i = 0; i < n; i++) {
    /* the spelling of the site tables' frames: no parameters, no "." or ".." (names.h) */
    char *function = mg_name_function(mg_xstrdup_or_null(f[i].function));
    char *file = mg_name_path(mg_xstrdup_or_null(f[i].file));
    ps->frames[ps->nframes++] = (struct mg_stack_frame){
        .function = mg_strtab_copy(ps->strings, function),
        .file = mg_strtab_copy(ps->strings, file),
        .line = f[i].line,
        .column = f[i].column,
        .inlined = i + 1 < n,
    };
    free(function);
    free(file);
  }
}

static void split_dirs(struct resolver *r, const char *path) {
  if (!path)
    return;
  const char *p = path;
  while (*p) {
    const char *end = strchr(p, ':');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len) {
      r->dirs = mg_xrealloc(r->dirs, (r->ndirs + 1) * sizeof *r->dirs);
      r->dirs[r->ndirs++] = mg_xstrndup(p, len);
    }
    p += len + (end != NULL);
  }
}

/* --- The table ------------------------------------------------------------------------------- */

static int by_entry(const void *a, const void *b) {
  const struct mg_stack_site *x = a, *y = b;
  if (x->site != y->site)
    return x->site < y->site ? -1 : 1;
  if (x->bytes.value != y->bytes.value)
    return x->bytes.value < y->bytes.value ? 1 : -1;
  return (x->stack > y->stack) - (x->stack < y->stack);
}


/* Stacks of all processes are one when their (image, address) pairs are. */
struct sequence_key {
  uint32_t *const *seqs;
  const size_t *seqlen;
  const uint32_t *seq;
  size_t n;
};

static bool same_sequence(const void *ctx, size_t pos) {
  const struct sequence_key *k = ctx;
  return k->seqlen[pos] == k->n && memcmp(k->seqs[pos], k->seq, k->n * sizeof *k->seq) == 0;
}

struct entry_key {
  const struct mg_stack_table *t;
  uint64_t site;
  uint32_t stack;
};

static bool same_entry(const void *ctx, size_t pos) {
  const struct entry_key *k = ctx;
  return k->t->entries[pos].site == k->site && k->t->entries[pos].stack == k->stack;
}

void mg_stacks_resolve(struct mg_profile *p, const struct mg_symbolize_options *o) {
  struct mg_symbolize_options defaults = {0};
  if (!o)
    o = &defaults;
  if (p->stacks)
    return;
  bool any = false;
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    any |= proc && proc->stacks && proc->stacks->nraw;
  }
  if (!any)
    return;
  struct mg_stack_table *t = mg_xcalloc(1, sizeof *t);
  t->strings = mg_xcalloc(1, sizeof *t->strings);
  mg_strtab_init(t->strings);
  mg_map_init(&t->site_index, sizeof(struct mg_stack_span));
  p->stacks = t;
  struct resolver r = {.o = o, .t = t};
  mg_map_init(&r.image_index, sizeof(size_t));
  split_dirs(&r, o->symbol_path);
  struct pairs ps = {.strings = t->strings};
  mg_map_init(&ps.index, sizeof(size_t));

  /* 1. Every address of every process to a pair (image, relative address). */
  uint32_t **stack_pairs = mg_xcalloc(p->ninputs, sizeof *stack_pairs); /* per process, flat */
  size_t **stack_at = mg_xcalloc(p->ninputs, sizeof *stack_at); /* raw stack -> offset */
  for (size_t i = 0; i < p->ninputs; i++) {
    struct mg_process *proc = p->inputs[i].process;
    struct mg_proc_stacks *s = proc ? proc->stacks : NULL;
    if (!s || !s->nraw)
      continue;
    if (s->nlistings > 1)
      qsort(s->listings, s->nlistings, sizeof *s->listings, by_listing);
    size_t *module_image = mg_xcalloc(s->nmodules ? s->nmodules : 1, sizeof *module_image);
    for (size_t m = 0; m < s->nmodules; m++)
      module_image[m] = image_of(&r, &s->modules[m], proc->program);
    struct gens g = {mg_xcalloc(s->nlistings + 1, sizeof(size_t)), 0};
    for (size_t l = 0; l < s->nlistings; l++)
      if (l == 0 || s->listings[l].ts != s->listings[l - 1].ts)
        g.start[g.n++] = l;
    g.start[g.n] = s->nlistings;
    size_t total = 0;
    stack_at[i] = mg_xmalloc((s->nraw + 1) * sizeof *stack_at[i]);
    for (size_t k = 0; k < s->nraw; k++) {
      stack_at[i][k] = total;
      total += s->raw[k].n;
    }
    stack_at[i][s->nraw] = total;
    stack_pairs[i] = mg_xmalloc((total ? total : 1) * sizeof *stack_pairs[i]);
    for (size_t k = 0; k < s->nraw; k++) {
      const struct mg_raw_stack *rs = &s->raw[k];
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
    const char *sym = mg_symbolizer_find(o->symbolizer, buf, sizeof buf);
    struct mg_sym_request *req = mg_xmalloc((ps.n ? ps.n : 1) * sizeof *req);
    uint32_t *which = mg_xmalloc((ps.n ? ps.n : 1) * sizeof *which);
    size_t nreq = 0;
    for (size_t k = 0; k < ps.n; k++) {
      const struct pair *q = &ps.v[k];
      if (q->at.image == UINT32_MAX || !t->images[q->at.image].file)
        continue;
      req[nreq] = (struct mg_sym_request){t->images[q->at.image].file, q->at.rel};
      which[nreq++] = (uint32_t)k;
    }
    if (nreq && !sym) {
      if (o->symbolizer && *o->symbolizer)
        warn(&r, "symbolizer %s: not found or not executable; frames are shown as "
                 "image+0xOFFSET",
             o->symbolizer);
      else
        warn(&r, "no llvm-symbolizer found (install llvm, or give one with --symbolizer "
                 "PATH or MEMSCOPE_SYMBOLIZER); frames are shown as image+0xOFFSET");
    } else if (nreq) {
      t->symbolizer = mg_strtab_copy(t->strings, sym);
      char err[1024];
      struct sym_ctx c = {&ps, which};
      bool ok = mg_symbolize(sym, r.dirs, r.ndirs, req, nreq, on_frames, &c, err, sizeof err);
      if (!ok)
        warn(&r, "symbolization incomplete: %s", err);
      for (size_t k = 0; k < nreq; k++)
        t->images[ps.v[which[k]].at.image].symbolized = true;
    }
    free(req);
    free(which);
  }

  /* 3. Stacks: distinct sequences of pairs, over all processes. */
  struct mg_map stack_index; /* hash of the pair sequence, probed -> position + 1 */
  mg_map_init(&stack_index, sizeof(size_t));
  uint32_t **seqs = NULL; /* each stack's pairs */
  size_t *seqlen = NULL, seq_cap = 0, len_cap = 0;
  struct mg_map entry_index; /* hash of (site, stack), probed -> position + 1 */
  mg_map_init(&entry_index, sizeof(size_t));
  size_t entries_cap = 0;
  for (size_t i = 0; i < p->ninputs; i++) {
    struct mg_process *proc = p->inputs[i].process;
    struct mg_proc_stacks *s = proc ? proc->stacks : NULL;
    if (!s || !s->nraw)
      continue;
    uint32_t *table_of = mg_xmalloc(s->nraw * sizeof *table_of);
    for (size_t k = 0; k < s->nraw; k++) {
      const uint32_t *seq = &stack_pairs[i][stack_at[i][k]];
      size_t n = s->raw[k].n;
      uint64_t h = mg_hash_bytes(MG_HASH_SEED, seq, n * sizeof *seq);
      bool existed;
      size_t *slot = mg_map_probe(&stack_index, &h, same_sequence,
                                  &(struct sequence_key){seqs, seqlen, seq, n}, &existed);
      if (!existed) {
        MG_GROW(seqs, seq_cap, t->nstacks + 1);
        MG_GROW(seqlen, len_cap, t->nstacks + 1);
        seqs[t->nstacks] = mg_xmalloc(n * sizeof *seq);
        memcpy(seqs[t->nstacks], seq, n * sizeof *seq);
        seqlen[t->nstacks] = n;
        *slot = ++t->nstacks;
      }
      table_of[k] = (uint32_t)(*slot - 1);
    }
    for (size_t e = 0; e < s->nsamples; e++) {
      const struct mg_stack_tally *sm = &s->samples[e];
      uint32_t stack = table_of[sm->stack - 1];
      uint64_t h = mg_hash_bytes(mg_hash_bytes(MG_HASH_SEED, &sm->site, sizeof sm->site), &stack, sizeof stack);
      bool existed;
      size_t *slot = mg_map_probe(&entry_index, &h, same_entry,
                                  &(struct entry_key){t, sm->site, stack}, &existed);
      if (!existed) {
        MG_GROW(t->entries, entries_cap, t->nentries + 1);
        t->entries[t->nentries] = (struct mg_stack_site){.site = sm->site, .stack = stack};
        *slot = ++t->nentries;
      }
      struct mg_stack_site *to = &t->entries[*slot - 1];
      to->samples += sm->samples;
      to->estimated |= proc->sampled;
      mg_est_sum(&to->calls, &sm->calls);
      mg_est_sum(&to->bytes, &sm->bytes);
      mg_est_sum(&to->live_blocks, &sm->live_blocks);
      mg_est_sum(&to->live_bytes, &sm->live_bytes);
    }
    free(table_of);
  }
  mg_map_destroy(&entry_index);
  mg_map_destroy(&stack_index);

  /* Their frames. */
  t->stacks = mg_xcalloc(t->nstacks ? t->nstacks : 1, sizeof *t->stacks);
  for (size_t k = 0; k < t->nstacks; k++) {
    size_t nf = 0;
    for (size_t a = 0; a < seqlen[k]; a++)
      nf += ps.v[seqs[k][a]].n ? ps.v[seqs[k][a]].n : 1;
    struct mg_stack *st = &t->stacks[k];
    st->frames = mg_xcalloc(nf ? nf : 1, sizeof *st->frames);
    for (size_t a = 0; a < seqlen[k]; a++) {
      const struct pair *q = &ps.v[seqs[k][a]];
      const char *module = q->at.image == UINT32_MAX ? NULL : t->images[q->at.image].path;
      if (!q->n) {
        st->frames[st->nframes++] = (struct mg_stack_frame){
            .module = module, .image = q->at.image, .address = q->at.rel};
        continue;
      }
      for (size_t f = 0; f < q->n; f++) {
        struct mg_stack_frame fr = ps.frames[q->first + f];
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
    const struct mg_stack_site *x = &t->entries[e];
    bool existed;
    struct mg_stack_span *span = mg_map_put(&t->site_index, x->site, &existed);
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
  mg_map_destroy(&ps.index);
  for (size_t i = 0; i < r.nimages; i++) {
    free(r.images[i].path);
    free(r.images[i].build_id);
    free(r.images[i].file);
    free(r.images[i].problem);
  }
  free(r.images);
  mg_map_destroy(&r.image_index);
  for (size_t i = 0; i < r.ndirs; i++)
    free(r.dirs[i]);
  free(r.dirs);
}
