/*
 * source.c - sources (SPEC 3.1) validated and parsed once, at load time
 * (struct plan_src in config.h, plan_src_parse in loader.h).
 *
 * A pin-source or pass-source is checked first, before anything can echo
 * the text: it must be file:PATH, and a message about it never shows its
 * value (it may be a PIN pasted by mistake).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "loader.h"
#include "internal.h"
#include "../common/util.h"
#include "../cert/tls.h"
#include "../pkcs11/p11.h"

static int
has_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * The percent-decoded value of attribute `attr` in the query of a source
 * (after its first '?', attributes separated by '&'), or NULL.  New string.
 */
static char *
query_attr(const char *text, const char *attr)
{
	const char *q = strchr(text, '?');
	size_t alen = strlen(attr);

	while (q != NULL) {
		const char *a = q + 1, *end = a + strcspn(a, "&");

		if ((size_t)(end - a) > alen && strncmp(a, attr, alen) == 0 && a[alen] == '=') {
			return cr_pct_decode(a + alen + 1, (size_t)(end - a - alen - 1));
		}
		q = *end == '&' ? end : NULL;
	}
	return NULL;
}

char *
plan_uri_attr(const char *uri, const char *attr)
{
	const char *p = uri + strlen("pkcs11:");
	size_t alen = strlen(attr);

	while (*p && *p != '?') {
		const char *end = p + strcspn(p, ";?");

		if ((size_t)(end - p) > alen && strncmp(p, attr, alen) == 0 && p[alen] == '=') {
			return cr_pct_decode(p + alen + 1, (size_t)(end - p - alen - 1));
		}
		p = *end == ';' ? end + 1 : end;
	}
	return NULL;
}

const char *
plan_ident_source(const struct crt_ident *id, const char *text)
{
	return id->source != NULL ? id->source : text;
}

/* pin-source (pkcs11:) and pass-source (PKCS#12 files) must be file:PATH (SPEC 3.1, 9). */
static int
check_secret_attrs(const char *text, struct cr_err *err)
{
	static const struct {
		const char *attr, *what;
	} attrs[] = { { "pin-source", "PIN" }, { "pass-source", "password" } };
	size_t i;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		char *val = query_attr(text, attrs[i].attr);
		int bad = val != NULL && (!has_prefix(val, "file:") || val[5] == '\0');

		if (val != NULL)
			OPENSSL_cleanse(val, strlen(val));
		free(val);
		if (bad)
			return cr_err_set(err, CR_EINPUT, "%s must be file:PATH, a file holding the %s "
			    "(the value is not shown: it may be the %s itself)", attrs[i].attr,
			    attrs[i].what, attrs[i].what);
	}
	return CR_OK;
}

/* A token-only pkcs11: URI (a `tokens` entry, import_to). */
static int
parse_token(const char *text, enum plan_src_use use, const char *dir, struct plan_src *out,
    struct cr_err *err)
{
	if (!has_prefix(text, "pkcs11:"))
		return cr_err_set(err, CR_EINPUT, "'%s': expected a token URI (pkcs11:token=LABEL)",
		    text);
	if (p11_uri_parse(text, dir, &out->uri, err) != CR_OK)
		return CR_EINPUT;
	out->kind = PLAN_SRC_PKCS11;
	if (!p11_uri_is_token_only(out->uri))
		return cr_err_set(err, CR_EINPUT, "'%s' names an object: give the token only%s", text,
		    use == PLAN_USE_IMPORT ? " (pkcs11:token=LABEL)" : "");
	return CR_OK;
}

/*
 * The file of a file source: "file:" cut, and a "?pass-source=" query, as
 * cert/ reads a file whose name holds no '?' (file://... is refused before).
 */
static char *
file_path(const char *text, const char *dir)
{
	const char *s = has_prefix(text, "file:") ? text + 5 : text, *q;
	char *p, *r;

	q = strstr(s, "?pass-source=");
	p = q != NULL ? cr_xstrndup(s, (size_t)(q - s)) : cr_xstrdup(s);
	r = cr_path_resolve(dir, p);
	free(p);
	return r;
}

int
plan_src_parse(const char *text, enum plan_src_use use, const char *dir, struct plan_src *out,
    struct cr_err *err)
{
	int key = use == PLAN_USE_KEY;

	memset(out, 0, sizeof(*out));
	out->text = text;
	if (check_secret_attrs(text, err) != CR_OK)
		return CR_EINPUT;
	if (use == PLAN_USE_TOKEN || use == PLAN_USE_IMPORT)
		return parse_token(text, use, dir, out, err);
	if (has_prefix(text, "pkcs11:")) {
		enum p11_objtype t;

		if (p11_uri_parse(text, dir, &out->uri, err) != CR_OK)
			return CR_EINPUT;
		out->kind = PLAN_SRC_PKCS11;
		t = p11_uri_type(out->uri);
		if (!key && t != P11_TYPE_CERT && t != P11_TYPE_ANY)
			return cr_err_set(err, CR_EINPUT, "'%s' names a key, not a certificate "
			    "(type=cert)", text);
		if (key && t != P11_TYPE_PRIVATE && t != P11_TYPE_ANY)
			return cr_err_set(err, CR_EINPUT, "'%s' does not name a private key "
			    "(type=private)", text);
		return CR_OK;
	}
	if (has_prefix(text, "tls://")) {
		if (key)
			return cr_err_set(err, CR_EINPUT, "'%s': a private key cannot come from an "
			    "endpoint", text);
		out->kind = PLAN_SRC_TLS;
		return crt_tls_parse(text, &out->tls, &out->tls_storage, err) != CR_OK ? CR_EINPUT :
		    CR_OK;
	}
	if (has_prefix(text, "sha1:") || has_prefix(text, "sha256:") || has_prefix(text, "name:"))
		return cr_err_set(err, CR_EINPUT, "'%s' is an identity, not a source: give where the "
		    "%s is (file:PATH, pkcs11:URI%s)", text, key ? "key" : "certificate",
		    key ? "" : " or tls://HOST:PORT");
	if (strstr(text, "://") != NULL)
		return cr_err_set(err, CR_EINPUT, "'%s': unknown source scheme (expected file:PATH, "
		    "pkcs11:URI%s)", text, key ? "" : " or tls://HOST:PORT");
	if (has_prefix(text, "file:") && (text[5] == '\0' || text[5] == '?'))
		return cr_err_set(err, CR_EINPUT, "'%s': no path after 'file:'", text);
	out->kind = PLAN_SRC_FILE;
	out->path = file_path(text, dir);
	return CR_OK;
}

void
plan_src_release(struct plan_src *src)
{
	if (src == NULL)
		return;
	free(src->path);
	p11_uri_free(src->uri);
	free(src->tls_storage);
	memset(src, 0, sizeof(*src));
}

/* ---- tokens entries -------------------------------------------------------------- */

static void
bind(const struct plan_config *cfg, struct plan_src *src)
{
	size_t i;

	if (src == NULL || src->kind != PLAN_SRC_PKCS11 || src->uri == NULL)
		return;
	src->pin_source = p11_uri_pin_source(src->uri);
	for (i = 0; i < cfg->ntokens; i++) {
		const struct plan_token *t = &cfg->tokens[i];

		if (t->src.uri == NULL || !p11_uri_token_matches(t->src.uri, src->uri))
			continue;
		if (src->token == NULL)
			src->token = t;
		if (src->pin_source == NULL)
			src->pin_source = t->pin_source;
	}
}

void
plan_src_bind_tokens(struct plan_config *cfg)
{
	struct plan_rotation *rot = &cfg->rotation;
	size_t i, j;

	bind(cfg, &rot->old_src);
	bind(cfg, &rot->new_src);
	bind(cfg, &rot->key_src);
	if (rot->import_to != NULL)
		bind(cfg, &rot->import_to_src);
	for (i = 0; i < rot->nchain; i++)
		bind(cfg, &rot->chain_src[i]);
	for (i = 0; i < rot->ntrust; i++)
		bind(cfg, &rot->trust_src[i]);
	for (i = 0; i < cfg->nservices; i++)
		for (j = 0; j < cfg->services[i].nrefs; j++)
			bind(cfg, cfg->services[i].refs[j].cert_src);
	for (i = 0; i < cfg->nprotect; i++)
		bind(cfg, cfg->protect[i].src);
}

/* "FILE:LINE: SETTING: " (or "FILE: SETTING: ") before err's message. */
static void
prefix_loc(struct cr_err *err, struct plan_loc loc, const char *setting)
{
	if (loc.line > 0)
		cr_err_prefix(err, "%s:%d: %s", loc.file, loc.line, setting);
	else
		cr_err_prefix(err, "%s: %s", loc.file, setting);
	cr_err_locate(err, loc.file, loc.line, setting);
}

int
plan_src_error(struct cr_err *err, const struct plan_src *ps, struct plan_loc loc,
    const char *setting)
{
	const struct plan_token *t = ps != NULL ? ps->token : NULL;
	const char *what = NULL;
	struct plan_loc at = loc;
	int status = err->status;
	enum cr_reason reason = err->reason;
	char *msg, *path;

	if (t != NULL && ps->uri != NULL && reason == CR_R_MODULE && t->module != NULL &&
	    p11_uri_module_path(ps->uri) == NULL && p11_uri_module_name(ps->uri) == NULL) {
		what = "module";
		at = t->module_loc;
	} else if (t != NULL && ps->uri != NULL && reason == CR_R_PIN_SOURCE &&
	    t->pin_source != NULL && p11_uri_pin_source(ps->uri) == NULL) {
		what = "pin_source";
		at = t->pin_loc;
	}
	if (what == NULL) {
		if (setting != NULL)
			prefix_loc(err, loc, setting);
		return status;
	}
	/* the entry's setting is what is wrong; the source is only where it showed */
	msg = cr_xstrdup(err->msg);
	if (setting != NULL)
		cr_err_setr(err, status, reason, "%s (the token of %s)", msg, setting);
	path = cr_xasprintf("%s.%s", t->path, what);
	prefix_loc(err, at, path);
	free(path);
	free(msg);
	return status;
}
