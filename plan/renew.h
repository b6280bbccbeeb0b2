/*
 * renew.h - what `certrotate renew` asks the CA for, decided from the
 * configuration and the old certificate alone: pure (no token, no file), so
 * that every decision is unit-tested.  rotate/renew.c does the rest
 * (the key on the token, the request, the report).
 *
 *  - the names: the union of every service's `names`, which is what the
 *    `names` check will hold the new certificate to - a name one service
 *    uses is never lost because another certificate used to carry it (seed
 *    003: two certificates folded into one keep both names);
 *  - the key type: --key-type, else the old certificate's, and only what
 *    every host's `accepts.key` allows;
 *  - the request's signature algorithm: a digest every host's
 *    `accepts.signature` allows (SHA-256 unless a host says otherwise; SHA-1
 *    only when some host accepts nothing else).  The CA signs the
 *    certificate with its own key and its own choice: the hosts that
 *    constrain it are listed (`honour`) so the request goes to the CA with
 *    what it must do;
 *  - what changes from the old certificate: names dropped, names gained.
 */
#ifndef PLAN_RENEW_H
#define PLAN_RENEW_H

#include <stddef.h>
#include <openssl/x509.h>

#include "config.h"

enum plan_key_alg { PLAN_KEY_RSA = 0, PLAN_KEY_EC };

/* A key type renew can generate on a token. */
struct plan_keytype {
	const char *spec;	/* "rsa:2048", "ec:prime256v1": the --key-type syntax */
	enum plan_key_alg alg;
	int bits;		/* RSA modulus bits; EC field bits */
	const char *curve;	/* EC: OpenSSL's short name of the curve; NULL for RSA */
	int curve_nid;		/* EC: its NID; NID_undef for RSA */
	const char *desc;	/* "RSA 2048", "EC prime256v1": as crt_keyalg_describe says */
};

/* rsa:2048 rsa:3072 rsa:4096 ec:prime256v1 ec:secp384r1, in that order.
 * Static; *n their count. */
const struct plan_keytype *plan_keytypes(size_t *n);

/* --key-type: "rsa:2048", "RSA:3072", "ec:prime256v1", "ec:P-256",
 * "ec:secp384r1", "ec:P-384" (case-insensitive).  Unknown: CR_EINPUT listing
 * the types.  *out static. */
int plan_keytype_parse(const char *text, const struct plan_keytype **out, struct cr_err *err);

/* The key type of x's public key when renew can generate it, else NULL. */
const struct plan_keytype *plan_keytype_of(const X509 *x);

/* 1 when host h's accepts.key allows kt (no accepts.key: anything). */
int plan_host_accepts_key(const struct plan_host *h, const struct plan_keytype *kt);

/* How the key type was chosen. */
enum plan_key_choice {
	PLAN_KEY_ASKED = 0,	/* --key-type */
	PLAN_KEY_AS_OLD,	/* the old certificate's */
	PLAN_KEY_OTHER,		/* the old one could not be kept: the nearest every host allows */
};

/*
 * The key type of the new key.  With `asked` (may be NULL): that one, when
 * every host accepts it, else CR_EBLOCK naming each host that does not and
 * what it accepts.  Without: the old certificate's when renew can generate
 * it and every host accepts it; else, among those every host accepts, the
 * same algorithm first - the next larger size, then the next smaller - then
 * the other algorithm; none: CR_EBLOCK naming the hosts' accepts.key.  *out
 * static.
 */
int plan_renew_keytype(const struct plan_config *cfg, const X509 *old,
    const struct plan_keytype *asked, const struct plan_keytype **out,
    enum plan_key_choice *how, struct cr_err *err);

/*
 * The union of every service's `names`, each once, as the request carries
 * them: ASCII letters lower-cased (DNS names are case-insensitive, RFC 4343;
 * CAs and clients compare them so), one trailing dot dropped, sorted
 * bytewise.  IP addresses ("10.0.0.5", "[2001:db8::5]") go to *ips instead,
 * in their canonical text (inet_ntop), sorted likewise: a SAN holds them as
 * iPAddress entries, not as dNSNames.  A name with bytes outside printable
 * ASCII is CR_EINPUT naming it and its service (the request needs its
 * A-label, "xn--..."); no names at all is CR_EINPUT.  *dns and *ips are new
 * arrays of new strings (plan_renew_strv_free), NULL when empty.
 */
int plan_renew_names(const struct plan_config *cfg, char ***dns, size_t *ndns, char ***ips,
    size_t *nips, struct cr_err *err);
void plan_renew_strv_free(char **v, size_t n);

/* The request's signature algorithm. */
struct plan_sigchoice {
	int md_nid;		/* NID_sha256, NID_sha384, NID_sha512, NID_sha1 */
	int sig_nid;		/* NID_sha256WithRSAEncryption, NID_ecdsa_with_SHA384, ... */
	int sha1;		/* SHA-1: some host accepts no other digest */
	int conflict;		/* no digest every host accepts: the default was taken */
};

/*
 * The first digest of the preference - SHA-256, SHA-384, SHA-512, SHA-1
 * (SHA-384 first for an ec:secp384r1 key) - that every host's
 * accepts.signature allows, paired with kt's algorithm.  A host allows the
 * digests of its entries (sha1WithRSAEncryption and ecdsa-with-SHA1 both
 * allow SHA-1: the CA's key, not this one, signs the certificate); entries
 * without a digest (RSASSA-PSS, Ed25519) and hosts without accepts.signature
 * constrain nothing.
 */
void plan_renew_sigalg(const struct plan_config *cfg, const struct plan_keytype *kt,
    struct plan_sigchoice *out);

/*
 * What changes from the old certificate: *dropped, its SAN's dNSNames and
 * iPAddresses (normalised as above, in its order) that the request does not
 * carry; *gained, the request's names the old certificate does not cover
 * (RFC 6125, cert/names.h: a name its wildcard covered is not gained).  New
 * arrays (plan_renew_strv_free), NULL when empty.
 */
void plan_renew_diff(const X509 *old, char *const *dns, size_t ndns, char *const *ips,
    size_t nips, char ***dropped, size_t *ndropped, char ***gained, size_t *ngained);

/* A host whose accepts.signature the issuing CA must honour. */
struct plan_honour {
	const struct plan_host *host;	/* borrowed */
	int sha1_only;			/* it validates SHA-1 signatures only */
	char *message;			/* for people: what the CA must do, or the host breaks */
};

struct plan_renew {
	char **dns, **ips;		/* the request's names (plan_renew_names) */
	size_t ndns, nips;
	char **dropped, **gained;	/* against the old certificate (plan_renew_diff) */
	size_t ndropped, ngained;
	const struct plan_keytype *key;	/* static */
	enum plan_key_choice key_how;
	char old_key[64];		/* the old certificate's: "RSA 2048" */
	struct plan_sigchoice sig;
	char sig_name[64], sig_oid[64];	/* "sha256WithRSAEncryption", "1.2.840.113549.1.1.11" */
	struct plan_honour *honour;	/* hosts with accepts.signature, by name */
	size_t nhonour;
	char **notes;			/* for people: the key type changed, SHA-1, conflicts */
	size_t nnotes;
};

/*
 * All of the above for `cfg` and the old certificate; asked is --key-type
 * or NULL.  *out NULL on entry; plan_renew_free it.  Fails (nothing
 * allocated) as plan_renew_keytype and plan_renew_names do: CR_EBLOCK when
 * no key type suits every host, CR_EINPUT for names.
 */
int plan_renew_prepare(const struct plan_config *cfg, const X509 *old,
    const struct plan_keytype *asked, struct plan_renew **out, struct cr_err *err);
void plan_renew_free(struct plan_renew *r);	/* accepts NULL */

#endif
