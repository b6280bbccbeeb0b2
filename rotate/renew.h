/*
 * renew.h - `certrotate renew`: the new key pair generated on the token
 * named by rotation.key, and a PKCS#10 request signed by it on the token
 * whose SAN is every name the services use (plan/renew.h decides what the
 * request holds; pkcs11/ generates the key; cert/csr.h builds the request).
 *
 * All or nothing, in this order, so that a refusal changes nothing:
 *   1. the configuration, the old certificate, the decisions (key type every
 *      host accepts, names, signature algorithm) - refusals: exit 1 (a host's
 *      accepts.key forbids the key type) or 2;
 *   2. -o FILE must not exist yet (a request is never replaced): exit 2;
 *   3. the key's token: exactly one; one login, read-write, with the PIN of
 *      rotation.key's pin-source or its `tokens` entry - a refused PIN, a
 *      locked token or one at its final PIN try (unless --force-login) is
 *      exit 3 and nothing is tried again;
 *   4. the key pair (refused, exit 1, when an object of any class holds the
 *      CKA_ID or the label) - CKA_ID and label from rotation.key, else a
 *      random 8-byte CKA_ID and the rotation's name as label;
 *   5. the request, signed on the token and verified with the new public
 *      key, written atomically to -o FILE (0600, never over a file) or to
 *      stdout;
 * a failure after 4 removes the new pair again (exit 3).  Then the report:
 * what the request holds and what changes from the old certificate, in text
 * or JSON on stdout.
 */
#ifndef ROT_RENEW_H
#define ROT_RENEW_H

#include <stdio.h>
#include <openssl/x509.h>

#include "rot.h"

struct rot_renew_opts {
	const struct rot_command *cmd;	/* renew's row: its token sessions (ROT_NEEDS_WRITE) */
	const char *cfgpath;		/* -c */
	const char *key_type;		/* --key-type text, or NULL */
	const char *out;		/* -o FILE, or NULL: the request goes to stdout */
	enum rot_format fmt;		/* text or json */
	int force_login;		/* --force-login */
};

/* Runs renew; prints the report (stdout) and diagnostics (stderr); returns
 * the exit code. */
int rot_renew(const struct rot_renew_opts *o);

/* ---- the report (renew_out.c) ----------------------------------------------- */

struct plan_config;
struct plan_renew;
struct crt_cert;
struct p11_newkey;

/* What a finished renew did, for the report.  Everything borrowed. */
struct rot_renew_result {
	const struct plan_config *cfg;
	const struct crt_cert *old;
	const struct plan_renew *pr;		/* the decisions */
	const X509_NAME *subject;
	int subject_from_config;		/* rotation.subject, else the old certificate's */
	const char *token;			/* the token's label */
	const char *key_uri;			/* a URI naming the new key exactly */
	const char *label;			/* CKA_LABEL of the pair */
	const unsigned char *id;		/* CKA_ID of the pair */
	size_t id_len;
	int label_chosen, id_chosen;		/* not given by rotation.key: chosen here */
	const struct p11_newkey *nk;
	const char *pem;			/* the request */
	const char *out;			/* -o FILE, or NULL: stdout */
};

/*
 * The report for people: what the request holds, what changes from the old
 * certificate, what the CA must honour, what to do next.  With out NULL the
 * request's PEM follows the report (RFC 7468: text before the encapsulation
 * boundary is explanatory, and PEM readers skip it), so that
 * `renew > x.csr` gives a request file with its explanation on top.
 */
void rot_renew_print_text(const struct rot_renew_result *r, FILE *f);

/*
 * The same as one JSON object: rotation, token, key {uri, label, id,
 * label_chosen, id_chosen, type, description, private, sensitive,
 * extractable, always_sensitive, never_extractable, local, sign_only},
 * old_key, key_choice ("asked" | "old" | "other"), subject, subject_from
 * ("old certificate" | "rotation.subject"), san {dns, ip}, dropped, gained,
 * signature_algorithm {name, oid}, eku, key_usage, ca_must_honour [{host,
 * accepts, sha1_only, message}], notes, request {file, pem}.
 */
void rot_renew_print_json(const struct rot_renew_result *r, FILE *f);

#endif
