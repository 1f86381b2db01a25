/* The HTML report: one self-contained file (docs/reports.md).  Its data is the JSON
 * report itself (report_json.c, docs/json.md), written compact inside
 * <script type="application/json" id="memscope-data">, and report/html/report.js (built
 * into this binary with report.css: html_assets.c) draws the dashboard from it in the
 * browser.  No network access, nothing loaded from elsewhere.
 *
 * Program strings (function and file names, thread names, labels) reach the page only
 * through that JSON, written script-safe (json.h: no "</" or "<!--" can appear in it),
 * and the script puts them in the page as text nodes, never as markup.  The one string
 * this file writes as HTML, the title, goes through mg_html_escape. */
#include "json.h"
#include "report.h"

/* The page's script and style sheet (report/html/, embedded at build time). */
extern const unsigned char mg_html_report_js[];
extern const unsigned char mg_html_report_css[];

void mg_html_escape(FILE *out, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs("&quot;", out); break;
    case '\'': fputs("&#39;", out); break;
    default: fputc(*s, out);
    }
  }
}

void mg_report_html(FILE *out, const struct mg_profile *p, const struct mg_report_options *opt) {
  /* The title names the programs (escaped: they are the profiled program's strings). */
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        "<title>memscope: ", out);
  size_t named = 0;
  for (size_t i = 0; i < p->ninputs && named < 3; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    if (!proc)
      continue;
    fputs(named ? ", " : "", out);
    mg_html_escape(out, proc->program ? proc->program : "?");
    named++;
  }
  if (!named)
    fputs("no data", out);
  fputs("</title>\n<style>\n", out);
  fputs((const char *)mg_html_report_css, out);
  fputs("</style>\n</head>\n<body>\n"
        "<noscript><p>This report draws itself with JavaScript; please enable it.</p></noscript>\n"
        "<div id=\"app\"></div>\n"
        "<div id=\"ms-errors\" hidden data-count=\"0\"></div>\n"
        "<script type=\"application/json\" id=\"memscope-data\">", out);
  struct mg_json j;
  mg_json_init_script(&j, out);
  mg_report_json_write(&j, p, opt);
  fputs("</script>\n<script>\n", out);
  fputs((const char *)mg_html_report_js, out);
  fputs("</script>\n</body>\n</html>\n", out);
}
