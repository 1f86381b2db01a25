/* Phases: PHASE records name them, sampled allocations carry their id; the analysis
 * gives the weighted allocations and bytes of each phase (exact in full mode), in the
 * text summary's "Phases" section and in JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "profile.h"
#include "report.h"
#include "suites.h"

enum { S_MAKE = 0x10 };
static const struct fx_frame frame[] = {{"make", "p.c", 10, 5}};

static struct mg_profile *profile_of(struct fx *f, const char *name) {
  struct mg_profile *p = mg_profile_new();
  const struct mg_input *in = mg_profile_add_buffer(p, name, f->buf.data, f->buf.size);
  ck_assert_msg(in->problem.status == MG_DECODE_OK, "%s", in->problem.message);
  return p;
}

static char *text_of(const struct mg_profile *p) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  mg_report_text(out, p, NULL);
  fclose(out);
  return text;
}

/* The section from its title line to the blank line after it ("" when absent). */
static char *section(const char *text, const char *title) {
  const char *s = strstr(text, title);
  if (!s)
    return strdup("");
  const char *e = strstr(s, "\n\n");
  return strndup(s, e ? (size_t)(e - s + 1) : strlen(s));
}

/* The JSON report without white space, so tests can search it for whole objects. */
static char *json_of(const struct mg_profile *p) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  mg_report_json(out, p, NULL);
  fclose(out);
  size_t k = 0;
  for (size_t i = 0; text[i]; i++)
    if (text[i] != ' ' && text[i] != '\n')
      text[k++] = text[i];
  text[k] = '\0';
  return text;
}

/* Sampled: "load" (id 1, named at 2000 ns, 1000 ns after the start), "serve" (id 2, label
 * known only from a new file's repeat, time 0), one sample outside any phase, and a
 * failed allocation in "load" that allocates nothing. */
static void build_phased(struct fx *f, uint64_t pid) {
  fx_init(f);
  fx_header_sampled(f, "ph", pid, 4096);
  fx_site(f, S_MAKE, MEMSCOPE_API_MALLOC, 1, frame);
  fx_phase(f, 1, "load", 2000);
  fx_phase(f, 2, "serve", 0);
  fx_events(f, 1, 10, 5);
  fx_sampled_phase(f, S_MAKE, 100, 0x1000, 2100, 4.0, 0, 1);
  fx_sampled_phase(f, S_MAKE, 50, 0x2000, 2200, 2.0, 0, 1);
  fx_sampled_phase(f, S_MAKE, 5, 0, 2250, 1.0, 0, 1);
  fx_sampled_phase(f, S_MAKE, 200, 0x3000, 2300, 1.0, 0, 2);
  fx_sampled(f, S_MAKE, 10, 0x4000, 2400, 3.0, 0);
  fx_end(f, 9000, "exit");
}

START_TEST(test_phases_sampled) {
  struct fx f;
  build_phased(&f, 7);
  struct mg_profile *p = profile_of(&f, "a.msgpack");
  const struct mg_process *proc = p->inputs[0].process;
  ck_assert_uint_eq(proc->nphases, 3);
  ck_assert_uint_eq(proc->skipped_records, 0);
  /* By id: the "no phase" entry first. */
  ck_assert_uint_eq(proc->phases[0].id, 0);
  ck_assert(proc->phases[0].allocations.value == 3.0);
  ck_assert(proc->phases[1].allocations.value == 6.0);
  ck_assert(proc->phases[1].bytes.value == 500.0);
  ck_assert(proc->phases[1].allocations.var == 14.0); /* (16-4) + (4-2) */
  ck_assert_str_eq(proc->phases[2].label, "serve");
  char *text = text_of(p);
  char *sec = section(text, "Phases (");
  /* Gamma intervals (estimate.c) with the process's units: R = 4096 bytes, and for
   * allocations 1/p of the smallest size seen (5 bytes: counts unknown) */
  const char *want =
      "Phases (allocations made while each phase was current)\n"
      "   phase        allocs           bytes   samples    named-ms  label\n"
      "       1   6±15109 (2)   500±14930 (2)         2       0.001  load\n"
      "       2   1±15111 (1)   200±15015 (1)         1           -  serve\n"
      "       -   3±15110 (1)    30±15095 (1)         1           -  (no phase)\n";
  ck_assert_msg(strcmp(sec, want) == 0, "%s", text);
  free(sec);
  free(text);
  char *json = json_of(p);
  ck_assert_msg(strstr(json, "\"phases\":[{\"id\":0,\"label\":null,\"time_ns\":null,"
                             "\"allocations\":{\"value\":3,\"error\":15110,\"low\":0,"
                             "\"high\":15113,\"samples\":1},"
                             "\"bytes\":{\"value\":30,\"error\":15095,\"low\":2,"
                             "\"high\":15125,\"samples\":1},\"samples\":1},"
                             "{\"id\":1,\"label\":\"load\",\"time_ns\":1000,"
                             "\"allocations\":{\"value\":6,\"error\":15109,\"low\":1,"
                             "\"high\":15115,\"samples\":2},"
                             "\"bytes\":{\"value\":500,\"error\":14930,\"low\":61,"
                             "\"high\":15430,\"samples\":2},\"samples\":2},"
                             "{\"id\":2,\"label\":\"serve\",\"time_ns\":null,"),
                "%.700s", strstr(json, "\"phases\"") ? strstr(json, "\"phases\"") : json);
  free(json);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* Full mode: every allocation is an event with weight 1, so the numbers are exact; a
 * phase id without a PHASE record (the file was cut before it) shows as "?". */
START_TEST(test_phases_full_exact) {
  struct fx f;
  fx_init(&f);
  fx_header(&f, "ph", 8);
  fx_site(&f, S_MAKE, MEMSCOPE_API_MALLOC, 1, frame);
  fx_phase(&f, 1, "a <b> & \"c\"", 1500);
  fx_events(&f, 1, 10, 3);
  fx_sampled_phase(&f, S_MAKE, 64, 0x1000, 2100, 1.0, 0, 1);
  fx_sampled_phase(&f, S_MAKE, 64, 0x2000, 2200, 1.0, 0, 1);
  fx_sampled_phase(&f, S_MAKE, 8, 0x3000, 2300, 1.0, 0, 9);
  struct mg_profile *p = profile_of(&f, "b.msgpack");
  char *text = text_of(p);
  char *sec = section(text, "Phases (");
  const char *want =
      "Phases (allocations made while each phase was current)\n"
      "   phase        allocs           bytes   samples    named-ms  label\n"
      "       1             2             128         2       0.000  a <b> & \"c\"\n"
      "       9             1               8         1           -  ?\n";
  ck_assert_msg(strcmp(sec, want) == 0, "%s", text);
  free(sec);
  free(text);
  char *json = json_of(p);
  ck_assert_msg(strstr(json, "{\"id\":1,\"label\":\"a<b>&\\\"c\\\"\",\"time_ns\":500,"
                             "\"allocations\":{\"value\":2,\"error\":0},"
                             "\"bytes\":{\"value\":128,\"error\":0},\"samples\":2}"),
                "%s", json);
  free(json);
  mg_profile_free(p);
  fx_destroy(&f);
}
END_TEST

/* No phase anywhere: no section, an empty list; two processes: one title each. */
START_TEST(test_phases_absent_and_several) {
  struct fx f, g;
  fx_init(&f);
  fx_header(&f, "plain", 9);
  fx_events(&f, 1, 10, 1);
  fx_alloc(&f, S_MAKE, 8, 0x1000, 2000);
  struct mg_profile *p = profile_of(&f, "c.msgpack");
  char *text = text_of(p);
  ck_assert_msg(!strstr(text, "Phases ("), "%s", text);
  free(text);
  char *json = json_of(p);
  ck_assert(strstr(json, "\"phases\":[],"));
  free(json);
  build_phased(&g, 11);
  mg_profile_add_buffer(p, "d.msgpack", g.buf.data, g.buf.size);
  text = text_of(p);
  char *sec = section(text, "Phases (");
  ck_assert_msg(strstr(sec, "label\n  process 11 ph\n       1   6±15109 (2)"), "%s", text);
  ck_assert(!strstr(sec, "process 9"));
  free(sec);
  free(text);
  mg_profile_free(p);
  fx_destroy(&f);
  fx_destroy(&g);
}
END_TEST

Suite *phases_suite(void) {
  Suite *s = suite_create("phases");
  TCase *tc = tcase_create("phases");
  tcase_add_test(tc, test_phases_sampled);
  tcase_add_test(tc, test_phases_full_exact);
  tcase_add_test(tc, test_phases_absent_and_several);
  suite_add_tcase(s, tc);
  return s;
}
