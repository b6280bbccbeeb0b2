/*
 * fuzz_certload.c - certificates from bytes (cert/load.c crt_parse_buffer:
 * PEM, DER, PKCS#12), then everything shown of them (cert/info.c, the JSON
 * of inspect, the <I>..<S>.. name, host-name matching).  The first byte
 * picks the password tried for a PKCS#12: none, "" or "fuzz".
 * Asserted: a message or a shown string is one line of valid UTF-8 without
 * control bytes; the JSON of each certificate is valid UTF-8 and parses
 * back; the <I>..<S>.. name is an identity that denotes the certificate.
 */
#include <json-c/json.h>
#include <openssl/x509.h>

#include "fuzz.h"
#include "../../cert/cert.h"
#include "../../cert/ident.h"
#include "../../cert/json.h"
#include "../../cert/names.h"
#include "../../common/util.h"
#include "../../common/utf8.h"

static void
shown_all(const struct crt_info *in)
{
	const char *one[] = { in->subject, in->issuer, in->tls_name, in->serial, in->sig_name,
	    in->sig_oid, in->key_type, in->sha1, in->sha256 };
	size_t i;

	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		FUZZ_ASSERT(fuzz_shown_ok(one[i]), "field %zu '%s' is not printable UTF-8", i, one[i]);
	for (i = 0; i < in->nsan; i++)
		FUZZ_ASSERT(fuzz_shown_ok(in->san[i]), "SAN '%s' is not printable UTF-8", in->san[i]);
	for (i = 0; i < in->neku; i++)
		FUZZ_ASSERT(fuzz_shown_ok(in->eku[i]), "EKU '%s' is not printable UTF-8", in->eku[i]);
}

static void
describe(const struct crt_cert *c)
{
	struct crt_info info;
	struct json_object *o, *back;
	const char *js;
	struct crt_ident id;
	struct cr_err err;
	char *text;

	crt_info_get(c, 1700000000, &info);
	shown_all(&info);
	o = crt_cert_json(c, &info);
	js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	FUZZ_ASSERT(cr_utf8_valid(js, strlen(js)), "JSON is not valid UTF-8");
	back = json_tokener_parse(js);
	FUZZ_ASSERT(back != NULL, "JSON does not parse back");
	json_object_put(back);
	json_object_put(o);
	/* the <I>..<S>.. name shown denotes this certificate (unless past the bounds) */
	text = cr_xasprintf("name:%s", info.tls_name);
	cr_err_clear(&err);
	if (crt_ident_parse(text, &id, &err) == CR_OK) {
		FUZZ_ASSERT(crt_ident_matches(&id, c), "'%s' does not denote its certificate", text);
		crt_ident_release(&id);
	} else {
		/* too large, or a name whose issuer or subject is empty */
		FUZZ_ASSERT(err.reason == CR_R_TOO_LARGE || strstr(err.msg, "is empty") != NULL ||
		    strstr(err.msg, "needs <S>") != NULL, "'%s': %s", text, err.msg);
	}
	free(text);
	(void)crt_name_covered(c->x509, "mail.contoso.com");
	(void)crt_name_covered(c->x509, "10.0.0.5");
	crt_info_release(&info);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const pass[] = { NULL, "", "fuzz" };
	struct crt_list l = CRT_LIST_INIT;
	struct cr_err err;
	size_t i;

	if (size < 1)
		return 0;
	cr_err_clear(&err);
	if (crt_parse_buffer(data + 1, size - 1, pass[data[0] % 3], "fuzz.pem", &l, &err) != CR_OK)
		FUZZ_ASSERT(fuzz_shown_ok(err.msg), "message '%s' is not printable UTF-8", err.msg);
	for (i = 0; i < l.n; i++)
		describe(l.v[i]);
	crt_list_release(&l);
	return 0;
}
