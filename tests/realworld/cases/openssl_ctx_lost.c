/*
 * openssl_ctx_lost - leak, OpenSSL 3, unreachable: each call hashes a
 * message with a new EVP_MD_CTX and forgets to free it on the early-return
 * path the code always takes (the context and its digest state: a few
 * hundred bytes per call, nothing points to them).
 */
#include "../rw_case.h"

#include <openssl/evp.h>
#include <string.h>

static unsigned char rw_md[EVP_MAX_MD_SIZE];

static int ctx_lost_hash(const char *msg) {
  unsigned int len = 0;
  EVP_MD_CTX *c = EVP_MD_CTX_new();

  if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) return -1;
  EVP_DigestUpdate(c, msg, strlen(msg));
  EVP_DigestFinal_ex(c, rw_md, &len);
  if (len == 32) return 0; /* the bug: returns before EVP_MD_CTX_free */
  EVP_MD_CTX_free(c);
  return -1;
}

static void ctx_lost_body(void *ctx) {
  (void)ctx;
  (void)ctx_lost_hash("gift 9 for room 42");
}

static void ctx_lost_setup(void) { (void)ctx_lost_hash("warm"); }

const rw_case rw_case_openssl_ctx_lost = {
  "openssl_ctx_lost", "OpenSSL", "leak", ctx_lost_setup, ctx_lost_body, NULL,
};
