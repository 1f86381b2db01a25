/* llvm-symbolizer as a batch (symbolize.h).
 *
 * Input: one line per request, `"FILE" 0xADDRESS`.  Output (--output-style=LLVM): per
 * request, pairs of lines "function" and "file:line:column", innermost inlined frame
 * first, then an empty line; "??" and "??:0:0" when unknown.  A file the symbolizer
 * cannot read gives the same unknown pair (and a message on its stderr). */
#define _GNU_SOURCE
#include "symbolize.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

static bool executable(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* name found in $PATH, into buf. */
static bool in_path(const char *name, char *buf, size_t size) {
  const char *path = getenv("PATH");
  if (!path || !*path)
    path = "/usr/local/bin:/usr/bin:/bin";
  while (*path) {
    const char *end = strchr(path, ':');
    size_t len = end ? (size_t)(end - path) : strlen(path);
    if (len > 0 && (size_t)snprintf(buf, size, "%.*s/%s", (int)len, path, name) < size &&
        executable(buf))
      return true;
    path += len + (end != NULL);
  }
  return false;
}

const char *mg_symbolizer_find(const char *override, char *buf, size_t size) {
  const char *given = override;
  if (given && *given) {
    if (strchr(given, '/')) {
      snprintf(buf, size, "%s", given);
      return executable(buf) ? buf : NULL;
    }
    return in_path(given, buf, size) ? buf : NULL;
  }
  if (in_path("llvm-symbolizer", buf, size))
    return buf;
  char name[64];
  for (int v = 22; v >= 14; v--) {
    snprintf(name, sizeof name, "llvm-symbolizer-%d", v);
    if (in_path(name, buf, size))
      return buf;
  }
  for (int v = 22; v >= 14; v--) {
    snprintf(buf, size, "/usr/lib/llvm-%d/bin/llvm-symbolizer", v);
    if (executable(buf))
      return buf;
  }
  return NULL;
}

/* "file:line:column" (the file may hold ':' itself): split from the right. */
static void parse_location(char *s, struct mg_sym_frame *f) {
  f->file = NULL;
  f->line = f->column = 0;
  char *c2 = strrchr(s, ':');
  if (!c2)
    return;
  *c2 = '\0';
  char *c1 = strrchr(s, ':');
  unsigned long a = 0, b = strtoul(c2 + 1, NULL, 10);
  if (c1) {
    *c1 = '\0';
    a = strtoul(c1 + 1, NULL, 10);
  } else {
    a = b; /* "file:line" */
    b = 0;
  }
  f->line = (uint32_t)a;
  f->column = (uint32_t)b;
  if (strcmp(s, "??") != 0 && *s)
    f->file = s;
}

/* Reads the answers: blocks of (function, location) pairs ended by an empty line. */
static size_t read_answers(FILE *in, size_t n, mg_sym_frames_fn *fn, void *ctx) {
  struct mg_sym_frame *frames = NULL;
  char **owned = NULL;
  size_t nframes = 0, cap = 0, ocap = 0, done = 0;
  char *line = NULL, *function = NULL;
  size_t linecap = 0;
  ssize_t len;
  while (done < n && (len = getline(&line, &linecap, in)) >= 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
      line[--len] = '\0';
    if (!function && len == 0) { /* the end of a block */
      fn(ctx, done++, frames, nframes);
      for (size_t i = 0; i < nframes; i++)
        free(owned[i]);
      nframes = 0;
      continue;
    }
    if (!function) {
      function = mg_xstrdup(line);
      continue;
    }
    MG_GROW(frames, cap, nframes + 1);
    MG_GROW(owned, ocap, nframes + 1);
    owned[nframes] = mg_xstrdup(line); /* the location; the function follows it */
    size_t flen = strlen(function);
    owned[nframes] = mg_xrealloc(owned[nframes], strlen(line) + 1 + flen + 1);
    char *fun = owned[nframes] + strlen(line) + 1;
    memcpy(fun, function, flen + 1);
    free(function);
    function = NULL;
    struct mg_sym_frame *f = &frames[nframes++];
    parse_location(owned[nframes - 1], f);
    f->function = strcmp(fun, "??") == 0 || !*fun ? NULL : fun;
  }
  free(function);
  for (size_t i = 0; i < nframes; i++)
    free(owned[i]);
  free(owned);
  free(frames);
  free(line);
  return done;
}

bool mg_symbolize(const char *symbolizer, char *const *debug_dirs, size_t ndirs,
                  const struct mg_sym_request *req, size_t n, mg_sym_frames_fn *fn, void *ctx,
                  char *err, size_t errsize) {
  err[0] = '\0';
  if (n == 0)
    return true;
  FILE *input = tmpfile(), *errors = tmpfile();
  if (!input || !errors) {
    snprintf(err, errsize, "cannot create a temporary file: %s", strerror(errno));
    if (input)
      fclose(input);
    if (errors)
      fclose(errors);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    /* A name the input syntax cannot quote gets an unreadable one: its answer is "??". */
    const char *file = strpbrk(req[i].file, "\"\n") ? "/nonexistent/unquotable" : req[i].file;
    fprintf(input, "\"%s\" 0x%" PRIx64 "\n", file, req[i].address);
  }
  if (fflush(input) != 0 || fseek(input, 0, SEEK_SET) != 0) {
    snprintf(err, errsize, "cannot write the symbolizer's input: %s", strerror(errno));
    fclose(input);
    fclose(errors);
    return false;
  }
  char **argv = mg_xcalloc(ndirs + 8, sizeof *argv);
  size_t argc = 0;
  argv[argc++] = (char *)symbolizer;
  argv[argc++] = "--inlines";
  argv[argc++] = "--demangle";
  argv[argc++] = "--functions=linkage";
  argv[argc++] = "--output-style=LLVM";
  char **dirs = mg_xcalloc(ndirs ? ndirs : 1, sizeof *dirs);
  for (size_t i = 0; i < ndirs; i++) {
    size_t len = strlen(debug_dirs[i]) + sizeof "--debug-file-directory=";
    dirs[i] = mg_xmalloc(len);
    snprintf(dirs[i], len, "--debug-file-directory=%s", debug_dirs[i]);
    argv[argc++] = dirs[i];
  }
  argv[argc] = NULL;

  int out[2];
  bool ok = false;
  if (pipe2(out, O_CLOEXEC) != 0) {
    snprintf(err, errsize, "cannot create a pipe: %s", strerror(errno));
    goto done;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, errsize, "cannot start %s: %s", symbolizer, strerror(errno));
    close(out[0]);
    close(out[1]);
    goto done;
  }
  if (pid == 0) {
    if (dup2(fileno(input), STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
        dup2(fileno(errors), STDERR_FILENO) < 0)
      _exit(127);
    signal(SIGPIPE, SIG_DFL);
    execv(symbolizer, argv);
    fprintf(stderr, "cannot run: %s\n", strerror(errno));
    _exit(127);
  }
  close(out[1]);
  FILE *answers = fdopen(out[0], "r");
  size_t done = 0;
  if (answers) {
    done = read_answers(answers, n, fn, ctx);
    fclose(answers);
  } else {
    close(out[0]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  /* Its first complaint, if any ("could not open ..."), for the report. */
  char first[256] = "";
  if (fseek(errors, 0, SEEK_SET) == 0 && fgets(first, sizeof first, errors)) {
    size_t len = strlen(first);
    while (len > 0 && (first[len - 1] == '\n' || first[len - 1] == '\r'))
      first[--len] = '\0';
  }
  if (done < n) {
    char how[32] = "";
    if (WIFEXITED(status))
      snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
      snprintf(how, sizeof how, "signal %d", WTERMSIG(status));
    snprintf(err, errsize, "%s stopped after %zu of %zu addresses (%s)%s%s", symbolizer, done,
             n, how, first[0] ? ": " : "", first);
  } else {
    ok = true;
    if (first[0])
      snprintf(err, errsize, "%s", first);
  }
done:
  for (size_t i = 0; i < ndirs; i++)
    free(dirs[i]);
  free(dirs);
  free(argv);
  fclose(input);
  fclose(errors);
  return ok;
}
