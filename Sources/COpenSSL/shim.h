#ifndef CVAULT_COPENSSL_SHIM_H
#define CVAULT_COPENSSL_SHIM_H

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

// OSSL_PARAM arrays keep the pointers they are given, so they are built here in C, where the
// strings and buffers they point to live for the whole call. Swift strings would not.

/// HKDF-SHA256 (RFC 5869, extract-then-expand) through the provider's "HKDF" KDF. Returns 1 on success.
static inline int cvault_hkdf_sha256(EVP_KDF *kdf,
                                     const unsigned char *key, size_t key_len,
                                     const unsigned char *salt, size_t salt_len,
                                     const unsigned char *info, size_t info_len,
                                     unsigned char *out, size_t out_len) {
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    if (ctx == NULL) return 0;
    OSSL_PARAM params[5];
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
    // An empty salt or info is legal in RFC 5869; OpenSSL wants a non-NULL pointer for them.
    static unsigned char empty = 0;
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                    salt_len ? (void *)salt : (void *)&empty, salt_len);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                    info_len ? (void *)info : (void *)&empty, info_len);
    params[n] = OSSL_PARAM_construct_end();
    int ok = EVP_KDF_derive(ctx, out, out_len, params);
    EVP_KDF_CTX_free(ctx);
    return ok == 1;
}

/// Initialises an HMAC context for SHA-256 with the given key. Returns 1 on success.
static inline int cvault_hmac_sha256_init(EVP_MAC_CTX *ctx, const unsigned char *key, size_t key_len) {
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    static unsigned char empty = 0;
    return EVP_MAC_init(ctx, key_len ? key : &empty, key_len, params) == 1;
}

/// Sets a non-default IV length on a GCM context (only the published test vectors need this).
static inline int cvault_gcm_set_iv_length(EVP_CIPHER_CTX *ctx, size_t iv_len) {
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &iv_len);
    params[1] = OSSL_PARAM_construct_end();
    return EVP_CIPHER_CTX_set_params(ctx, params) == 1;
}

/// Reads the GCM tag after EVP_EncryptFinal_ex.
static inline int cvault_gcm_get_tag(EVP_CIPHER_CTX *ctx, unsigned char *tag, size_t tag_len) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, (int)tag_len, tag) == 1;
}

/// Sets the expected GCM tag before EVP_DecryptFinal_ex.
static inline int cvault_gcm_set_tag(EVP_CIPHER_CTX *ctx, const unsigned char *tag, size_t tag_len) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)tag_len, (void *)tag) == 1;
}

#endif
