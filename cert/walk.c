/*
 * walk.c - certificates of a file or a directory tree, for `scan`
 * (contract in walk.h).
 */
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "../common/util.h"
#include "../common/secret.h"
#include "../common/fsutil.h"

/* ---- what a buffer holds ------------------------------------------------- */

static int
is_cert_label(const char *l, size_t n)
{
	return (n == 11 && memcmp(l, "CERTIFICATE", 11) == 0) ||
	    (n == 16 && memcmp(l, "X509 CERTIFICATE", 16) == 0) ||
	    (n == 19 && memcmp(l, "TRUSTED CERTIFICATE", 19) == 0);
}

static int
is_key_label(const char *l, size_t n)
{
	return n >= 11 && memcmp(l + n - 11, "PRIVATE KEY", 11) == 0;
}

static void
set_what(char *what, size_t whatlen, const char *s, size_t n)
{
	if (what != NULL && whatlen > 0)
		snprintf(what, whatlen, "%.*s", (int)n, s);
}

/* PEM: a certificate label anywhere wins, then a key label, then the first one. */
static enum crt_content
sniff_pem(const unsigned char *buf, size_t len, char *what, size_t whatlen)
{
	const unsigned char *p = buf, *end = buf + len, *b;
	const char *first = NULL, *key = NULL;
	size_t nfirst = 0, nkey = 0;

	while ((b = memmem(p, (size_t)(end - p), "-----BEGIN ", 11)) != NULL) {
		const char *lab = (const char *)b + 11;
		const unsigned char *e = memmem(lab, (size_t)(end - (const unsigned char *)lab),
		    "-----", 5);
		const unsigned char *eol = memchr(lab, '\n', (size_t)(end - (const unsigned char *)lab));
		size_t n;

		if (e == NULL || (eol != NULL && e > eol))
			break;
		n = (size_t)(e - (const unsigned char *)lab);
		if (is_cert_label(lab, n)) {
			set_what(what, whatlen, lab, n);
			return CRT_CONTENT_CERT;
		}
		if (key == NULL && is_key_label(lab, n)) {
			key = lab;
			nkey = n;
		}
		if (first == NULL) {
			first = lab;
			nfirst = n;
		}
		p = e + 5;
	}
	if (key != NULL) {
		set_what(what, whatlen, key, nkey);
		return CRT_CONTENT_KEY;
	}
	if (first != NULL) {
		set_what(what, whatlen, first, nfirst);
		return CRT_CONTENT_OTHER;
	}
	set_what(what, whatlen, "a malformed PEM block", 21);
	return CRT_CONTENT_OTHER;
}

/*
 * DER: decoded as each candidate in turn (only a complete element
 * decodes).  One small function per candidate, so that the table below
 * can hold them whatever OpenSSL type each decodes to.
 */
#define DECODES(name, type, d2i, freefn) \
	static int name(const unsigned char *p, long n) { \
		type *o = d2i(NULL, &p, n); freefn(o); return o != NULL; }
DECODES(der_x509, X509, d2i_X509, X509_free)
DECODES(der_p12, PKCS12, d2i_PKCS12, PKCS12_free)
DECODES(der_p8, PKCS8_PRIV_KEY_INFO, d2i_PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free)
DECODES(der_p8enc, X509_SIG, d2i_X509_SIG, X509_SIG_free)
DECODES(der_req, X509_REQ, d2i_X509_REQ, X509_REQ_free)
DECODES(der_crl, X509_CRL, d2i_X509_CRL, X509_CRL_free)
DECODES(der_key, EVP_PKEY, d2i_AutoPrivateKey, EVP_PKEY_free)
#undef DECODES

static enum crt_content
sniff_der(const unsigned char *buf, size_t len, char *what, size_t whatlen)
{
	static const struct {
		int (*decodes)(const unsigned char *, long);
		enum crt_content content;
		const char *what;
	} t[] = {
		{ der_x509, CRT_CONTENT_CERT, "a DER certificate" },
		{ der_p12, CRT_CONTENT_CERT, "a PKCS#12" },
		{ der_p8, CRT_CONTENT_KEY, "a DER private key (PKCS#8)" },
		{ der_p8enc, CRT_CONTENT_KEY, "a DER private key (encrypted PKCS#8)" },
		{ der_req, CRT_CONTENT_OTHER, "a DER certificate request" },
		{ der_crl, CRT_CONTENT_OTHER, "a DER CRL" },
		{ der_key, CRT_CONTENT_KEY, "a DER private key" },
	};
	long n = len > (size_t)LONG_MAX ? LONG_MAX : (long)len;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].decodes(buf, n)) {
			ERR_clear_error();
			set_what(what, whatlen, t[i].what, strlen(t[i].what));
			return t[i].content;
		}
	ERR_clear_error();
	set_what(what, whatlen, "DER that does not decode", 24);
	return CRT_CONTENT_CERT;
}

enum crt_content
crt_sniff(const unsigned char *buf, size_t len, char *what, size_t whatlen)
{
	if (len == 0) {
		set_what(what, whatlen, "empty", 5);
		return CRT_CONTENT_OTHER;
	}
	if (memmem(buf, len, "-----BEGIN ", 11) != NULL)
		return sniff_pem(buf, len, what, whatlen);
	if (buf[0] == 0x30)
		return sniff_der(buf, len, what, whatlen);
	set_what(what, whatlen, "neither PEM nor DER", 19);
	return CRT_CONTENT_OTHER;
}

const char *
crt_walk_skip_name(enum crt_walk_skip why)
{
	static const char *const names[CRT_NSKIPS] = {
		[CRT_SKIP_KEY] = "private-key",
		[CRT_SKIP_OTHER] = "not-a-certificate",
		[CRT_SKIP_SPECIAL] = "not-a-regular-file",
		[CRT_SKIP_DIR] = "unreadable-directory",
	};
	return (unsigned)why < CRT_NSKIPS && names[why] != NULL ? names[why] : "unknown";
}

/* ---- errors ------------------------------------------------------------------- */

static enum cr_reason
errno_reason(int e)
{
	return e == ENOENT || e == ENOTDIR ? CR_R_NOT_FOUND : CR_R_IO;
}

/* ---- the source text ------------------------------------------------------ */

struct path_src {
	char *shown;		/* the path as written (no file:, no query) */
	char *resolved;		/* against base_dir */
	char *pass;		/* the PKCS#12 password, or NULL (wiped by cr_secret_free) */
	int file_prefix;
};

static void
path_src_release(struct path_src *s)
{
	free(s->shown);
	free(s->resolved);
	cr_secret_free(s->pass);
	memset(s, 0, sizeof(*s));
}

/* The query of a path source: only pass-source, once, evidently a file. */
static int
parse_query(const char *q, const char *base_dir, const char *shown_src, struct path_src *s,
    struct cr_err *err)
{
	char *pwfile = NULL;
	int r = CR_EINPUT;

	while (*q != '\0') {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);

		if (eq == NULL || (size_t)(eq - q) != 11 || strncmp(q, "pass-source", 11) != 0) {
			cr_err_setr(err, CR_EINPUT, CR_R_USAGE, "bad source '%s': unknown attribute "
			    "'%.*s' (expected pass-source=file:PWFILE)", shown_src,
			    (int)(eq ? (size_t)(eq - q) : n), q);
			goto out;
		}
		if (pwfile != NULL) {
			cr_err_setr(err, CR_EINPUT, CR_R_USAGE, "bad source '%s': more than one "
			    "pass-source", shown_src);
			goto out;
		}
		pwfile = cr_pct_decode(eq + 1, n - 12);
		if (!cr_secret_ref_ok(pwfile)) {
			cr_err_setr(err, CR_EINPUT, CR_R_USAGE, "bad source '%s': pass-source must be "
			    "file:PATH, a file holding the password (a value that is not evidently a "
			    "file is not shown: it may be the password itself)", shown_src);
			OPENSSL_cleanse(pwfile, strlen(pwfile));
			goto out;
		}
		q += n;
		if (*q == '&')
			q++;
	}
	r = CR_OK;
	if (pwfile != NULL) {
		char *path = cr_path_resolve(base_dir, strncmp(pwfile, "file:", 5) == 0 ?
		    pwfile + 5 : pwfile);
		r = cr_read_secret(path, &s->pass, err);
		if (r != CR_OK)
			cr_err_prefix(err, "password for '%s'", s->shown);
		free(path);
	}
out:
	free(pwfile);
	return r;
}

static int
parse_source(const char *source, const char *base_dir, struct path_src *s, struct cr_err *err)
{
	const char *p = source, *q;
	char *shown_src = cr_secret_masked(source);
	struct stat st;
	int r = CR_OK;

	memset(s, 0, sizeof(*s));
	if (strncasecmp(p, "file:", 5) == 0) {
		p += 5;
		s->file_prefix = 1;
		if (strncmp(p, "///", 3) == 0)
			p += 2;		/* file:///abs/path */
	}
	if (*p == '\0') {
		r = cr_err_setr(err, CR_EINPUT, CR_R_USAGE, "bad source '%s': no path", shown_src);
		goto out;
	}
	s->resolved = cr_path_resolve(base_dir, p);
	q = strchr(p, '?');
	if (q == NULL || stat(s->resolved, &st) == 0) {
		s->shown = cr_xstrdup(p);
		goto out;
	}
	free(s->resolved);
	s->shown = cr_xstrndup(p, (size_t)(q - p));
	s->resolved = cr_path_resolve(base_dir, s->shown);
	r = parse_query(q + 1, base_dir, shown_src, s, err);
out:
	if (r != CR_OK)
		path_src_release(s);
	free(shown_src);
	return r;
}

/* ---- files seen (by device and inode) ------------------------------------ */

struct seen {
	uint64_t *k;		/* a hash of (dev, ino); 0 marks an empty slot */
	dev_t *dev;
	ino_t *ino;
	size_t cap, n;
};

/* Adds (dev, ino); 0 when it was there already. */
static int
seen_add(struct seen *s, dev_t dev, ino_t ino)
{
	uint64_t h = ((uint64_t)dev * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)ino * 0xC2B2AE3D27D4EB4Full);
	size_t i;

	if (h == 0)
		h = 1;
	if ((s->n + 1) * 2 > s->cap) {
		struct seen bigger = { NULL, NULL, NULL, s->cap ? s->cap * 2 : 64, 0 };
		bigger.k = cr_xcalloc(bigger.cap, sizeof(*bigger.k));
		bigger.dev = cr_xcalloc(bigger.cap, sizeof(*bigger.dev));
		bigger.ino = cr_xcalloc(bigger.cap, sizeof(*bigger.ino));
		for (i = 0; i < s->cap; i++)
			if (s->k[i] != 0)
				(void)seen_add(&bigger, s->dev[i], s->ino[i]);
		free(s->k);
		free(s->dev);
		free(s->ino);
		*s = bigger;
	}
	for (i = (size_t)(h & (s->cap - 1)); s->k[i] != 0; i = (i + 1) & (s->cap - 1))
		if (s->k[i] == h && s->dev[i] == dev && s->ino[i] == ino)
			return 0;
	s->k[i] = h;
	s->dev[i] = dev;
	s->ino[i] = ino;
	s->n++;
	return 1;
}

static void
seen_release(struct seen *s)
{
	free(s->k);
	free(s->dev);
	free(s->ino);
	memset(s, 0, sizeof(*s));
}

/* ---- the walk -------------------------------------------------------------- */

struct walk {
	const struct crt_walk_cb *cb;
	const char *pass;
	int file_prefix;
	struct crt_list *out;
	struct seen seen;
	size_t files;
};

static int
cert_file_name(const char *name)
{
	static const char *const ext[] = { ".pem", ".crt", ".cer", ".der", ".p12", ".pfx" };
	const char *dot = strrchr(name, '.');
	size_t i;

	if (dot == NULL)
		return 0;
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (strcasecmp(dot, ext[i]) == 0)
			return 1;
	return 0;
}

static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	return n > 0 && dir[n - 1] == '/' ? cr_xasprintf("%s%s", dir, name) :
	    cr_xasprintf("%s/%s", dir, name);
}

static void
skipped(struct walk *w, const char *shown, enum crt_walk_skip why, const char *what)
{
	if (w->cb != NULL && w->cb->skipped != NULL)
		w->cb->skipped(w->cb->arg, shown, why, what);
}

static void
unreadable(struct walk *w, const struct cr_err *e)
{
	if (w->cb != NULL && w->cb->unreadable != NULL)
		w->cb->unreadable(w->cb->arg, e);
}

/*
 * One file: its certificate appended (source = `source`), or why not.
 * `explicit`: the user named this file, so that anything but a certificate
 * is an error; inside a directory a key or other content is a skip.
 */
static int
load_one(struct walk *w, const char *path, const char *shown, const char *source,
    int explicit, struct cr_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0, before = w->out->n;
	char what[64];
	int r;

	if ((r = cr_fs_read_regular(path, shown, 0, CRT_WALK_MAX_FILE, &buf, &len, err)) != CR_OK)
		goto out;
	w->files++;
	r = crt_parse_buffer(buf, len, w->pass, shown, w->out, err);
	if (r == CR_OK) {
		if (w->out->n > before) {
			free(w->out->v[before]->source);
			w->out->v[before]->source = cr_xstrdup(source);
		}
		goto out;
	}
	if (err != NULL && err->reason == CR_R_NONE)
		err->reason = CR_R_MALFORMED;
	if (!explicit) {
		switch (crt_sniff(buf, len, what, sizeof(what))) {
		case CRT_CONTENT_KEY:
			skipped(w, shown, CRT_SKIP_KEY, what);
			cr_err_clear(err);
			r = CR_OK;
			break;
		case CRT_CONTENT_OTHER:
			skipped(w, shown, CRT_SKIP_OTHER, what);
			cr_err_clear(err);
			r = CR_OK;
			break;
		case CRT_CONTENT_CERT:
			break;
		}
	}
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);	/* a key may have been beside the certificate */
		free(buf);
	}
	if (w->cb != NULL && w->cb->progress != NULL)
		w->cb->progress(w->cb->arg, w->files);
	return r;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The visible names of a directory, sorted; NULL with errno set when it cannot be read. */
static char **
list_dir(const char *path, size_t *n)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t cap = 0;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;	/* ".", "..", and hidden names */
		cr_grow(&names, &cap, *n + 1, sizeof(*names));
		names[(*n)++] = cr_xstrdup(de->d_name);
	}
	closedir(d);
	if (*n == 0)
		names = cr_xcalloc(1, sizeof(*names));
	qsort(names, *n, sizeof(*names), cmp_str);
	return names;
}

static void walk_dir(struct walk *w, const char *path, const char *shown, int depth);

/* One entry of a directory: a subdirectory, a certificate file, or nothing of ours. */
static void
walk_entry(struct walk *w, const char *path, const char *shown, const char *name, int depth)
{
	struct stat st;
	struct cr_err e;

	cr_err_clear(&e);
	if (stat(path, &st) != 0) {
		if (cert_file_name(name) && errno != ENOENT) {
			cr_err_setr(&e, CR_EINPUT, CR_R_IO, "cannot read '%s': %s", shown,
			    strerror(errno));
			unreadable(w, &e);
		}
		return;		/* a dangling link, or gone since the listing */
	}
	if (S_ISDIR(st.st_mode)) {
		if (!seen_add(&w->seen, st.st_dev, st.st_ino))
			return;		/* a link back up the tree, or to a tree walked already */
		if (depth >= CRT_WALK_MAX_DEPTH) {
			cr_err_setr(&e, CR_EINPUT, CR_R_TOO_LARGE, "cannot read '%s': more than %d "
			    "directories deep", shown, CRT_WALK_MAX_DEPTH);
			unreadable(w, &e);
			return;
		}
		walk_dir(w, path, shown, depth + 1);
		return;
	}
	if (!cert_file_name(name))
		return;
	if (!S_ISREG(st.st_mode)) {
		skipped(w, shown, CRT_SKIP_SPECIAL, cr_file_kind(st.st_mode));
		return;
	}
	if (!seen_add(&w->seen, st.st_dev, st.st_ino))
		return;		/* the same file through another name */
	{
		char *source = w->file_prefix ? cr_xasprintf("file:%s", shown) : cr_xstrdup(shown);
		if (load_one(w, path, shown, source, 0, &e) != CR_OK)
			unreadable(w, &e);
		free(source);
	}
}

static void
walk_dir(struct walk *w, const char *path, const char *shown, int depth)
{
	size_t n = 0, i;
	char **names = list_dir(path, &n);

	if (names == NULL) {
		skipped(w, shown, CRT_SKIP_DIR, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		char *p = join(path, names[i]), *s = join(shown, names[i]);

		walk_entry(w, p, s, names[i], depth);
		free(p);
		free(s);
		free(names[i]);
	}
	free(names);
}

int
crt_walk_load(const char *source, const char *base_dir, const struct crt_walk_cb *cb,
    struct crt_list *out, struct cr_err *err)
{
	struct path_src s;
	struct walk w;
	struct stat st;
	int r;

	memset(&w, 0, sizeof(w));
	if ((r = parse_source(source, base_dir, &s, err)) != CR_OK)
		return r;
	w.cb = cb;
	w.pass = s.pass;
	w.file_prefix = s.file_prefix;
	w.out = out;
	if (stat(s.resolved, &st) != 0) {
		r = cr_err_setr(err, CR_EINPUT, errno_reason(errno), "cannot read '%s': %s",
		    s.shown, strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		size_t n = 0;
		char **names = list_dir(s.resolved, &n);
		size_t i;

		if (names == NULL) {
			r = cr_err_setr(err, CR_EINPUT, errno_reason(errno), "cannot read '%s': %s",
			    s.shown, strerror(errno));
			goto out;
		}
		/* the names are listed here, not in walk_dir, so that an unreadable
		   top directory is the source's error rather than a skip */
		(void)seen_add(&w.seen, st.st_dev, st.st_ino);
		for (i = 0; i < n; i++) {
			char *p = join(s.resolved, names[i]), *sh = join(s.shown, names[i]);
			walk_entry(&w, p, sh, names[i], 0);
			free(p);
			free(sh);
			free(names[i]);
		}
		free(names);
	} else if (!S_ISREG(st.st_mode)) {
		r = cr_err_setr(err, CR_EINPUT, CR_R_NOT_REGULAR, "cannot read '%s': is %s, not a "
		    "regular file", s.shown, cr_file_kind(st.st_mode));
	} else {
		r = load_one(&w, s.resolved, s.shown, source, 1, err);
	}
out:
	seen_release(&w.seen);
	path_src_release(&s);
	return r;
}
