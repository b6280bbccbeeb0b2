/*
 * validate.c - the validators the schema's rows name (loader.h): value
 * checks (names, endpoints, host names, algorithms) and the rules between
 * settings of one entry (a file ref's path and cert, sni and starttls need
 * an endpoint, a token key is never copied to a file).
 *
 * Each is a plan_check_fn: v->text is the value (the element for lists),
 * v->obj the entry's struct, v->s and v->path where to report.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>

#include "loader.h"
#include "internal.h"
#include "../cert/cert.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../common/utf8.h"
#include "../cert/csr.h"
#include "../cert/keyalg.h"

/* ---- values ------------------------------------------------------------------------ */

/* Names used in step ids: letters, digits, '.', '_', '-'. */
int
plan_chk_name(struct loader *ld, struct plan_value *v)
{
	const char *p;

	for (p = v->text; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return plan_ld_fail(ld, v->s, v->path, "'%s': only letters, digits, '.', '_' "
			    "and '-' are allowed (the name appears in step ids)", v->text);
	if (strcmp(v->text, ".") == 0 || strcmp(v->text, "..") == 0)
		return plan_ld_fail(ld, v->s, v->path, "'%s' is not a usable name", v->text);
	return CR_OK;
}

#define REF_ID_MAX 256	/* bytes */

/*
 * A ref's id is the name the service itself uses ("Default Frontend
 * EXCH01", "Default Web Site"): any printable characters, given verbatim to
 * {ref} and slugged only in step ids (planner.c).  Refused: invalid UTF-8,
 * control characters (C0, DEL, C1), the invisible and bidirectional
 * formatting marks (a runbook would show another name than the one used),
 * leading or trailing blanks (a paste error: the name would not match), and
 * more than REF_ID_MAX bytes.  Messages never echo the value's bytes.
 */
int
plan_chk_ref_id(struct loader *ld, struct plan_value *v)
{
	const unsigned char *p = (const unsigned char *)v->text;
	size_t n = strlen(v->text), i = 0;

	if (n == 0 || n > REF_ID_MAX)
		return plan_ld_fail(ld, v->s, v->path, "a ref id has 1 to %d bytes, this one %zu",
		    REF_ID_MAX, n);
	while (i < n) {
		size_t len = cr_utf8_seqlen(p + i, n - i), k;
		unsigned c;

		if (len == 0)
			return plan_ld_fail(ld, v->s, v->path, "a ref id is not valid UTF-8 (byte %zu)",
			    i);
		c = len == 1 ? p[i] : p[i] & (0x3F >> (len - 1));
		for (k = 1; k < len; k++)
			c = c << 6 | (p[i + k] & 0x3F);
		if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xAD || c == 0x61C ||
		    (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
		    (c >= 0x2060 && c <= 0x2069) || c == 0xFEFF)
			return plan_ld_fail(ld, v->s, v->path, "a ref id holds a control or invisible "
			    "character (U+%04X at byte %zu): any printable characters are allowed", c, i);
		i += len;
	}
	if (p[0] == ' ' || p[n - 1] == ' ')
		return plan_ld_fail(ld, v->s, v->path, "'%s': leading or trailing blank (the "
		    "service's name would not match)", v->text);
	return CR_OK;
}

int
plan_chk_hostname(struct loader *ld, struct plan_value *v)
{
	const char *p;

	for (p = v->text; *p; p++) {
		if (isspace((unsigned char)*p) || *p == '/' || *p == ':' || *p == ',')
			return plan_ld_fail(ld, v->s, v->path, "'%s' is not a DNS name", v->text);
		/* a SAN dNSName and SNI are ASCII: a U-label could never match */
		if ((unsigned char)*p >= 0x80) {
			char *e = cr_esc_str(v->text);
			int r = plan_ld_fail(ld, v->s, v->path, "'%s' is not ASCII: write an "
			    "internationalised name as its A-label (xn--...), as certificates and "
			    "TLS carry it", e);

			free(e);
			return r;
		}
	}
	return CR_OK;
}

/* A service's names: a host name (plan_chk_hostname) or an IP address, IPv6 with or
   without brackets (an iPAddress entry of the SAN: cert/names.h). */
int
plan_chk_svcname(struct loader *ld, struct plan_value *v)
{
	const char *t = v->text;
	char buf[INET6_ADDRSTRLEN + 2];
	struct in6_addr a6;
	size_t n = strlen(t);

	if (strchr(t, ':') != NULL && n < sizeof(buf)) {
		if (t[0] == '[' && n > 2 && t[n - 1] == ']') {
			memcpy(buf, t + 1, n - 2);
			buf[n - 2] = '\0';
		} else {
			memcpy(buf, t, n + 1);
		}
		if (inet_pton(AF_INET6, buf, &a6) == 1)
			return CR_OK;
	}
	return plan_chk_hostname(ld, v);
}

/* "HOST:PORT" or "[V6]:PORT", port 1..65535. */
int
plan_chk_endpoint(struct loader *ld, struct plan_value *v)
{
	const char *s = v->text, *colon, *host_end;
	char *end;
	long port;

	if (s[0] == '[') {
		host_end = strchr(s, ']');
		if (host_end == NULL || host_end == s + 1 || host_end[1] != ':')
			goto bad;
		colon = host_end + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || colon == s || memchr(s, ':', (size_t)(colon - s)) != NULL)
			goto bad;
	}
	if (strpbrk(s, " \t/") != NULL)
		goto bad;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 1 || port > 65535)
		return plan_ld_fail(ld, v->s, v->path, "'%s': port must be a number from 1 to 65535",
		    s);
	return CR_OK;
bad:
	return plan_ld_fail(ld, v->s, v->path, "'%s': expected HOST:PORT (e.g. 10.0.0.5:443, "
	    "[::1]:443)", s);
}

/*
 * 1 when nid is a signature algorithm: one OpenSSL pairs with a digest and
 * a key type, or one under NIST's sigAlgs arc 2.16.840.1.101.3.4.3 (DSA and
 * ECDSA with SHA-3, which OpenSSL 3.0 names but does not pair).
 */
static int
is_sigalg(int nid)
{
	static const char arc[] = "2.16.840.1.101.3.4.3.";
	char oid[128];
	int dig, pk;

	if (OBJ_find_sigid_algs(nid, &dig, &pk))
		return 1;
	return OBJ_obj2txt(oid, sizeof(oid), OBJ_nid2obj(nid), 1) > 0 &&
	    strncmp(oid, arc, sizeof(arc) - 1) == 0;
}

int
plan_obj_nid(const char *text)
{
	int nid, i;

	/* OpenSSL's lookups are exact: find a name that fits in any case (asking
	   for NIDs past its table queues errors, dropped here) */
	if ((nid = crt_sigalg_windows_nid(text)) != NID_undef)
		return nid;	/* "sha1RSA", as Windows shows it */
	ERR_set_mark();
	nid = OBJ_txt2nid(text);
	for (i = 1; i < 4000 && nid == NID_undef; i++) {
		const char *sn = OBJ_nid2sn(i), *ln = OBJ_nid2ln(i);

		if ((sn != NULL && strcasecmp(sn, text) == 0) ||
		    (ln != NULL && strcasecmp(ln, text) == 0))
			nid = i;
	}
	ERR_pop_to_mark();
	return nid;
}

/*
 * accepts.signature entries: a signature algorithm OpenSSL knows, by short
 * or long name (any case, as the sigalg check compares them), by the name
 * Windows shows (sha1RSA, sha256RSA: crt_sigalg_windows_nid) or by its
 * dotted OID, written as OpenSSL writes it (the check compares OIDs as
 * text).  An OID OpenSSL does not know is refused: it is more likely a typo
 * than an algorithm a certificate could be signed with.
 */
int
plan_chk_sigalg(struct loader *ld, struct plan_value *v)
{
	const char *s = v->text;
	int nid = NID_undef, is_oid = s[0] != '\0' && strspn(s, "0123456789.") == strlen(s);
	char canon[128];

	if (is_oid) {
		ERR_set_mark();
		nid = OBJ_txt2nid(s);
		ERR_pop_to_mark();
		if (nid == NID_undef || !is_sigalg(nid))
			return plan_ld_fail(ld, v->s, v->path, "'%s' is not the OID of a signature "
			    "algorithm OpenSSL knows (e.g. 1.2.840.113549.1.1.11, "
			    "sha256WithRSAEncryption)", s);
		if (OBJ_obj2txt(canon, sizeof(canon), OBJ_nid2obj(nid), 1) > 0 && strcmp(canon, s) != 0)
			return plan_ld_fail(ld, v->s, v->path, "'%s': write the OID as %s", s, canon);
		return CR_OK;
	}
	if ((nid = plan_obj_nid(s)) == NID_undef)
		return plan_ld_fail(ld, v->s, v->path, "unknown signature algorithm '%s' (e.g. "
		    "sha1WithRSAEncryption, sha256WithRSAEncryption, ecdsa-with-SHA256, or an OID)", s);
	if (!is_sigalg(nid))
		return plan_ld_fail(ld, v->s, v->path, "'%s' is not a signature algorithm (e.g. "
		    "sha1WithRSAEncryption, sha256WithRSAEncryption)", s);
	return CR_OK;
}

/* accepts.key entries (cert/keyalg.h syntax). */
int
plan_chk_keyalg(struct loader *ld, struct plan_value *v)
{
	struct cr_err e;

	cr_err_clear(&e);
	if (crt_keyalg_valid(v->text, &e) != CR_OK)
		return plan_ld_fail(ld, v->s, v->path, "%s", e.msg);
	return CR_OK;
}

/* ---- the rotation ------------------------------------------------------------------ */

/* rotation.key: a file (not pkcs11:) is what key_path may receive. */
/*
 * rotation.subject, renew's request subject: DN text in the syntax of name:
 * identities that parses and that X.509 can encode (C two letters, no empty
 * DN), so that a bad subject is refused when the configuration loads, not
 * after renew generated a key.
 */
int
plan_chk_subject(struct loader *ld, struct plan_value *v)
{
	X509_NAME *name = NULL;
	struct cr_err e;
	int r;

	cr_err_clear(&e);
	r = crt_name_from_text(v->text, &name, &e);
	X509_NAME_free(name);
	if (r != CR_OK)
		return plan_ld_fail(ld, v->s, v->path, "%s", e.msg);
	return CR_OK;
}

int
plan_chk_key(struct loader *ld, struct plan_value *v)
{
	struct plan_rotation *rot = v->obj;

	(void)ld;
	rot->key_is_file = rot->key_src.kind != PLAN_SRC_PKCS11;
	return CR_OK;
}

/* rotation.import_to: its token label, for step ids and messages. */
int
plan_chk_import_to(struct loader *ld, struct plan_value *v)
{
	struct plan_rotation *rot = v->obj;

	(void)ld;
	rot->import_token = plan_uri_attr(rot->import_to, "token");
	if (rot->import_token == NULL)
		rot->import_token = cr_xstrdup(rot->import_to + strlen("pkcs11:"));
	return CR_OK;
}

/* rotation.archive_dir defaults to "<name>.archive" beside the configuration. */
int
plan_dflt_archive_dir(struct loader *ld, struct plan_value *v)
{
	const struct plan_rotation *rot = v->obj;

	(void)ld;
	v->dflt = cr_xasprintf("%s.archive", rot->name);
	return CR_OK;
}

/* retire = "keep" with a run_retire hook: there is nothing to run. */
int
plan_chk_rotation_hooks(struct loader *ld, struct plan_value *v)
{
	const struct plan_rotation *rot = v->obj;

	if (rot->retire == PLAN_RETIRE_KEEP && rot->hooks.run[PLAN_RETIRE].v != NULL)
		return plan_config_error(ld->err, rot->hooks.run[PLAN_RETIRE].loc,
		    "rotation.run_retire", "retire = \"keep\": the old certificate is kept, "
		    "there is nothing to run");
	return CR_OK;
}

/* ---- refs ---------------------------------------------------------------------------- */

/* A file ref must have a path (absent: an error for file refs only). */
int
plan_dflt_ref_path(struct loader *ld, struct plan_value *v)
{
	const struct plan_ref *ref = v->obj;

	if (ref->type == PLAN_REF_FILE)
		return plan_ld_fail(ld, v->group, v->path, "missing (required for a file ref)");
	return CR_OK;
}

/* Only a file ref has a path. */
int
plan_chk_ref_path(struct loader *ld, struct plan_value *v)
{
	const struct plan_ref *ref = v->obj;

	if (ref->type != PLAN_REF_FILE)
		return plan_ld_fail(ld, v->s, v->path, "only a file ref has a path (this ref is a %s)",
		    plan_ref_type_name(ref->type));
	return CR_OK;
}

/*
 * A ref's cert is required, except for a file ref: its identity is then the
 * file at its path ("file:<path as written>", reported at `path`).
 */
int
plan_dflt_ref_cert(struct loader *ld, struct plan_value *v)
{
	struct plan_ref *ref = v->obj;

	if (ref->type != PLAN_REF_FILE)
		return plan_ld_fail(ld, v->group, v->path, "missing (required)");
	v->dflt = cr_xasprintf("file:%s", ref->file_path_text);
	ref->cert_implicit = 1;
	v->s = config_setting_get_member(v->group, "path");
	plan_ld_path(v->path, ref->path, "path");
	return CR_OK;
}

/* key_path: a file ref's, and only when the new key is a file itself. */
int
plan_chk_key_path(struct loader *ld, struct plan_value *v)
{
	const struct plan_ref *ref = v->obj;

	if (ref->type != PLAN_REF_FILE)
		return plan_ld_fail(ld, v->s, v->path, "only a file ref has a key_path");
	if (!ld->cfg->rotation.key_is_file)
		return plan_ld_fail(ld, v->s, v->path, "rotation.key is on a token: a token key is "
		    "never copied to a file (remove key_path)");
	return CR_OK;
}

/* sni and starttls describe how the endpoint is probed: no endpoint, no use. */
int
plan_chk_needs_endpoint(struct loader *ld, struct plan_value *v)
{
	const struct plan_ref *ref = v->obj;

	if (ref->endpoint == NULL)
		return plan_ld_fail(ld, v->s, v->path, "%s without an endpoint", v->row->name);
	return CR_OK;
}

int
plan_chk_sni(struct loader *ld, struct plan_value *v)
{
	int r;

	if ((r = plan_chk_hostname(ld, v)) != CR_OK)
		return r;
	return plan_chk_needs_endpoint(ld, v);
}

/* A connector ref's hook renames, any other's rebinds. */
enum plan_step_type
plan_ref_hook_step(const void *ref)
{
	return ((const struct plan_ref *)ref)->type == PLAN_REF_CONNECTOR ? PLAN_RENAME :
	    PLAN_REBIND;
}

enum plan_step_type
plan_test_hook_step(const void *service)
{
	(void)service;
	return PLAN_RESTART;
}
