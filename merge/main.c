/* memscope-merge: reads memscope record files and prints the analysis. */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "memscope/format.h"
#include "bottleneck.h"
#include "inputs.h"
#include "load.h"
#include "profile.h"
#include "report.h"
#include "stack_resolve.h"

#ifndef MEMSCOPE_VERSION
#define MEMSCOPE_VERSION "unknown"
#endif

enum { EXIT_BAD_INPUT = 1, EXIT_USAGE = 2, EXIT_GREW = 3 };

static void usage(FILE *out) {
  fprintf(out,
          "usage: memscope-merge [options] FILE|DIR...\n"
          "       memscope-merge --diff [--fail-if-grows PCT] [options] BASE NEW\n"
          "\n"
          "Reads the record files written by a program built with memscope\n"
          "(" MS_FILE_PREFIX "<program>.<pid>" MS_FILE_SUFFIX ", one per process; a directory means every\n"
          "such file under it; FILE '-' is standard input) and prints the analysis:\n"
          "a summary first (totals, the peak, leaks, the most and the temporary\n"
          "allocations, bottlenecks), then every table: sites, sizes, threads, lifetimes,\n"
          "realloc chains, cross-thread frees, ...  Numbers estimated from a\n"
          "sampled run are shown as N±E (E: half-width of the 95%% interval).\n"
          "\n"
          "options:\n"
          "  --top N          rows in each table of the summary (default %d; 0 for all)\n"
          "  --json           write JSON (docs/json.md) instead of the text summary\n"
          "  --format FMT     text, json, html, pprof or folded (docs/reports.md)\n"
          "  -o FILE          write the report to FILE instead of standard output; without\n"
          "                   --format, the name picks the format: .html, .json,\n"
          "                   .pb.gz (pprof), .folded; anything else is text\n"
          "  --folded-value V what folded stacks count: bytes (default), calls,\n"
          "                   live-bytes or live-blocks\n"
          "  --thread N       show only thread N (the runtime's thread index)\n"
          "  --site ID        show only the site with this id (hex, as shown)\n"
          "  --process PID    analyse only the process with this pid\n"
          "                   (a thread, site or pid not in the inputs is an error)\n"
          "  --diff           compare two runs (BASE and NEW: a file or a directory each)\n"
          "                   site by site; --top N limits the sites shown\n"
          "  --fail-if-grows PCT  with --diff: exit with status 3 when the total\n"
          "                   allocations or bytes allocated grew by more than PCT%%\n"
          "  -j, --jobs N     use N threads: files read at once, a file's chunks decoded\n"
          "                   at once (default: one per core)\n"
          "  --window N       hold at most N events for time ordering (default %u)\n"
          "  --symbol-path DIR[:DIR...]  where to look for the binaries and debug files\n"
          "                   of the recorded stacks (by path, by name, by build id)\n"
          "  --symbolizer PATH  the llvm-symbolizer to run (default: $MEMSCOPE_SYMBOLIZER,\n"
          "                   else llvm-symbolizer or llvm-symbolizer-N in $PATH)\n"
          "  --no-symbolize   show stack frames as image+0xOFFSET, without symbolizing\n"
          "  -h, --help       print this help and exit\n"
          "  --version        print the version and exit\n"
          "\n"
          "exit status: 0 when every input was read whole; 1 when some input was bad\n"
          "or truncated (the report covers what was read), or none had usable data;\n"
          "2 on a usage error; 3 when --fail-if-grows found more growth than allowed.\n",
          MG_REPORT_DEFAULT_TOP, MG_DEFAULT_WINDOW);
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("memscope-merge: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\nTry 'memscope-merge --help'.\n", stderr);
  exit(EXIT_USAGE);
}

static uint64_t parse_number(const char *opt, const char *s, int base) {
  char *end;
  if (!*s || *s == '-' || *s == '+')
    usage_error("%s: not a number: '%s'", opt, s);
  const char *digits = s;
  if (base == 16 && (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0))
    digits = s + 2;
  unsigned long long v = strtoull(digits, &end, base);
  if (*end || end == digits)
    usage_error("%s: not a number: '%s'", opt, s);
  return (uint64_t)v;
}

struct cli {
  bool failed;       /* some input was bad */
  bool progress;     /* draw the bar */
  bool bar_drawn;
};

static void on_problem(void *ctx, const char *arg, const char *message) {
  struct cli *c = ctx;
  fprintf(stderr, "memscope-merge: %s: %s\n", arg, message);
  c->failed = true;
}

/* Said, not a failure: the exit status stays (a file named twice, read once). */
static void on_note(void *ctx, const char *arg, const char *message) {
  (void)ctx;
  fprintf(stderr, "memscope-merge: %s: %s\n", arg, message);
}

static void on_input(void *ctx, const struct mg_input *in) {
  struct cli *c = ctx;
  if (in->problem.status == MG_DECODE_OK)
    return;
  if (c->bar_drawn) { /* the error goes on a line of its own */
    fputs("\r\033[K", stderr);
    c->bar_drawn = false;
  }
  char msg[1024];
  mg_decode_problem_format(&in->problem, msg, sizeof msg);
  fprintf(stderr, "memscope-merge: %s\n", msg);
  c->failed = true;
}

/* A run of a program linked with the runtime but built without the plugin looks like a
 * profile; it is only the interposed allocator's view (install.md). */
static void warn_uninstrumented(const struct mg_profile *p) {
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    if (proc && mg_process_uninstrumented(proc))
      fprintf(stderr,
              "memscope-merge: %s: no allocation site in %s was built with the memscope plugin: "
              "only the interposed malloc's view, without call sites (build with memscope-cc)\n",
              p->inputs[i].path, proc->program ? proc->program : "the program");
  }
}

static void on_progress(void *ctx, uint64_t done, uint64_t total) {
  struct cli *c = ctx;
  /* Called while reading takes longer than the reader's polling interval (a fifth of a
   * second), whatever the size: format-2 files are small for their events. */
  if (!c->progress)
    return;
  if (done >= total) {
    if (c->bar_drawn)
      fputs("\r\033[K", stderr);
    c->bar_drawn = false;
    return;
  }
  int width = 40, filled = (int)(width * (double)done / (double)total);
  fprintf(stderr, "\rmemscope-merge: [%.*s%*s] %3d%% of %" PRIu64 " MB", filled,
          "########################################", width - filled, "",
          (int)(100.0 * (double)done / (double)total), total / (1 << 20));
  c->bar_drawn = true;
}

enum format { FMT_NONE, FMT_TEXT, FMT_JSON, FMT_HTML, FMT_PPROF, FMT_FOLDED };

static enum format format_named(const char *name) {
  static const char *const names[] = {[FMT_TEXT] = "text", [FMT_JSON] = "json",
                                      [FMT_HTML] = "html", [FMT_PPROF] = "pprof",
                                      [FMT_FOLDED] = "folded"};
  for (int f = FMT_TEXT; f <= FMT_FOLDED; f++)
    if (strcmp(name, names[f]) == 0)
      return (enum format)f;
  usage_error("--format: unknown format '%s' (text, json, html, pprof or folded)", name);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* -o's name picks the format when --format does not. */
static enum format format_of_path(const char *path) {
  if (ends_with(path, ".html") || ends_with(path, ".htm"))
    return FMT_HTML;
  if (ends_with(path, ".json"))
    return FMT_JSON;
  if (ends_with(path, ".pb.gz") || ends_with(path, ".pprof"))
    return FMT_PPROF;
  if (ends_with(path, ".folded"))
    return FMT_FOLDED;
  return FMT_TEXT;
}

/* Writes the report; false when it could not be produced. */
static bool write_report(FILE *out, enum format f, const struct mg_profile *p,
                         const struct mg_report_options *opt) {
  switch (f) {
  case FMT_JSON: mg_report_json(out, p, opt); return true;
  case FMT_HTML: mg_report_html(out, p, opt); return true;
  case FMT_PPROF: return mg_report_pprof(out, p, opt);
  case FMT_FOLDED: mg_report_folded(out, p, opt); return true;
  default: mg_report_text(out, p, opt); return true;
  }
}

/* One run of a --diff: its inputs read into a profile; *failed is set on a bad input. */
static struct mg_profile *read_run(const char *arg, struct mg_read_options *read, size_t window,
                                   struct cli *cli) {
  char *args[] = {(char *)arg};
  char **paths;
  size_t n = mg_expand_inputs(args, 1, &paths, on_problem, on_note, cli);
  struct mg_profile *p = mg_profile_new();
  p->window = window;
  read->progress = on_progress;
  read->input_done = on_input;
  read->ctx = cli;
  mg_profile_add_files(p, paths, n, read);
  for (size_t i = 0; i < n; i++)
    free(paths[i]);
  free(paths);
  mg_profile_finish(p);
  if (!mg_profile_has_data(p)) {
    fprintf(stderr, "memscope-merge: %s: no usable data to compare\n", arg);
    cli->failed = true;
  }
  return p;
}

static int run_diff(const char *base_arg, const char *new_arg, const char *output,
                    const struct mg_report_options *report, struct mg_read_options *read,
                    size_t window, double fail_percent) {
  struct cli cli = {.progress = isatty(STDERR_FILENO)};
  struct mg_profile *base = read_run(base_arg, read, window, &cli);
  struct mg_profile *new_ = read_run(new_arg, read, window, &cli);
  int status = cli.failed ? EXIT_BAD_INPUT : 0;
  if (mg_profile_has_data(base) && mg_profile_has_data(new_)) {
    FILE *out = output ? fopen(output, "w") : stdout;
    if (!out) {
      fprintf(stderr, "memscope-merge: %s: cannot open: %m\n", output);
      status = EXIT_BAD_INPUT;
    } else {
      bool ok = mg_report_diff(out, base, new_, report, fail_percent);
      if (fflush(out) != 0 || ferror(out) || (output && fclose(out) != 0)) {
        fprintf(stderr, "memscope-merge: writing the report to %s: %m\n",
                output ? output : "standard output");
        status = EXIT_BAD_INPUT;
      } else if (!ok && status == 0) {
        status = EXIT_GREW;
      }
    }
  }
  mg_profile_free(base);
  mg_profile_free(new_);
  return status;
}

/* A --thread or --site that names nothing in the inputs is an error, not a report of
 * empty tables: false after saying so. */
static bool filters_match(const struct mg_profile *p, const struct mg_report_options *opt) {
  bool ok = true;
  if (opt->has_thread) {
    uint64_t most = 0;
    bool found = false;
    for (size_t i = 0; i < p->ninputs; i++) {
      const struct mg_process *proc = p->inputs[i].process;
      for (size_t t = 0; proc && t < proc->nthreads; t++) {
        found |= proc->threads[t].index == opt->thread;
        most = proc->threads[t].index > most ? proc->threads[t].index : most;
      }
    }
    if (!found) {
      fprintf(stderr, "memscope-merge: --thread %" PRIu64 ": no thread %" PRIu64
                      " in the inputs (thread indices go up to %" PRIu64 ")\n",
              opt->thread, opt->thread, most);
      ok = false;
    }
  }
  if (opt->has_site && !mg_profile_find_site(p, opt->site)) {
    fprintf(stderr, "memscope-merge: --site 0x%" PRIx64 ": no site 0x%" PRIx64
                    " in the inputs (the site tables and --json show the ids)\n",
            opt->site, opt->site);
    ok = false;
  }
  return ok;
}

int main(int argc, char **argv) {
  enum { OPT_TOP = 256, OPT_VERSION, OPT_JSON, OPT_FORMAT, OPT_THREAD, OPT_SITE, OPT_PROCESS,
         OPT_WINDOW, OPT_FOLDED_VALUE, OPT_DIFF, OPT_FAIL_IF_GROWS, OPT_SYMBOL_PATH,
         OPT_SYMBOLIZER, OPT_NO_SYMBOLIZE };
  static const struct option options[] = {
      {"top", required_argument, NULL, OPT_TOP},
      {"json", no_argument, NULL, OPT_JSON},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"thread", required_argument, NULL, OPT_THREAD},
      {"site", required_argument, NULL, OPT_SITE},
      {"process", required_argument, NULL, OPT_PROCESS},
      {"jobs", required_argument, NULL, 'j'},
      {"window", required_argument, NULL, OPT_WINDOW},
      {"folded-value", required_argument, NULL, OPT_FOLDED_VALUE},
      {"diff", no_argument, NULL, OPT_DIFF},
      {"fail-if-grows", required_argument, NULL, OPT_FAIL_IF_GROWS},
      {"symbol-path", required_argument, NULL, OPT_SYMBOL_PATH},
      {"symbolizer", required_argument, NULL, OPT_SYMBOLIZER},
      {"no-symbolize", no_argument, NULL, OPT_NO_SYMBOLIZE},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, OPT_VERSION},
      {NULL, 0, NULL, 0},
  };
  struct mg_report_options report = {.top = MG_REPORT_DEFAULT_TOP};
  struct mg_read_options read = {0};
  struct mg_symbolize_options symbolize = {0};
  enum format format = FMT_NONE;
  bool diff = false;
  double fail_percent = -1;
  const char *output = NULL;
  size_t window = 0;

  opterr = 0; /* our own messages, in our format */
  int c;
  while ((c = getopt_long(argc, argv, ":ho:j:", options, NULL)) != -1) {
    switch (c) {
    case OPT_TOP: report.top = (size_t)parse_number("--top", optarg, 10); break;
    case OPT_JSON: format = FMT_JSON; break;
    case OPT_DIFF: diff = true; break;
    case OPT_FAIL_IF_GROWS: {
      char *end;
      fail_percent = strtod(optarg, &end);
      if (end == optarg || *end || !(fail_percent >= 0))
        usage_error("--fail-if-grows: not a percentage: '%s'", optarg);
      break;
    }
    case OPT_FORMAT: format = format_named(optarg); break;
    case OPT_FOLDED_VALUE:
      if (strcmp(optarg, "bytes") == 0)
        report.folded_value = MG_FOLDED_BYTES;
      else if (strcmp(optarg, "calls") == 0)
        report.folded_value = MG_FOLDED_CALLS;
      else if (strcmp(optarg, "live-bytes") == 0)
        report.folded_value = MG_FOLDED_LIVE_BYTES;
      else if (strcmp(optarg, "live-blocks") == 0)
        report.folded_value = MG_FOLDED_LIVE_BLOCKS;
      else
        usage_error("--folded-value: unknown value '%s' (bytes, calls, live-bytes or live-blocks)",
                    optarg);
      break;
    case 'o': output = optarg; break;
    case OPT_SYMBOL_PATH: symbolize.symbol_path = optarg; break;
    case OPT_SYMBOLIZER: symbolize.symbolizer = optarg; break;
    case OPT_NO_SYMBOLIZE: symbolize.no_symbolize = true; break;
    case OPT_THREAD:
      report.has_thread = true;
      report.thread = parse_number("--thread", optarg, 10);
      break;
    case OPT_SITE:
      report.has_site = true;
      report.site = parse_number("--site", optarg, 16);
      break;
    case OPT_PROCESS:
      report.has_pid = true;
      report.pid = parse_number("--process", optarg, 10);
      read.pid = &report.pid;
      break;
    case 'j': {
      uint64_t j = parse_number("--jobs", optarg, 10);
      if (j == 0 || j > 1024)
        usage_error("--jobs: %s is not between 1 and 1024", optarg);
      read.jobs = (unsigned)j;
      break;
    }
    case OPT_WINDOW:
      window = (size_t)parse_number("--window", optarg, 10);
      if (window == 0)
        usage_error("--window: must be at least 1");
      break;
    case 'h':
      usage(stdout);
      return 0;
    case OPT_VERSION:
      printf("memscope-merge %s (record format version %d)\n", MEMSCOPE_VERSION,
             MS_FORMAT_VERSION);
      return 0;
    case ':':
      usage_error("option '%s' needs an argument", argv[optind - 1]);
    default:
      /* optopt is the letter of an unknown short option, 0 for a long one. */
      if (optopt)
        usage_error("unknown option '-%c'", optopt);
      usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  if (!symbolize.symbolizer || !*symbolize.symbolizer)
    symbolize.symbolizer = getenv("MEMSCOPE_SYMBOLIZER"); /* the option wins */
  if (optind >= argc)
    usage_error("no input files");
  if (fail_percent >= 0 && !diff)
    usage_error("--fail-if-grows goes with --diff");
  if (diff) {
    if (argc - optind != 2)
      usage_error("--diff takes two runs, BASE and NEW (a file or a directory each)");
    if (format != FMT_NONE && format != FMT_TEXT)
      usage_error("--diff writes text only");
    return run_diff(argv[optind], argv[optind + 1], output, &report, &read, window, fail_percent);
  }
  if (format == FMT_NONE)
    format = output ? format_of_path(output) : FMT_TEXT;

  struct cli cli = {.progress = isatty(STDERR_FILENO)};
  char **paths;
  size_t npaths = mg_expand_inputs(argv + optind, (size_t)(argc - optind), &paths, on_problem,
                                   on_note, &cli);

  struct mg_profile *profile = mg_profile_new();
  profile->window = window;
  /* --thread: the thread's own numbers per site are kept while reading (only its). */
  profile->has_site_thread = report.has_thread;
  profile->site_thread = report.thread;
  read.progress = on_progress;
  read.input_done = on_input;
  read.ctx = &cli;
  mg_profile_add_files(profile, paths, npaths, &read);
  for (size_t i = 0; i < npaths; i++)
    free(paths[i]);
  free(paths);
  mg_profile_finish(profile);
  mg_stacks_resolve(profile, &symbolize); /* nothing to do without stacks */

  warn_uninstrumented(profile);
  int status = cli.failed ? EXIT_BAD_INPUT : 0;
  if (mg_profile_has_data(profile) && !filters_match(profile, &report)) {
    status = EXIT_BAD_INPUT;
  } else if (mg_profile_has_data(profile)) {
    FILE *out = output ? fopen(output, "w") : stdout;
    if (!out) {
      fprintf(stderr, "memscope-merge: %s: cannot open: %m\n", output);
      status = EXIT_BAD_INPUT;
    } else {
      if (!write_report(out, format, profile, &report)) {
        fprintf(stderr, "memscope-merge: cannot compress the pprof profile\n");
        status = EXIT_BAD_INPUT;
        if (output)
          fclose(out);
      } else if (fflush(out) != 0 || ferror(out) || (output && fclose(out) != 0)) {
        fprintf(stderr, "memscope-merge: writing the report to %s: %m\n",
                output ? output : "standard output");
        status = EXIT_BAD_INPUT;
      }
    }
  } else {
    bool filtered = false;
    for (size_t i = 0; i < profile->ninputs; i++)
      filtered |= profile->inputs[i].filtered;
    if (filtered)
      fprintf(stderr, "memscope-merge: --process %" PRIu64 ": no process with pid %" PRIu64
                      " in the inputs\n", report.pid, report.pid);
    status = EXIT_BAD_INPUT;
  }
  mg_profile_free(profile);
  return status;
}
