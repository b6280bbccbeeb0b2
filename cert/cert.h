/*
 * cert.h - certificate material: a certificate with where it came from,
 * loaded from any source of SPEC 3.1 (files, PKCS#11 URIs, TLS endpoints).
 *
 * Sits below plan/ and above pkcs11/: it uses tokens to read certificate
 * objects and to describe their private keys, but knows nothing of plans.
 */
#ifndef CRT_CERT_H
#define CRT_CERT_H

#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>

#include "../common/err.h"

struct p11_ctx;
struct p11_cert_obj;

/* What is known of the private key belonging to a certificate on a token. */
enum crt_key_state {
	CRT_KEY_UNKNOWN = 0,	/* not looked for / could not log in (see note) */
	CRT_KEY_ABSENT,
	CRT_KEY_PRESENT,
};

struct crt_token_ref {
	char *token_label;
	char *token_uri;	/* "pkcs11:token=...;serial=..." */
	char *object;		/* CKA_LABEL, may be NULL */
	unsigned char *id;	/* CKA_ID, may be NULL */
	size_t id_len;
	enum crt_key_state key;	/* UNKNOWN unless describe_keys (then see key_note) */
	int sensitive;		/* 1/0, -1 unknown (always -1 unless key is PRESENT) */
	int extractable;	/* 1/0, -1 unknown */
	/*
	 * Why the key is unknown, or NULL (also NULL when describe_keys was
	 * off): "not logged in: no PIN source (...)", "not logged in: PIN
	 * refused by token ...", or the p11 layer's message.
	 */
	char *key_note;
	const struct p11_cert_obj *obj;	/* borrowed from the p11_ctx, may be NULL */
};

struct crt_lite;

struct crt_cert {
	/*
	 * The certificate (leaf).  NULL only in a certificate loaded with
	 * crt_load_opts.lite (`scan`): then lite holds it, and only
	 * crt_info_get, sha1, sha256, source and token may be used.
	 */
	X509 *x509;
	struct crt_lite *lite;		/* owned; NULL when x509 is set */
	STACK_OF(X509) *chain;		/* further certificates of the same source, may be NULL */
	char *source;			/* where it came from, as a user would write it */
	unsigned char sha1[20];		/* SHA-1 of the DER: the Windows thumbprint */
	unsigned char sha256[32];
	struct crt_token_ref *token;	/* NULL unless a token object */
};

/*
 * Wraps x509 (ownership taken; up-ref it first to keep yours) and chain
 * (taken, may be NULL; an empty stack is freed and stored as NULL) into a
 * new crt_cert with digests computed.  source is copied (NULL: "").
 * token is NULL.  Never fails but on memory exhaustion (aborts).
 */
struct crt_cert *crt_cert_new(X509 *x509, STACK_OF(X509) *chain, const char *source);
void crt_cert_free(struct crt_cert *c);	/* accepts NULL */
/*
 * A certificate from its DER without an X509 (x509 NULL, see struct
 * crt_cert; cert/lite.h): der's first certificate, its digests those
 * crt_cert_new would compute.  NULL when der holds no certificate that
 * d2i_X509 would read.  source is copied (NULL: "").
 */
struct crt_cert *crt_cert_new_lite(const unsigned char *der, size_t len, const char *source);
/* The same from a lite certificate read already (cert/lite.h; a reference
 * is taken, l stays the caller's). */
struct crt_cert *crt_cert_of_lite(struct crt_lite *l, const char *source);
/* A copy of c's certificate (lite stays lite), chain and token not copied,
 * with this source (copied; NULL: ""). */
struct crt_cert *crt_cert_copy(const struct crt_cert *c, const char *source);
/* Its subject and issuer names (lite ones too), borrowed from c. */
const X509_NAME *crt_cert_subject_name(const struct crt_cert *c);
const X509_NAME *crt_cert_issuer_name(const struct crt_cert *c);

/* A list of certificates; owns its elements. */
struct crt_list {
	struct crt_cert **v;
	size_t n, cap;
};
#define CRT_LIST_INIT { NULL, 0, 0 }
void crt_list_push(struct crt_list *l, struct crt_cert *c);	/* takes c */
void crt_list_release(struct crt_list *l);

/* ---- loading ---------------------------------------------------------- */

struct crt_load_opts {
	struct p11_ctx *p11;	/* borrowed; needed for pkcs11: sources (NULL: refused) */
	const char *base_dir;	/* relative paths resolve here; NULL = cwd */
	int timeout_ms;		/* for tls:// (0: 5000) */
	int describe_keys;	/* for token certs, look for their private keys (may log in) */
	int scan_dirs;		/* directories: load every certificate file inside */
	int allow_none;		/* pkcs11: a URI matching no certificate is CR_OK, nothing
				   appended (a token's other objects, an empty import_to) */
	int lite;		/* pkcs11: certificates not parsed yet come lite (x509 NULL,
				   see struct crt_cert): for callers that use crt_info only */
	/*
	 * Directories: when set, each file inside that cannot be read is
	 * handed to on_unreadable(on_unreadable_arg, its own error) as the scan
	 * reaches it (in name order), and does not fail the load: the caller
	 * reports it (inspect prints one line per file and exits with the
	 * worst status).  An entry named like a certificate file that is no
	 * regular file (a FIFO, a device, a directory: never opened) is handed
	 * over as a note: status CR_OK, reason CR_R_NOT_REGULAR, "skipped
	 * 'DIR/NAME': is a FIFO, not a regular file".  NULL: see crt_load.
	 */
	void (*on_unreadable)(void *arg, const struct cr_err *err);
	void *on_unreadable_arg;
};

/*
 * Loads every certificate a source names and appends them to *out (opts
 * may be NULL: all defaults, no tokens):
 *  - file ("file:PATH" or a bare path; PEM with chain: first is the leaf,
 *    the rest its chain; DER; PKCS#12 with ?pass-source=file:PWFILE): one
 *    entry whose source is the text given.  The format is told by content,
 *    never by extension.  PATH and PWFILE are relative to base_dir; the
 *    query is split off at the first '?' unless PATH exists as written;
 *    a query key other than pass-source, or a pass-source that is not
 *    "file:PATH" / a path, is CR_EINPUT.  Messages name PATH as written;
 *  - directory (with scan_dirs; without: CR_EINPUT "is a directory"): one
 *    entry per regular file (links followed; others skipped, see
 *    on_unreadable) named *.pem *.crt *.cer *.der *.p12 *.pfx
 *    (any case; hidden files skipped), sorted by name (bytes), each with
 *    source "DIR/NAME" (keeping a "file:" prefix); a ?pass-source applies
 *    to every PKCS#12 inside (one without a password, when none is given,
 *    is a file that cannot be read).  None: CR_EINPUT.  A file that cannot
 *    be read goes to opts->on_unreadable when set; else it fails the load
 *    (first message of the worst status) while the others are still
 *    appended;
 *  - pkcs11: (opts->p11 required, else CR_EINPUT; a URI with type=private
 *    or type=public is CR_EINPUT): one entry per certificate object matched,
 *    token filled.  With one match the source is the URI given; with more,
 *    a URI naming that object (token URI + object + id + type=cert + the
 *    given query).  With describe_keys each token is logged in to (the
 *    URI's pin-source, else the `tokens` entry's) and the key looked up by
 *    CKA_ID / public key: a token without any PIN source leaves the key
 *    CRT_KEY_UNKNOWN with a note and CR_OK; a refused PIN, locked token,
 *    unreadable PIN source or failed lookup also leaves it UNKNOWN with a
 *    note, and the load returns that CR_EENV - with every certificate
 *    still appended;
 *  - tls://host:port[?sni=NAME&starttls=smtp]: one entry, the served leaf
 *    with the rest of the served chain (opts->timeout_ms bounds it).
 * Files are read with cr_read_file (never waiting on a FIFO or device; at
 * most 16 MiB), pass-sources with cr_read_secret.
 * Errors: CR_EINPUT for unreadable / malformed input ("cannot read
 * 'new/mail.pem': not a certificate (line 3): bad base64 decode",
 * "cannot read 'x.der': truncated DER (500 of 765 bytes)", "cannot read
 * 'x.p12': wrong password or corrupt PKCS#12"), CR_EENV for tokens /
 * endpoints.  A pkcs11: source that names no certificate is CR_EINPUT "no
 * certificate matches 'URI'" (CR_OK with allow_none).  Entries appended before a failure stay in
 * *out (the caller releases the list either way).
 */
int crt_load(const char *source, const struct crt_load_opts *opts, struct crt_list *out,
    struct cr_err *err);

/*
 * Loads exactly one certificate (more than one match is CR_EINPUT naming
 * the count: "'dir' holds 2 certificates, expected exactly one").  *out is
 * set to NULL on entry and stays NULL on any error; crt_cert_free it.
 */
int crt_load_one(const char *source, const struct crt_load_opts *opts,
    struct crt_cert **out, struct cr_err *err);

/*
 * Parses certificates from a memory buffer holding PEM (one or more), DER
 * or PKCS#12 (pass may be NULL).  `what` names the input in messages and
 * becomes the entry's source.  Appends one crt_cert (leaf + chain) to *out.
 * PEM: every CERTIFICATE / X509 CERTIFICATE / TRUSTED CERTIFICATE block in
 * order, other blocks (a key beside the certificate) skipped; a bad block
 * is an error naming its line, one whose DER is cut short says so as for
 * DER ("truncated DER (300 of 765 bytes) in the PEM block at line 3").
 * DER: trailing blanks / NULs tolerated,
 * anything else after it is an error.  PKCS#12: the MAC is checked first
 * (a mismatch is "wrong password or corrupt PKCS#12"); pass NULL tries no /
 * the empty password and else asks for ?pass-source; only certificate bags
 * are read - the private key is never decrypted; bags under RC2/RC4 (older
 * Windows and OpenSSL exports) are decrypted with the legacy provider in a
 * private library context; the certificate whose localKeyID is the key's
 * is the leaf (the first one when there is no key), the others its chain.
 */
int crt_parse_buffer(const unsigned char *buf, size_t len, const char *pass,
    const char *what, struct crt_list *out, struct cr_err *err);

/* ---- expiry: one computation for every output ------------------------- */

/*
 * How long a certificate has left, or how long ago it expired.  EVERY place
 * that tells a user about expiry uses this - inspect's and scan's text and
 * JSON (through crt_info), the check messages (check/checks_cert.c),
 * runbooks - so that no two outputs disagree (they did: "EXPIRED 10 days
 * ago" beside "days_left": -11).  Do not compute from not_after yourself.
 *
 * With d = not_after - now in seconds (X.509's notAfter is the last valid
 * second, so d == 0 is still valid):
 *   days_left  floor(d / 86400): 0 during the last day of validity, -1 from
 *              the first second after not_after until one day after it, -2
 *              then, and so on.  This is JSON's "days_left" (SPEC 3.3) and
 *              crt_info.days_left.
 *   expired    d < 0, i.e. days_left < 0.
 *   amount     the same in words, for any sentence:
 *                valid, d >= 1 day     days_left days: "30 days", "1 day"
 *                valid, d < 1 day      whole hours left: "5 hours"; under an
 *                                      hour minutes, under a minute seconds
 *                                      (rounded down: never more time than
 *                                      there is; d == 0 is "0 seconds")
 *                expired, -d >= 1 day  -days_left days: "11 days" (a partial
 *                                      day counts as a day, as in days_left)
 *                expired, -d < 1 day   hours, a partial hour counting as one:
 *                                      "1 hour" ... "24 hours"
 *   phrase     what inspect prints after not_after: "(30 days left)",
 *              "(expires in 5 hours)", "(EXPIRED 11 days ago)",
 *              "(EXPIRED 1 hour ago)".
 * Sentences elsewhere are built on amount: "EXPIRED %s ago" when expired,
 * else "expires in %s" / "valid for %s more".
 */
struct crt_expiry {
	long days_left;
	int expired;		/* 1 when now > not_after */
	char amount[32];	/* "11 days", "1 day", "5 hours", "1 hour", "12 minutes" */
	char phrase[48];	/* "(11 days left)", "(EXPIRED 1 hour ago)", ... */
};

/* Fills *e for a certificate valid until not_after, as seen at now. */
void crt_expiry_get(time_t not_after, time_t now, struct crt_expiry *e);
/* The same for x's notAfter, read as crt_info_get reads it. */
void crt_expiry_x509(const X509 *x, time_t now, struct crt_expiry *e);
/* The same for any certificate (lite ones too): crt_info_get's expiry. */
void crt_cert_expiry(const struct crt_cert *c, time_t now, struct crt_expiry *e);
/* Its subject as crt_info_get renders it (lite ones too).  New string. */
char *crt_cert_subject(const struct crt_cert *c);

/* ---- description (inspect, checks, runbooks) -------------------------- */

/* Every string is non-NULL except key_curve; san and eku are never NULL. */
struct crt_info {
	char *subject;		/* Windows rendering, most specific first */
	char *issuer;
	char *tls_name;		/* "<I>issuer<S>subject" */
	char *serial;		/* upper-case hex of the integer's bytes (no 00 pad; "-" if negative) */
	time_t not_before, not_after;
	char not_before_s[32], not_after_s[32];	/* RFC 3339 UTC */
	long days_left;		/* expiry.days_left: floor((not_after - now) / 86400) */
	struct crt_expiry expiry;	/* days left / since expiry, in numbers and words */
	char **san;		/* "DNS:x", "IP:1.2.3.4", "IP:2001:db8::5", "email:..", "URI:..",
				   also "DirName:<dn>", "RID:<oid>", "UPN:..", "othername:<oid>";
				   escaped as common/text.h says ("DNS:a\x00.b": in DNS, email
				   and URI names every byte from 0x80 too); OIDs whole */
	size_t nsan;
	char *sig_name;		/* "sha256WithRSAEncryption" */
	char *sig_oid;		/* "1.2.840.113549.1.1.11", whole however long */
	char *key_type;		/* "RSA", "RSA-PSS", "EC", "ED25519", "ED448", "DSA", else OpenSSL's
				   short name, "unknown" when the key cannot be decoded */
	int key_bits;
	char *key_curve;	/* "prime256v1" for EC, else NULL */
	char **eku;		/* OpenSSL short names ("serverAuth", "clientAuth", ...) or dotted OIDs */
	size_t neku;
	int has_eku;		/* an EKU extension is present */
	char *sha1;		/* 40 upper-case hex */
	char *sha256;		/* 64 upper-case hex */
};

/* Fills *info (all fields owned; crt_info_release frees them). */
void crt_info_get(const struct crt_cert *c, time_t now, struct crt_info *info);
/*
 * The same without the key: key_type and key_curve NULL, key_bits 0 (for
 * an output that shows no key: decoding the key is most of what a lite
 * certificate costs); crt_info_key fills them in afterwards.
 */
void crt_info_get_nokey(const struct crt_cert *c, time_t now, struct crt_info *info);
void crt_info_key(const struct crt_cert *c, struct crt_info *info);
void crt_info_release(struct crt_info *info);

/*
 * Signature algorithm name (OpenSSL's long name, "sha256WithRSAEncryption";
 * the dotted OID when OpenSSL has no name) and dotted OID of any X509
 * (chain members too), cut to the buffers with "..." at the end (so a cut
 * OID never equals a real one); crt_info has them whole.
 */
void crt_sigalg(const X509 *x, char *name, size_t namelen, char *oid, size_t oidlen);

/*
 * The NID of a signature algorithm by the name Windows shows for it (the
 * certificate dialog's "Signature algorithm", certutil: sha1RSA, sha256RSA,
 * sha384RSA, sha512RSA, md5RSA, md2RSA, sha1ECDSA, sha256ECDSA, sha384ECDSA,
 * sha512ECDSA, sha1DSA; any case), NID_undef for any other text.
 */
int crt_sigalg_windows_nid(const char *name);

#endif
