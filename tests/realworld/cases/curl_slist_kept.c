/*
 * curl_slist_kept - leak, libcurl with GnuTLS, 2 small chunks (about
 * 40 B of requests, 64 B of chunks) per call, still reachable: each call
 * appends a trace header to a global header list that is meant to be
 * rebuilt per request but never is. GnuTLS is loaded with libcurl, so the
 * arena starts with many free small chunks (the LD_PRELOAD
 * reproduction, with a real library).
 */
#include "../rw_case.h"

#include <curl/curl.h>
#include <stdio.h>

static struct curl_slist *rw_headers; /* the bug: appended to on every call */
static unsigned rw_calls;

static void slist_setup(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static void slist_body(void *ctx) {
  char line[32];
  char *escaped;

  (void)ctx;
  /* Ordinary transient work around the leak. */
  escaped = curl_easy_escape(NULL, "room 42/gift?id=9", 0);
  curl_free(escaped);
  snprintf(line, sizeof line, "X-Trace: %06u", rw_calls++);
  rw_headers = curl_slist_append(rw_headers, line);
}

const rw_case rw_case_curl_slist_kept = {
  "curl_slist_kept", "libcurl (GnuTLS)", "leak", slist_setup, slist_body, NULL,
};
