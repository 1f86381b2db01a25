/* memscope run [options] -- PROGRAM [ARGS...]: profile one run in one command.
 *
 * Runs PROGRAM (built with memscope-cc, or any program with --preload) with a fresh
 * output directory, waits for it and everything it started that writes there, merges
 * the directory with memscope-merge (found next to this executable), writes
 * DIR/summary.txt and DIR/report.html, prints the summary's first screen and where the
 * report is on stderr (the program's stdout stays its own), and exits with the
 * program's status.  docs/quickstart.md leads with it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>

#include "self_dir.h"

static const char *usage_text =
    "usage: memscope run [options] [--] PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM with memscope recording into a new directory, merges what it wrote, and\n"
    "prints the summary's first screen and where the HTML report is.  PROGRAM must be built\n"
    "with memscope-cc / memscope-c++ (or use --preload).  Exits with PROGRAM's status\n"
    "(127 when it cannot be run).\n"
    "\n"
    "options:\n"
    "  -o, --output DIR      the output directory (must not exist; default\n"
    "                        ./memscope.PROGRAM.N, the first N free)\n"
    "  -m, --mode MODE       sampled (default), full (every event) or leaks\n"
    "  -i, --interval BYTES  mean bytes between samples in sampled mode (default 512K)\n"
    "  -p, --preload         load the runtime into a program not built with memscope:\n"
    "                        allocations without the lines that made them\n"
    "  -n, --lines N         lines of the summary to print (default: the terminal's height)\n"
    "  -h, --help            this text\n";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("memscope: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(125); /* as env(1) and timeout(1): not a status PROGRAM is likely to use */
}

/* Whether execvp would find `name` and may run it (searched in PATH as execvp does when it
 * has no '/'): checked first, so that a program that cannot be run leaves no output
 * directory behind and no advice about building it. 0, or the errno execvp would give. */
static int runnable(const char *name) {
  if (strchr(name, '/')) {
    struct stat st;
    if (stat(name, &st) != 0) return errno;
    return S_ISDIR(st.st_mode) ? EACCES : access(name, X_OK) == 0 ? 0 : errno;
  }
  const char *path = getenv("PATH");
  if (!path || !*path) path = "/bin:/usr/bin"; /* (glibc's default for execvp) */
  int err = ENOENT;
  for (const char *p = path;; p++) {
    const char *end = strchr(p, ':');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    char full[PATH_MAX];
    if (snprintf(full, sizeof full, "%.*s%s%s", (int)n, p, n ? "/" : "", name) < (int)sizeof full) {
      struct stat st;
      if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
        if (access(full, X_OK) == 0) return 0;
        err = EACCES; /* found, not executable: execvp goes on, and says so at the end */
      }
    }
    if (!end) return err;
    p = end;
  }
}

/* The directory holding this executable: what is installed with it is found from there. */
static char *self_dir(void) {
  char *dir = tool_self_dir();
  if (dir == NULL)
    die("cannot read /proc/self/exe: %s", strerror(errno));
  return dir;
}

static char *first_existing(const char *dir, const char *const *candidates) {
  for (const char *const *c = candidates; *c; c++) {
    char *path;
    if (asprintf(&path, "%s/%s", dir, *c) < 0)
      die("out of memory");
    if (access(path, R_OK) == 0)
      return path;
    free(path);
  }
  return NULL;
}

/* A new directory, never one that was there: the run's files are only its own. */
static char *make_output_dir(const char *asked, const char *program) {
  if (asked) {
    if (mkdir(asked, 0700) != 0)
      die("%s: cannot create the output directory: %s%s", asked, strerror(errno),
          errno == EEXIST ? " (choose a new one)" : "");
    return strdup(asked);
  }
  const char *base = strrchr(program, '/') ? strrchr(program, '/') + 1 : program;
  for (int n = 1; n < 100000; n++) {
    char *dir;
    if (asprintf(&dir, "memscope.%s.%d", base, n) < 0)
      die("out of memory");
    if (mkdir(dir, 0700) == 0)
      return dir;
    if (errno != EEXIST)
      die("%s: cannot create the output directory: %s", dir, strerror(errno));
    free(dir);
  }
  die("no free name memscope.%s.N in this directory", base);
}

static bool has_profiles(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return false;
  bool found = false;
  for (struct dirent *e; !found && (e = readdir(d));)
    found = strncmp(e->d_name, "memscope.", 9) == 0 && strstr(e->d_name, ".msgpack");
  closedir(d);
  return found;
}

/* Runs argv with stdout to `out` (NULL: ours) and stderr ours, or /dev/null with
 * `quiet`; its exit status, or 128 + the signal that ended it.  Interrupts reach the
 * whole process group: we outlive them. */
static int run_child(char **argv, const char *out, bool is_program, bool quiet) {
  pid_t pid = fork();
  if (pid < 0)
    die("cannot fork: %s", strerror(errno));
  if (pid == 0) {
    if (!is_program) {
      signal(SIGINT, SIG_DFL);
      signal(SIGQUIT, SIG_DFL);
    }
    if (out) {
      int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
        fprintf(stderr, "memscope: %s: %s\n", out, strerror(errno));
        _exit(125);
      }
    }
    int null = quiet ? open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
    if (null >= 0)
      dup2(null, STDERR_FILENO);
    execvp(argv[0], argv);
    fprintf(stderr, "memscope: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      die("waiting for %s: %s", argv[0], strerror(errno));
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

static int screen_lines(void) {
  struct winsize ws;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 8)
    return ws.ws_row - 4; /* room for the lines that follow */
  return 40;
}

/* The first `lines` lines of path to stderr; whether there were more. */
static bool print_head(const char *path, int lines) {
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  char buf[4096];
  int n = 0;
  bool more = false;
  while (fgets(buf, sizeof buf, f)) {
    if (n == lines) {
      more = true;
      break;
    }
    fputs(buf, stderr);
    if (strchr(buf, '\n'))
      n++;
  }
  fclose(f);
  return more;
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    fputs(usage_text, argc < 2 ? stderr : stdout);
    return argc < 2 ? 125 : 0;
  }
  if (strcmp(argv[1], "run") != 0)
    die("unknown command '%s' (the command is: memscope run [options] -- PROGRAM)", argv[1]);
  const char *out_dir = NULL, *mode = NULL, *interval = NULL;
  bool preload = false;
  int lines = 0, i = 2;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage_text, stdout);
      return 0;
    } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && has_value) {
      out_dir = argv[++i];
    } else if ((strcmp(a, "-m") == 0 || strcmp(a, "--mode") == 0) && has_value) {
      mode = argv[++i];
      if (strcmp(mode, "sampled") && strcmp(mode, "full") && strcmp(mode, "leaks"))
        die("--mode %s: expected sampled, full or leaks", mode);
    } else if ((strcmp(a, "-i") == 0 || strcmp(a, "--interval") == 0) && has_value) {
      interval = argv[++i];
    } else if (strcmp(a, "-p") == 0 || strcmp(a, "--preload") == 0) {
      preload = true;
    } else if ((strcmp(a, "-n") == 0 || strcmp(a, "--lines") == 0) && has_value) {
      char *end;
      long n = strtol(argv[++i], &end, 10);
      if (*end || n < 1 || n > 1000000)
        die("--lines %s: expected a number of lines", argv[i]);
      lines = (int)n;
    } else {
      die("unknown option or missing value: '%s' (see memscope --help)", a);
    }
  }
  if (i >= argc)
    die("no program to run (memscope run [options] -- PROGRAM [ARGS...])");
  char **program = argv + i;
  int err = runnable(program[0]);
  if (err) {
    fprintf(stderr, "memscope: cannot run %s: %s\n", program[0], strerror(err));
    return 127; /* as a shell: not found or not executable */
  }

  char *self = self_dir();
  static const char *const merges[] = {"memscope-merge", "../merge/memscope-merge", NULL};
  char *merge = first_existing(self, merges);
  if (!merge)
    die("cannot find memscope-merge next to %s/memscope", self);
  char *runtime = NULL;
  if (preload) {
    static const char *const libs[] = {"../lib/" MEMSCOPE_MULTIARCH "/libmemscope.so",
                                       "../lib/libmemscope.so", "../runtime/libmemscope.so",
                                       NULL};
    runtime = first_existing(self, libs);
    if (!runtime)
      die("--preload: cannot find libmemscope.so near %s", self);
    runtime = realpath(runtime, NULL);
  }

  char *dir = make_output_dir(out_dir, program[0]);
  char *abs_dir = realpath(dir, NULL);
  setenv("MEMSCOPE_OUT", abs_dir, 1);
  if (mode)
    setenv("MEMSCOPE_MODE", mode, 1);
  if (interval)
    setenv("MEMSCOPE_SAMPLE_INTERVAL", interval, 1);
  if (runtime) {
    const char *old = getenv("LD_PRELOAD");
    char *v;
    if (asprintf(&v, "%s%s%s", runtime, old && *old ? ":" : "", old ? old : "") < 0)
      die("out of memory");
    setenv("LD_PRELOAD", v, 1);
    setenv("MEMSCOPE_UNINSTRUMENTED", "1", 1); /* what a preloaded runtime is there for */
  }
  fprintf(stderr, "memscope: recording %s into %s/\n", program[0], dir);

  /* The terminal's interrupt goes to the program; we stay to merge what it wrote. */
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  int status = run_child(program, NULL, true, false);
  /* Nothing of ours goes into a process the program starts later (none is left). */
  unsetenv("MEMSCOPE_OUT");
  if (runtime)
    unsetenv("LD_PRELOAD");

  if (!has_profiles(dir)) {
    fprintf(stderr,
            "memscope: %s wrote no memscope file into %s/: build it with memscope-cc or "
            "memscope-c++ (docs/quickstart.md), or run it with --preload\n",
            program[0], dir);
    return status;
  }
  char *summary, *html;
  if (asprintf(&summary, "%s/summary.txt", dir) < 0 || asprintf(&html, "%s/report.html", dir) < 0)
    die("out of memory");
  char *text_cmd[] = {merge, dir, NULL};
  int merged = run_child(text_cmd, summary, false, false);
  /* The same inputs again: what the merge had to say about them was said just now. */
  char *html_cmd[] = {merge, "-o", html, dir, NULL};
  if (merged == 0 || merged == 1) /* 1: some input was cut or bad, the rest is reported */
    merged = run_child(html_cmd, NULL, false, true);
  fputc('\n', stderr);
  bool more = print_head(summary, lines ? lines : screen_lines());
  if (more)
    fprintf(stderr, "...\n");
  fprintf(stderr, "\nmemscope: the whole summary: %s\nmemscope: the report: %s\n", summary,
          html);
  if (merged != 0 && merged != 1)
    fprintf(stderr, "memscope: memscope-merge failed (status %d); the recordings are in %s/\n",
            merged, dir);
  return status;
}
