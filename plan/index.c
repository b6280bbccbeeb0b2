/*
 * index.c - keyed indexes of certificates and identities (internal.h), so
 * that resolving identities costs one lookup each instead of a scan of
 * every known certificate.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../common/util.h"

/* ---- the multimap ------------------------------------------------------ */

void
plan_keyidx_add(struct plan_keyidx *x, char *key, size_t val)
{
	struct plan_keyidx_entry *e;
	size_t at = x->n, head;

	cr_grow(&x->e, &x->cap, x->n + 1, sizeof(*x->e));
	e = &x->e[at];
	e->key = key;
	e->val = val;
	e->next = PLAN_KEYIDX_END;
	e->tail = at;
	x->n++;
	/* keys are heap strings owned by the entries: they stay put when x->e moves */
	if (!plan_map_put(&x->map, key, at, &head)) {
		x->e[x->e[head].tail].next = at;
		x->e[head].tail = at;
	}
}

size_t
plan_keyidx_find(const struct plan_keyidx *x, const char *key)
{
	size_t at;

	return plan_map_get(&x->map, key, &at) ? at : PLAN_KEYIDX_END;
}

void
plan_keyidx_release(struct plan_keyidx *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		free(x->e[i].key);
	free(x->e);
	plan_map_release(&x->map);
	memset(x, 0, sizeof(*x));
}

/* ---- keys ---------------------------------------------------------------- */

char *
plan_hash_key(const unsigned char *digest, size_t n)
{
	return cr_hex_upper(digest, n);
}

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Decodes one UTF-8 sequence the way cert/dn.c does when it compares values
 * (overlong forms decode to their code point; an invalid byte stands for
 * itself, as a code point above 0x7F).
 */
static size_t
utf8_cp(const unsigned char *s, unsigned long *cp)
{
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) {
		n = 2;
		*cp = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3;
		*cp = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4;
		*cp = s[0] & 0x07;
	} else {
		*cp = 0x80000000UL | s[0];
		return 1;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0x80000000UL | s[0];
			return 1;
		}
		*cp = (*cp << 6) | (s[i] & 0x3F);
	}
	return n;
}

/*
 * The key of one AVA value.  crt_dn_equal compares values trimmed, with
 * runs of white space as one space, case-folded code point by code point
 * (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic), and its folding
 * maps ASCII to ASCII and everything else to something else.  So the key
 * keeps ASCII (lower-cased) and the spaces as crt_dn_equal sees them, and
 * writes every run of other code points as one 0x80 byte: values equal for
 * crt_dn_equal always get the same key (the converse is not needed: the
 * index's candidates are confirmed with crt_dn_equal).
 */
static void
value_key(struct cr_buf *b, const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	int pending_space = 0, in_other = 0;

	while (*p && is_ws(*p))
		p++;
	while (*p) {
		unsigned long cp;

		if (is_ws(*p)) {
			pending_space = 1;
			p++;
			continue;
		}
		if (pending_space) {
			cr_buf_addc(b, ' ');
			pending_space = 0;
			in_other = 0;
		}
		p += utf8_cp(p, &cp);
		if (cp == 0 || cp >= 0x80) {
			if (!in_other)
				cr_buf_addc(b, (char)0x80);
			in_other = 1;
			continue;
		}
		in_other = 0;
		cr_buf_addc(b, (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
	}
}

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the key of dn: RDNs in order, the AVAs of each as a sorted set. */
static void
dn_key(struct cr_buf *b, const struct crt_dn *dn)
{
	size_t i = 0, j, k;

	while (i < dn->n) {
		size_t n = 1;
		char **avas;

		while (i + n < dn->n && dn->ava[i + n].multi)
			n++;
		avas = cr_xcalloc(n, sizeof(*avas));
		for (k = 0; k < n; k++) {
			struct cr_buf a = CR_BUF_INIT;
			const char *t;

			for (t = dn->ava[i + k].type; *t; t++)
				cr_buf_addc(&a, (char)(*t >= 'A' && *t <= 'Z' ? *t + 32 : *t));
			cr_buf_addc(&a, '=');
			value_key(&a, dn->ava[i + k].value);
			avas[k] = cr_buf_detach(&a);
		}
		plan_sort(avas, n, sizeof(*avas), cmp_strp);
		if (i > 0)
			cr_buf_addc(b, ',');
		for (k = 0; k < n; k++) {
			if (k > 0)
				cr_buf_addc(b, '+');
			cr_buf_adds(b, avas[k]);
		}
		for (j = 0; j < n; j++)
			free(avas[j]);
		free(avas);
		i += n;
	}
}

char *
plan_name_key(const struct crt_dn *issuer, const struct crt_dn *subject)
{
	struct cr_buf b = CR_BUF_INIT;

	cr_buf_adds(&b, "<I>");
	dn_key(&b, issuer);
	cr_buf_adds(&b, "<S>");
	dn_key(&b, subject);
	return cr_buf_detach(&b);
}

char *
plan_cert_name_key(const X509 *x)
{
	struct crt_dn issuer, subject;
	char *key;

	crt_dn_from_name(X509_get_issuer_name(x), &issuer);
	crt_dn_from_name(X509_get_subject_name(x), &subject);
	key = plan_name_key(&issuer, &subject);
	crt_dn_release(&issuer);
	crt_dn_release(&subject);
	return key;
}
