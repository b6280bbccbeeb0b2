/*
 * ident.c - identities of SPEC 3.2: thumbprints, <I>..<S>.. names, sources.
 *
 * Thumbprints are pasted from the Windows certificate dialog, which puts
 * an invisible left-to-right mark (U+200E) - or, from some editors, a
 * right-to-left mark or a byte order mark - in front of the hex.  It is
 * invisible in a configuration file, so one is tolerated (and reported
 * through had_mark so the caller can warn); more than one is an error.
 */
#include "ident.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/text.h"
#include "../common/util.h"

/* Length of the invisible mark at p (U+200E, U+200F, U+FEFF in UTF-8), or 0. */
static size_t
mark_len(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x8E || u[2] == 0x8F))
		return 3;
	if (u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		return 3;
	return 0;
}

static const char *
mark_name(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	if (u[0] == 0xEF)
		return "U+FEFF";
	return u[2] == 0x8E ? "U+200E" : "U+200F";
}

/*
 * The text for a message: the invisible marks named (<U+200E>), the rest
 * escaped as everywhere (common/text.h), cut after 200 bytes.
 */
static char *
shown(const char *text)
{
	struct cr_buf b = CR_BUF_INIT;
	const char *p, *run = text, *end = text + strlen(text);

	if (end - text > 200)
		end = text + 200;
	for (p = text; p < end; p++) {
		if (end - p >= 3 && mark_len(p)) {
			cr_esc_add(&b, run, (size_t)(p - run), 0);
			cr_buf_addf(&b, "<%s>", mark_name(p));
			p += 2;
			run = p + 1;
		}
	}
	cr_esc_add(&b, run, (size_t)(end - run), 0);
	if (*end != '\0')
		cr_buf_adds(&b, "...");
	return cr_buf_detach(&b);
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Parses the hex of a thumbprint at p (blanks and colons ignored, one
 * invisible mark in front tolerated unless one was seen already).
 */
static int
parse_thumb(const char *text, const char *p, const char *kind, size_t nbytes,
    struct crt_ident *id, struct cr_err *err)
{
	unsigned char out[32];
	size_t ndig = 0;
	char *s;
	int r;

	while (is_blank(*p))
		p++;
	if (mark_len(p)) {
		if (id->had_mark) {
			s = shown(text);
			r = cr_err_set(err, CR_EINPUT, "bad identity '%s': more than one invisible "
			    "mark (%s)", s, mark_name(p));
			free(s);
			return r;
		}
		id->had_mark = 1;
		p += mark_len(p);
	}
	for (; *p; p++) {
		int v;
		if (is_blank(*p) || *p == ':')
			continue;
		if ((v = cr_hexval(*p)) < 0) {
			s = shown(text);
			if (mark_len(p))
				r = cr_err_set(err, CR_EINPUT, "bad identity '%s': invisible character "
				    "%s inside the %s thumbprint", s, mark_name(p), kind);
			else if ((unsigned char)*p >= 0x7f || (unsigned char)*p < 0x20)
				r = cr_err_set(err, CR_EINPUT, "bad identity '%s': byte 0x%02X is not a "
				    "hex digit", s, (unsigned char)*p);
			else
				r = cr_err_set(err, CR_EINPUT, "bad identity '%s': '%c' is not a hex "
				    "digit", s, *p);
			free(s);
			return r;
		}
		if (ndig < 2 * nbytes)
			out[ndig / 2] = (unsigned char)(ndig % 2 ? (out[ndig / 2] | v) : v << 4);
		ndig++;
	}
	if (ndig != 2 * nbytes) {
		s = shown(text);
		r = cr_err_set(err, CR_EINPUT, "bad identity '%s': %s: needs %zu hex digits, got %zu",
		    s, kind, 2 * nbytes, ndig);
		free(s);
		return r;
	}
	memcpy(id->hash, out, nbytes);
	return CR_OK;
}

/* "<I>ISSUER<S>SUBJECT" at p. */
static int
parse_name(const char *text, const char *p, struct crt_ident *id, struct cr_err *err)
{
	const char *i0, *q;
	char *issuer = NULL, *subject = NULL, *s = NULL;
	int in_quote = 0, r = CR_EINPUT;

	while (is_blank(*p))
		p++;
	if (strncasecmp(p, "<I>", 3) != 0) {
		s = shown(text);
		cr_err_set(err, CR_EINPUT, "bad identity '%s': name: must be <I>ISSUER<S>SUBJECT", s);
		goto out;
	}
	i0 = p + 3;
	/*
	 * The first <S> outside double quotes ends the issuer: Windows quotes
	 * any value holding '<', so an unquoted "<S>" is always the separator.
	 * Toggling on every quote handles "" inside quoted values too.
	 */
	for (q = i0; *q; q++) {
		if (*q == '"')
			in_quote = !in_quote;
		else if (!in_quote && strncasecmp(q, "<S>", 3) == 0)
			break;
	}
	if (*q == '\0') {
		s = shown(text);
		cr_err_set(err, CR_EINPUT, "bad identity '%s': name: needs <S>SUBJECT after the "
		    "issuer%s", s, in_quote ? " (a quote is not closed)" : "");
		goto out;
	}
	issuer = cr_xstrndup(i0, (size_t)(q - i0));
	subject = cr_xstrdup(q + 3);
	if ((r = crt_dn_parse(issuer, &id->issuer, err)) != CR_OK) {
		s = shown(text);
		cr_err_prefix(err, "bad identity '%s': issuer", s);
		goto out;
	}
	if ((r = crt_dn_parse(subject, &id->subject, err)) != CR_OK) {
		s = shown(text);
		cr_err_prefix(err, "bad identity '%s': subject", s);
		goto out;
	}
	if (id->issuer.n == 0 || id->subject.n == 0) {
		s = shown(text);
		r = cr_err_set(err, CR_EINPUT, "bad identity '%s': name: the %s is empty", s,
		    id->issuer.n == 0 ? "issuer" : "subject");
		goto out;
	}
	r = CR_OK;
out:
	free(issuer);
	free(subject);
	free(s);
	return r;
}

/* True when text is only hex digits, blanks and colons, with n digits. */
static int
bare_hex(const char *p, size_t *n)
{
	*n = 0;
	for (; *p; p++) {
		if (is_blank(*p) || *p == ':')
			continue;
		if (cr_hexval(*p) < 0)
			return 0;
		(*n)++;
	}
	return 1;
}

int
crt_ident_parse(const char *text, struct crt_ident *id, struct cr_err *err)
{
	const char *p = text, *s;
	char *scheme = NULL, *sh = NULL;
	size_t n;
	int r = CR_EINPUT;

	memset(id, 0, sizeof(*id));
	id->text = cr_xstrdup(text);
	if (strlen(text) > CRT_IDENT_MAX_TEXT) {
		cr_err_setr(err, CR_EINPUT, CR_R_TOO_LARGE, "bad identity '%s': longer than the "
		    "limit of %d bytes", (sh = shown(text)), CRT_IDENT_MAX_TEXT);
		goto out;
	}
	while (is_blank(*p))
		p++;
	if (mark_len(p)) {
		id->had_mark = 1;
		p += mark_len(p);
		while (is_blank(*p))
			p++;
	}
	if (*p == '\0') {
		cr_err_set(err, CR_EINPUT, "bad identity '%s': empty", (sh = shown(text)));
		goto out;
	}
	/* a URI scheme; one letter is a Windows drive ("C:\..."), i.e. a path */
	for (s = p; isalnum((unsigned char)*s) || *s == '+' || *s == '-' || *s == '.'; s++)
		;
	if (*s == ':' && s - p >= 2 && isalpha((unsigned char)*p))
		scheme = cr_xstrndup(p, (size_t)(s - p));
	if (scheme != NULL && strcasecmp(scheme, "sha1") == 0) {
		id->kind = CRT_ID_SHA1;
		r = parse_thumb(text, s + 1, "sha1", 20, id, err);
	} else if (scheme != NULL && strcasecmp(scheme, "sha256") == 0) {
		id->kind = CRT_ID_SHA256;
		r = parse_thumb(text, s + 1, "sha256", 32, id, err);
	} else if (scheme != NULL && strcasecmp(scheme, "name") == 0) {
		id->kind = CRT_ID_NAME;
		r = parse_name(text, s + 1, id, err);
	} else if (scheme == NULL || strcasecmp(scheme, "file") == 0 ||
	    strcasecmp(scheme, "pkcs11") == 0 || strcasecmp(scheme, "tls") == 0) {
		if (scheme == NULL && bare_hex(p, &n) && (n == 40 || n == 64)) {
			/* a pasted thumbprint would otherwise be looked for as a file;
			   the suggestion is its digits alone (no blank or tab) */
			char digits[65];
			size_t k = 0;

			for (s = p; *s && k < sizeof(digits) - 1; s++)
				if (cr_hexval(*s) >= 0)
					digits[k++] = *s;
			digits[k] = '\0';
			sh = shown(text);
			cr_err_set(err, CR_EINPUT, "bad identity '%s': looks like a thumbprint: "
			    "write it as %s:%s", sh, n == 40 ? "sha1" : "sha256", digits);
			goto out;
		}
		id->kind = CRT_ID_SOURCE;
		n = strlen(p);
		while (n > 0 && is_blank(p[n - 1]))
			n--;
		id->source = cr_xstrndup(p, n);
		r = CR_OK;
	} else {
		sh = shown(text);
		cr_err_set(err, CR_EINPUT, "bad identity '%s': unknown prefix '%s:' (expected sha1:, "
		    "sha256:, name:<I>..<S>.., file:, pkcs11: or a path)", sh, scheme);
		goto out;
	}
out:
	if (r != CR_OK) {
		crt_ident_release(id);
		id->text = NULL;
	}
	free(scheme);
	free(sh);
	return r;
}

void
crt_ident_release(struct crt_ident *id)
{
	if (id == NULL)
		return;
	free(id->text);
	free(id->source);
	crt_dn_release(&id->issuer);
	crt_dn_release(&id->subject);
	id->text = NULL;
	id->source = NULL;
}

int
crt_ident_matches(const struct crt_ident *id, const struct crt_cert *c)
{
	struct crt_dn issuer, subject;
	int m;

	switch (id->kind) {
	case CRT_ID_SHA1:
		return memcmp(id->hash, c->sha1, 20) == 0;
	case CRT_ID_SHA256:
		return memcmp(id->hash, c->sha256, 32) == 0;
	case CRT_ID_NAME:
		crt_dn_from_name(crt_cert_issuer_name(c), &issuer);
		crt_dn_from_name(crt_cert_subject_name(c), &subject);
		m = crt_dn_equal(&id->issuer, &issuer) && crt_dn_equal(&id->subject, &subject);
		crt_dn_release(&issuer);
		crt_dn_release(&subject);
		return m;
	case CRT_ID_SOURCE:
	default:
		return 0;
	}
}

int
crt_cert_same(const struct crt_cert *a, const struct crt_cert *b)
{
	/* the digests are of the DER: equal SHA-256 is the same certificate */
	return memcmp(a->sha256, b->sha256, sizeof(a->sha256)) == 0;
}

char *
crt_ident_of(const struct crt_cert *c)
{
	char *hex = cr_hex_upper(c->sha1, sizeof(c->sha1));
	char *r = cr_xasprintf("sha1:%s", hex);

	free(hex);
	return r;
}
