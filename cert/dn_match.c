/*
 * dn_match.c - matching of distinguished names (dn.h): equality, index keys
 * and the description of a difference.
 *
 * A value compares by its bytes, trimmed, blank runs as one, case-folded:
 * NUL is a character like any other and an invalid UTF-8 byte is a
 * character of its own that equals only itself, so a name with a NUL never
 * matches the name it spoofs.  Costs stay O(n log n) in the names' size:
 * a multi-valued RDN pairs its AVAs through sorted keys, and the diff of two
 * long names is by position rather than a quadratic common subsequence.
 */
#include "dn.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/text.h"
#include "../common/util.h"
#include "../common/utf8.h"

/* Beyond this many (RDN pairs), crt_dn_diff compares by position. */
#define DIFF_LCS_MAX 65536

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Simple case folding of one code point: ASCII, Latin-1, Latin Extended-A,
 * Greek and Cyrillic - the scripts of the names seen in certificates
 * without a locale-dependent towlower().
 */
static unsigned long
fold_cp(unsigned long c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
		return c + 32;
	if (c >= 0x100 && c <= 0x137 && (c & 1) == 0)
		return c + 1;
	if (c >= 0x139 && c <= 0x148 && (c & 1) == 1)
		return c + 1;
	if (c >= 0x14A && c <= 0x177 && (c & 1) == 0)
		return c + 1;
	if (c == 0x178)
		return 0xFF;
	if ((c == 0x179 || c == 0x17B || c == 0x17D))
		return c + 1;
	if (c >= 0x391 && c <= 0x3AB && c != 0x3A2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42F)
		return c + 32;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	return c;
}

/*
 * Value normalised for comparison: trimmed, white space runs as one space,
 * folded; an invalid UTF-8 byte b is 0x80000000 | b (equal only to itself).
 * A "#HEX" value is compared exactly (it is canonical: upper-case hex).
 */
static uint32_t *
normalize(const struct crt_ava *a, size_t *len)
{
	const unsigned char *p = (const unsigned char *)a->value, *end = p + a->len;
	uint32_t *out = cr_xcalloc(a->len + 1, sizeof(*out));
	size_t n = 0;
	int pending_space = 0;

	if (a->hex) {
		for (; p < end; p++)
			out[n++] = *p;
		*len = n;
		return out;
	}
	while (p < end && is_ws(*p))
		p++;
	while (p < end) {
		uint32_t cp;
		size_t k;

		if (is_ws(*p)) {
			pending_space = 1;
			p++;
			continue;
		}
		if (pending_space) {
			out[n++] = ' ';
			pending_space = 0;
		}
		if ((k = cr_utf8_seq(p, (size_t)(end - p), &cp)) == 0) {
			cp = 0x80000000UL | *p;
			k = 1;
		}
		p += k;
		out[n++] = (uint32_t)fold_cp(cp);
	}
	*len = n;
	return out;
}

static int
value_equal(const struct crt_ava *a, const struct crt_ava *b)
{
	size_t na, nb;
	uint32_t *x, *y;
	int eq;

	if (a->hex != b->hex)
		return 0;
	x = normalize(a, &na);
	y = normalize(b, &nb);
	eq = na == nb && memcmp(x, y, na * sizeof(*x)) == 0;
	free(x);
	free(y);
	return eq;
}

static int
ava_equal(const struct crt_ava *a, const struct crt_ava *b)
{
	/* types are canonical already (S = ST, E = emailAddress) */
	return strcasecmp(a->type, b->type) == 0 && value_equal(a, b);
}

/* Length of the RDN (run of AVAs) starting at i. */
static size_t
rdn_len(const struct crt_dn *dn, size_t i)
{
	size_t k = 1;

	while (i + k < dn->n && dn->ava[i + k].multi)
		k++;
	return k;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * One AVA's key: the type (lower case), then '=' and each normalised code
 * point in hex with a '.', or '#' and the hex form as it is.
 */
static char *
ava_key(const struct crt_ava *a)
{
	struct cr_buf b = CR_BUF_INIT;
	uint32_t *cp;
	const char *t;
	size_t n, i;

	for (t = a->type; *t; t++)
		cr_buf_addc(&b, (char)tolower((unsigned char)*t));
	if (a->hex) {
		cr_buf_add(&b, a->value, a->len);	/* "#..." */
		return cr_buf_detach(&b);
	}
	cr_buf_addc(&b, '=');
	cp = normalize(a, &n);
	for (i = 0; i < n; i++) {
		char hex[16];
		int k = snprintf(hex, sizeof(hex), "%lx.", (unsigned long)cp[i]);

		cr_buf_add(&b, hex, (size_t)k);
	}
	free(cp);
	return cr_buf_detach(&b);
}

/* The keys of the AVAs dn->ava[i..i+n), sorted: an RDN is a SET OF. */
static char **
rdn_keys(const struct crt_dn *dn, size_t i, size_t n)
{
	char **keys = cr_xcalloc(n, sizeof(*keys));
	size_t k;

	for (k = 0; k < n; k++)
		keys[k] = ava_key(&dn->ava[i + k]);
	if (n > 1)
		qsort(keys, n, sizeof(*keys), cmp_str);
	return keys;
}

static void
keys_free(char **keys, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		free(keys[k]);
	free(keys);
}

/*
 * Two RDNs are equal when their AVAs pair up in any order: the same sorted
 * keys (a key is equal exactly when ava_equal is), O(n log n).
 */
static int
rdn_equal(const struct crt_dn *a, size_t ia, size_t na, const struct crt_dn *b, size_t ib,
    size_t nb)
{
	char **ka, **kb;
	size_t k;
	int eq = 1;

	if (na != nb)
		return 0;
	if (na == 1)
		return ava_equal(&a->ava[ia], &b->ava[ib]);
	ka = rdn_keys(a, ia, na);
	kb = rdn_keys(b, ib, nb);
	for (k = 0; eq && k < na; k++)
		eq = strcmp(ka[k], kb[k]) == 0;
	keys_free(ka, na);
	keys_free(kb, nb);
	return eq;
}

/* Start indexes of the RDNs of dn.  New array; *n RDNs; v[*n] = dn->n. */
static size_t *
rdn_starts(const struct crt_dn *dn, size_t *n)
{
	size_t *v = cr_xcalloc(dn->n + 1, sizeof(*v));
	size_t i;

	*n = 0;
	for (i = 0; i < dn->n; i += rdn_len(dn, i))
		v[(*n)++] = i;
	v[*n] = dn->n;
	return v;
}

int
crt_dn_equal(const struct crt_dn *a, const struct crt_dn *b)
{
	size_t ra, rb, i;
	size_t *sa, *sb;
	int eq;

	if (a->n != b->n)
		return 0;	/* equal RDNs have as many AVAs */
	sa = rdn_starts(a, &ra);
	sb = rdn_starts(b, &rb);
	eq = ra == rb;
	for (i = 0; eq && i < ra; i++)
		eq = rdn_equal(a, sa[i], sa[i + 1] - sa[i], b, sb[i], sb[i + 1] - sb[i]);
	free(sa);
	free(sb);
	return eq;
}

char *
crt_dn_key(const struct crt_dn *dn)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i, k, n;

	for (i = 0; i < dn->n; i += n) {
		char **keys;

		n = rdn_len(dn, i);
		keys = rdn_keys(dn, i, n);
		if (i > 0)
			cr_buf_addc(&b, ',');
		for (k = 0; k < n; k++) {
			if (k > 0)
				cr_buf_addc(&b, '+');
			cr_buf_adds(&b, keys[k]);
		}
		keys_free(keys, n);
	}
	return cr_buf_detach(&b);
}

/* "O='Contoso'" or "CN='a' + OU='b'" for one RDN, values escaped. */
static void
add_rdn(struct cr_buf *out, const struct crt_dn *dn, size_t start, size_t end)
{
	size_t i;

	for (i = start; i < end; i++) {
		cr_buf_addf(out, "%s%s='", i > start ? " + " : "", dn->ava[i].type);
		cr_esc_add(out, dn->ava[i].value, dn->ava[i].len, 0);
		cr_buf_addc(out, '\'');
	}
}

static void
sep(struct cr_buf *out)
{
	if (out->len > 0)
		cr_buf_adds(out, "; ");
}

/* Describes how the unmatched RDNs a[ai..aj) became b[bi..bj). */
static void
diff_gap(struct cr_buf *out, const struct crt_dn *a, const size_t *sa, size_t ai, size_t aj,
    const struct crt_dn *b, const size_t *sb, size_t bi, size_t bj)
{
	while (ai < aj || bi < bj) {
		if (ai < aj && bi < bj) {
			size_t la = sa[ai + 1] - sa[ai], lb = sb[bi + 1] - sb[bi];
			const struct crt_ava *x = &a->ava[sa[ai]], *y = &b->ava[sb[bi]];
			sep(out);
			if (la == 1 && lb == 1 && strcasecmp(x->type, y->type) == 0) {
				cr_buf_addf(out, "%s: '", x->type);
				cr_esc_add(out, x->value, x->len, 0);
				cr_buf_adds(out, "' -> '");
				cr_esc_add(out, y->value, y->len, 0);
				cr_buf_addc(out, '\'');
			} else {
				add_rdn(out, a, sa[ai], sa[ai + 1]);
				cr_buf_adds(out, " -> ");
				add_rdn(out, b, sb[bi], sb[bi + 1]);
			}
			ai++;
			bi++;
		} else if (ai < aj) {
			sep(out);
			cr_buf_adds(out, "removed ");
			add_rdn(out, a, sa[ai], sa[ai + 1]);
			ai++;
		} else {
			sep(out);
			cr_buf_adds(out, "added ");
			add_rdn(out, b, sb[bi], sb[bi + 1]);
			bi++;
		}
	}
}

/*
 * The RDNs of a and b left out of a longest common subsequence of equal
 * RDNs, described by diff_gap.  Quadratic: only for names of a few hundred
 * RDNs (DIFF_LCS_MAX pairs); longer ones are compared by position.
 */
static void
diff_lcs(struct cr_buf *out, const struct crt_dn *a, const size_t *sa, size_t ra,
    const struct crt_dn *b, const size_t *sb, size_t rb)
{
	size_t *L, i, k, pi, pk;

	if ((ra + 1) > DIFF_LCS_MAX / (rb + 1)) {
		for (i = 0; i < ra && i < rb; i = pi) {
			for (pi = i; pi < ra && pi < rb && !rdn_equal(a, sa[pi], sa[pi + 1] - sa[pi],
			    b, sb[pi], sb[pi + 1] - sb[pi]); pi++)
				;
			diff_gap(out, a, sa, i, pi, b, sb, i, pi);
			if (pi < ra && pi < rb)
				pi++;
		}
		diff_gap(out, a, sa, i, ra, b, sb, i, rb);
		return;
	}
	L = cr_xcalloc((ra + 1) * (rb + 1), sizeof(*L));
#define LCS(x, y) L[(x) * (rb + 1) + (y)]
	for (i = ra; i-- > 0;)
		for (k = rb; k-- > 0;) {
			if (rdn_equal(a, sa[i], sa[i + 1] - sa[i], b, sb[k], sb[k + 1] - sb[k]))
				LCS(i, k) = LCS(i + 1, k + 1) + 1;
			else
				LCS(i, k) = LCS(i + 1, k) > LCS(i, k + 1) ? LCS(i + 1, k) : LCS(i, k + 1);
		}
	i = k = pi = pk = 0;
	while (i < ra && k < rb) {
		if (rdn_equal(a, sa[i], sa[i + 1] - sa[i], b, sb[k], sb[k + 1] - sb[k]) &&
		    LCS(i, k) == LCS(i + 1, k + 1) + 1) {
			diff_gap(out, a, sa, pi, i, b, sb, pk, k);
			pi = ++i;
			pk = ++k;
		} else if (LCS(i + 1, k) >= LCS(i, k + 1)) {
			i++;
		} else {
			k++;
		}
	}
	diff_gap(out, a, sa, pi, ra, b, sb, pk, rb);
#undef LCS
	free(L);
}

char *
crt_dn_diff(const struct crt_dn *a, const struct crt_dn *b)
{
	struct cr_buf out = CR_BUF_INIT;
	size_t ra, rb;
	size_t *sa, *sb;

	if (crt_dn_equal(a, b))
		return NULL;
	sa = rdn_starts(a, &ra);
	sb = rdn_starts(b, &rb);
	if (ra != rb)
		cr_buf_addf(&out, "RDN count %zu -> %zu", ra, rb);
	diff_lcs(&out, a, sa, ra, b, sb, rb);
	if (out.len == 0)	/* cannot happen: unequal DNs differ somewhere */
		cr_buf_adds(&out, "names differ");
	free(sa);
	free(sb);
	return cr_buf_detach(&out);
}
