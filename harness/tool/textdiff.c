/*
 * A line diff of two texts, printed as a unified diff (`memgate update
 * --dry-run` shows what it would write). Myers' O((N+M)D) algorithm (E. W.
 * Myers, "An O(ND) Difference Algorithm and Its Variations", Algorithmica
 * 1986) on the lines between the common head and tail; past
 * TEXTDIFF_MAX_D edits the middle is shown as removed, then added (still a
 * correct diff, only longer).
 */
#include "tool.h"

#include <stdlib.h>
#include <string.h>

#define TEXTDIFF_MAX_D 400
#define TEXTDIFF_CONTEXT 2

typedef struct tline {
  const char *p;
  size_t n;
} tline;

/* The lines of t[0..len) (a last line without '\n' counts). NULL when out of memory. */
static tline *split_lines(const char *t, size_t len, size_t *count) {
  size_t n = 0, k = 0;
  for (size_t i = 0; i < len; i++) n += t[i] == '\n';
  if (len && t[len - 1] != '\n') n++;
  tline *l = malloc((n ? n : 1) * sizeof *l);
  if (!l) return NULL;
  for (size_t i = 0; i < len;) {
    const char *e = memchr(t + i, '\n', len - i);
    size_t m = e ? (size_t)(e - (t + i)) : len - i;
    l[k].p = t + i;
    l[k++].n = m;
    i += m + 1;
  }
  *count = k;
  return l;
}

static bool same(const tline *x, const tline *y) { return x->n == y->n && memcmp(x->p, y->p, x->n) == 0; }

/* One step of the edit script: ' ' both, '-' a only, '+' b only. */
typedef struct op {
  char c;
  size_t ai, bi;
} op;

typedef struct script {
  op *ops;
  size_t n, cap;
} script;

static int push(script *s, char c, size_t ai, size_t bi) {
  if (s->n == s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 64;
    op *no = realloc(s->ops, nc * sizeof *no);
    if (!no) return -1;
    s->ops = no;
    s->cap = nc;
  }
  s->ops[s->n].c = c;
  s->ops[s->n].ai = ai;
  s->ops[s->n++].bi = bi;
  return 0;
}

/* Myers forward pass over a[0..n) and b[0..m); trace[d] holds V after step
 * d. Returns D, or -1 when it exceeds TEXTDIFF_MAX_D or memory runs out. */
static long myers(const tline *a, long n, const tline *b, long m, long **trace_out) {
  long max = n + m, w = 2 * max + 1, dmax = max < TEXTDIFF_MAX_D ? max : TEXTDIFF_MAX_D;
  long *trace = malloc((size_t)(dmax + 1) * (size_t)w * sizeof *trace);
  long *v = calloc((size_t)w, sizeof *v);
  if (!trace || !v) {
    free(trace);
    free(v);
    return -1;
  }
  for (long d = 0; d <= dmax; d++) {
    for (long k = -d; k <= d; k += 2) {
      long x = (k == -d || (k != d && v[max + k - 1] < v[max + k + 1])) ? v[max + k + 1] : v[max + k - 1] + 1;
      long y = x - k;
      while (x < n && y < m && same(&a[x], &b[y])) x++, y++;
      v[max + k] = x;
      if (x >= n && y >= m) {
        memcpy(trace + d * w, v, (size_t)w * sizeof *v);
        free(v);
        *trace_out = trace;
        return d;
      }
    }
    memcpy(trace + d * w, v, (size_t)w * sizeof *v);
  }
  free(v);
  free(trace);
  return -1;
}

/* The edit script, backwards from the trace, then reversed; off: the
 * common head's length (added to every index). 0 or -1. */
static int backtrack(const long *trace, long d, long n, long m, size_t off, script *s) {
  long max = n + m, w = 2 * max + 1, x = n, y = m;
  size_t start = s->n;
  for (; d >= 0; d--) {
    const long *v = trace + d * w;
    long k = x - y;
    long pk = (d == 0) ? 0 : (k == -d || (k != d && v[max + k - 1] < v[max + k + 1])) ? k + 1 : k - 1;
    long px = d == 0 ? 0 : (trace + (d - 1) * w)[max + pk], py = px - pk;
    while (x > px && y > py)
      if (push(s, ' ', off + (size_t)--x, off + (size_t)--y)) return -1;
    if (d == 0) break;
    if (x > px ? push(s, '-', off + (size_t)--x, off + (size_t)y) : push(s, '+', off + (size_t)x, off + (size_t)--y))
      return -1;
  }
  for (size_t i = start, j = s->n; i + 1 < j; i++, j--) {
    op t = s->ops[i];
    s->ops[i] = s->ops[j - 1];
    s->ops[j - 1] = t;
  }
  return 0;
}

/* The middle a[0..n), b[0..m) when Myers gave up: all removed, then all added. */
static int replace_all(long n, long m, size_t off, script *s) {
  for (long i = 0; i < n; i++)
    if (push(s, '-', off + (size_t)i, off)) return -1;
  for (long j = 0; j < m; j++)
    if (push(s, '+', off + (size_t)n, off + (size_t)j)) return -1;
  return 0;
}

/* The whole edit script of a vs b. 0 or -1. */
static int diff_script(const tline *a, size_t na, const tline *b, size_t nb, script *s) {
  size_t h = 0, t = 0;
  while (h < na && h < nb && same(&a[h], &b[h])) h++;
  while (t < na - h && t < nb - h && same(&a[na - 1 - t], &b[nb - 1 - t])) t++;
  for (size_t i = 0; i < h; i++)
    if (push(s, ' ', i, i)) return -1;
  long n = (long)(na - h - t), m = (long)(nb - h - t), *trace = NULL;
  long d = myers(a + h, n, b + h, m, &trace);
  int rc = d >= 0 ? backtrack(trace, d, n, m, h, s) : replace_all(n, m, h, s);
  free(trace);
  for (size_t i = 0; !rc && i < t; i++) rc = push(s, ' ', na - t + i, nb - t + i);
  return rc;
}

static void put_line(FILE *out, char c, const tline *l) {
  fputc(c, out);
  fwrite(l->p, 1, l->n, out);
  fputc('\n', out);
}

/* The end of the hunk whose first change is at i: past its last change
 * followed by more than 2 * TEXTDIFF_CONTEXT unchanged lines, plus context. */
static size_t hunk_end(const script *s, size_t i) {
  size_t last = i;
  for (size_t j = i; j < s->n && j - last <= 2 * TEXTDIFF_CONTEXT; j++)
    if (s->ops[j].c != ' ') last = j;
  return last + 1 + TEXTDIFF_CONTEXT < s->n ? last + 1 + TEXTDIFF_CONTEXT : s->n;
}

/* Prints the hunks of s: changes with TEXTDIFF_CONTEXT lines around them. */
static void print_hunks(FILE *out, const script *s, const tline *a, const tline *b) {
  for (size_t i = 0; i < s->n;) {
    if (s->ops[i].c == ' ') {
      i++;
      continue;
    }
    size_t from = i > TEXTDIFF_CONTEXT ? i - TEXTDIFF_CONTEXT : 0, to = hunk_end(s, i), la = 0, lb = 0;
    for (size_t k = from; k < to; k++) {
      la += s->ops[k].c != '+';
      lb += s->ops[k].c != '-';
    }
    fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", s->ops[from].ai + (la ? 1 : 0), la, s->ops[from].bi + (lb ? 1 : 0),
            lb);
    for (size_t k = from; k < to; k++)
      put_line(out, s->ops[k].c, s->ops[k].c == '+' ? &b[s->ops[k].bi] : &a[s->ops[k].ai]);
    i = to;
  }
}

int tool_text_diff(FILE *out, const char *name_a, const char *a, size_t alen, const char *name_b, const char *b,
                   size_t blen) {
  size_t na = 0, nb = 0;
  tline *la = split_lines(a ? a : "", a ? alen : 0, &na), *lb = split_lines(b ? b : "", b ? blen : 0, &nb);
  script s;
  memset(&s, 0, sizeof s);
  int rc = la && lb ? diff_script(la, na, lb, nb, &s) : -1;
  if (!rc) {
    bool any = false;
    for (size_t i = 0; i < s.n && !any; i++) any = s.ops[i].c != ' ';
    if (any) {
      fprintf(out, "--- %s\n+++ %s\n", name_a, name_b);
      print_hunks(out, &s, la, lb);
    }
  }
  free(s.ops);
  free(la);
  free(lb);
  return rc ? MEMGATE_ENOMEM : 0;
}
