/* memscope-merge: reads memscope record files and prints the analysis. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memscope/format.h"
#include "profile.h"
#include "report.h"

#ifndef MEMSCOPE_VERSION
#define MEMSCOPE_VERSION "unknown"
#endif

enum { EXIT_BAD_INPUT = 1, EXIT_USAGE = 2 };

static void usage(FILE *out) {
  fprintf(out,
          "usage: memscope-merge [options] FILE...\n"
          "\n"
          "Reads the record files written by a program built with memscope\n"
          "(" MS_FILE_PREFIX "<program>.<pid>" MS_FILE_SUFFIX ", one per process; FILE '-' is\n"
          "standard input) and prints a summary: totals, threads, top sites, allocation\n"
          "sizes, what was still allocated at exit.  Numbers estimated from a sampled\n"
          "run are shown as N±E (E: half-width of the 95%% interval).\n"
          "\n"
          "options:\n"
          "  --top N      rows in each site table (default %d; 0 for all)\n"
          "  -h, --help   print this help and exit\n"
          "  --version    print the version and exit\n"
          "\n"
          "exit status: 0 when every input was read whole; 1 when some input was bad\n"
          "or truncated (the summary covers what was read), or none had usable data;\n"
          "2 on a usage error.\n",
          MS_REPORT_DEFAULT_TOP);
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

static size_t parse_top(const char *s) {
  char *end;
  if (!*s || *s == '-' || *s == '+')
    usage_error("--top: not a number: '%s'", s);
  unsigned long long v = strtoull(s, &end, 10);
  if (*end)
    usage_error("--top: not a number: '%s'", s);
  return (size_t)v;
}

int main(int argc, char **argv) {
  enum { OPT_TOP = 256, OPT_VERSION };
  static const struct option options[] = {
      {"top", required_argument, NULL, OPT_TOP},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, OPT_VERSION},
      {NULL, 0, NULL, 0},
  };
  struct ms_report_options report = {.top = MS_REPORT_DEFAULT_TOP};

  opterr = 0; /* our own messages, in our format */
  int c;
  while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
    switch (c) {
    case OPT_TOP:
      report.top = parse_top(optarg);
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

  struct ms_profile *profile = ms_profile_new();
  bool all_fine = true;
  for (int i = optind; i < argc; i++) {
    const struct ms_input *in = ms_profile_add_file(profile, argv[i]);
    if (in->problem.status != MS_DECODE_OK) {
      char msg[1024];
      ms_decode_problem_format(&in->problem, msg, sizeof msg);
      fprintf(stderr, "memscope-merge: %s\n", msg);
      all_fine = false;
    }
  }

  int status = all_fine ? 0 : EXIT_BAD_INPUT;
  if (ms_profile_has_data(profile)) {
    ms_report_text(stdout, profile, &report);
    if (fflush(stdout) != 0 || ferror(stdout)) {
      perror("memscope-merge: writing the summary");
      status = EXIT_BAD_INPUT;
    }
  } else {
    status = EXIT_BAD_INPUT;
  }
  ms_profile_free(profile);
  return status;
}
