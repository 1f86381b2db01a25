/* Whole allocation paths, frame origins and each site's callers (callers.h). */
#include "callers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *mg_origin_name(enum mg_origin o) {
  switch (o) {
  case MG_ORIGIN_OWN: return "own";
  case MG_ORIGIN_SYSTEM: return "system";
  case MG_ORIGIN_LIBC: return "libc";
  case MG_ORIGIN_RUNTIME: return "memscope";
  default: return "unknown";
  }
}

static bool starts_with(const char *s, const char *prefix) {
  return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* path is dir or below it */
static bool under(const char *path, const char *dir) {
  size_t n = strlen(dir);
  return path && strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Where the system's headers and libraries live (Debian's layout and the usual ones). */
static bool system_path(const char *path) {
  static const char *const dirs[] = {"/usr/include", "/usr/lib", "/usr/lib32", "/usr/lib64",
                                     "/usr/libexec", "/lib", "/lib32", "/lib64"};
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
    if (under(path, dirs[i]))
      return true;
  return false;
}

/* The C library and the loader, by file name: libc.so.6, ld-linux-x86-64.so.2, ... */
static bool libc_image(const char *module) {
  static const char *const names[] = {"libc.so", "libc-", "ld-linux", "ld64.so", "ld.so",
                                      "libpthread.so", "libdl.so", "libm.so", "librt.so"};
  const char *base = module ? mg_base_name(module) : NULL;
  for (size_t i = 0; base && i < sizeof names / sizeof *names; i++)
    if (starts_with(base, names[i]))
      return true;
  return false;
}

/* What starts a process or a thread: the outer end of every path, left out. */
static bool start_function(const char *function) {
  static const char *const names[] = {"_start", "__libc_start_main", "__libc_start_call_main",
                                      "start_thread", "clone", "clone3", "__clone",
                                      "__clone3", "__GI___clone3", "__clone_internal"};
  for (size_t i = 0; function && i < sizeof names / sizeof *names; i++)
    if (strcmp(function, names[i]) == 0)
      return true;
  return false;
}

enum mg_origin mg_frame_origin(const char *function, const char *file, const char *module) {
  if (starts_with(function, "__memscope") || starts_with(function, "memscope_") ||
      starts_with(module ? mg_base_name(module) : NULL, "libmemscope"))
    return MG_ORIGIN_RUNTIME;
  if (libc_image(module))
    return MG_ORIGIN_LIBC;
  if (!function && !file && !module)
    return MG_ORIGIN_UNKNOWN;
  if (file)
    return system_path(file) ? MG_ORIGIN_SYSTEM : MG_ORIGIN_OWN;
  /* no line information: the image, then the name tell */
  if (system_path(module) || starts_with(function, "std::") ||
      starts_with(function, "__gnu_cxx::") || starts_with(function, "__cxxabiv1::") ||
      starts_with(function, "operator new") || starts_with(function, "operator delete"))
    return MG_ORIGIN_SYSTEM;
  return MG_ORIGIN_OWN;
}

/* A frame that starts a process or a thread, or the C library's or nothing known
 * beyond those. */
static bool outermost_start(const struct mg_stack_frame *f) {
  enum mg_origin o = mg_frame_origin(f->function, f->file, f->module);
  return start_function(f->function) || o == MG_ORIGIN_LIBC || o == MG_ORIGIN_UNKNOWN;
}

void mg_path_frame_name(const struct mg_path_frame *f, char *buf, size_t size) {
  if (f->function)
    snprintf(buf, size, "%s", f->function);
  else if (f->module)
    snprintf(buf, size, "%s+0x%" PRIx64, f->module[0] ? mg_base_name(f->module) : "?", f->address);
  else
    snprintf(buf, size, "??");
}

static struct mg_path_frame site_frame(const struct mg_frame *f) {
  return (struct mg_path_frame){.function = f->function, .file = f->file, .line = f->line,
                                .column = f->column, .inlined = false,
                                .origin = mg_frame_origin(f->function, f->file, NULL)};
}

static struct mg_path_frame stack_frame(const struct mg_stack_frame *f) {
  return (struct mg_path_frame){.function = f->function, .file = f->file, .module = f->module,
                                .line = f->line, .column = f->column, .address = f->address,
                                .inlined = f->inlined,
                                .origin = mg_frame_origin(f->function, f->file, f->module)};
}

/* The stack enters the runtime through one of the pass's function-pointer thunks. */
static bool through_pointer(const struct mg_stack *st) {
  for (size_t i = 0; i < st->nframes; i++) {
    const struct mg_stack_frame *f = &st->frames[i];
    if (mg_frame_origin(f->function, f->file, f->module) != MG_ORIGIN_RUNTIME)
      return false;
    if (starts_with(f->function, "__memscope_fp."))
      return true;
  }
  return false;
}

bool mg_site_stacks_whole(const struct mg_profile *p, const struct mg_site *s) {
  if (mg_site_uninstrumented(s))
    return true;
  const struct mg_stack_span *span = mg_stacks_of_site(p, s->id);
  return span && span->n && through_pointer(&p->stacks->stacks[p->stacks->entries[span->first].stack]);
}

void mg_stack_outer(const struct mg_profile *p, const struct mg_site *s,
                    const struct mg_stack_site *e, size_t *from, size_t *to) {
  const struct mg_stack *st = &p->stacks->stacks[e->stack];
  size_t outer = 0, n = st->nframes;
  /* the pass's own shims (__memscope_cxx._Znwm, ...) that called the runtime, in the
   * program's image where the runtime cannot cut them off; then, for an instrumented
   * site, the frames its own chain already tells */
  while (outer < n && stack_frame(&st->frames[outer]).origin == MG_ORIGIN_RUNTIME)
    outer++;
  if (!mg_site_stacks_whole(p, s) && outer < n) {
    struct mg_stack rest = {n - outer, st->frames + outer};
    outer += mg_stack_first_frames(&rest);
  }
  /* the outer end: the thread's entry or main */
  while (n > outer + 1 && outermost_start(&st->frames[n - 1]))
    n--;
  *from = outer;
  *to = n > outer ? n : outer;
}

size_t mg_site_path(const struct mg_profile *p, const struct mg_site *s,
                    const struct mg_stack_site *e, struct mg_path_frame **out) {
  bool whole = e && p->stacks && mg_site_stacks_whole(p, s);
  size_t own = whole || mg_site_uninstrumented(s) ? 0 : s->nframes, from = 0, to = 0;
  if (e && p->stacks)
    mg_stack_outer(p, s, e, &from, &to);
  struct mg_path_frame *f = mg_xmalloc((own + to - from ? own + to - from : 1) * sizeof *f);
  size_t n = 0;
  for (size_t i = 0; i < own; i++) {
    f[n] = site_frame(&s->frames[i]);
    f[n].inlined = i + 1 < own; /* the pass's chain: each frame inlined into the next */
    n++;
  }
  for (size_t i = from; i < to; i++)
    f[n++] = stack_frame(&p->stacks->stacks[e->stack].frames[i]);
  *out = f;
  return n;
}

size_t mg_path_caller(const struct mg_path_frame *f, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (f[i].origin == MG_ORIGIN_OWN)
      return i;
  for (size_t i = 0; i < n; i++)
    if (f[i].origin == MG_ORIGIN_SYSTEM)
      return i;
  for (size_t i = 0; i < n; i++)
    if (f[i].origin != MG_ORIGIN_UNKNOWN)
      return i;
  return 0;
}

static bool same_str(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

bool mg_path_same_frame(const struct mg_path_frame *a, const struct mg_path_frame *b) {
  return same_str(a->function, b->function) && same_str(a->file, b->file) &&
         a->line == b->line && (a->function || a->file || a->address == b->address);
}

static bool same_caller(const struct mg_caller *a, const struct mg_caller *b) {
  if (!mg_path_same_frame(&a->place, &b->place) || a->ncontext != b->ncontext)
    return false;
  for (size_t i = 0; i < a->ncontext; i++)
    if (!mg_path_same_frame(&a->context[i], &b->context[i]))
      return false;
  return true;
}

/* The caller of one path: its caller frame and the own frames beyond it and beyond the
 * site's own chain (its first `chain` frames: every path of the site has them). */
static struct mg_caller caller_of(const struct mg_path_frame *f, size_t n, size_t chain) {
  struct mg_caller c = {0};
  if (!n)
    return c;
  c.depth = mg_path_caller(f, n);
  c.place = f[c.depth];
  if (c.depth)
    c.inner = f[c.depth - 1];
  for (size_t i = c.depth + 1 > chain ? c.depth + 1 : chain; i < n && c.ncontext < MG_CALLER_CONTEXT; i++) {
    if (f[i].origin == MG_ORIGIN_OWN)
      c.context[c.ncontext++] = f[i];
    else
      c.skipped++;
  }
  return c;
}

static int by_size(const void *a, const void *b) {
  const struct mg_caller *x = a, *y = b;
  if (x->bytes.value != y->bytes.value)
    return x->bytes.value < y->bytes.value ? 1 : -1;
  if (x->calls.value != y->calls.value)
    return x->calls.value < y->calls.value ? 1 : -1;
  return (x->samples < y->samples) - (x->samples > y->samples);
}

void mg_site_callers(const struct mg_profile *p, const struct mg_site *s, struct mg_callers *out) {
  memset(out, 0, sizeof *out);
  const struct mg_stack_span *span = mg_stacks_of_site(p, s->id);
  if (!span || !span->n)
    return;
  out->v = mg_xcalloc(span->n, sizeof *out->v);
  for (size_t i = 0; i < span->n; i++) {
    const struct mg_stack_site *e = &p->stacks->entries[span->first + i];
    struct mg_path_frame *f;
    size_t n = mg_site_path(p, s, e, &f);
    struct mg_caller c = caller_of(f, n, mg_site_stacks_whole(p, s) ? 0 : s->nframes);
    free(f);
    struct mg_caller *g = NULL;
    for (size_t k = 0; k < out->n && !g; k++)
      if (same_caller(&out->v[k], &c))
        g = &out->v[k];
    if (!g) {
      g = &out->v[out->n++];
      *g = c;
    }
    g->samples += e->samples;
    mg_est_sum(&g->calls, &e->calls);
    mg_est_sum(&g->bytes, &e->bytes);
    mg_est_sum(&g->live_blocks, &e->live_blocks);
    mg_est_sum(&g->live_bytes, &e->live_bytes);
    g->estimated |= e->estimated;
    out->samples += e->samples;
  }
  qsort(out->v, out->n, sizeof *out->v, by_size);
}

void mg_callers_free(struct mg_callers *c) {
  free(c->v);
  memset(c, 0, sizeof *c);
}

bool mg_site_place(const struct mg_profile *p, const struct mg_site *s, struct mg_caller *out) {
  struct mg_path_frame *f;
  size_t n = mg_site_path(p, s, NULL, &f);
  *out = caller_of(f, n, n);
  free(f);
  out->ncontext = out->skipped = 0;
  if (n && out->place.origin == MG_ORIGIN_OWN && !mg_site_stacks_whole(p, s))
    return true;
  struct mg_callers callers;
  mg_site_callers(p, s, &callers);
  bool any = n > 0 || callers.n > 0;
  if (callers.n)
    *out = (struct mg_caller){.place = callers.v[0].place, .depth = callers.v[0].depth,
                              .inner = callers.v[0].inner};
  mg_callers_free(&callers);
  return any;
}
