/*
 * json.h - the JSON form of a certificate's description (SPEC 3.3 keys),
 * shared by `inspect`, plan rendering and check output.
 */
#ifndef CRT_JSON_H
#define CRT_JSON_H

#include <json-c/json.h>

#include "cert.h"

/*
 * A new JSON object with the keys of SPEC 3.3: subject, issuer, serial,
 * not_before, not_after, days_left, san, signature_algorithm {name, oid},
 * key {type, bits, curve}, eku, sha1, sha256, tls_name, source, and token
 * {label, uri, object, id, private_key {present, sensitive, extractable}}
 * for token objects.  Every string is made by cr_json_str (common/utf8.h):
 * valid UTF-8 whatever the certificate or file name holds; certificate
 * strings are already escaped (\xHH) by their rendering.  The caller owns
 * the reference (json_object_put).
 */
struct json_object *crt_cert_json(const struct crt_cert *c, const struct crt_info *info);

/* An array of the n strings of v; a boolean for 1 / 0 and NULL (JSON null)
 * for -1, "could not be read".  New references. */
struct json_object *crt_json_strings(char *const *v, size_t n);
struct json_object *crt_json_tristate(int v);

/* Prints obj pretty (2 spaces, insertion order, no "\/") and a newline to f. */
void crt_json_print(FILE *f, struct json_object *obj);

#endif
