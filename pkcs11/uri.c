/*
 * uri.c - RFC 7512 URIs, parsed by p11-kit and checked by us.
 *
 * p11-kit 0.24 is lenient in ways that would turn a typo into "search
 * everything": an unknown path attribute only sets a flag
 * (p11_kit_uri_any_unrecognized), an unknown query attribute is kept as a
 * "vendor query" without any flag, a repeated attribute silently replaces
 * the first, and `type=data` / `type=secret-key` are accepted.  So the text
 * is scanned first for attribute names (known, not repeated), then p11-kit
 * parses and decodes the values.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <strings.h>

#include "../common/util.h"
#include "p11-int.h"
#include "../common/secret.h"

static const char *const path_attrs[] = {
	"token", "manufacturer", "serial", "model",
	"library-manufacturer", "library-description", "library-version",
	"slot-description", "slot-manufacturer", "slot-id",
	"object", "id", "type",
};

static const char *const query_attrs[] = {
	"pin-source", "pin-value", "module-name", "module-path",
};

static int
known(const char *const *list, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(list[i]) == len && strncmp(list[i], name, len) == 0)
			return 1;
	return 0;
}

/* An attribute name for a message: printable ASCII, anything else '?', at most 64. */
static void
add_name(struct cr_buf *b, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 64; i++)
		cr_buf_addc(b, p[i] > 0x20 && p[i] < 0x7f ? p[i] : '?');
	if (n > 64)
		cr_buf_adds(b, "...");
}

/*
 * Checks attribute names of one part ("a=1;b=2" or "c=3&d=4"): each known,
 * none repeated.  `seen` has one slot per entry of `list`.  With `vendor`
 * (the query), an unknown name is a vendor's attribute (RFC 7512 section
 * 2.3): ignored, as p11-kit does, and named in *vendor for a warning.
 */
static int
scan_part(const char *part, size_t partlen, char sep, const char *const *list, size_t nlist,
    const char *shown, struct cr_buf *vendor, struct cr_err *err)
{
	unsigned char seen[16] = { 0 };
	const char *p = part, *end = part + partlen;

	while (p < end) {
		const char *seg_end = memchr(p, sep, (size_t)(end - p));
		const char *eq;
		size_t seglen, namelen, i;

		if (seg_end == NULL)
			seg_end = end;
		seglen = (size_t)(seg_end - p);
		if (seglen > 0) {
			eq = memchr(p, '=', seglen);
			if (eq == NULL)
				return cr_err_set(err, CR_EINPUT,
				    "bad PKCS#11 URI '%s': '%.*s' is not name=value", shown,
				    (int)seglen, p);
			namelen = (size_t)(eq - p);
			if (strncmp(p, "pin-value", namelen) == 0 && namelen == 9)
				return cr_err_set(err, CR_EINPUT,
				    "refused PKCS#11 URI '%s': pin-value would put a PIN on a "
				    "command line; use pin-source=file:PATH", shown);
			if (!known(list, nlist, p, namelen) && vendor != NULL) {
				cr_buf_addf(vendor, "%s'", vendor->len ? ", " : "");
				add_name(vendor, p, namelen);
				cr_buf_addc(vendor, '\'');
				p = seg_end + 1;
				continue;
			}
			if (!known(list, nlist, p, namelen))
				return cr_err_set(err, CR_EINPUT,
				    "bad PKCS#11 URI '%s': unknown attribute '%.*s'", shown,
				    (int)namelen, p);
			for (i = 0; i < nlist; i++) {
				if (strlen(list[i]) != namelen || strncmp(list[i], p, namelen) != 0)
					continue;
				if (seen[i])
					return cr_err_set(err, CR_EINPUT,
					    "bad PKCS#11 URI '%s': attribute '%.*s' given twice",
					    shown, (int)namelen, p);
				seen[i] = 1;
			}
		}
		p = seg_end + 1;
	}
	return CR_OK;
}

/*
 * p11-kit only says "something was not recognised"; find which path
 * attribute by parsing each alone.
 */
static int
blame_unrecognized(const char *path, const char *shown, struct cr_err *err)
{
	const char *p = path;

	while (*p != '\0' && *p != '?') {
		size_t len = strcspn(p, ";?");

		if (len > 0) {
			char *one = cr_xasprintf("pkcs11:%.*s", (int)len, p);
			P11KitUri *k = p11_kit_uri_new();
			int bad = p11_kit_uri_parse(one, P11_KIT_URI_FOR_ANY, k) != P11_KIT_URI_OK ||
			    p11_kit_uri_any_unrecognized(k);

			p11_kit_uri_free(k);
			free(one);
			if (bad) {
				/* the segment is quoted: masked like the URI (a PIN may be in it) */
				char *seg = cr_xstrndup(p, len), *m = cr_secret_masked(seg);
				int r = cr_err_set(err, CR_EINPUT,
				    "bad PKCS#11 URI '%s': bad value in '%s'", shown, m);

				OPENSSL_cleanse(seg, len);
				free(seg);
				free(m);
				return r;
			}
		}
		p += len;
		if (*p == ';')
			p++;
	}
	return cr_err_set(err, CR_EINPUT, "bad PKCS#11 URI '%s': unrecognised content", shown);
}

char *
p11__pin_source_path(const char *text, const char *base_dir)
{
	const char *path = text, *p;

	if (text == NULL)
		return NULL;
	if (strncmp(text, "file://", 7) == 0) {
		path = text + 7;
		if (*path != '/')	/* file://host/... */
			return NULL;
	} else if (strncmp(text, "file:", 5) == 0) {
		path = text + 5;
	} else if (isalpha((unsigned char)*text)) {
		/* another scheme ("env:", "exec:") is not a path */
		for (p = text; isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.'; p++)
			;
		if (*p == ':')
			return NULL;
	}
	if (*path == '\0')
		return NULL;
	return cr_path_resolve(base_dir, path);
}

void
p11_uri_encode(struct cr_buf *b, const void *s, size_t n, int every_byte)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = s;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (!every_byte && (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')) {
			cr_buf_addc(b, (char)c);
		} else {
			cr_buf_addc(b, '%');
			cr_buf_addc(b, hex[c >> 4]);
			cr_buf_addc(b, hex[c & 15]);
		}
	}
}

int
p11_uri_parse(const char *text, const char *base_dir, struct p11_uri **out,
    struct cr_err *err)
{
	struct p11_uri *u = NULL;
	CK_ATTRIBUTE_PTR a;
	const char *path, *query, *v;
	struct cr_buf vendor = CR_BUF_INIT;
	char *shown;
	int r = CR_EINPUT, pr;

	*out = NULL;
	if (text == NULL)
		return cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "bad PKCS#11 URI: none given");
	shown = cr_secret_masked(text);
	if (strncasecmp(text, "pkcs11:", 7) != 0) {
		cr_err_set(err, CR_EINPUT, "bad PKCS#11 URI '%s': it must start with 'pkcs11:'",
		    shown);
		goto out;
	}
	path = text + 7;
	query = strchr(path, '?');
	if (scan_part(path, query ? (size_t)(query - path) : strlen(path), ';', path_attrs,
	    sizeof(path_attrs) / sizeof(path_attrs[0]), shown, NULL, err) != CR_OK)
		goto out;
	if (query != NULL && scan_part(query + 1, strlen(query + 1), '&', query_attrs,
	    sizeof(query_attrs) / sizeof(query_attrs[0]), shown, &vendor, err) != CR_OK)
		goto out;

	u = cr_xcalloc(1, sizeof(*u));
	if (vendor.len > 0)
		u->warning = cr_xasprintf("PKCS#11 URI '%s': unknown query attribute%s %s ignored "
		    "(vendor-specific, RFC 7512 section 2.3, as p11-kit ignores %s)", shown,
		    strchr(cr_buf_str(&vendor), ',') ? "s" : "", cr_buf_str(&vendor),
		    strchr(cr_buf_str(&vendor), ',') ? "them" : "it");
	u->text = cr_xstrdup(text);
	u->kit = p11_kit_uri_new();
	if ((pr = p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, u->kit)) != P11_KIT_URI_OK) {
		cr_err_set(err, CR_EINPUT, "bad PKCS#11 URI '%s': %s", shown,
		    p11_kit_uri_message(pr));
		goto out;
	}
	if (p11_kit_uri_any_unrecognized(u->kit)) {
		blame_unrecognized(path, shown, err);
		goto out;
	}

	if ((a = p11_kit_uri_get_attribute(u->kit, CKA_CLASS)) != NULL) {
		CK_OBJECT_CLASS cls = 0;

		if (a->ulValueLen == sizeof(cls))
			memcpy(&cls, a->pValue, sizeof(cls));
		u->has_type = 1;
		switch (cls) {
		case CKO_CERTIFICATE: u->type = P11_TYPE_CERT; break;
		case CKO_PRIVATE_KEY: u->type = P11_TYPE_PRIVATE; break;
		case CKO_PUBLIC_KEY: u->type = P11_TYPE_PUBLIC; break;
		default:
			cr_err_set(err, CR_EINPUT,
			    "bad PKCS#11 URI '%s': type must be cert, private or public", shown);
			goto out;
		}
	}
	if ((a = p11_kit_uri_get_attribute(u->kit, CKA_LABEL)) != NULL) {
		u->has_object = 1;
		u->object = cr_xstrndup(a->pValue ? a->pValue : "", a->ulValueLen);
		if (strlen(u->object) != a->ulValueLen) {
			cr_err_set(err, CR_EINPUT, "bad PKCS#11 URI '%s': object label holds a NUL",
			    shown);
			goto out;
		}
	}
	if ((a = p11_kit_uri_get_attribute(u->kit, CKA_ID)) != NULL) {
		u->has_id = 1;
		u->id_len = a->ulValueLen;
		u->id = cr_xmalloc(u->id_len ? u->id_len : 1);
		if (u->id_len)
			memcpy(u->id, a->pValue, u->id_len);
	}
	if ((v = p11_kit_uri_get_pin_source(u->kit)) != NULL) {
		if (cr_secret_ref_ok(v))
			u->pin_source = p11__pin_source_path(v, base_dir);
		if (u->pin_source == NULL) {
			cr_err_set(err, CR_EINPUT, "bad PKCS#11 URI '%s': pin-source must be "
			    "file:PATH, a file holding the PIN (a value that is not evidently a "
			    "file is not shown: it may be the PIN itself)", shown);
			goto out;
		}
	}
	if ((v = p11_kit_uri_get_module_path(u->kit)) != NULL) {
		if (*v == '\0') {
			cr_err_set(err, CR_EINPUT, "bad PKCS#11 URI '%s': empty module-path", shown);
			goto out;
		}
		u->module_path = cr_path_resolve(base_dir, v);
	}
	if ((v = p11_kit_uri_get_module_name(u->kit)) != NULL) {
		if (*v == '\0') {
			cr_err_set(err, CR_EINPUT, "bad PKCS#11 URI '%s': empty module-name", shown);
			goto out;
		}
		u->module_name = cr_xstrdup(v);
	}
	/* two answers to "which module": neither may silently win */
	if (u->module_path != NULL && u->module_name != NULL) {
		cr_err_set(err, CR_EINPUT, "bad PKCS#11 URI '%s': both module-path and module-name "
		    "given (use one)", shown);
		goto out;
	}
	*out = u;
	u = NULL;
	r = CR_OK;
out:
	/* every refusal above is of the URI's text */
	if (r != CR_OK && err != NULL)
		err->reason = CR_R_MALFORMED;
	p11_uri_free(u);
	cr_buf_release(&vendor);
	free(shown);
	return r;
}

void
p11_uri_free(struct p11_uri *u)
{
	if (u == NULL)
		return;
	if (u->kit != NULL)
		p11_kit_uri_free(u->kit);
	free(u->text);
	free(u->object);
	free(u->id);
	free(u->pin_source);
	free(u->module_path);
	free(u->module_name);
	free(u->warning);
	free(u);
}

const char *
p11_uri_warning(const struct p11_uri *u)
{
	return u != NULL ? u->warning : NULL;
}

const char *
p11_uri_text(const struct p11_uri *u)
{
	return u->text;
}

enum p11_objtype
p11_uri_type(const struct p11_uri *u)
{
	return u->type;
}

int
p11_uri_is_token_only(const struct p11_uri *u)
{
	return !u->has_object && !u->has_id && !u->has_type;
}

const char *
p11_uri_pin_source(const struct p11_uri *u)
{
	return u->pin_source;
}

const char *
p11_uri_object(const struct p11_uri *u)
{
	return u->object;
}

const unsigned char *
p11_uri_id(const struct p11_uri *u, size_t *len)
{
	*len = u->has_id ? u->id_len : 0;
	return u->has_id ? u->id : NULL;
}

const char *
p11_uri_module_path(const struct p11_uri *u)
{
	return u->module_path;
}

const char *
p11_uri_module_name(const struct p11_uri *u)
{
	return u->module_name;
}

/* A fixed-width CK_TOKEN_INFO field is "given" when its first byte is set:
 * p11-kit leaves absent fields zeroed and pads given ones with blanks. */
static int
field_ok(const unsigned char *want, const unsigned char *have, size_t len)
{
	return want[0] == 0 || memcmp(want, have, len) == 0;
}

int
p11_uri_token_matches(const struct p11_uri *token_uri, const struct p11_uri *uri)
{
	CK_TOKEN_INFO *t = p11_kit_uri_get_token_info(token_uri->kit);
	CK_TOKEN_INFO *u = p11_kit_uri_get_token_info(uri->kit);

	return field_ok(t->label, u->label, sizeof(t->label)) &&
	    field_ok(t->manufacturerID, u->manufacturerID, sizeof(t->manufacturerID)) &&
	    field_ok(t->serialNumber, u->serialNumber, sizeof(t->serialNumber)) &&
	    field_ok(t->model, u->model, sizeof(t->model));
}

int
p11__uri_matches_token(const struct p11_uri *uri, const struct p11_token *tok)
{
	CK_SLOT_ID want = p11_kit_uri_get_slot_id(uri->kit);

	if (want != (CK_SLOT_ID)-1 && want != tok->slot_id)
		return 0;
	return p11_kit_uri_match_module_info(uri->kit, &tok->mod->info) &&
	    p11_kit_uri_match_slot_info(uri->kit, &tok->slot_info) &&
	    p11_kit_uri_match_token_info(uri->kit, &tok->info);
}
