/*
 * openssl_digest - leak-free, OpenSSL 3: each call hashes 4 KiB with
 * SHA-256 and HMAC-SHA-256 and draws 32 random bytes. Nothing initialises
 * OpenSSL up front: the first call loads the default provider, fills the
 * algorithm caches and seeds the per-thread random generators.
 */
#include "../rw_case.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

static unsigned char rw_data[4096];

static void digest_body(void *ctx) {
  unsigned char md[EVP_MAX_MD_SIZE], rnd[32];
  unsigned int len = 0;
  EVP_MD_CTX *c;

  (void)ctx;
  c = EVP_MD_CTX_new();
  if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1) {
    EVP_DigestUpdate(c, rw_data, sizeof rw_data);
    EVP_DigestFinal_ex(c, md, &len);
  }
  EVP_MD_CTX_free(c);
  HMAC(EVP_sha256(), "key", 3, rw_data, sizeof rw_data, md, &len);
  RAND_bytes(rnd, (int)sizeof rnd);
  rw_data[rnd[0] % sizeof rw_data] ^= md[0];
}

static void digest_setup(void) { memset(rw_data, 0x5a, sizeof rw_data); }

const rw_case rw_case_openssl_digest = {
  "openssl_digest", "OpenSSL", "pass", digest_setup, digest_body, NULL,
};
