#include "keyalg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/core_names.h>

/* NIST names Windows administrators write, and OpenSSL's. */
static const char *
curve_canonical(const char *name)
{
	if (strcasecmp(name, "P-256") == 0 || strcasecmp(name, "secp256r1") == 0)
		return "prime256v1";
	if (strcasecmp(name, "P-384") == 0)
		return "secp384r1";
	if (strcasecmp(name, "P-521") == 0)
		return "secp521r1";
	return name;
}

struct spec {
	char type[16];		/* "rsa", "ec", "ed25519", "ed448" */
	long min, max;		/* rsa bits, 0..LONG_MAX when unset */
	char curve[64];		/* ec: "" for any */
};

static int
parse(const char *text, struct spec *s)
{
	const char *colon = strchr(text, ':');
	size_t tlen = colon ? (size_t)(colon - text) : strlen(text);

	memset(s, 0, sizeof(*s));
	s->max = -1;
	if (tlen == 0 || tlen >= sizeof(s->type))
		return -1;
	memcpy(s->type, text, tlen);
	s->type[tlen] = '\0';
	for (char *p = s->type; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (strcmp(s->type, "rsa") == 0) {
		char *end;
		if (colon == NULL)
			return 0;
		errno = 0;
		s->min = strtol(colon + 1, &end, 10);
		if (errno != 0 || end == colon + 1 || s->min <= 0)
			return -1;
		if (*end == '\0') {
			s->max = s->min;
			return 0;
		}
		if (*end != '-')
			return -1;
		{
			const char *q = end + 1;
			s->max = strtol(q, &end, 10);
			if (errno != 0 || end == q || *end != '\0' || s->max < s->min)
				return -1;
		}
		return 0;
	}
	if (strcmp(s->type, "ec") == 0) {
		if (colon == NULL)
			return 0;
		if (colon[1] == '\0')
			return -1;
		snprintf(s->curve, sizeof(s->curve), "%s", curve_canonical(colon + 1));
		if (OBJ_sn2nid(s->curve) == NID_undef && OBJ_ln2nid(s->curve) == NID_undef)
			return -1;
		return 0;
	}
	if ((strcmp(s->type, "ed25519") == 0 || strcmp(s->type, "ed448") == 0) && colon == NULL)
		return 0;
	return -1;
}

int
crt_keyalg_valid(const char *spec, struct cr_err *err)
{
	struct spec s;

	if (parse(spec, &s) != 0)
		return cr_err_set(err, CR_EINPUT, "bad key specification '%s': expected rsa, "
		    "rsa:BITS, rsa:MIN-MAX, ec, ec:CURVE, ed25519 or ed448", spec);
	return CR_OK;
}

int
crt_keyalg_matches_params(const char *text, const char *type, long bits, const char *curve)
{
	struct spec s;

	if (type == NULL || parse(text, &s) != 0 || strcasecmp(s.type, type) != 0)
		return 0;
	if (strcmp(s.type, "rsa") == 0)
		return s.max < 0 || (bits >= s.min && bits <= s.max);
	if (strcmp(s.type, "ec") == 0)
		return s.curve[0] == '\0' ||
		    (curve != NULL && strcasecmp(curve_canonical(curve), s.curve) == 0);
	return 1;	/* ed25519, ed448: the type says it all */
}

int
crt_keyalg_matches(const char *text, const X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[64];
	size_t glen = 0;

	if (pk == NULL)
		return 0;
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		return crt_keyalg_matches_params(text, "rsa", EVP_PKEY_get_bits(pk), NULL);
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
		    sizeof(group), &glen))
			return crt_keyalg_matches_params(text, "ec", 0, NULL);
		return crt_keyalg_matches_params(text, "ec", 0, group);
	case EVP_PKEY_ED25519:
		return crt_keyalg_matches_params(text, "ed25519", 0, NULL);
	case EVP_PKEY_ED448:
		return crt_keyalg_matches_params(text, "ed448", 0, NULL);
	default:
		return 0;
	}
}

void
crt_keyalg_describe(const X509 *x, char *buf, size_t len)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[64];
	size_t glen = 0;

	if (pk == NULL) {
		snprintf(buf, len, "unknown key");
		return;
	}
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		snprintf(buf, len, "RSA %d", EVP_PKEY_get_bits(pk));
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
		    sizeof(group), &glen))
			snprintf(buf, len, "EC %s", group);
		else
			snprintf(buf, len, "EC %d", EVP_PKEY_get_bits(pk));
		break;
	case EVP_PKEY_ED25519:
		snprintf(buf, len, "ED25519");
		break;
	case EVP_PKEY_ED448:
		snprintf(buf, len, "ED448");
		break;
	default:
		snprintf(buf, len, "%s %d", OBJ_nid2sn(EVP_PKEY_get_base_id(pk)),
		    EVP_PKEY_get_bits(pk));
		break;
	}
}
