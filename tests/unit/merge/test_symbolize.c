/* Stacks of sampled allocations: decoding (SITE flags, event stacks, MODULE records),
 * placing addresses in images, symbolization with llvm-symbolizer, and what the reports
 * make of them.  The image is this test executable itself: its path, load bias and build
 * id are those of the running process, and the addresses are those of functions below,
 * so the expected names and file are known exactly. */
#define _GNU_SOURCE
#include <check.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfinfo.h"
#include "fixture.h"
#include "memscope/event_codec.h"
#include "profile.h"
#include "bottleneck.h"
#include "report.h"
#include "stack_resolve.h"
#include "suites.h"
#include "symbolize.h"

#define UNINSTR_MALLOC MS_UNINSTRUMENTED_SITE_ID(MEMSCOPE_API_MALLOC)

/* Functions whose addresses make the stacks.  noinline and address-taken, so each has
 * its own code; the volatile store keeps the call in inlining_caller from being a tail
 * call, so the return address it captures lies in inlining_caller, inside the code of
 * inlined_helper. */
void *volatile symbolize_sink;

__attribute__((noinline)) static void *symbolize_target(size_t n) {
  symbolize_sink = &n;
  return symbolize_sink;
}

__attribute__((noinline)) static void *symbolize_outer(size_t n) {
  void *r = symbolize_target(n + 1);
  symbolize_sink = r;
  return r;
}

__attribute__((noinline)) static void *capture_return(void) { return __builtin_return_address(0); }

static inline __attribute__((always_inline)) void *inlined_helper(void) {
  void *r = capture_return();
  symbolize_sink = r;
  return r;
}

__attribute__((noinline)) static void *inlining_caller(void) {
  void *r = inlined_helper();
  symbolize_sink = 0;
  return r;
}

/* --- The running executable as an image -------------------------------------------------- */

struct self {
  char path[PATH_MAX];
  uint64_t bias;
  char build_id[129];
};

static int first_object(struct dl_phdr_info *info, size_t size, void *ctx) {
  (void)size;
  *(uint64_t *)ctx = info->dlpi_addr; /* the first is the program */
  return 1;
}

static void self_image(struct self *s) {
  ck_assert_ptr_nonnull(realpath("/proc/self/exe", s->path));
  dl_iterate_phdr(first_object, &s->bias);
  struct mg_elf_info elf;
  char err[256];
  ck_assert_msg(mg_elf_read(s->path, &elf, err, sizeof err), "%s", err);
  ck_assert_msg(elf.build_id[0], "the test executable has no build id");
  ck_assert(mg_elf_contains(&elf, (uint64_t)(uintptr_t)symbolize_target - s->bias));
  snprintf(s->build_id, sizeof s->build_id, "%s", elf.build_id);
}

static bool have_symbolizer(void) {
  char buf[4096];
  return mg_symbolizer_find(NULL, buf, sizeof buf) != NULL;
}

static uint64_t addr_of(void *(*fn)(size_t)) { return (uint64_t)(uintptr_t)fn; }

/* A sampled file: an uninstrumented malloc site with exact counters (10 calls, 1000
 * bytes), and its samples with the given stacks. */
static void sampled_file(struct fx *f, const char *path, uint64_t base, const char *build_id,
                         size_t nstacks, const uint64_t *const *stacks, const size_t *depth) {
  fx_init(f);
  fx_header_sampled(f, "symbolize", 4242, 512);
  if (path)
    fx_loaded_module(f, path, base, build_id, 1000);
  fx_site_flags(f, UNINSTR_MALLOC, MEMSCOPE_API_MALLOC, 0, NULL, MS_SITE_FLAG_UNINSTRUMENTED);
  fx_events(f, 1, 4242, nstacks);
  for (size_t i = 0; i < nstacks; i++)
    fx_sampled_stack(f, UNINSTR_MALLOC, 100, 0x1000 + 64 * i, 2000 + i, 5.0, 0, depth[i],
                     stacks[i]);
  fx_counters(f, 1, 4242, 1, 1);
  fx_counter(f, UNINSTR_MALLOC, 10, 1000, 100, 100);
  fx_end(f, 9000, "exit");
}

static struct mg_profile *merge(struct fx *f, const char *name,
                                const struct mg_symbolize_options *o) {
  struct mg_profile *p = mg_profile_new();
  const struct mg_input *in = mg_profile_add_buffer(p, name, f->buf.data, f->buf.size);
  ck_assert_msg(in->problem.status == MG_DECODE_OK, "%s", in->problem.message);
  mg_profile_finish(p);
  mg_stacks_resolve(p, o);
  return p;
}

static char *report(struct mg_profile *p, void (*fn)(FILE *, const struct mg_profile *,
                                                     const struct mg_report_options *)) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  struct mg_report_options opt = {.top = 10};
  fn(out, p, &opt);
  fclose(out);
  return text;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* --- Tests --------------------------------------------------------------------------------- */

START_TEST(test_symbolized_function_and_file) {
  if (!have_symbolizer())
    return; /* scripts/setup installs llvm: only a bare machine gets here */
  struct self me;
  self_image(&me);
  uint64_t stack[] = {addr_of(symbolize_target) + 1, addr_of(symbolize_outer) + 1};
  const uint64_t *stacks[] = {stack};
  size_t depth[] = {2};
  struct fx f;
  sampled_file(&f, me.path, me.bias, me.build_id, 1, stacks, depth);
  struct mg_symbolize_options o = {.quiet = true};
  struct mg_profile *p = merge(&f, "sym.msgpack", &o);

  const struct mg_stack_table *t = p->stacks;
  ck_assert_ptr_nonnull(t);
  ck_assert_msg(t->nwarnings == 0, "unexpected warning: %s", t->nwarnings ? t->warnings[0] : "");
  ck_assert_uint_eq(t->nstacks, 1);
  const struct mg_stack *st = &t->stacks[0];
  ck_assert_uint_ge(st->nframes, 2);
  ck_assert_str_eq(st->frames[0].function, "symbolize_target");
  ck_assert_ptr_nonnull(st->frames[0].file);
  ck_assert_msg(ends_with(st->frames[0].file, "tests/unit/merge/test_symbolize.c"), "file %s",
                st->frames[0].file);
  ck_assert_uint_gt(st->frames[0].line, 0);
  ck_assert_str_eq(st->frames[0].module, me.path);
  ck_assert_uint_eq(st->frames[0].address, addr_of(symbolize_target) - me.bias);
  ck_assert_str_eq(st->frames[st->nframes - 1].function, "symbolize_outer");
  ck_assert_uint_eq(t->nimages, 1);
  ck_assert(t->images[0].symbolized);

  /* The sampled estimates: 1 sample of weight 5 and 100 bytes. */
  const struct mg_stack_span *span = mg_stacks_of_site(p, UNINSTR_MALLOC);
  ck_assert_ptr_nonnull(span);
  ck_assert_uint_eq(span->n, 1);
  ck_assert(t->entries[span->first].calls.value == 5.0);
  ck_assert(t->entries[span->first].bytes.value == 500.0);
  ck_assert(t->entries[span->first].live_bytes.value == 500.0); /* never freed */

  /* Folded: the symbolized path, outermost first, with the site's exact bytes. */
  char *folded = report(p, mg_report_folded);
  ck_assert_str_eq(folded, "symbolize_outer;symbolize_target 1000\n");
  free(folded);

  char *text = report(p, mg_report_text);
  ck_assert_ptr_nonnull(strstr(text, "Allocations from uninstrumented code"));
  ck_assert_ptr_nonnull(strstr(text, "symbolize_target"));
  ck_assert_ptr_nonnull(strstr(text, "test_symbolize.c:"));
  free(text);

  char *json = report(p, mg_report_json);
  ck_assert_ptr_nonnull(strstr(json, "\"uninstrumented\": true"));
  ck_assert_ptr_nonnull(strstr(json, "\"function\": \"symbolize_target\""));
  ck_assert_ptr_nonnull(strstr(json, "\"symbolization\""));
  ck_assert_ptr_nonnull(strstr(json, "\"site_id\": \"0x4d53554e494e0001\""));
  free(json);

  size_t len;
  unsigned char *pb = mg_pprof_encode(p, NULL, &len);
  ck_assert_ptr_nonnull(memmem(pb, len, "symbolize_target", strlen("symbolize_target")));
  ck_assert_ptr_nonnull(memmem(pb, len, me.build_id, strlen(me.build_id)));
  free(pb);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_inlined_frames) {
  if (!have_symbolizer())
    return;
  struct self me;
  self_image(&me);
  uint64_t ra = (uint64_t)(uintptr_t)inlining_caller();
  uint64_t stack[] = {ra};
  const uint64_t *stacks[] = {stack};
  size_t depth[] = {1};
  struct fx f;
  sampled_file(&f, me.path, me.bias, me.build_id, 1, stacks, depth);
  struct mg_symbolize_options o = {.quiet = true};
  struct mg_profile *p = merge(&f, "inl.msgpack", &o);
  const struct mg_stack *st = &p->stacks->stacks[0];
  ck_assert_uint_eq(st->nframes, 2);
  ck_assert_str_eq(st->frames[0].function, "inlined_helper");
  ck_assert(st->frames[0].inlined);
  ck_assert_str_eq(st->frames[1].function, "inlining_caller");
  ck_assert(!st->frames[1].inlined);
  ck_assert_uint_eq(st->frames[0].address, st->frames[1].address);
  ck_assert_uint_eq(mg_stack_first_frames(st), 2);
  char *folded = report(p, mg_report_folded);
  ck_assert_str_eq(folded, "inlining_caller;inlined_helper 1000\n");
  free(folded);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_build_id_mismatch) {
  struct self me;
  self_image(&me);
  uint64_t stack[] = {addr_of(symbolize_target) + 1};
  const uint64_t *stacks[] = {stack};
  size_t depth[] = {1};
  struct fx f;
  sampled_file(&f, me.path, me.bias, "0123456789abcdef", 1, stacks, depth);
  struct mg_symbolize_options o = {.quiet = true};
  struct mg_profile *p = merge(&f, "mismatch.msgpack", &o);
  const struct mg_stack_table *t = p->stacks;
  ck_assert_uint_eq(t->nwarnings, 1); /* once, for the image */
  ck_assert_ptr_nonnull(strstr(t->warnings[0], "differs from the recorded 0123456789abcdef"));
  ck_assert_ptr_nonnull(strstr(t->warnings[0], me.path));
  const struct mg_stack_frame *fr = &t->stacks[0].frames[0];
  ck_assert_ptr_null(fr->function);
  ck_assert_str_eq(fr->module, me.path);
  char name[512], expect[512];
  mg_stack_frame_name(fr, name, sizeof name);
  snprintf(expect, sizeof expect, "%s+0x%" PRIx64, strrchr(me.path, '/') + 1,
           addr_of(symbolize_target) - me.bias);
  ck_assert_str_eq(name, expect);
  ck_assert(!t->images[0].symbolized);
  char *text = report(p, mg_report_text);
  ck_assert_ptr_nonnull(strstr(text, "warning:"));
  ck_assert_ptr_nonnull(strstr(text, expect));
  free(text);
  char *folded = report(p, mg_report_folded);
  char line[600];
  snprintf(line, sizeof line, "%s 1000\n", expect);
  ck_assert_str_eq(folded, line);
  free(folded);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_missing_file) {
  uint64_t pc = addr_of(symbolize_target);
  uint64_t stack[] = {pc + 1};
  const uint64_t *stacks[] = {stack};
  size_t depth[] = {1};
  struct fx f;
  sampled_file(&f, "/nonexistent/dir/libgone.so.1", pc - 0x1230, "abcdef01", 1, stacks, depth);
  struct mg_symbolize_options o = {.quiet = true};
  struct mg_profile *p = merge(&f, "missing.msgpack", &o);
  const struct mg_stack_table *t = p->stacks;
  ck_assert_uint_eq(t->nwarnings, 1);
  ck_assert_ptr_nonnull(strstr(t->warnings[0], "/nonexistent/dir/libgone.so.1: not found"));
  char name[256];
  mg_stack_frame_name(&t->stacks[0].frames[0], name, sizeof name);
  ck_assert_str_eq(name, "libgone.so.1+0x1230");
  char *json = report(p, mg_report_json);
  ck_assert_ptr_nonnull(strstr(json, "\"module\": \"/nonexistent/dir/libgone.so.1\""));
  ck_assert_ptr_nonnull(strstr(json, "\"address\": \"0x1230\""));
  ck_assert_ptr_nonnull(strstr(json, "not found"));
  free(json);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* An image found under --symbol-path by its base name, when its recorded path is not
 * there (another machine): here the program recorded as "" by an older runtime. */
START_TEST(test_symbol_path_program) {
  struct self me;
  self_image(&me);
  uint64_t stack[] = {addr_of(symbolize_target) + 1};
  const uint64_t *stacks[] = {stack};
  size_t depth[] = {1};
  struct fx f;
  fx_init(&f);
  char *dir = strdup(me.path);
  *strrchr(dir, '/') = '\0';
  /* The header's program is the executable's name, as the runtime writes it. */
  fx_header_sampled(&f, strrchr(me.path, '/') + 1, 7, 512);
  fx_loaded_module(&f, "", me.bias, me.build_id, 0);
  fx_site_flags(&f, UNINSTR_MALLOC, MEMSCOPE_API_MALLOC, 0, NULL, MS_SITE_FLAG_UNINSTRUMENTED);
  fx_events(&f, 1, 7, 1);
  fx_sampled_stack(&f, UNINSTR_MALLOC, 64, 0x5000, 100, 1.0, 0, depth[0], stacks[0]);
  fx_end(&f, 200, "exit");
  struct mg_symbolize_options o = {.quiet = true, .no_symbolize = true};
  struct mg_profile *p = merge(&f, "old.msgpack", &o);
  ck_assert_uint_eq(p->stacks->nwarnings, 1); /* not found without --symbol-path */
  ck_assert_ptr_nonnull(strstr(p->stacks->warnings[0], "path was not recorded"));
  mg_profile_free(p);

  o.symbol_path = dir;
  p = merge(&f, "old.msgpack", &o);
  ck_assert_msg(p->stacks->nwarnings == 0, "%s", p->stacks->warnings[0]);
  ck_assert_str_eq(p->stacks->images[0].file, me.path);
  mg_profile_free(p);
  free(dir);
  fx_destroy(&f);
}
END_TEST

START_TEST(test_no_symbolize) {
  struct self me;
  self_image(&me);
  uint64_t stack[] = {addr_of(symbolize_target) + 1};
  const uint64_t *stacks[] = {stack};
  size_t depth[] = {1};
  struct fx f;
  sampled_file(&f, me.path, me.bias, me.build_id, 1, stacks, depth);
  struct mg_symbolize_options o = {.quiet = true, .no_symbolize = true,
                                   .symbolizer = "/nonexistent/llvm-symbolizer"};
  struct mg_profile *p = merge(&f, "nosym.msgpack", &o);
  const struct mg_stack_table *t = p->stacks;
  ck_assert_uint_eq(t->nwarnings, 0);
  ck_assert_ptr_null(t->symbolizer);
  ck_assert_ptr_null(t->stacks[0].frames[0].function);
  ck_assert_str_eq(t->stacks[0].frames[0].module, me.path);
  ck_assert(!t->images[0].symbolized);
  mg_profile_free(p);

  /* A symbolizer that does not exist: said once, frames as image+offset. */
  o.no_symbolize = false;
  p = merge(&f, "nosym.msgpack", &o);
  ck_assert_uint_eq(p->stacks->nwarnings, 1);
  ck_assert_ptr_nonnull(strstr(p->stacks->warnings[0], "/nonexistent/llvm-symbolizer"));
  ck_assert_ptr_null(p->stacks->stacks[0].frames[0].function);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* A stack of the wrong shape in an EVENTS record (leaks mode's), or too deep in a chunk:
 * the file is corrupt there. */
START_TEST(test_malformed_stack) {
  struct fx f;
  fx_init(&f);
  fx_header_sampled(&f, "bad", 1, 512);
  fx_events_record(&f, 1, 1, 1);
  f.events_left = 0; /* the event is packed by hand */
  msgpack_pack_array(&f.pk, MS_EV_SAMPLED_STACK_LEN);
  msgpack_pack_uint64(&f.pk, MS_EV_ALLOC);
  msgpack_pack_uint64(&f.pk, 5);
  msgpack_pack_uint64(&f.pk, 16);
  msgpack_pack_uint64(&f.pk, 0x100);
  msgpack_pack_uint64(&f.pk, 10);
  msgpack_pack_double(&f.pk, 1.0);
  msgpack_pack_uint64(&f.pk, 0);
  msgpack_pack_uint64(&f.pk, 0);
  msgpack_pack_array(&f.pk, 2);
  msgpack_pack_uint64(&f.pk, 0x401000);
  fx_str(&f, "oops");
  struct mg_profile *p = mg_profile_new();
  const struct mg_input *in = mg_profile_add_buffer(p, "bad-stack.msgpack", f.buf.data, f.buf.size);
  ck_assert_int_eq(in->problem.status, MG_DECODE_CORRUPT);
  char msg[512];
  mg_decode_problem_format(&in->problem, msg, sizeof msg);
  char expect[256];
  snprintf(expect, sizeof expect, "bad-stack.msgpack: offset %zu: bad EVENTS record: event 0 stack "
           "element 1 is a string, not an address", f.starts[1]);
  ck_assert_msg(strncmp(msg, expect, strlen(expect)) == 0, "got: %s", msg);
  mg_profile_free(p);
  fx_destroy(&f);

  /* A stack that is not an array. */
  fx_init(&f);
  fx_header_sampled(&f, "bad", 1, 512);
  fx_events_record(&f, 1, 1, 1);
  f.events_left = 0;
  msgpack_pack_array(&f.pk, MS_EV_SAMPLED_STACK_LEN);
  for (int k = 0; k < 5; k++)
    msgpack_pack_uint64(&f.pk, k == 0 ? MS_EV_ALLOC : 16);
  msgpack_pack_double(&f.pk, 1.0);
  msgpack_pack_uint64(&f.pk, 0);
  msgpack_pack_uint64(&f.pk, 0);
  msgpack_pack_uint64(&f.pk, 0x401000);
  p = mg_profile_new();
  in = mg_profile_add_buffer(p, "bad2.msgpack", f.buf.data, f.buf.size);
  ck_assert_int_eq(in->problem.status, MG_DECODE_CORRUPT);
  ck_assert_ptr_nonnull(strstr(in->problem.message, "event 0 stack is an unsigned integer, not an array"));
  mg_profile_free(p);
  fx_destroy(&f);

  /* In an EVENTS chunk: a STACK item of more frames than a stack may have. */
  fx_init(&f);
  fx_header_sampled(&f, "bad", 1, 512);
  fx_events(&f, 1, 1, 1);
  const uint8_t deep[] = {MS_ITEM_STACK, 1, 0x81, 0x02}; /* id 1, 257 frames */
  size_t at = fx_event_bytes(&f, deep, sizeof deep);
  p = mg_profile_new();
  in = mg_profile_add_buffer(p, "bad3.msgpack", f.buf.data, f.buf.size);
  mg_decode_problem_format(&in->problem, msg, sizeof msg);
  snprintf(expect, sizeof expect, "bad3.msgpack: offset %zu: bad EVENTS item (tag 0x05): cut short "
           "or out of range", at);
  ck_assert_str_eq(msg, expect);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* MODULE generations: the same place held another image before a dlclose/dlopen; an
 * address is looked up in the images loaded at its sample's time. */
START_TEST(test_module_generations) {
  struct self me;
  self_image(&me);
  struct fx f;
  fx_init(&f);
  fx_header_sampled(&f, "gen", 9, 512);
  fx_loaded_module(&f, "/nonexistent/libold.so", me.bias, "", 100);
  fx_loaded_module(&f, me.path, me.bias, me.build_id, 5000);
  fx_site_flags(&f, UNINSTR_MALLOC, MEMSCOPE_API_MALLOC, 0, NULL, MS_SITE_FLAG_UNINSTRUMENTED);
  uint64_t early[] = {addr_of(symbolize_outer) + 1}, late[] = {addr_of(symbolize_target) + 1};
  fx_events(&f, 1, 9, 2);
  fx_sampled_stack(&f, UNINSTR_MALLOC, 64, 0x5000, 1000, 1.0, 0, 1, early);
  fx_sampled_stack(&f, UNINSTR_MALLOC, 64, 0x6000, 6000, 1.0, 0, 1, late);
  fx_end(&f, 9000, "exit");
  struct mg_symbolize_options o = {.quiet = true, .no_symbolize = true};
  struct mg_profile *p = merge(&f, "gen.msgpack", &o);
  const struct mg_stack_table *t = p->stacks;
  ck_assert_uint_eq(t->nstacks, 2);
  bool saw_old = false, saw_self = false;
  for (size_t i = 0; i < t->nstacks; i++) {
    const struct mg_stack_frame *fr = &t->stacks[i].frames[0];
    if (strcmp(fr->module, "/nonexistent/libold.so") == 0) {
      saw_old = true;
      ck_assert_uint_eq(fr->address, addr_of(symbolize_outer) - me.bias);
    } else {
      saw_self = strcmp(fr->module, me.path) == 0;
      ck_assert_uint_eq(fr->address, addr_of(symbolize_target) - me.bias);
    }
  }
  ck_assert(saw_old && saw_self);
  ck_assert_uint_eq(t->nwarnings, 1); /* libold.so is missing */
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Many distinct addresses through one symbolizer run: nothing blocks, every address is
 * answered, and the first of each stack is still the function it is in.  (A stack has at
 * most MS_ITEM_STACK_MAX frames: the addresses come as 12 stacks of 250.) */
START_TEST(test_many_addresses) {
  if (!have_symbolizer())
    return;
  struct self me;
  self_image(&me);
  enum { N = 3000, DEPTH = 250, NSTACKS = N / DEPTH };
  static uint64_t addr[N];
  const uint64_t *stacks[NSTACKS];
  size_t depth[NSTACKS];
  for (size_t i = 0; i < N; i++)
    addr[i] = addr_of(symbolize_target) + 1 + i;
  for (size_t k = 0; k < NSTACKS; k++) {
    stacks[k] = addr + k * DEPTH;
    depth[k] = DEPTH;
  }
  struct fx f;
  sampled_file(&f, me.path, me.bias, me.build_id, NSTACKS, stacks, depth);
  struct mg_symbolize_options o = {.quiet = true};
  struct mg_profile *p = merge(&f, "many.msgpack", &o);
  ck_assert_msg(p->stacks->nwarnings == 0, "%s", p->stacks->warnings[0]);
  ck_assert_uint_eq(p->stacks->nstacks, NSTACKS);
  size_t frames = 0;
  for (size_t k = 0; k < NSTACKS; k++) {
    ck_assert_uint_ge(p->stacks->stacks[k].nframes, DEPTH);
    frames += p->stacks->stacks[k].nframes;
  }
  ck_assert_uint_ge(frames, N);
  /* The stack whose first address is symbolize_target's own. */
  bool first = false;
  for (size_t k = 0; k < NSTACKS; k++)
    first |= p->stacks->stacks[k].frames[0].address == addr_of(symbolize_target) - me.bias;
  ck_assert(first);
  for (size_t k = 0; k < NSTACKS; k++)
    if (p->stacks->stacks[k].frames[0].address == addr_of(symbolize_target) - me.bias)
      ck_assert_str_eq(p->stacks->stacks[k].frames[0].function, "symbolize_target");
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Without stacks nothing changes: no table, no section, empty "stacks" arrays. */
START_TEST(test_no_stacks_no_change) {
  struct fx f;
  fx_init(&f);
  fx_header(&f, "plain", 3);
  fx_site(&f, 5, MEMSCOPE_API_MALLOC, 0, NULL);
  fx_events(&f, 1, 3, 1);
  fx_alloc(&f, 5, 10, 0x10, 100);
  fx_end(&f, 200, "exit");
  struct mg_profile *p = merge(&f, "plain.msgpack", NULL);
  ck_assert_ptr_null(p->stacks);
  char *text = report(p, mg_report_text);
  ck_assert_ptr_null(strstr(text, "uninstrumented"));
  free(text);
  char *json = report(p, mg_report_json);
  ck_assert_ptr_nonnull(strstr(json, "\"stacks\": []"));
  ck_assert_ptr_null(strstr(json, "symbolization"));
  free(json);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

static char *slurp(const char *path) {
  FILE *in = fopen(path, "r");
  ck_assert_ptr_nonnull(in);
  char *text = NULL;
  size_t cap = 0;
  ssize_t n = getdelim(&text, &cap, '\0', in);
  fclose(in);
  if (n < 0) {
    free(text);
    text = strdup("");
  }
  return text;
}

/* memscope-merge itself: the options, the warning on stderr (once), the text report. */
START_TEST(test_cli_options) {
  struct self me;
  self_image(&me);
  uint64_t a[] = {addr_of(symbolize_target) + 1, addr_of(symbolize_outer) + 1};
  uint64_t b[] = {addr_of(symbolize_outer) + 1};
  const uint64_t *stacks[] = {a, b};
  size_t depth[] = {2, 1};
  struct fx f;
  sampled_file(&f, me.path, me.bias, "00ff", 2, stacks, depth); /* another build */
  char dir[] = "/tmp/memscope-symXXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[128], cmd[1024];
  snprintf(path, sizeof path, "%s/in.msgpack", dir);
  FILE *out = fopen(path, "wb");
  fwrite(f.buf.data, 1, f.buf.size, out);
  fclose(out);

  snprintf(cmd, sizeof cmd, "cd %s && %s in.msgpack >out.txt 2>err.txt", dir, MEMSCOPE_MERGE_BIN);
  ck_assert_int_eq(system(cmd), 0);
  snprintf(path, sizeof path, "%s/err.txt", dir);
  char *err = slurp(path);
  char *w = strstr(err, "memscope-merge: warning: ");
  ck_assert_msg(w && strstr(w, "differs from the recorded 00ff"), "stderr: %s", err);
  ck_assert_ptr_null(strstr(w + 1, "memscope-merge: warning: ")); /* once for the image */
  free(err);
  snprintf(path, sizeof path, "%s/out.txt", dir);
  char *text = slurp(path);
  char expect[512];
  snprintf(expect, sizeof expect, "%s+0x%" PRIx64, strrchr(me.path, '/') + 1,
           addr_of(symbolize_target) - me.bias);
  ck_assert_ptr_nonnull(strstr(text, "Allocations from uninstrumented code"));
  ck_assert_ptr_nonnull(strstr(text, expect));
  free(text);

  /* --no-symbolize, --symbolizer and --symbol-path are accepted; folded splits the
   * site's exact bytes (1000) between the two stacks, one sample each. */
  snprintf(cmd, sizeof cmd,
           "cd %s && %s --no-symbolize --symbolizer /nonexistent --symbol-path /nonexistent:%s "
           "--format folded in.msgpack >out.txt 2>err.txt",
           dir, MEMSCOPE_MERGE_BIN, dir);
  ck_assert_int_eq(system(cmd), 0);
  snprintf(path, sizeof path, "%s/out.txt", dir);
  text = slurp(path);
  char outer[256], line1[600], line2[300];
  snprintf(outer, sizeof outer, "%s+0x%" PRIx64, strrchr(me.path, '/') + 1,
           addr_of(symbolize_outer) - me.bias);
  snprintf(line1, sizeof line1, "%s 500\n", outer);
  snprintf(line2, sizeof line2, "%s;%s 500\n", outer, expect);
  ck_assert_msg(strstr(text, line1) && strstr(text, line2), "folded: %s", text);
  free(text);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  ck_assert_int_eq(system(cmd), 0);
  fx_destroy(&f);
}
END_TEST

Suite *symbolize_suite(void) {
  Suite *s = suite_create("symbolize");
  TCase *tc = tcase_create("stacks");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_symbolized_function_and_file);
  tcase_add_test(tc, test_inlined_frames);
  tcase_add_test(tc, test_build_id_mismatch);
  tcase_add_test(tc, test_missing_file);
  tcase_add_test(tc, test_symbol_path_program);
  tcase_add_test(tc, test_no_symbolize);
  tcase_add_test(tc, test_malformed_stack);
  tcase_add_test(tc, test_module_generations);
  tcase_add_test(tc, test_many_addresses);
  tcase_add_test(tc, test_no_stacks_no_change);
  tcase_add_test(tc, test_cli_options);
  suite_add_tcase(s, tc);
  return s;
}
