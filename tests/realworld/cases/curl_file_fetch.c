/*
 * curl_file_fetch - leak-free, libcurl with GnuTLS (Debian's
 * libcurl3-gnutls): each call fetches a 2 KiB local file through a new easy
 * handle and cleans it up. Nothing calls curl_global_init: the first
 * curl_easy_init does (and GnuTLS, loaded with libcurl, has already run its
 * own start-up, which leaves many free small chunks in the arena: issue
 * 12, class 1).
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include "../rw_case.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char rw_path[64];
static char rw_url[96];
static size_t rw_received;

static size_t fetch_write(char *data, size_t size, size_t n, void *user) {
  (void)data;
  (void)user;
  rw_received += size * n;
  return size * n;
}

static void fetch_setup(void) {
  char buf[2048];
  int fd;

  snprintf(rw_path, sizeof rw_path, "/tmp/memgate-rw-curl.XXXXXX");
  fd = mkstemp(rw_path);
  if (fd < 0) { perror("mkstemp"); exit(2); }
  memset(buf, 'c', sizeof buf);
  if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) { perror("write"); exit(2); }
  close(fd);
  snprintf(rw_url, sizeof rw_url, "file://%s", rw_path);
}

static void fetch_body(void *ctx) {
  CURL *h;

  (void)ctx;
  h = curl_easy_init();
  if (!h) return;
  curl_easy_setopt(h, CURLOPT_URL, rw_url);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_write);
  curl_easy_perform(h);
  curl_easy_cleanup(h);
}

static void fetch_teardown(void) {
  unlink(rw_path);
  curl_global_cleanup();
}

const rw_case rw_case_curl_file_fetch = {
  "curl_file_fetch", "libcurl (GnuTLS)", "pass", fetch_setup, fetch_body, fetch_teardown,
};
