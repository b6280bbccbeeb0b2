/*
 * fuzz_names.c - host-name matching (cert/names.c crt_name_covered).
 * Input: the host name, '\n', then SAN dNSNames one per line (bytes as
 * they come, NUL included), a line "CN=..." for a subject CN instead (an
 * input whose CNs OpenSSL will not encode is skipped).
 * Asserted:
 *   - a dNSName or CN holding NUL covers nothing: the certificate without
 *     them covers exactly the same names (the NUL-prefix attack);
 *   - matching ignores case (ASCII) and one trailing dot of the name;
 *   - an IP literal never matches a dNSName or a CN.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/x509v3.h>

#include "fuzz.h"
#include "../../cert/names.h"
#include "../../common/util.h"

/* A certificate with the lines of data as dNSNames / CN; with_nul 0 drops those holding NUL. */
static X509 *
build(const uint8_t *data, size_t size, int with_nul)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	size_t off = 0;
	int any = 0;

	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl != NULL ? (size_t)(nl - (data + off)) : size - off;
		const uint8_t *line = data + off;

		off += len + 1;
		if (!with_nul && memchr(line, 0, len) != NULL) {
			any |= len < 3 || memcmp(line, "CN=", 3) != 0;	/* a SAN still exists */
			continue;
		}
		if (len >= 3 && memcmp(line, "CN=", 3) == 0) {
			X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_UTF8STRING, line + 3,
			    (int)(len - 3), -1, 0);
		} else {
			GENERAL_NAME *g = GENERAL_NAME_new();
			ASN1_IA5STRING *s = ASN1_IA5STRING_new();

			ASN1_STRING_set(s, line, (int)len);
			GENERAL_NAME_set0_value(g, GEN_DNS, s);
			sk_GENERAL_NAME_push(gens, g);
			any = 1;
		}
	}
	/* OpenSSL refuses a name it cannot re-encode (a CN of invalid UTF-8) */
	if (!X509_set_subject_name(x, n)) {
		X509_free(x);
		x = NULL;
	} else if (any)
		X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_APPEND);
	GENERAL_NAMES_free(gens);
	X509_NAME_free(n);
	return x;
}

/* An IPv4 or IPv6 literal (also "[v6]"), as cert/names.c tells them. */
static int
is_ip(const char *name)
{
	unsigned char a[16];
	char buf[64];
	size_t n = strlen(name);

	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, name, n + 1);
	if (n > 2 && buf[0] == '[' && buf[n - 1] == ']') {
		memmove(buf, buf + 1, n - 2);
		buf[n - 2] = '\0';
	}
	return inet_pton(AF_INET, buf, a) == 1 || inet_pton(AF_INET6, buf, a) == 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hn = nl != NULL ? (size_t)(nl - data) : size, i;
	char *name, *upper, *dotted;
	X509 *x, *y;
	int c;

	if (nl == NULL)
		return 0;
	name = fuzz_str(data, hn);
	x = build(nl + 1, size - hn - 1, 1);
	y = build(nl + 1, size - hn - 1, 0);
	if (x == NULL || y == NULL) {
		X509_free(x);
		X509_free(y);
		free(name);
		return 0;
	}
	c = crt_name_covered(x, name);
	FUZZ_ASSERT(c == crt_name_covered(y, name), "'%s': a name holding NUL changed the answer",
	    name);
	FUZZ_ASSERT(!c || !is_ip(name), "IP literal '%s' matched a DNS name or CN", name);
	upper = cr_xstrdup(name);
	for (i = 0; upper[i]; i++)
		upper[i] = (char)toupper((unsigned char)upper[i]);
	FUZZ_ASSERT(c == crt_name_covered(x, upper), "'%s': case changed the answer", name);
	dotted = cr_xasprintf("%s.", name);
	if (name[0] != '\0' && name[strlen(name) - 1] != '.' && !is_ip(name) && !is_ip(dotted) &&
	    strchr(name, ':') == NULL && strchr(name, '[') == NULL)
		FUZZ_ASSERT(c == crt_name_covered(x, dotted), "'%s': a trailing dot changed the answer",
		    name);
	free(dotted);
	free(upper);
	free(name);
	X509_free(x);
	X509_free(y);
	return 0;
}
