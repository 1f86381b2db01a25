/* memscope-cc / memscope-c++: a drop-in C and C++ compiler that builds with memscope.
 *
 * It runs clang (MEMSCOPE_CC / MEMSCOPE_CXX, default clang-N / clang++-N) with the
 * arguments it was given, plus:
 *   - -fpass-plugin=MemscopePass.so when something is compiled (not for -E, -M, -MM,
 *     -fsyntax-only, or inputs that are only assembly, headers or objects);
 *   - -gline-tables-only when compiling and no debug level (-g...) was given, so that
 *     every site has its file and line;
 *   - the runtime on a final link: not for -c, -S, -E, -r, -nostdlib, -nodefaultlibs.
 *     Shared by default (libmemscope.so and an rpath), also for -shared links: every
 *     instrumented image then finds the one runtime (docs/pass.md, "Shared libraries").
 *     MEMSCOPE_RUNTIME=static links libmemscope.a whole into executables and exports
 *     its entry points instead; -static links it too.
 * The plugin and the runtime are found in a documented order (docs/wrappers.md).
 * MEMSCOPE_WRAPPER_DRYRUN=1 prints the command line instead of running it.
 *
 * The plugin loads only into the clang of its LLVM.  When a command with the plugin
 * fails, the wrapper asks the compiler what it is (`--version`) and, if it is not that
 * clang, says so and names it: gcc's "unrecognized option" and another clang's symbol
 * lookup error or crash do not.  A command that succeeds costs nothing more than the
 * fork that runs it.
 *
 * One binary: invoked under a name containing "++" or "cxx" it is the C++ driver. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "self_dir.h"

#ifndef MEMSCOPE_DEFAULT_CC
#define MEMSCOPE_DEFAULT_CC "clang-19"
#endif
#ifndef MEMSCOPE_DEFAULT_CXX
#define MEMSCOPE_DEFAULT_CXX "clang++-19"
#endif
#ifndef MEMSCOPE_LLVM_MAJOR
#define MEMSCOPE_LLVM_MAJOR 19
#endif
#ifndef MEMSCOPE_MULTIARCH
#define MEMSCOPE_MULTIARCH ""
#endif

static const char *prog = "memscope-cc";

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", prog);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static char *xasprintf(const char *fmt, ...) {
  va_list ap;
  char *s;
  va_start(ap, fmt);
  if (vasprintf(&s, fmt, ap) < 0)
    die("out of memory");
  va_end(ap);
  return s;
}

static bool starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_file(const char *path) { return access(path, R_OK) == 0; }

/* ---- What the command line asks for ---------------------------------------------- */

enum input_kind { IN_SOURCE, IN_ASM, IN_HEADER, IN_OBJECT };

struct scan {
  bool no_link;       /* -c, -S, -E, -M/-MM, -fsyntax-only, -r */
  bool preprocess;    /* -E, -M, -MM: nothing is compiled */
  bool syntax_only;   /* -fsyntax-only */
  bool shared;        /* -shared */
  bool static_link;   /* -static, -static-pie: no shared runtime possible */
  bool no_stdlib;     /* -nostdlib, -nodefaultlibs: the user links everything */
  bool debug_level;   /* some -g option that sets the debug level */
  bool language_set;  /* a -x LANG (not none) holds at the end: it would apply to the
                       * runtime appended after the inputs, so a -x none goes first */
  int sources, others; /* inputs to compile; inputs that are not */
  int depth;          /* response-file nesting */
};

/* Options whose value is the next argument: that argument is not an input. */
static bool takes_value(const char *a) {
  static const char *const opts[] = {
      "-o", "-x", "-I", "-D", "-U", "-L", "-l", "-MF", "-MT", "-MQ", "-MJ", "-T", "-u",
      "-e", "-z", "-include", "-imacros", "-isystem", "-idirafter", "-iquote", "-iprefix",
      "-iwithprefix", "-iwithprefixbefore", "-isysroot", "-imultilib", "-include-pch",
      "-Xlinker", "-Xassembler", "-Xpreprocessor", "-Xclang", "-Xanalyzer", "-mllvm",
      "--param", "-target", "-arch", "-aux-info", "--sysroot", "-dependency-file",
      "-dependency-dot", "-B", "-F", "-G", "-A", "--serialize-diagnostics", "-ivfsoverlay",
      "-working-directory", "-module-dependency-dir", "-Xopenmp-target", "-Xcuda-ptxas",
      "-Xcuda-fatbinary", "--output", "--language", "--include-directory", "--define-macro",
      NULL};
  for (const char *const *o = opts; *o; o++)
    if (strcmp(a, *o) == 0)
      return true;
  return starts_with(a, "-Xarch_");
}

/* -g options that set a debug level (as opposed to -gsplit-dwarf, -gz, -gno-..., which
 * only shape the output): with one of these the user has chosen, and we add nothing. */
static bool is_debug_level(const char *a) {
  static const char *const levels[] = {
      "-g", "-g0", "-g1", "-g2", "-g3", "-gline-tables-only", "-gline-directives-only",
      "-glldb", "-gsce", "-gdbx", "-gcodeview", "-gcoff", "-gvms", NULL};
  for (const char *const *l = levels; *l; l++)
    if (strcmp(a, *l) == 0)
      return true;
  return starts_with(a, "-ggdb") || starts_with(a, "-gstabs") || starts_with(a, "-gxcoff") ||
         (starts_with(a, "-gdwarf") && strcmp(a, "-gdwarf32") != 0 &&
          strcmp(a, "-gdwarf64") != 0);
}

static enum input_kind kind_of_language(const char *lang) {
  if (strcmp(lang, "assembler") == 0 || strcmp(lang, "assembler-with-cpp") == 0)
    return IN_ASM;
  if (strstr(lang, "-header") != NULL)
    return IN_HEADER;
  return IN_SOURCE; /* c, c++, objective-c, cuda, ir, c-cpp-output, ... */
}

static enum input_kind kind_of_file(const char *path) {
  static const char *const sources[] = {"c", "i", "cc", "cp", "cxx", "cpp", "CPP", "c++",
                                        "C", "ii", "m", "mi", "mm", "M", "mii", "cu",
                                        "ll", "bc", NULL};
  static const char *const asms[] = {"s", "S", "sx", "asm", NULL};
  static const char *const headers[] = {"h", "hh", "hpp", "hxx", "H", "h++", "tcc", NULL};
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (dot == NULL || (slash != NULL && dot < slash))
    return IN_OBJECT;
  for (const char *const *e = sources; *e; e++)
    if (strcmp(dot + 1, *e) == 0)
      return IN_SOURCE;
  for (const char *const *e = asms; *e; e++)
    if (strcmp(dot + 1, *e) == 0)
      return IN_ASM;
  for (const char *const *e = headers; *e; e++)
    if (strcmp(dot + 1, *e) == 0)
      return IN_HEADER;
  return IN_OBJECT; /* .o, .a, .so, .lo, linker scripts, ... */
}

static void scan_args(struct scan *s, int argc, char **argv);

/* A response file is passed on as it is; its arguments are read only to know what the
 * command does (CMake and libtool put objects and options in them). Splitting follows
 * GCC's rules: whitespace separates, quotes and backslash escape. */
static void scan_response_file(struct scan *s, const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL || s->depth > 8) {
    if (f != NULL)
      fclose(f);
    s->others++; /* clang will report it; treat it as something to link */
    return;
  }
  size_t cap = 16, n = 0, len = 0, bufcap = 256;
  char **args = malloc(cap * sizeof *args);
  char *buf = malloc(bufcap);
  int c, quote = 0;
  bool in_word = false;
  if (args == NULL || buf == NULL)
    die("out of memory");
  for (;;) {
    c = fgetc(f);
    if (c != EOF && (quote || !(c == ' ' || c == '\t' || c == '\n' || c == '\r'))) {
      if (c == quote) {
        quote = 0;
      } else if (!quote && (c == '\'' || c == '"')) {
        quote = c;
      } else {
        if (c == '\\' && (c = fgetc(f)) == EOF)
          break;
        if (len + 2 > bufcap && (buf = realloc(buf, bufcap *= 2)) == NULL)
          die("out of memory");
        buf[len++] = (char)c;
      }
      in_word = true;
      continue;
    }
    if (in_word) {
      buf[len] = '\0';
      if (n + 1 >= cap && (args = realloc(args, (cap *= 2) * sizeof *args)) == NULL)
        die("out of memory");
      if ((args[n++] = strdup(buf)) == NULL)
        die("out of memory");
      len = 0;
      in_word = false;
    }
    if (c == EOF)
      break;
  }
  fclose(f);
  s->depth++;
  scan_args(s, (int)n, args);
  s->depth--;
  for (size_t i = 0; i < n; i++)
    free(args[i]);
  free(args);
  free(buf);
}

static void scan_args(struct scan *s, int argc, char **argv) {
  const char *lang = NULL; /* -x: the language of the inputs that follow */
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] == '@') {
      scan_response_file(s, a + 1);
    } else if (a[0] != '-' || strcmp(a, "-") == 0) {
      enum input_kind k = lang ? kind_of_language(lang) : kind_of_file(a);
      if (k == IN_SOURCE)
        s->sources++;
      else
        s->others++;
      if (k == IN_HEADER)
        s->no_link = true; /* a precompiled header is made, nothing is linked */
    } else if (strcmp(a, "-x") == 0 && i + 1 < argc) {
      lang = strcmp(argv[++i], "none") == 0 ? NULL : argv[i];
      s->language_set = lang != NULL;
    } else if (starts_with(a, "-x") && a[2] != '\0') {
      lang = strcmp(a + 2, "none") == 0 ? NULL : a + 2;
      s->language_set = lang != NULL;
    } else if (takes_value(a)) {
      if (strcmp(a, "-l") == 0)
        s->others++;
      i++;
    } else if (strcmp(a, "-c") == 0 || strcmp(a, "-S") == 0 || strcmp(a, "-r") == 0) {
      s->no_link = true;
    } else if (strcmp(a, "-E") == 0 || strcmp(a, "-M") == 0 || strcmp(a, "-MM") == 0) {
      s->no_link = s->preprocess = true; /* -M and -MM imply -E */
    } else if (strcmp(a, "-fsyntax-only") == 0) {
      s->no_link = s->syntax_only = true;
    } else if (strcmp(a, "-shared") == 0) {
      s->shared = true;
    } else if (strcmp(a, "-static") == 0 || strcmp(a, "-static-pie") == 0) {
      s->static_link = true;
    } else if (strcmp(a, "-nostdlib") == 0 || strcmp(a, "-nodefaultlibs") == 0) {
      s->no_stdlib = true;
    } else if (starts_with(a, "-l")) {
      s->others++; /* -lfoo: something to link */
    } else if (is_debug_level(a)) {
      s->debug_level = true;
    }
  }
}

/* ---- Where the plugin and the runtime are ---------------------------------------- */

struct searched {
  char *paths[16];
  int n;
};

static const char *try_path(struct searched *w, char *path) {
  if (w->n < 16)
    w->paths[w->n++] = path;
  return is_file(path) ? path : NULL;
}

static void not_found(const char *what, const char *env, struct searched *w) {
  fprintf(stderr, "%s: cannot find %s; searched:\n  $%s (not set)\n", prog, what, env);
  for (int i = 0; i < w->n; i++)
    fprintf(stderr, "  %s\n", w->paths[i]);
  fprintf(stderr, "set %s, or see docs/wrappers.md\n", env);
  exit(1);
}

/* The directory holding this executable: what is installed with it is found from there. */
static char *self_dir(void) {
  char *dir = tool_self_dir();
  if (dir == NULL)
    die("cannot read /proc/self/exe: %s", strerror(errno));
  return dir;
}

static const char *find_plugin(const char *dir) {
  const char *env = getenv("MEMSCOPE_PLUGIN");
  if (env != NULL && *env != '\0') {
    if (!is_file(env))
      die("MEMSCOPE_PLUGIN=%s: no such file", env);
    return env;
  }
  struct searched w = {0};
  const char *p;
  if ((p = try_path(&w, xasprintf("%s/../lib/memscope/MemscopePass.so", dir))) ||
      (p = try_path(&w, xasprintf("%s/../pass/MemscopePass.so", dir))))
    return realpath(p, NULL);
  not_found("MemscopePass.so", "MEMSCOPE_PLUGIN", &w);
  return NULL;
}

/* The directory holding libmemscope.so (or .a, with static set). */
static const char *find_runtime_dir(const char *dir, bool static_lib) {
  const char *lib = static_lib ? "libmemscope.a" : "libmemscope.so";
  const char *env = getenv("MEMSCOPE_RUNTIME_DIR");
  if (env != NULL && *env != '\0') {
    if (!is_file(xasprintf("%s/%s", env, lib)))
      die("MEMSCOPE_RUNTIME_DIR=%s: no %s there", env, lib);
    return env;
  }
  struct searched w = {0};
  const char *dirs[] = {
      MEMSCOPE_MULTIARCH[0] ? xasprintf("%s/../lib/%s", dir, MEMSCOPE_MULTIARCH) : NULL,
      xasprintf("%s/../lib", dir), xasprintf("%s/../runtime", dir)};
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
    if (dirs[i] != NULL && try_path(&w, xasprintf("%s/%s", dirs[i], lib)))
      return realpath(dirs[i], NULL);
  not_found(lib, "MEMSCOPE_RUNTIME_DIR", &w);
  return NULL;
}

/* The loader searches these anyway: no rpath for them. */
static bool is_system_lib_dir(const char *d) {
  return strcmp(d, "/usr/lib") == 0 || strcmp(d, "/lib") == 0 ||
         (MEMSCOPE_MULTIARCH[0] && (strcmp(d, "/usr/lib/" MEMSCOPE_MULTIARCH) == 0 ||
                                    strcmp(d, "/lib/" MEMSCOPE_MULTIARCH) == 0));
}

/* ---- The command ----------------------------------------------------------------- */

/* The first line of `compiler --version` in line (empty when it cannot be run). */
static void compiler_identity(const char *compiler, char *line, size_t size) {
  line[0] = '\0';
  int fds[2];
  if (pipe(fds) != 0)
    return;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0)
      dup2(null, STDERR_FILENO);
    close(fds[0]);
    execlp(compiler, compiler, "--version", (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  if (pid > 0) {
    FILE *f = fdopen(fds[0], "r");
    if (f != NULL) {
      if (fgets(line, (int)size, f) == NULL)
        line[0] = '\0';
      while (fgetc(f) != EOF) /* the rest, so that the child is never blocked on a pipe */
        ;
      fclose(f);
    } else {
      close(fds[0]);
    }
    waitpid(pid, NULL, 0);
  } else {
    close(fds[0]);
  }
  line[strcspn(line, "\n")] = '\0';
}

/* The major version of clang in a --version line ("Debian clang version 19.1.7 (...)",
 * "clang version 19.1.0"), 0 when it is not clang's. */
static int clang_major(const char *line) {
  const char *v = strstr(line, "clang version ");
  if (v == NULL || strstr(line, "Apple") != NULL)
    return 0;
  return atoi(v + strlen("clang version "));
}

/* After a failed command with the plugin: a word on the compiler, if it is the cause. */
static void explain_failure(const char *compiler, bool cxx) {
  char line[512];
  compiler_identity(compiler, line, sizeof line);
  int major = clang_major(line);
  if (major == MEMSCOPE_LLVM_MAJOR)
    return; /* the right clang: the failure is the code's, clang said why */
  fprintf(stderr,
          "%s: %s is %s%s%s; memscope's plugin loads only into clang %d: set %s to "
          "clang%s-%d\n",
          prog, compiler, line[0] ? "\"" : "not a compiler that answers --version",
          line, line[0] ? "\"" : "", MEMSCOPE_LLVM_MAJOR, cxx ? "MEMSCOPE_CXX" : "MEMSCOPE_CC",
          cxx ? "++" : "", MEMSCOPE_LLVM_MAJOR);
}

/* Runs cmd and ends with its status (a signal that ended it ends us too). */
static int run(char **cmd, bool with_plugin, bool cxx) {
  pid_t pid = fork();
  if (pid < 0)
    die("cannot fork: %s", strerror(errno));
  if (pid == 0) {
    execvp(cmd[0], cmd);
    fprintf(stderr, "%s: cannot run %s: %s (set %s)\n", prog, cmd[0], strerror(errno),
            cxx ? "MEMSCOPE_CXX" : "MEMSCOPE_CC");
    _exit(127);
  }
  /* The terminal's interrupt reaches the compiler too: we only wait for it. */
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      die("waiting for %s: %s", cmd[0], strerror(errno));
  bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  if (failed && with_plugin && !(WIFEXITED(status) && WEXITSTATUS(status) == 127))
    explain_failure(cmd[0], cxx);
  if (WIFSIGNALED(status)) {
    signal(WTERMSIG(status), SIG_DFL);
    raise(WTERMSIG(status));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static void print_quoted(FILE *f, const char *a) {
  if (*a != '\0' && strpbrk(a, " \t\n'\"\\$`*?[]{}()<>|&;#~") == NULL) {
    fputs(a, f);
    return;
  }
  fputc('\'', f);
  for (; *a; a++)
    if (*a == '\'')
      fputs("'\\''", f);
    else
      fputc(*a, f);
  fputc('\'', f);
}

int main(int argc, char **argv) {
  const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  bool cxx = strstr(base, "++") != NULL || strstr(base, "cxx") != NULL;
  prog = cxx ? "memscope-c++" : "memscope-cc";

  const char *compiler = getenv(cxx ? "MEMSCOPE_CXX" : "MEMSCOPE_CC");
  if (compiler == NULL || *compiler == '\0')
    compiler = cxx ? MEMSCOPE_DEFAULT_CXX : MEMSCOPE_DEFAULT_CC;
  /* MEMSCOPE_CC pointing back at the wrapper would exec it forever. */
  if (getenv("MEMSCOPE_WRAPPER_ACTIVE") != NULL)
    die("%s runs a memscope wrapper again; set it to a real compiler",
        cxx ? "MEMSCOPE_CXX" : "MEMSCOPE_CC");
  setenv("MEMSCOPE_WRAPPER_ACTIVE", "1", 1);

  struct scan s = {0};
  scan_args(&s, argc - 1, argv + 1);
  bool compiles = s.sources > 0 && !s.preprocess && !s.syntax_only;
  bool links = !s.no_link && s.sources + s.others > 0 && !s.no_stdlib;

  const char *mode = getenv("MEMSCOPE_RUNTIME");
  if (mode == NULL || *mode == '\0')
    mode = "shared";
  if (strcmp(mode, "shared") != 0 && strcmp(mode, "static") != 0 && strcmp(mode, "none") != 0)
    die("MEMSCOPE_RUNTIME=%s: expected shared, static or none", mode);
  /* A fully static program cannot load libmemscope.so. */
  if (s.static_link && !s.shared && strcmp(mode, "shared") == 0)
    mode = "static";
  /* With the static runtime, libraries leave __memscope_* to the program. */
  if (strcmp(mode, "none") == 0 || (s.shared && strcmp(mode, "static") == 0))
    links = false;

  /* The new command: compiler, our flags, the user's arguments (which may override
   * ours), then the runtime after the user's objects. */
  char **cmd = calloc((size_t)argc + 16, sizeof *cmd);
  if (cmd == NULL)
    die("out of memory");
  int n = 0;
  cmd[n++] = (char *)compiler;
  char *dir = (compiles || links) ? self_dir() : NULL;
  if (compiles) {
    cmd[n++] = xasprintf("-fpass-plugin=%s", find_plugin(dir));
    if (!s.debug_level)
      cmd[n++] = "-gline-tables-only";
  }
  for (int i = 1; i < argc; i++)
    cmd[n++] = argv[i];
  if (links) {
    bool static_rt = strcmp(mode, "static") == 0;
    const char *rt = find_runtime_dir(dir, static_rt);
    if (s.language_set) { /* (`-x c++ a.c` would read the library as C++ source) */
      cmd[n++] = "-x";
      cmd[n++] = "none";
    }
    if (static_rt) {
      /* Whole and exported: a dlopen'ed instrumented library may call any entry point
       * (docs/pass.md, "Shared libraries"). */
      cmd[n++] = "-Wl,--whole-archive";
      cmd[n++] = xasprintf("%s/libmemscope.a", rt);
      cmd[n++] = "-Wl,--no-whole-archive";
      cmd[n++] = "-Wl,--export-dynamic-symbol=__memscope_*";
      cmd[n++] = "-lpthread";
      cmd[n++] = "-lm";
      cmd[n++] = "-ldl";
    } else {
      cmd[n++] = xasprintf("%s/libmemscope.so", rt);
      if (!is_system_lib_dir(rt))
        cmd[n++] = xasprintf("-Wl,-rpath,%s", rt);
    }
  }
  cmd[n] = NULL;

  const char *dry = getenv("MEMSCOPE_WRAPPER_DRYRUN");
  if (dry != NULL && *dry != '\0' && strcmp(dry, "0") != 0) {
    for (int i = 0; i < n; i++) {
      if (i > 0)
        putchar(' ');
      print_quoted(stdout, cmd[i]);
    }
    putchar('\n');
    return 0;
  }
  return run(cmd, compiles, cxx);
}
