/*
 * names.c - RFC 6125 host name matching, written out rather than through
 * X509_check_host: the rules are short, and spelling them here keeps them
 * exactly SPEC 6's (`names`) whatever flags a given OpenSSL honours.
 */
#include "names.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509v3.h>

#include "../common/util.h"

/* Length of s without one trailing dot ("mail.contoso.com." is absolute). */
static size_t
trim_dot(const char *s, size_t n)
{
	if (n > 1 && s[n - 1] == '.')
		n--;
	return n;
}

/*
 * Does pattern p (a SAN dNSName or CN) cover host name h?  A wildcard is
 * only the whole left-most label "*", stands for exactly one non-empty
 * label, and needs at least two labels after it ("*.com" covers nothing);
 * partial wildcards ("w*.contoso.com") match only themselves, literally.
 */
static int
pattern_covers(const char *p, size_t pn, const char *h, size_t hn)
{
	const char *hdot;

	pn = trim_dot(p, pn);
	hn = trim_dot(h, hn);
	if (pn == 0 || hn == 0)
		return 0;
	if (pn == hn && strncasecmp(p, h, pn) == 0)
		return 1;
	if (pn < 3 || p[0] != '*' || p[1] != '.')
		return 0;
	if (memchr(p + 2, '.', pn - 2) == NULL || memchr(p + 2, '*', pn - 2) != NULL)
		return 0;
	hdot = memchr(h, '.', hn);
	if (hdot == NULL || hdot == h)
		return 0;
	/* the rest after the first label must be the pattern's rest exactly */
	return (size_t)(h + hn - (hdot + 1)) == pn - 2 &&
	    strncasecmp(hdot + 1, p + 2, pn - 2) == 0;
}

/* The address bytes of an IP literal (also "[v6]"), or 0 when not one. */
static size_t
ip_literal(const char *name, unsigned char out[16])
{
	char buf[64];
	size_t n = strlen(name);

	if (n >= sizeof(buf))
		return 0;
	if (name[0] == '[' && n > 2 && name[n - 1] == ']') {
		memcpy(buf, name + 1, n - 2);
		buf[n - 2] = '\0';
	} else {
		memcpy(buf, name, n + 1);
	}
	if (inet_pton(AF_INET, buf, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, buf, out) == 1)
		return 16;
	return 0;
}

int
crt_name_covered(const X509 *x, const char *name)
{
	GENERAL_NAMES *gens;
	unsigned char ip[16];
	size_t iplen, hn;
	int i, covered = 0, has_san;

	if (name == NULL || *name == '\0')
		return 0;
	hn = strlen(name);
	iplen = ip_literal(name, ip);
	/*
	 * A SAN extension that does not decode, or is there twice (d2i then
	 * returns NULL too), still rules the CN out: a broken SAN must not turn
	 * the legacy CN fallback back on.
	 */
	has_san = X509_get_ext_by_NID(x, NID_subject_alt_name, -1) >= 0;
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && !covered; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		int len;

		if (g->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(g->d.dNSName);
			len = ASN1_STRING_length(g->d.dNSName);
			/* an embedded NUL is an attack, not a name */
			if (iplen == 0 && len > 0 && memchr(d, '\0', (size_t)len) == NULL)
				covered = pattern_covers((const char *)d, (size_t)len, name, hn);
		} else if (g->type == GEN_IPADD && iplen != 0) {
			len = ASN1_STRING_length(g->d.iPAddress);
			covered = (size_t)len == iplen &&
			    memcmp(ASN1_STRING_get0_data(g->d.iPAddress), ip, iplen) == 0;
		}
	}
	/* the legacy fallback to the subject's CNs only without any SAN
	   (SPEC 6 `names`): a SAN of IP addresses or mail addresses alone
	   still rules the CN out, as browsers do */
	if (covered || gens != NULL || has_san || iplen != 0) {
		GENERAL_NAMES_free(gens);
		return covered;
	}
	{
		const X509_NAME *subj = X509_get_subject_name(x);
		int idx = -1;

		while (!covered &&
		    (idx = X509_NAME_get_index_by_NID(subj, NID_commonName, idx)) >= 0) {
			const ASN1_STRING *cn =
			    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
			unsigned char *u = NULL;
			int len = ASN1_STRING_to_UTF8(&u, cn);

			if (len > 0 && memchr(u, '\0', (size_t)len) == NULL)
				covered = pattern_covers((const char *)u, (size_t)len, name, hn);
			OPENSSL_free(u);
		}
	}
	return covered;
}
