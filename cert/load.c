/*
 * load.c - certificates from the sources of SPEC 3.1: files (PEM, DER,
 * PKCS#12), directories, PKCS#11 URIs and TLS endpoints.
 *
 * Formats are told apart by content, never by extension: Windows exports
 * DER as .cer and PEM as .cer alike, and .crt files come both ways.
 */
#include "cert.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "lite.h"
#include "p12.h"
#include "tls.h"
#include "../common/fsutil.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../pkcs11/p11.h"
#include "../common/secret.h"

#define MAX_CERT_FILE (16u << 20)	/* no certificate file is anywhere near this */

/* ---- buffers ------------------------------------------------------------ */

static int
is_cert_label(const char *label, size_t n)
{
	return (n == 11 && memcmp(label, "CERTIFICATE", 11) == 0) ||
	    (n == 16 && memcmp(label, "X509 CERTIFICATE", 16) == 0) ||
	    (n == 19 && memcmp(label, "TRUSTED CERTIFICATE", 19) == 0);
}

static size_t
count_lines(const unsigned char *from, const unsigned char *to)
{
	size_t n = 0;

	for (; from < to; from++)
		if (*from == '\n')
			n++;
	return n;
}

static long der_total(const unsigned char *buf, size_t len);

/*
 * Why a PEM certificate block did not parse, into err.  OpenSSL's reason
 * for a DER cut short inside the armour is ASN.1's "too long", which tells
 * a user nothing: decode the block again and, when its DER is truncated,
 * say so as for a raw DER file, naming the block's line.
 */
static int
pem_block_error(const unsigned char *begin, size_t n, const char *what, size_t line,
    struct cr_err *err)
{
	/* the first error is the cause ("wrong tag"); the last is "ASN1 lib" */
	const char *why = ERR_reason_error_string(ERR_peek_error());
	char reason[256];
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long dlen = 0, total;
	BIO *bio;

	snprintf(reason, sizeof(reason), "%s", why ? why : "bad PEM block");
	ERR_clear_error();
	bio = BIO_new_mem_buf(begin, (int)n);
	if (bio != NULL && PEM_read_bio(bio, &name, &header, &der, &dlen) == 1 && dlen >= 0) {
		total = der_total(der, (size_t)dlen);
		if (dlen > 0 && der[0] == 0x30 && total < 0)
			cr_err_set(err, CR_EINPUT, "cannot read '%s': truncated DER (%ld byte%s, cut "
			    "inside the header) in the PEM block at line %zu", what, dlen,
			    dlen == 1 ? "" : "s", line);
		else if (dlen > 0 && der[0] == 0x30 && total > dlen)
			cr_err_set(err, CR_EINPUT, "cannot read '%s': truncated DER (%ld of %ld bytes) "
			    "in the PEM block at line %zu", what, dlen, total, line);
		else
			cr_err_set(err, CR_EINPUT, "cannot read '%s': not a certificate (line %zu): %s",
			    what, line, reason);
	} else {
		cr_err_set(err, CR_EINPUT, "cannot read '%s': not a certificate (line %zu): %s",
		    what, line, reason);
	}
	BIO_free(bio);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	ERR_clear_error();
	return CR_EINPUT;
}

/*
 * Every CERTIFICATE block of a PEM buffer, in order: the first is the leaf.
 * Other blocks (a private key beside the certificate, as nginx and haproxy
 * files have) are skipped.  Errors give the line of the bad block.
 */
static int
parse_pem(const unsigned char *buf, size_t len, const char *what, struct crt_list *out,
    struct cr_err *err)
{
	const unsigned char *p = buf, *end = buf + len, *last = buf;
	STACK_OF(X509) *chain = NULL;
	X509 *leaf = NULL;
	char *other = NULL;	/* the first other block's label, escaped */
	size_t line = 1;
	int r = CR_EINPUT;

	for (;;) {
		const unsigned char *begin, *lab, *labend, *e, *eol;
		char endmark[96];
		X509 *x;
		BIO *bio;

		begin = memmem(p, (size_t)(end - p), "-----BEGIN ", 11);
		if (begin == NULL)
			break;
		line += count_lines(last, begin);
		last = begin;
		lab = begin + 11;
		labend = memmem(lab, (size_t)(end - lab), "-----", 5);
		eol = memchr(lab, '\n', (size_t)(end - lab));
		if (labend == NULL || (eol != NULL && labend > eol) || labend - lab > 64) {
			cr_err_set(err, CR_EINPUT, "cannot read '%s': not a certificate (line %zu): "
			    "malformed BEGIN line", what, line);
			goto out;
		}
		snprintf(endmark, sizeof(endmark), "-----END %.*s-----", (int)(labend - lab),
		    (const char *)lab);
		e = memmem(labend, (size_t)(end - labend), endmark, strlen(endmark));
		if (e == NULL) {
			/* the label is the file's bytes: escaped in the message */
			char *shown = cr_esc(endmark, strlen(endmark), 0);
			cr_err_set(err, CR_EINPUT, "cannot read '%s': not a certificate (line %zu): "
			    "no '%s' line", what, line, shown);
			free(shown);
			goto out;
		}
		e += strlen(endmark);
		p = e;
		if (!is_cert_label((const char *)lab, (size_t)(labend - lab))) {
			if (other == NULL)
				other = cr_esc(lab, (size_t)(labend - lab), 0);
			continue;
		}
		bio = BIO_new_mem_buf(begin, (int)(e - begin));
		if (bio == NULL) {
			cr_err_ssl(err, CR_EENV, "cannot read '%s'", what);
			goto out;
		}
		ERR_clear_error();
		x = (labend - lab == 19) ? PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL) :
		    PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (x == NULL) {
			pem_block_error(begin, (size_t)(e - begin), what, line, err);
			goto out;
		}
		if (leaf == NULL) {
			leaf = x;
		} else {
			if (chain == NULL && (chain = sk_X509_new_null()) == NULL) {
				X509_free(x);
				cr_err_ssl(err, CR_EENV, "cannot read '%s'", what);
				goto out;
			}
			if (!sk_X509_push(chain, x)) {
				X509_free(x);
				cr_err_ssl(err, CR_EENV, "cannot read '%s'", what);
				goto out;
			}
		}
	}
	if (leaf == NULL) {
		if (other != NULL)
			cr_err_set(err, CR_EINPUT, "cannot read '%s': not a certificate (the PEM "
			    "holds %s but no CERTIFICATE)", what, other);
		else
			cr_err_set(err, CR_EINPUT, "cannot read '%s': not a certificate", what);
		goto out;
	}
	crt_list_push(out, crt_cert_new(leaf, chain, what));
	leaf = NULL;
	chain = NULL;
	r = CR_OK;
out:
	X509_free(leaf);
	if (chain != NULL)
		sk_X509_pop_free(chain, X509_free);
	free(other);
	ERR_clear_error();
	return r;
}

/*
 * The length of the DER element at buf (header included), 0 for the BER
 * indefinite form, or -1 when even the header is cut short.
 */
static long
der_total(const unsigned char *buf, size_t len)
{
	size_t i, nb, body = 0;

	if (len < 2)
		return -1;
	if (buf[1] < 0x80)
		return 2 + (long)buf[1];
	if (buf[1] == 0x80)
		return 0;
	nb = buf[1] & 0x7f;
	if (nb > 4 || len < 2 + nb)
		return -1;
	for (i = 0; i < nb; i++)
		body = body << 8 | buf[2 + i];
	return (long)(2 + nb + body);
}

static int
trailing_blank(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != '\0' && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

static int
parse_der(const unsigned char *buf, size_t len, const char *pass, const char *what,
    struct crt_list *out, struct cr_err *err)
{
	const unsigned char *p = buf;
	long total = der_total(buf, len);
	X509 *x;

	if (total < 0)		/* the length itself is cut short: the total is not known */
		return cr_err_set(err, CR_EINPUT, "cannot read '%s': truncated DER (%zu byte%s, "
		    "cut inside the header)", what, len, len == 1 ? "" : "s");
	if ((size_t)total > len)
		return cr_err_set(err, CR_EINPUT, "cannot read '%s': truncated DER (%zu of %ld "
		    "bytes)", what, len, total);
	if (total == 0)		/* BER indefinite length: PKCS#12 from some tools */
		return crt_p12_parse(buf, len, pass, what, out, err);
	if ((size_t)total < len && !trailing_blank(buf + total, len - (size_t)total))
		return cr_err_set(err, CR_EINPUT, "cannot read '%s': not a certificate (%zu bytes "
		    "of trailing data after the DER)", what, len - (size_t)total);
	ERR_clear_error();
	x = d2i_X509(NULL, &p, total);
	if (x != NULL) {
		crt_list_push(out, crt_cert_new(x, NULL, what));
		return CR_OK;
	}
	ERR_clear_error();
	return crt_p12_parse(buf, (size_t)total, pass, what, out, err);
}

int
crt_parse_buffer(const unsigned char *buf, size_t len, const char *pass, const char *what,
    struct crt_list *out, struct cr_err *err)
{
	long total;

	if (len == 0)
		return cr_err_set(err, CR_EINPUT, "cannot read '%s': empty, not a certificate",
		    what);
	total = buf[0] == 0x30 ? der_total(buf, len) : -1;
	/* a complete DER element first: PEM text never is one */
	if (buf[0] == 0x30 && total >= 0 && (size_t)total <= len &&
	    (total == 0 || trailing_blank(buf + total, len - (size_t)total)))
		return parse_der(buf, len, pass, what, out, err);
	if (memmem(buf, len, "-----BEGIN ", 11) != NULL)
		return parse_pem(buf, len, what, out, err);
	if (buf[0] == 0x30)
		return parse_der(buf, len, pass, what, out, err);
	return cr_err_set(err, CR_EINPUT, "cannot read '%s': not a certificate (neither PEM, "
	    "DER nor PKCS#12)", what);
}

/* ---- files and directories ---------------------------------------------- */

struct file_src {
	char *path;		/* as written (no file:, no query): for messages */
	char *resolved;		/* against base_dir */
	char *pass_source;	/* resolved password file, or NULL */
	int file_prefix;	/* written with file: */
};

static void
file_src_release(struct file_src *f)
{
	free(f->path);
	free(f->resolved);
	free(f->pass_source);
}

/*
 * Splits "file:PATH?pass-source=file:PWFILE" (or a bare path).  A path
 * that exists as written keeps any '?' it holds.
 */
static int
file_src_parse(const char *source, const struct crt_load_opts *opts, struct file_src *f,
    struct cr_err *err)
{
	const char *base = opts ? opts->base_dir : NULL;
	const char *s = source, *q, *a;
	struct stat st;
	char *whole, *shown;
	int r = CR_EINPUT;

	memset(f, 0, sizeof(*f));
	shown = cr_secret_masked(source);
	if (strncasecmp(s, "file:", 5) == 0) {
		s += 5;
		f->file_prefix = 1;
		if (strncmp(s, "//", 2) == 0 && s[2] == '/')
			s += 2;		/* file:///abs/path */
	}
	if (*s == '\0') {
		cr_err_set(err, CR_EINPUT, "bad source '%s': no path", shown);
		goto out;
	}
	whole = cr_path_resolve(base, s);
	q = strchr(s, '?');
	if (q == NULL || stat(whole, &st) == 0) {
		f->path = cr_xstrdup(s);
		f->resolved = whole;
		r = CR_OK;
		goto out;
	}
	free(whole);
	f->path = cr_xstrndup(s, (size_t)(q - s));
	f->resolved = cr_path_resolve(base, f->path);
	for (a = q + 1; *a; ) {
		const char *amp = strchr(a, '&');
		size_t n = amp ? (size_t)(amp - a) : strlen(a);
		const char *eq = memchr(a, '=', n);
		size_t klen = eq ? (size_t)(eq - a) : n;

		if (klen == 11 && strncmp(a, "pass-source", 11) == 0 && eq != NULL) {
			char *v = cr_pct_decode(eq + 1, n - klen - 1);
			const char *path = strncmp(v, "file:", 5) == 0 ? v + 5 : v;
			if (!cr_secret_ref_ok(v)) {
				cr_err_set(err, CR_EINPUT, "bad source '%s': pass-source must be "
				    "file:PATH, a file holding the password (a value that is not "
				    "evidently a file is not shown: it may be the password itself)",
				    shown);
				OPENSSL_cleanse(v, strlen(v));
				free(v);
				goto out;
			}
			if (f->pass_source != NULL) {
				cr_err_set(err, CR_EINPUT, "bad source '%s': more than one pass-source",
				    shown);
				free(v);
				goto out;
			}
			f->pass_source = cr_path_resolve(base, path);
			free(v);
		} else {
			cr_err_set(err, CR_EINPUT, "bad source '%s': unknown attribute '%.*s' "
			    "(expected pass-source=file:PWFILE)", shown, (int)klen, a);
			goto out;
		}
		a += n;
		if (*a == '&')
			a++;
	}
	r = CR_OK;
out:
	if (r != CR_OK)
		file_src_release(f);
	free(shown);
	return r;
}

static int
load_file(const char *resolved, const char *shown, const char *pass, const char *source,
    struct crt_list *out, struct cr_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0, before = out->n;
	int r;

	if ((r = cr_fs_read_regular(resolved, shown, 0, MAX_CERT_FILE, &buf, &len, err)) != CR_OK)
		return r;
	r = crt_parse_buffer(buf, len, pass, shown, out, err);
	if (r == CR_OK && out->n > before) {
		free(out->v[before]->source);
		out->v[before]->source = cr_xstrdup(source);
	}
	free(buf);
	return r;
}

static int
cert_file_name(const char *name)
{
	static const char *const ext[] = { ".pem", ".crt", ".cer", ".der", ".p12", ".pfx" };
	const char *dot = strrchr(name, '.');
	size_t i;

	if (name[0] == '.' || dot == NULL)
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

	if (n > 0 && dir[n - 1] == '/')
		return cr_xasprintf("%s%s", dir, name);
	return cr_xasprintf("%s/%s", dir, name);
}

/* A directory entry with a certificate file's name. */
struct dir_entry {
	char *name;
	int regular;		/* a regular file (links followed): read it */
	struct cr_err note;	/* else why it is skipped */
};

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct dir_entry *)a)->name, ((const struct dir_entry *)b)->name);
}

/*
 * The entries of f's directory named like certificate files, sorted by
 * name, each told regular or not (stat only: a FIFO or a device is never
 * opened).  *nregular counts the regular ones.
 */
static int
list_dir(const struct file_src *f, struct dir_entry **out, size_t *n, size_t *nregular,
    struct cr_err *err)
{
	DIR *d = opendir(f->resolved);
	struct dirent *de;
	size_t cap = 0;
	char buf[128];

	*out = NULL;
	*n = *nregular = 0;
	if (d == NULL)
		return cr_err_setr(err, CR_EINPUT, errno == ENOENT ? CR_R_NOT_FOUND : CR_R_IO,
		    "cannot read '%s': %s", f->path, strerror_r(errno, buf, sizeof(buf)));
	while ((de = readdir(d)) != NULL) {
		char *full, *shown;
		struct dir_entry *e;

		if (!cert_file_name(de->d_name))
			continue;
		cr_grow(out, &cap, *n + 1, sizeof(**out));
		e = &(*out)[(*n)++];
		e->name = cr_xstrdup(de->d_name);
		full = join(f->resolved, de->d_name);
		shown = join(f->path, de->d_name);
		cr_err_clear(&e->note);
		e->regular = cr_check_regular(full, "skipped", shown, CR_OK, &e->note) == CR_OK &&
		    e->note.reason == CR_R_NONE;
		*nregular += e->regular;
		free(full);
		free(shown);
	}
	closedir(d);
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_entry);
	return CR_OK;
}

/*
 * Every certificate file of a directory, sorted by name.  A file that
 * cannot be read goes to the caller's on_unreadable, else it fails the load
 * with its message (the worst status wins); the others are still appended.
 * An entry that is no regular file is skipped with a note (status CR_OK) to
 * on_unreadable.
 */
static int
load_dir(const struct file_src *f, const char *pass, const struct crt_load_opts *opts,
    struct crt_list *out, struct cr_err *err)
{
	struct dir_entry *ents = NULL;
	size_t n = 0, nreg = 0, nload, i;
	int status;

	if ((status = list_dir(f, &ents, &n, &nreg, err)) != CR_OK)
		return status;
	if (nreg == 0) {
		status = cr_err_setr(err, CR_EINPUT, CR_R_NOT_FOUND, "cannot read '%s': no "
		    "certificate files in the directory (*.pem, *.crt, *.cer, *.der, *.p12, *.pfx)%s",
		    f->path, n > 0 ? "; entries that are not regular files are skipped" : "");
	}
	/* with nothing to load, the notes would only repeat that message */
	nload = nreg > 0 ? n : 0;
	for (i = 0; i < nload; i++) {
		char *full = join(f->resolved, ents[i].name);
		char *shown = join(f->path, ents[i].name);
		char *source = f->file_prefix ? cr_xasprintf("file:%s", shown) : cr_xstrdup(shown);
		struct cr_err e;
		int r = CR_OK;

		cr_err_clear(&e);
		if (!ents[i].regular) {
			if (opts->on_unreadable != NULL)
				opts->on_unreadable(opts->on_unreadable_arg, &ents[i].note);
		} else {
			r = load_file(full, shown, pass, source, out, &e);
		}
		if (r != CR_OK && opts->on_unreadable != NULL) {
			opts->on_unreadable(opts->on_unreadable_arg, &e);
		} else if (r != CR_OK && cr_status_worse(status, r) != status) {
			status = r;
			cr_err_setr(err, r, e.reason, "%s", e.msg);
		}
		free(full);
		free(shown);
		free(source);
	}
	for (i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
	return status;
}

static int
load_path(const char *source, const struct crt_load_opts *opts, struct crt_list *out,
    struct cr_err *err)
{
	struct file_src f;
	struct stat st;
	char *pass = NULL;
	int r;

	if ((r = file_src_parse(source, opts, &f, err)) != CR_OK)
		return r;
	if (f.pass_source != NULL && (r = cr_read_secret(f.pass_source, &pass, err)) != CR_OK) {
		cr_err_prefix(err, "password for '%s'", f.path);
		goto out;
	}
	if (stat(f.resolved, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (opts == NULL || !opts->scan_dirs)
			r = cr_err_set(err, CR_EINPUT, "cannot read '%s': is a directory", f.path);
		else
			r = load_dir(&f, pass, opts, out, err);
		goto out;
	}
	r = load_file(f.resolved, f.path, pass, source, out, err);
out:
	cr_secret_free(pass);
	file_src_release(&f);
	return r;
}

/* ---- tokens ---------------------------------------------------------------- */

/* RFC 7512 percent-encoding of an attribute value. */
static void
pct_encode(struct cr_buf *b, const unsigned char *p, size_t n, int all)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (!all && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~'))
			cr_buf_addc(b, (char)c);
		else
			cr_buf_addf(b, "%%%02X", c);
	}
}

/* A URI naming exactly this object, keeping the query of the URI given. */
static char *
object_uri(const struct p11_cert_obj *o, const char *given)
{
	struct cr_buf b = CR_BUF_INIT;
	const char *q = strchr(given, '?');

	cr_buf_adds(&b, p11_token_uri(o->token));
	if (o->label != NULL) {
		cr_buf_adds(&b, ";object=");
		pct_encode(&b, (const unsigned char *)o->label, strlen(o->label), 0);
	}
	if (o->id != NULL && o->id_len > 0) {
		cr_buf_adds(&b, ";id=");
		pct_encode(&b, o->id, o->id_len, 1);
	}
	cr_buf_adds(&b, ";type=cert");
	if (q != NULL)
		cr_buf_adds(&b, q);
	return cr_buf_detach(&b);
}

/*
 * Fills the key part of t: present / absent with its flags, or unknown
 * with a note.  Only "no PIN source known" is not an error: a refused PIN,
 * a locked token or an unreadable PIN source is CR_EENV (SPEC 2).
 */
static int
describe_key(const struct p11_uri *uri, const struct p11_cert_obj *o, struct crt_token_ref *t,
    struct cr_err *err)
{
	struct p11_key_obj *key = NULL;
	int r;

	r = p11_token_login(o->token, p11_uri_pin_source(uri), 0, err);
	if (r != CR_OK) {
		if (p11_token_login_result(o->token) == P11_LOGIN_NO_PIN) {
			t->key_note = cr_xstrdup("not logged in: no PIN source "
			    "(add ?pin-source=file:PATH or a tokens entry)");
			cr_err_clear(err);
			return CR_OK;
		}
		t->key_note = cr_xasprintf("not logged in: %s", err->msg);
		return r;
	}
	r = p11_key_for_cert(o->token, p11_cert_x509(o), o->id, o->id_len, &key, err);
	if (r != CR_OK) {
		t->key_note = cr_xstrdup(err->msg);
		return r;
	}
	if (key == NULL) {
		t->key = CRT_KEY_ABSENT;
		return CR_OK;
	}
	t->key = CRT_KEY_PRESENT;
	t->sensitive = key->sensitive;
	t->extractable = key->extractable;
	return CR_OK;
}

/*
 * The tokens a URI with a pin-source of its own matches, when it matches
 * more than one: a PIN is one token's, and tried on each it would count
 * against the others' PIN counters - none is logged in to (scan decides the
 * same beforehand, check refuses such a URI).  0 otherwise.
 */
static size_t
pin_tokens(struct p11_ctx *p11, const struct p11_uri *uri)
{
	struct p11_token **toks = NULL;
	struct cr_err e;
	size_t n = 0;

	if (p11_uri_pin_source(uri) == NULL)
		return 0;
	cr_err_clear(&e);
	if (p11_find_tokens(p11, uri, &toks, &n, &e) != CR_OK)
		n = 0;
	free(toks);
	return n > 1 ? n : 0;
}

/*
 * The certificates of objs (those whose value parses, in order; their
 * sources still to be set) into certs[], objs[] kept beside them; returns
 * how many.  With lite, an object not parsed yet comes lite (x509 NULL).
 */
static size_t
token_certs(struct p11_cert_obj **objs, size_t n, int lite, struct crt_cert **certs)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		struct crt_cert *c = NULL;

		if (lite && objs[i]->x509 == NULL) {
			/* read once per object, however many sources name it */
			if (objs[i]->aux == NULL) {
				objs[i]->aux = crt_lite_parse(objs[i]->der, objs[i]->der_len);
				objs[i]->aux_free = crt_lite_free_void;
			}
			if (objs[i]->aux != NULL)
				c = crt_cert_of_lite(objs[i]->aux, NULL);
		} else if (p11_cert_x509(objs[i]) != NULL) {
			X509_up_ref(p11_cert_x509(objs[i]));
			c = crt_cert_new(p11_cert_x509(objs[i]), NULL, NULL);
		}
		if (c != NULL) {
			certs[k] = c;
			objs[k++] = objs[i];
		}
	}
	return k;
}

static int
load_pkcs11(const char *source, const struct crt_load_opts *opts, struct crt_list *out,
    struct cr_err *err)
{
	struct p11_uri *uri = NULL;
	struct p11_cert_obj **objs = NULL;
	struct crt_cert **certs = NULL;
	size_t n = 0, i, ntok = 0;
	int r, status = CR_OK;
	enum p11_objtype type;

	if (opts == NULL || opts->p11 == NULL)
		return cr_err_set(err, CR_EINPUT, "cannot read '%s': token sources are not "
		    "accepted here", source);
	if ((r = p11_uri_parse(source, opts->base_dir, &uri, err)) != CR_OK)
		return r;
	type = p11_uri_type(uri);
	if (type == P11_TYPE_PRIVATE || type == P11_TYPE_PUBLIC) {
		r = cr_err_set(err, CR_EINPUT, "cannot read '%s': it names a %s key, not a "
		    "certificate (type=cert)", source, type == P11_TYPE_PRIVATE ? "private" :
		    "public");
		goto out;
	}
	if ((r = p11_find_certs(opts->p11, uri, &objs, &n, err)) != CR_OK)
		goto out;
	certs = cr_xcalloc(n + 1, sizeof(*certs));
	n = token_certs(objs, n, opts->lite, certs);
	if (n == 0) {
		r = opts->allow_none ? CR_OK :
		    cr_err_setr(err, CR_EINPUT, CR_R_NOT_FOUND, "no certificate matches '%s'", source);
		goto out;
	}
	if (opts->describe_keys)
		ntok = pin_tokens(opts->p11, uri);
	for (i = 0; i < n; i++) {
		const struct p11_cert_obj *o = objs[i];
		struct crt_token_ref *t = cr_xcalloc(1, sizeof(*t));
		struct crt_cert *c = certs[i];

		free(c->source);
		c->source = n == 1 ? cr_xstrdup(source) : object_uri(o, source);
		certs[i] = NULL;	/* pushed below */
		t->token_label = cr_xstrdup(p11_token_label(o->token));
		t->token_uri = cr_xstrdup(p11_token_uri(o->token));
		t->object = cr_xstrdup(o->label);
		if (o->id != NULL && o->id_len > 0) {
			t->id = cr_xmalloc(o->id_len);
			memcpy(t->id, o->id, o->id_len);
			t->id_len = o->id_len;
		}
		t->key = CRT_KEY_UNKNOWN;
		t->sensitive = t->extractable = -1;
		t->obj = o;
		c->token = t;
		crt_list_push(out, c);
		if (opts->describe_keys && ntok > 0) {
			char *shown = cr_secret_masked(source);

			t->key_note = cr_xasprintf("not logged in: the pin-source of '%s' matches %zu "
			    "tokens, and a PIN is one token's (tried on none): name the token "
			    "(token=LABEL)", shown, ntok);
			free(shown);
		} else if (opts->describe_keys) {
			struct cr_err e;
			cr_err_clear(&e);
			/* a failure is reported once, but every certificate is still listed */
			r = describe_key(uri, o, t, &e);
			if (r != CR_OK && cr_status_worse(status, r) != status) {
				status = r;
				cr_err_setr(err, r, e.reason, "%s", e.msg);
			}
		}
	}
	r = status;
out:
	free(certs);
	free(objs);
	p11_uri_free(uri);
	return r;
}

/* ---- endpoints -------------------------------------------------------------- */

static int
load_tls(const char *source, const struct crt_load_opts *opts, struct crt_list *out,
    struct cr_err *err)
{
	struct crt_tls_target t;
	STACK_OF(X509) *chain = NULL;
	char *storage = NULL;
	X509 *leaf;
	int r;

	if ((r = crt_tls_parse(source, &t, &storage, err)) != CR_OK)
		return r;
	t.timeout_ms = opts != NULL ? opts->timeout_ms : 0;
	if ((r = crt_tls_fetch(&t, &chain, err)) == CR_OK) {
		leaf = sk_X509_shift(chain);
		/* crt_tls_fetch never returns an empty chain */
		crt_list_push(out, crt_cert_new(leaf, chain, source));
	}
	free(storage);
	return r;
}

/* ---- entry points ------------------------------------------------------------ */

int
crt_load(const char *source, const struct crt_load_opts *opts, struct crt_list *out,
    struct cr_err *err)
{
	if (source == NULL || *source == '\0')
		return cr_err_set(err, CR_EINPUT, "bad source '': empty");
	if (strncasecmp(source, "pkcs11:", 7) == 0)
		return load_pkcs11(source, opts, out, err);
	if (strncasecmp(source, "tls://", 6) == 0)
		return load_tls(source, opts, out, err);
	return load_path(source, opts, out, err);
}

int
crt_load_one(const char *source, const struct crt_load_opts *opts, struct crt_cert **out,
    struct cr_err *err)
{
	struct crt_list l = CRT_LIST_INIT;
	int r;

	*out = NULL;
	if ((r = crt_load(source, opts, &l, err)) != CR_OK)
		goto out;
	if (l.n != 1) {
		r = cr_err_set(err, CR_EINPUT, "'%s' holds %zu certificates, expected exactly one",
		    source, l.n);
		goto out;
	}
	*out = l.v[0];
	l.n = 0;
out:
	crt_list_release(&l);
	return r;
}
