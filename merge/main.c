/* memscope-merge: reads memscope record files and prints the analysis. */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memscope/format.h"
#include "parallel.h"
#include "profile.h"
#include "report.h"

#ifndef MEMSCOPE_VERSION
#define MEMSCOPE_VERSION "unknown"
#endif

enum { EXIT_BAD_INPUT = 1, EXIT_USAGE = 2 };
/* The progress bar appears for inputs larger than this, on a terminal only. */
#define PROGRESS_MIN_BYTES (64ULL << 20)

static void usage(FILE *out) {
  fprintf(out,
          "usage: memscope-merge [options] FILE|DIR...\n"
          "\n"
          "Reads the record files written by a program built with memscope\n"
          "(" MS_FILE_PREFIX "<program>.<pid>" MS_FILE_SUFFIX ", one per process; a directory means every\n"
          "such file under it; FILE '-' is standard input) and prints the analysis:\n"
          "totals, threads, sites, sizes, live at exit, the peak, lifetimes, realloc\n"
          "chains, cross-thread frees and bottlenecks.  Numbers estimated from a\n"
          "sampled run are shown as N±E (E: half-width of the 95%% interval).\n"
          "\n"
          "options:\n"
          "  --top N          rows in each table of the summary (default %d; 0 for all)\n"
          "  --json           write JSON (docs/json.md) instead of the text summary\n"
          "  --format FMT     text or json\n"
          "  -o FILE          write the report to FILE instead of standard output\n"
          "  --thread N       show only thread N (the runtime's thread index)\n"
          "  --site ID        show only the site with this id (hex, as shown)\n"
          "  --process PID    analyse only the process with this pid\n"
          "  -j, --jobs N     read N files at a time (default: one per core)\n"
          "  --window N       hold at most N events for time ordering (default %u)\n"
          "  -h, --help       print this help and exit\n"
          "  --version        print the version and exit\n"
          "\n"
          "exit status: 0 when every input was read whole; 1 when some input was bad\n"
          "or truncated (the report covers what was read), or none had usable data;\n"
          "2 on a usage error.\n",
          MS_REPORT_DEFAULT_TOP, MS_DEFAULT_WINDOW);
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

static void on_input(void *ctx, const struct ms_input *in) {
  struct cli *c = ctx;
  if (in->problem.status == MS_DECODE_OK)
    return;
  if (c->bar_drawn) { /* the error goes on a line of its own */
    fputs("\r\033[K", stderr);
    c->bar_drawn = false;
  }
  char msg[1024];
  ms_decode_problem_format(&in->problem, msg, sizeof msg);
  fprintf(stderr, "memscope-merge: %s\n", msg);
  c->failed = true;
}

static void on_progress(void *ctx, uint64_t done, uint64_t total) {
  struct cli *c = ctx;
  if (!c->progress || total < PROGRESS_MIN_BYTES)
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
          (int)(100.0 * (double)done / (double)total), total / 2 / (1 << 20));
  c->bar_drawn = true;
}

int main(int argc, char **argv) {
  enum { OPT_TOP = 256, OPT_VERSION, OPT_JSON, OPT_FORMAT, OPT_THREAD, OPT_SITE, OPT_PROCESS,
         OPT_WINDOW };
  static const struct option options[] = {
      {"top", required_argument, NULL, OPT_TOP},
      {"json", no_argument, NULL, OPT_JSON},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"thread", required_argument, NULL, OPT_THREAD},
      {"site", required_argument, NULL, OPT_SITE},
      {"process", required_argument, NULL, OPT_PROCESS},
      {"jobs", required_argument, NULL, 'j'},
      {"window", required_argument, NULL, OPT_WINDOW},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, OPT_VERSION},
      {NULL, 0, NULL, 0},
  };
  struct ms_report_options report = {.top = MS_REPORT_DEFAULT_TOP};
  struct ms_read_options read = {0};
  bool json = false;
  const char *output = NULL;
  size_t window = 0;

  opterr = 0; /* our own messages, in our format */
  int c;
  while ((c = getopt_long(argc, argv, ":ho:j:", options, NULL)) != -1) {
    switch (c) {
    case OPT_TOP: report.top = (size_t)parse_number("--top", optarg, 10); break;
    case OPT_JSON: json = true; break;
    case OPT_FORMAT:
      if (strcmp(optarg, "json") == 0)
        json = true;
      else if (strcmp(optarg, "text") == 0)
        json = false;
      else
        usage_error("--format: unknown format '%s' (text or json)", optarg);
      break;
    case 'o': output = optarg; break;
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
  if (optind >= argc)
    usage_error("no input files");

  struct cli cli = {.progress = isatty(STDERR_FILENO)};
  char **paths;
  size_t npaths = ms_expand_inputs(argv + optind, (size_t)(argc - optind), &paths, on_problem, &cli);

  struct ms_profile *profile = ms_profile_new();
  profile->window = window;
  read.progress = on_progress;
  read.input_done = on_input;
  read.ctx = &cli;
  ms_profile_add_files(profile, paths, npaths, &read);
  for (size_t i = 0; i < npaths; i++)
    free(paths[i]);
  free(paths);
  ms_profile_finish(profile);

  int status = cli.failed ? EXIT_BAD_INPUT : 0;
  if (ms_profile_has_data(profile)) {
    FILE *out = output ? fopen(output, "w") : stdout;
    if (!out) {
      fprintf(stderr, "memscope-merge: %s: cannot open: %m\n", output);
      status = EXIT_BAD_INPUT;
    } else {
      if (json)
        ms_report_json(out, profile, &report);
      else
        ms_report_text(out, profile, &report);
      if (fflush(out) != 0 || ferror(out) || (output && fclose(out) != 0)) {
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
      fprintf(stderr, "memscope-merge: no process with pid %" PRIu64 " in the inputs\n",
              report.pid);
    status = EXIT_BAD_INPUT;
  }
  ms_profile_free(profile);
  return status;
}
