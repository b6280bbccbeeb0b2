/*
 * inspect.h - what `inspect` shows beside SPEC 3.3's fields, for one
 * certificate (inspect_chain.c): key usage, basic constraints, and - for a
 * file or an endpoint, not a token object - the chain the source carries,
 * each certificate's subject, issuer and SHA-1, self-signed ones marked,
 * with the verdict of cert/chain.h (in order, complete up to a root or an
 * anchor of `store`, or what is wrong).
 */
#ifndef ROT_INSPECT_H
#define ROT_INSPECT_H

#include <json-c/json.h>
#include <openssl/x509_vfy.h>

#include "../cert/cert.h"

/* Prints the lines after print_text's (two-space indent, labels padded to 21). */
void rot_inspect_text(const struct crt_cert *c, X509_STORE *store);
/* Adds key_usage, basic_constraints, chain and chain_status to o (a certificate's object). */
void rot_inspect_json(struct json_object *o, const struct crt_cert *c, X509_STORE *store);

#endif
