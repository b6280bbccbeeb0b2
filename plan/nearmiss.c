/*
 * nearmiss.c - what an identity that matches no known certificate is near:
 * the mistakes people make when they copy an identity by hand (SPEC 6,
 * ref.resolve), told apart so that the message says what to fix:
 *
 *  - a name: pasted with its RDNs in another order ("C=GB, O=Fabrikam,
 *    CN=mail" - OpenSSL's and LDAP's order - where Windows writes
 *    "CN=mail, O=Fabrikam, C=GB"), in the issuer or the subject;
 *  - a name whose issuer (or subject) differs from a certificate's in one
 *    RDN (the issuing CA renamed "O=Contoso" to "O=Contoso Ltd");
 *  - a thumbprint one or two hex digits from a known one (a digit misread,
 *    dropped and another added): edit distance 1 or 2 over the hex.
 *
 * Pure: identities and certificates in, a sentence out.  Cheap enough to
 * run against every known certificate for each distinct unknown identity
 * (the planner memoises identities): a hash comparison stops at its third
 * difference, a name comparison is over a few RDNs.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "internal.h"
#include "../common/util.h"
#include "../cert/dn.h"

/* ---- hashes --------------------------------------------------------------- */

/*
 * Levenshtein distance between a and b (n characters each) when it is at
 * most 2, else 3: a band of width 2 around the diagonal, abandoned as soon
 * as a whole row exceeds 2.
 */
static int
edit2(const char *a, const char *b, size_t n)
{
	int prev[5], cur[5];	/* cur[d + 2]: column j = i + d, d in -2..2 */
	size_t i;
	int d, best;

	for (d = -2; d <= 2; d++)
		prev[d + 2] = d >= 0 ? d : 3;	/* row 0: distance j */
	for (i = 1; i <= n; i++) {
		best = 3;
		for (d = -2; d <= 2; d++) {
			long j = (long)i + d;
			int v = 3;

			if (j < 0 || j > (long)n) {
				cur[d + 2] = 3;
				continue;
			}
			if (j == 0)
				v = (int)i;
			else {
				/* substitution: (i-1, j-1) is prev's same diagonal */
				v = prev[d + 2] + (a[i - 1] != b[j - 1]);
				if (d + 3 <= 4 && prev[d + 3] + 1 < v)	/* deletion: (i-1, j) */
					v = prev[d + 3] + 1;
				if (d + 1 >= 0 && cur[d + 1] + 1 < v)	/* insertion: (i, j-1) */
					v = cur[d + 1] + 1;
			}
			cur[d + 2] = v > 3 ? 3 : v;
			if (cur[d + 2] < best)
				best = cur[d + 2];
		}
		if (best > 2)
			return 3;
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[2];
}

static void
hex_into(char *out, const unsigned char *v, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[v[i] >> 4];
		out[2 * i + 1] = digits[v[i] & 15];
	}
	out[2 * len] = '\0';
}

/* "one hex digit differs (digit 17: 'C' here, 'B' in it)", or NULL.  No allocation when far. */
static char *
hash_near(const unsigned char *mine, const unsigned char *theirs, size_t len)
{
	char a[65], b[65];
	size_t n = 2 * len, i, diff[2], nd = 0;
	int d;

	if (len > 32)
		return NULL;
	hex_into(a, mine, len);
	hex_into(b, theirs, len);
	for (i = 0; i < n && nd <= 2; i++)
		if (a[i] != b[i]) {
			if (nd < 2)
				diff[nd] = i;
			nd++;
		}
	if (nd == 1)
		return cr_xasprintf("one hex digit differs (digit %zu: '%c' here, '%c' in it)",
		    diff[0] + 1, a[diff[0]], b[diff[0]]);
	if (nd == 2)
		return cr_xasprintf("two hex digits differ (digits %zu and %zu: '%c%c' here, "
		    "'%c%c' in it)", diff[0] + 1, diff[1] + 1, a[diff[0]], a[diff[1]], b[diff[0]],
		    b[diff[1]]);
	if (nd > 2 && (d = edit2(a, b, n)) <= 2)
		return cr_xasprintf("%s hex digit%s away from it (a digit left out and another "
		    "added)", d == 1 ? "one" : "two", d == 1 ? "" : "s");
	return NULL;
}

/* ---- names ---------------------------------------------------------------- */

/* The RDN start indexes of dn (an RDN is a run of AVAs joined by '+'); v[*n] = dn->n. */
static size_t *
rdn_starts(const struct crt_dn *dn, size_t *n)
{
	size_t *v = cr_xcalloc(dn->n + 1, sizeof(*v));
	size_t i;

	*n = 0;
	for (i = 0; i < dn->n; i++)
		if (i == 0 || !dn->ava[i].multi)
			v[(*n)++] = i;
	v[*n] = dn->n;
	return v;
}

static int
rdn_eq(const struct crt_dn *a, const size_t *sa, size_t i, const struct crt_dn *b,
    const size_t *sb, size_t k)
{
	struct crt_dn x = { a->ava + sa[i], sa[i + 1] - sa[i] };
	struct crt_dn y = { b->ava + sb[k], sb[k + 1] - sb[k] };

	return crt_dn_equal(&x, &y);
}

enum dn_near { DN_FAR = 0, DN_EQUAL, DN_REORDERED, DN_REVERSED, DN_ONE_RDN };

/* How a (the identity's DN) stands to b (the certificate's). */
static enum dn_near
dn_near(const struct crt_dn *a, const struct crt_dn *b)
{
	size_t ra, rb, i, k, ndiff = 0, nrev = 0;
	size_t *sa, *sb;
	unsigned char *used;
	enum dn_near r = DN_FAR;

	if (crt_dn_equal(a, b))
		return DN_EQUAL;
	sa = rdn_starts(a, &ra);
	sb = rdn_starts(b, &rb);
	if (ra != rb || ra == 0)
		goto out;
	for (i = 0; i < ra; i++) {
		ndiff += !rdn_eq(a, sa, i, b, sb, i);
		nrev += rdn_eq(a, sa, i, b, sb, ra - 1 - i);
	}
	if (ndiff == 1) {
		r = DN_ONE_RDN;
		goto out;
	}
	if (nrev == ra) {
		r = DN_REVERSED;
		goto out;
	}
	/* the same RDNs in another order: each of a pairs with an unused one of b */
	used = cr_xcalloc(rb, 1);
	for (i = 0; i < ra; i++) {
		for (k = 0; k < rb && (used[k] || !rdn_eq(a, sa, i, b, sb, k)); k++)
			;
		if (k == rb)
			break;
		used[k] = 1;
	}
	free(used);
	if (i == ra)
		r = DN_REORDERED;
out:
	free(sa);
	free(sb);
	return r;
}

/* One part's sentence ("its issuer has ...") into b. */
static void
part_says(struct cr_buf *b, const char *part, enum dn_near n, const struct crt_dn *mine,
    const struct crt_dn *theirs)
{
	char *t;

	switch (n) {
	case DN_REVERSED:
	case DN_REORDERED:
		t = crt_dn_format(theirs);
		cr_buf_addf(b, "%sits %s has the RDNs of the certificate's %s in %s order: Windows "
		    "writes it '%s' (most specific first)", b->len ? "; " : "", part, part,
		    n == DN_REVERSED ? "reverse" : "another", t);
		free(t);
		break;
	case DN_ONE_RDN:
		t = crt_dn_diff(mine, theirs);
		cr_buf_addf(b, "%sits %s differs from the certificate's in one RDN (%s)",
		    b->len ? "; " : "", part, t ? t : "?");
		free(t);
		break;
	default:
		break;
	}
}

static int
reordered(enum dn_near n)
{
	return n == DN_EQUAL || n == DN_REVERSED || n == DN_REORDERED;
}

/*
 * A name near c: one mistake made once - its DNs pasted in another order
 * (both, or one with the other right), or one RDN different in one DN with
 * the other right.  Two mistakes are another certificate.
 */
static char *
name_near(const struct crt_ident *id, const struct crt_cert *c)
{
	struct crt_dn iss, sub;
	enum dn_near ni, ns;
	struct cr_buf b = CR_BUF_INIT;

	crt_dn_from_name(crt_cert_issuer_name(c), &iss);
	crt_dn_from_name(crt_cert_subject_name(c), &sub);
	ni = dn_near(&id->issuer, &iss);
	ns = dn_near(&id->subject, &sub);
	if ((reordered(ni) && reordered(ns)) || (ni == DN_ONE_RDN && ns == DN_EQUAL) ||
	    (ns == DN_ONE_RDN && ni == DN_EQUAL)) {
		part_says(&b, "issuer", ni, &id->issuer, &iss);
		part_says(&b, "subject", ns, &id->subject, &sub);
	}
	crt_dn_release(&iss);
	crt_dn_release(&sub);
	if (b.len == 0) {
		cr_buf_release(&b);
		return NULL;
	}
	return cr_buf_detach(&b);
}

/* ---- the entry point ------------------------------------------------------- */

char *
plan_near_miss(const struct crt_ident *id, const struct crt_cert *c)
{
	switch (id->kind) {
	case CRT_ID_SHA1:
		return hash_near(id->hash, c->sha1, sizeof(c->sha1));
	case CRT_ID_SHA256:
		return hash_near(id->hash, c->sha256, sizeof(c->sha256));
	case CRT_ID_NAME:
		return name_near(id, c);
	case CRT_ID_SOURCE:
		break;
	}
	return NULL;
}
