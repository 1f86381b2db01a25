/* The output formats beyond text and JSON: escaping for HTML (the page and the JSON
 * report embedded in it), the thread alerts the page shows, the pprof protobuf (decoded
 * back here, field by field, and its gzip framing), folded stacks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bottleneck.h"
#include "fixture.h"
#include "json.h"
#include "profile.h"
#include "report.h"
#include "suites.h"

void build_small_profile(struct fx *f, uint64_t pid);

static struct mg_profile *small_profile(void) {
  struct fx f;
  build_small_profile(&f, 500);
  struct mg_profile *p = mg_profile_new();
  mg_profile_add_buffer(p, "small.msgpack", f.buf.data, f.buf.size);
  fx_destroy(&f);
  mg_profile_finish(p);
  return p;
}

/* What a writer function prints, as a string. */
#define CAPTURE(text, len, call)                  \
  do {                                            \
    FILE *out_ = open_memstream(&(text), &(len)); \
    FILE *out = out_;                             \
    call;                                         \
    fclose(out_);                                 \
  } while (0)

/* --- Escaping ---------------------------------------------------------------------------- */

START_TEST(test_html_escape) {
  char *t = NULL;
  size_t n = 0;
  CAPTURE(t, n, mg_html_escape(out, "std::map<K, V&> \"q\" 'a'"));
  ck_assert_str_eq(t, "std::map&lt;K, V&amp;&gt; &quot;q&quot; &#39;a&#39;");
  free(t);
  CAPTURE(t, n, mg_html_escape(out, NULL));
  ck_assert_str_eq(t, "");
  free(t);
}
END_TEST

START_TEST(test_json_script_safe) {
  char *t = NULL;
  size_t n = 0;
  /* </script> and <!-- cannot end or change the script element; U+2028/2029 are escaped;
   * other UTF-8 passes through. */
  CAPTURE(t, n, mg_json_write_string(out, "a</script><!--&\xe2\x80\xa8\xe2\x80\xa9\xc3\xa9\"\n", true));
  ck_assert_str_eq(t, "\"a\\u003c/script\\u003e\\u003c!--\\u0026\\u2028\\u2029\xc3\xa9\\\"\\n\"");
  free(t);
  CAPTURE(t, n, mg_json_write_string(out, "a</b>", false));
  ck_assert_str_eq(t, "\"a</b>\"");
  free(t);
  /* The compact writer: no white space at all. */
  CAPTURE(t, n, {
    struct mg_json j;
    mg_json_init_script(&j, out);
    mg_json_object(&j);
    mg_json_kstring(&j, "k<", "v>");
    mg_json_key(&j, "a");
    mg_json_flat_array(&j);
    mg_json_uint(&j, 1);
    mg_json_uint(&j, 2);
    mg_json_end(&j);
    mg_json_end(&j);
  });
  ck_assert_str_eq(t, "{\"k\\u003c\":\"v\\u003e\",\"a\":[1,2]}");
  free(t);
}
END_TEST

/* JSON text as the script-safe compact writer writes it: the white space between tokens
 * dropped, and in strings < > & U+2028 U+2029 escaped (malloc'd). */
static char *compact_script_safe(const char *s) {
  char *out = malloc(6 * strlen(s) + 1), *o = out;
  bool in_string = false;
  for (; *s; s++) {
    if (!in_string) {
      if (*s == ' ' || *s == '\n')
        continue;
      in_string = *s == '"';
      *o++ = *s;
    } else if (*s == '\\') {
      *o++ = *s++;
      *o++ = *s;
    } else if (*s == '<' || *s == '>' || *s == '&') {
      o += sprintf(o, "\\u%04x", (unsigned)*s);
    } else if (!strncmp(s, "\xe2\x80\xa8", 3) || !strncmp(s, "\xe2\x80\xa9", 3)) {
      o += sprintf(o, "\\u%s", s[2] == '\xa8' ? "2028" : "2029");
      s += 2;
    } else {
      in_string = *s != '"';
      *o++ = *s;
    }
  }
  *o = '\0';
  return out;
}

/* Hostile program strings never reach the page as markup, and the page's data is the
 * JSON report. */
START_TEST(test_html_report_escapes_program_strings) {
  struct fx f;
  const struct fx_frame frames[] = {
      {"evil</script><script>alert(1)</script><!--", "a&b\xe2\x80\xa8.cc", 3, 4},
      {"std::vector<int, A<B>>::push_back", "v.h", 9, 1}};
  fx_init(&f);
  fx_header(&f, "<prog>&", 7);
  fx_site(&f, 0x51, MEMSCOPE_API_MALLOC, 2, frames);
  fx_events(&f, 1, 70, 1);
  fx_alloc(&f, 0x51, 64, 0x1000, 2000);
  fx_thread(&f, 1, 70, "<img src=x onerror=alert(2)>", 1, 0);
  struct mg_profile *p = mg_profile_new();
  mg_profile_add_buffer(p, "h.msgpack", f.buf.data, f.buf.size);
  fx_destroy(&f);
  char *t = NULL;
  size_t n = 0;
  CAPTURE(t, n, mg_report_html(out, p, NULL));
  ck_assert_msg(strstr(t, "<title>memscope: &lt;prog&gt;&amp;</title>"), "title not escaped");
  const char *open = "<script type=\"application/json\" id=\"memscope-data\">";
  char *data = strstr(t, open);
  ck_assert_ptr_nonnull(data);
  data += strlen(open);
  char *end = strstr(data, "</script>");
  ck_assert_ptr_nonnull(end);
  *end = '\0';
  /* Nothing in the data can be markup, and every program string is in it, escaped. */
  ck_assert_msg(!strpbrk(data, "<>&"), "raw markup character in the data block");
  ck_assert(!strstr(data, "\xe2\x80\xa8"));
  ck_assert(strstr(data, "\"evil\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"));
  ck_assert(strstr(data, "\"std::vector\\u003cint, A\\u003cB\\u003e\\u003e::push_back\""));
  ck_assert(strstr(data, "\"a\\u0026b\\u2028.cc\""));
  ck_assert(strstr(data, "\\u003cimg src=x onerror=alert(2)\\u003e"));
  ck_assert(!strstr(data, "</") && !strstr(data, "<!--"));
  /* The data is the JSON report, token for token. */
  char *json = NULL;
  size_t json_len = 0;
  CAPTURE(json, json_len, mg_report_json(out, p, NULL));
  char *compact = compact_script_safe(json);
  ck_assert_str_eq(data, compact);
  ck_assert(strstr(data, "{\"schema\":\"memscope-merge/1\","));
  free(compact);
  free(json);
  /* The rest of the page: exactly our two script elements, no network reference. */
  *end = '<';
  size_t scripts = 0;
  for (const char *s = t; (s = strstr(s, "<script")); s++)
    scripts++;
  ck_assert_uint_eq(scripts, 2);
  ck_assert(!strstr(t, "https://") && !strstr(t, "src=\"http"));
  free(t);
  mg_profile_free(p);
}
END_TEST

/* --- Thread alerts ------------------------------------------------------------------------ */

START_TEST(test_thread_alerts) {
  ck_assert_int_eq(mg_bottleneck_level(MG_ALERT_SEVERITY_HIGH), MG_ALERT_HIGH);
  ck_assert_int_eq(mg_bottleneck_level(MG_ALERT_SEVERITY_WATCH), MG_ALERT_WATCH);
  ck_assert_int_eq(mg_bottleneck_level(MG_ALERT_SEVERITY_WATCH - 0.01), MG_ALERT_OK);
  /* Thread 1: a watch bottleneck (its worst: a milder one and another process's worse
   * one do not count).  Thread 2: 1000 of its 1100 blocks freed by other threads: watch.
   * Thread 3: 4x the mean of the other allocating threads' allocations (high) and 60%
   * short-lived (watch).  Thread 4: allocates nothing. */
  struct mg_thread t[4] = {{.index = 1}, {.index = 2}, {.index = 3}, {.index = 4}};
  t[0].counts.allocations = 100;
  t[1].counts.allocations = 1100;
  t[1].counts.est_cross_freed.value = MG_BN_CROSS_BLOCKS;
  t[2].counts.allocations = 2400;
  t[2].counts.est_short_lived.value = 1440;
  t[2].counts.est_cross_freed.value = MG_BN_CROSS_BLOCKS - 1;
  struct mg_process proc = {.pid = 7, .threads = t, .nthreads = 4};
  struct mg_bottleneck bn[] = {
      {.pid = 8, .thread = 1, .severity = 0.9, .type = MG_BN_CHURN},
      {.pid = 7, .thread = 1, .severity = 0.3, .type = MG_BN_LEAK},
      {.pid = 7, .thread = 1, .severity = 0.25, .type = MG_BN_CHURN},
      {.pid = 7, .thread = 2, .severity = 0.1, .type = MG_BN_LEAK},
  };
  struct mg_alert a[4];
  mg_thread_alerts(&proc, bn, sizeof bn / sizeof *bn, a);
  ck_assert_int_eq(a[0].level, MG_ALERT_WATCH);
  ck_assert_uint_eq(a[0].nreasons, 1);
  ck_assert_int_eq(a[0].reasons[0].rule, MG_ALERT_BOTTLENECK);
  ck_assert_str_eq(a[0].reasons[0].text, "leak bottleneck of severity 0.30");
  ck_assert_int_eq(a[1].level, MG_ALERT_WATCH);
  ck_assert_uint_eq(a[1].nreasons, 1);
  ck_assert_int_eq(a[1].reasons[0].rule, MG_ALERT_CROSS_THREAD);
  ck_assert_int_eq(a[2].level, MG_ALERT_HIGH);
  ck_assert_uint_eq(a[2].nreasons, 2);
  ck_assert_int_eq(a[2].reasons[0].rule, MG_ALERT_IMBALANCE);
  ck_assert_int_eq(a[2].reasons[0].level, MG_ALERT_HIGH);
  ck_assert_str_eq(a[2].reasons[0].text, "4.0x the mean allocations of the other threads of its process");
  ck_assert_int_eq(a[2].reasons[1].rule, MG_ALERT_SHORT_LIVED);
  ck_assert_int_eq(a[2].reasons[1].level, MG_ALERT_WATCH);
  ck_assert_str_eq(a[2].reasons[1].text, "60% of its blocks freed within 100 us");
  ck_assert_int_eq(a[3].level, MG_ALERT_OK);
  ck_assert_uint_eq(a[3].nreasons, 0);
  /* Half the imbalance ratio: watch. */
  t[2].counts.allocations = 1200;
  t[2].counts.est_short_lived.value = 0;
  mg_thread_alerts(&proc, NULL, 0, a);
  ck_assert_int_eq(a[2].level, MG_ALERT_WATCH);
  ck_assert_str_eq(a[2].reasons[0].text, "2.0x the mean allocations of the other threads of its process");
  ck_assert_str_eq(mg_alert_level_name(a[2].level), "watch");
  ck_assert_str_eq(mg_alert_rule_name(a[2].reasons[0].rule), "imbalance");
}
END_TEST

/* Alerts only for a thread that differs from its peers (issue 16): 8 workers that churn
 * alike and share one site's bottleneck alert none of them; one that churns 1.5 times as
 * much as the others, or that makes far more than its share of a site's calls, is. */
START_TEST(test_thread_alerts_peers) {
  struct mg_thread t[8];
  for (int i = 0; i < 8; i++) {
    t[i] = (struct mg_thread){.index = (uint64_t)i + 1};
    t[i].counts.allocations = 10000;
    t[i].counts.est_short_lived.value = 6000; /* 60%: the rule's 50% alone would alert */
    t[i].counts.est_cross_freed.value = 2000; /* 20%: the rule's 10% likewise */
  }
  struct mg_process proc = {.pid = 7, .threads = t, .nthreads = 8};
  /* the site's busiest thread made 14% of its calls: its fair share is 12.5% */
  struct mg_bottleneck bn[] = {{.pid = 7, .thread = 3, .site = 0x20, .site_threads = 8,
                                .top_share = 0.14, .severity = 0.6, .type = MG_BN_CHURN}};
  struct mg_alert a[8];
  mg_thread_alerts(&proc, bn, 1, a);
  for (int i = 0; i < 8; i++)
    ck_assert_msg(a[i].level == MG_ALERT_OK, "thread %d: %s", i + 1,
                  a[i].nreasons ? a[i].reasons[0].text : "");
  /* thread 5 churns 9,500 of its 10,000 (its peers 60%); the site's busiest makes 40% */
  t[4].counts.est_short_lived.value = 9500;
  bn[0].top_share = 0.4;
  mg_thread_alerts(&proc, bn, 1, a);
  ck_assert_int_eq(a[4].level, MG_ALERT_WATCH);
  ck_assert_int_eq(a[4].reasons[0].rule, MG_ALERT_SHORT_LIVED);
  ck_assert_int_eq(a[2].level, MG_ALERT_HIGH);
  ck_assert_int_eq(a[2].reasons[0].rule, MG_ALERT_BOTTLENECK);
  for (int i = 0; i < 8; i++)
    if (i != 2 && i != 4)
      ck_assert_int_eq(a[i].level, MG_ALERT_OK);
}
END_TEST

/* The JSON report writes them per thread, and a level per bottleneck. */
START_TEST(test_json_alerts) {
  struct mg_profile *p = small_profile();
  char *t = NULL;
  size_t n = 0;
  CAPTURE(t, n, mg_report_json(out, p, NULL));
  ck_assert(strstr(t, "\"alert\": {\n"));
  ck_assert(strstr(t, "\"level\": \"ok\",\n"));
  ck_assert(strstr(t, "\"reasons\": []"));
  free(t);
  mg_profile_free(p);
}
END_TEST

/* --- pprof -------------------------------------------------------------------------------- */

/* A minimal protobuf reader: enough to walk profile.proto's messages. */
struct pbr {
  const unsigned char *p, *end;
};

static uint64_t rd_varint(struct pbr *r) {
  uint64_t v = 0;
  for (int shift = 0; r->p < r->end; shift += 7) {
    unsigned char b = *r->p++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return v;
    ck_assert_int_lt(shift, 63);
  }
  ck_abort_msg("varint runs past the end");
  return 0;
}

/* The next field: its number, and either its varint or its bytes. */
static bool rd_field(struct pbr *r, unsigned *field, uint64_t *v, struct pbr *sub) {
  if (r->p >= r->end)
    return false;
  uint64_t key = rd_varint(r);
  *field = (unsigned)(key >> 3);
  switch (key & 7) {
  case 0: *v = rd_varint(r); sub->p = sub->end = NULL; return true;
  case 2: {
    uint64_t len = rd_varint(r);
    ck_assert_uint_le(len, (uint64_t)(r->end - r->p));
    *sub = (struct pbr){r->p, r->p + len};
    r->p += len;
    return true;
  }
  default: ck_abort_msg("unexpected wire type %u", (unsigned)(key & 7)); return false;
  }
}

struct decoded {
  char *strings[64];
  size_t nstrings;
  uint64_t types[4][2]; /* sample types: type, unit string indexes */
  size_t ntypes;
  struct { uint64_t loc; int64_t values[4]; uint64_t site_label; } samples[8];
  size_t nsamples;
  struct { uint64_t id, address; uint64_t fn[4], line[4]; size_t nlines; } locs[8];
  size_t nlocs;
  struct { uint64_t id, name, file; } fns[8];
  size_t nfns;
  uint64_t default_type;
  size_t nmappings;
};

static void decode_profile(const unsigned char *buf, size_t len, struct decoded *d) {
  memset(d, 0, sizeof *d);
  struct pbr r = {buf, buf + len}, sub, s2, s3;
  unsigned f, g, h;
  uint64_t v;
  while (rd_field(&r, &f, &v, &sub)) {
    switch (f) {
    case 1: /* sample_type */
      while (rd_field(&sub, &g, &v, &s2))
        d->types[d->ntypes][g - 1] = v;
      d->ntypes++;
      break;
    case 2: { /* sample */
      size_t k = d->nsamples++, nv = 0;
      while (rd_field(&sub, &g, &v, &s2)) {
        if (g == 1)
          d->samples[k].loc = rd_varint(&s2);
        else if (g == 2)
          while (s2.p < s2.end)
            d->samples[k].values[nv++] = (int64_t)rd_varint(&s2);
        else if (g == 3) {
          uint64_t key = 0, str = 0;
          while (rd_field(&s2, &h, &v, &s3))
            *(h == 1 ? &key : &str) = v;
          (void)key; /* the string table comes last: the first label is "site" */
          if (!d->samples[k].site_label)
            d->samples[k].site_label = str;
        }
      }
      ck_assert_uint_eq(nv, 4);
      break;
    }
    case 3: d->nmappings++; break;
    case 4: { /* location */
      size_t k = d->nlocs++;
      while (rd_field(&sub, &g, &v, &s2)) {
        if (g == 1)
          d->locs[k].id = v;
        else if (g == 3)
          d->locs[k].address = v;
        else if (g == 4) {
          size_t l = d->locs[k].nlines++;
          while (rd_field(&s2, &h, &v, &s3))
            *(h == 1 ? &d->locs[k].fn[l] : &d->locs[k].line[l]) = v;
        }
      }
      break;
    }
    case 5: { /* function */
      size_t k = d->nfns++;
      while (rd_field(&sub, &g, &v, &s2))
        if (g == 1)
          d->fns[k].id = v;
        else if (g == 2)
          d->fns[k].name = v;
        else if (g == 4)
          d->fns[k].file = v;
      break;
    }
    case 6: /* string_table */
      d->strings[d->nstrings++] = strndup((const char *)sub.p, (size_t)(sub.end - sub.p));
      break;
    case 14: d->default_type = v; break;
    }
  }
}

static const char *fn_name(const struct decoded *d, uint64_t id) {
  for (size_t i = 0; i < d->nfns; i++)
    if (d->fns[i].id == id)
      return d->strings[d->fns[i].name];
  return "(none)";
}

START_TEST(test_pprof_encoding) {
  struct mg_profile *p = small_profile();
  size_t len;
  unsigned char *raw = mg_pprof_encode(p, NULL, &len);
  struct decoded d;
  decode_profile(raw, len, &d);
  ck_assert_str_eq(d.strings[0], "");
  ck_assert_uint_eq(d.ntypes, 4);
  static const char *const want[4][2] = {{"alloc_objects", "count"}, {"alloc_space", "bytes"},
                                         {"inuse_objects", "count"}, {"inuse_space", "bytes"}};
  for (size_t i = 0; i < 4; i++) {
    ck_assert_str_eq(d.strings[d.types[i][0]], want[i][0]);
    ck_assert_str_eq(d.strings[d.types[i][1]], want[i][1]);
  }
  ck_assert_str_eq(d.strings[d.default_type], "alloc_space");
  ck_assert_uint_eq(d.nmappings, 1);
  /* Allocation sites 0xA, 0xB and 0xD (no SITE record); the free site has no sample. */
  ck_assert_uint_eq(d.nsamples, 3);
  ck_assert_uint_eq(d.nlocs, 3);
  bool seen_a = false, seen_d = false;
  for (size_t i = 0; i < d.nsamples; i++) {
    const char *site = d.strings[d.samples[i].site_label];
    const int64_t *v = d.samples[i].values;
    size_t l = 0;
    while (l < d.nlocs && d.locs[l].id != d.samples[i].loc)
      l++;
    ck_assert_uint_lt(l, d.nlocs);
    if (strcmp(site, "0xa") == 0) {
      seen_a = true;
      ck_assert(v[0] == 2 && v[1] == 130 && v[2] == 1 && v[3] == 30);
      /* One location, a line per frame of the inlined chain, innermost first. */
      ck_assert_uint_eq(d.locs[l].nlines, 2);
      ck_assert_str_eq(fn_name(&d, d.locs[l].fn[0]), "make_node");
      ck_assert_uint_eq(d.locs[l].line[0], 10);
      ck_assert_str_eq(fn_name(&d, d.locs[l].fn[1]), "main");
      ck_assert_uint_eq(d.locs[l].line[1], 20);
      ck_assert_uint_ne(d.locs[l].address, 0);
    } else if (strcmp(site, "0xd") == 0) {
      seen_d = true;
      ck_assert(v[0] == 1 && v[1] == 7 && v[2] == 1 && v[3] == 7);
      ck_assert_str_eq(fn_name(&d, d.locs[l].fn[0]), "site 0xd");
    } else {
      ck_assert_str_eq(site, "0xb");
      ck_assert(v[0] == 1 && v[1] == 50 && v[2] == 0 && v[3] == 0);
    }
  }
  ck_assert(seen_a && seen_d);

  /* mg_report_pprof: the same bytes, gzipped. */
  char *gz = NULL;
  size_t gzlen = 0;
  FILE *out = open_memstream(&gz, &gzlen);
  ck_assert(mg_report_pprof(out, p, NULL));
  fclose(out);
  ck_assert((unsigned char)gz[0] == 0x1f && (unsigned char)gz[1] == 0x8b);
  unsigned char *back = malloc(len + 16);
  z_stream z = {0};
  ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = (unsigned char *)gz;
  z.avail_in = (uInt)gzlen;
  z.next_out = back;
  z.avail_out = (uInt)len + 16;
  ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
  ck_assert_uint_eq(z.total_out, len);
  ck_assert(memcmp(back, raw, len) == 0);
  inflateEnd(&z);
  free(back);
  free(gz);
  for (size_t i = 0; i < d.nstrings; i++)
    free(d.strings[i]);
  free(raw);
  mg_profile_free(p);
}
END_TEST

/* --- Folded stacks -------------------------------------------------------------------------- */

START_TEST(test_folded) {
  struct mg_profile *p = small_profile();
  char *t = NULL;
  size_t n = 0;
  struct mg_report_options opt = {0};
  CAPTURE(t, n, mg_report_folded(out, p, &opt));
  /* Outermost first, sorted by path; free sites have no line. */
  ck_assert_str_eq(t, "main;make_node 130\nsite 0xd 7\nzeroed 50\n");
  free(t);
  opt.folded_value = MG_FOLDED_CALLS;
  CAPTURE(t, n, mg_report_folded(out, p, &opt));
  ck_assert_str_eq(t, "main;make_node 2\nsite 0xd 1\nzeroed 1\n");
  free(t);
  opt.folded_value = MG_FOLDED_LIVE_BYTES;
  CAPTURE(t, n, mg_report_folded(out, p, &opt));
  ck_assert_str_eq(t, "main;make_node 30\nsite 0xd 7\n");
  free(t);
  opt.folded_value = MG_FOLDED_LIVE_BLOCKS;
  opt.has_site = true;
  opt.site = 0xA;
  CAPTURE(t, n, mg_report_folded(out, p, &opt));
  ck_assert_str_eq(t, "main;make_node 1\n");
  free(t);
  mg_profile_free(p);
}
END_TEST

/* Same paths add up; ';' and line breaks in names cannot break the format. */
START_TEST(test_folded_merges_and_sanitizes) {
  struct fx f;
  const struct fx_frame a[] = {{"f;g", "x.c", 1, 1}, {"main", "x.c", 9, 1}};
  const struct fx_frame b[] = {{"f;g", "x.c", 2, 1}, {"main", "x.c", 9, 1}};
  const struct fx_frame c[] = {{"line\nbreak", "x.c", 3, 1}};
  fx_init(&f);
  fx_header(&f, "fold", 3);
  fx_site(&f, 1, MEMSCOPE_API_MALLOC, 2, a);
  fx_site(&f, 2, MEMSCOPE_API_MALLOC, 2, b);
  fx_site(&f, 3, MEMSCOPE_API_MALLOC, 1, c);
  fx_events(&f, 1, 30, 3);
  fx_alloc(&f, 1, 10, 0x10, 100);
  fx_alloc(&f, 2, 20, 0x20, 101);
  fx_alloc(&f, 3, 5, 0x30, 102);
  struct mg_profile *p = mg_profile_new();
  mg_profile_add_buffer(p, "fold.msgpack", f.buf.data, f.buf.size);
  fx_destroy(&f);
  char *t = NULL;
  size_t n = 0;
  CAPTURE(t, n, mg_report_folded(out, p, NULL));
  ck_assert_str_eq(t, "line break 5\nmain;f:g 30\n");
  free(t);
  mg_profile_free(p);
}
END_TEST

Suite *reports_suite(void) {
  Suite *s = suite_create("reports");
  TCase *tc = tcase_create("escaping");
  tcase_add_test(tc, test_html_escape);
  tcase_add_test(tc, test_json_script_safe);
  tcase_add_test(tc, test_html_report_escapes_program_strings);
  suite_add_tcase(s, tc);
  tc = tcase_create("alerts");
  tcase_add_test(tc, test_thread_alerts);
  tcase_add_test(tc, test_thread_alerts_peers);
  tcase_add_test(tc, test_json_alerts);
  suite_add_tcase(s, tc);
  tc = tcase_create("pprof");
  tcase_add_test(tc, test_pprof_encoding);
  suite_add_tcase(s, tc);
  tc = tcase_create("folded");
  tcase_add_test(tc, test_folded);
  tcase_add_test(tc, test_folded_merges_and_sanitizes);
  suite_add_tcase(s, tc);
  return s;
}
