/*
 * chain.h - how a sequence of certificates hangs together: which one is the
 * leaf, whether each is issued by the next, and whether the sequence
 * reaches a trust anchor.  For a file's certificates (file.layout), a
 * source whose chain comes before its leaf (the planner, new.load), what
 * an endpoint serves (endpoint.chain) and what `inspect` shows.
 *
 * "Issued by" is X509_check_issued: the issuer's subject is the
 * certificate's issuer name (and the key identifiers agree), not a
 * signature verification: a chain is judged by its shape here; new.chain
 * verifies the new certificate's path.
 */
#ifndef CRT_CHAIN_H
#define CRT_CHAIN_H

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "cert.h"

/*
 * The index of the leaf among certs[0..n): the one certificate that issued
 * none of the others, or -1 (none, or several: two leaves).  A single
 * certificate is its own leaf (0).
 */
int crt_certs_leaf(STACK_OF(X509) *certs);

/*
 * When c's certificates (its leaf, then its chain, as the source gave them)
 * come chain first - the leaf is a certificate that issued another of them,
 * and exactly one of them issued none - a new crt_cert with that one as
 * the leaf and the others, in their order, as its chain (same source;
 * digests of the real leaf), and *why (new string) saying what was wrong:
 * "'new.pem' holds its chain before its leaf: the first certificate
 * 'CN=Contoso Issuing CA 1, ...' is a CA certificate: put the leaf
 * 'CN=mail.contoso.com, ...' (certificate 2) first".  Else NULL and *why
 * NULL.  Token objects are left alone (NULL).
 */
struct crt_cert *crt_cert_leaf_first(const struct crt_cert *c, char **why);

/* What crt_chain_judge finds. */
struct crt_chain_verdict {
	int n;			/* certificates given */
	int ordered;		/* each issued by the next (the leaf first) */
	int complete;		/* the last one is self-signed, or an anchor issued it */
	int anchored;		/* ... an anchor (not given) issued it */
	int self_signed_last;	/* the last one is self-signed (a root was sent) */
	char *problem;		/* for people, NULL when ordered and complete (owned):
				   "only the leaf is served: its issuer 'CN=..' is neither
				   served nor an anchor in trust", "certificate 2 'CN=..'
				   is not issued by certificate 3 'CN=..'" */
	char *summary;		/* "3 certificates, in order, up to the anchor 'CN=..'" (owned) */
};

/*
 * Judges a chain as sent or stored (the leaf first) against the anchors of
 * `store` (NULL: the system's default store).  The certificates are not
 * verified (dates, signatures, purposes): only whether each is issued by
 * the next and the last is self-signed or issued by an anchor.  `what`
 * names the chain in problems ("served", "in the file").  Release *v with
 * crt_chain_verdict_release.
 */
void crt_chain_judge(STACK_OF(X509) *certs, X509_STORE *store, const char *what,
    struct crt_chain_verdict *v);
void crt_chain_verdict_release(struct crt_chain_verdict *v);

/* A new X509_STORE of `anchors` (may be NULL or empty: the system's default paths). */
X509_STORE *crt_anchor_store(STACK_OF(X509) *anchors);

#endif
