/*
 * inspect_chain.c - what `inspect` shows beside SPEC 3.3's fields: key
 * usage, basic constraints, and the chain a file or an endpoint carries -
 * each certificate's subject, issuer and SHA-1 in the order given, the
 * self-signed ones marked, and whether the chain is in order (the leaf
 * first, each certificate issued by the next) and complete (up to a root,
 * or to an anchor of the system's store).  cmd_inspect.c calls these.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "inspect.h"
#include "../common/utf8.h"
#include "../common/util.h"
#include "../cert/chain.h"
#include "../cert/dn.h"
#include "../cert/ext.h"

/* The certificates a source carries: the leaf, then the rest in the source's order. */
static STACK_OF(X509) *
carried(const struct crt_cert *c)
{
	STACK_OF(X509) *all = sk_X509_new_null();
	int i;

	sk_X509_push(all, c->x509);
	for (i = 0; c->chain != NULL && i < sk_X509_num(c->chain); i++)
		sk_X509_push(all, sk_X509_value(c->chain, i));
	return all;
}

static char *
sha1_of(X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	X509_digest(x, EVP_sha1(), md, &len);
	return cr_hex_upper(md, len);
}

static int
self_signed(X509 *x)
{
	return X509_check_issued(x, x) == X509_V_OK;
}

/* One certificate of a chain as inspect shows it. */
struct member {
	char *subject, *issuer, *sha1;
	int self_signed;
};

static void
member_get(X509 *x, struct member *m)
{
	m->subject = crt_dn_render(X509_get_subject_name(x));
	m->issuer = crt_dn_render(X509_get_issuer_name(x));
	m->sha1 = sha1_of(x);
	m->self_signed = self_signed(x);
}

static void
member_release(struct member *m)
{
	free(m->subject);
	free(m->issuer);
	free(m->sha1);
}

/* Chains are shown for what a file or an endpoint carries, not for token objects. */
static int
has_chain(const struct crt_cert *c)
{
	return c->token == NULL;
}

/*
 * The verdict on what c carries; `what` words the problems ("served" for an
 * endpoint, "in the file").  A leaf the chain comes before is said first.
 */
static void
judge(const struct crt_cert *c, STACK_OF(X509) *all, X509_STORE *store,
    struct crt_chain_verdict *v)
{
	int tls = c->source != NULL && strncmp(c->source, "tls://", 6) == 0;
	int leaf = crt_certs_leaf(all);

	crt_chain_judge(all, store, tls ? "served" : "in the file", v);
	if (leaf > 0) {
		char *ln = crt_dn_render(X509_get_subject_name(sk_X509_value(all, leaf)));
		char *p = cr_xasprintf("misordered: the chain comes before the leaf '%s' "
		    "(certificate %d): the leaf must come first", ln, leaf + 1);

		free(v->problem);
		v->problem = p;
		free(ln);
	}
}

void
rot_inspect_text(const struct crt_cert *c, X509_STORE *store)
{
	struct crt_chain_verdict v;
	struct crt_ext e;
	STACK_OF(X509) *all;
	size_t k;
	int i;

	crt_ext_get(c->x509, &e);
	printf("  %-21s", "key usage:");
	if (!e.has_ku)
		fputs("(no extension: any)", stdout);
	for (k = 0; k < e.nku; k++)
		printf("%s%s", k ? ", " : "", e.ku[k]);
	putchar('\n');
	if (!e.has_bc)
		printf("  %-21s%s\n", "basic constraints:", "(no extension)");
	else if (e.ca && e.pathlen >= 0)
		printf("  %-21sCA:TRUE, pathlen %ld\n", "basic constraints:", e.pathlen);
	else
		printf("  %-21s%s\n", "basic constraints:", e.ca ? "CA:TRUE" : "CA:FALSE");
	if (!has_chain(c))
		return;
	all = carried(c);
	judge(c, all, store, &v);
	printf("  %-21s%s%s%s\n", "chain:", v.summary, v.problem ? ": " : "",
	    v.problem ? v.problem : "");
	for (i = 0; i < sk_X509_num(all); i++) {
		struct member m;

		member_get(sk_X509_value(all, i), &m);
		printf("    %d  %s%s\n       issuer %s\n       SHA-1 %s\n", i + 1, m.subject,
		    m.self_signed ? " (self-signed)" : "", m.issuer, m.sha1);
		member_release(&m);
	}
	crt_chain_verdict_release(&v);
	sk_X509_free(all);
}

void
rot_inspect_json(struct json_object *o, const struct crt_cert *c, X509_STORE *store)
{
	struct json_object *a, *st, *bc;
	struct crt_chain_verdict v;
	struct crt_ext e;
	STACK_OF(X509) *all;
	size_t k;
	int i;

	crt_ext_get(c->x509, &e);
	a = e.has_ku ? json_object_new_array() : NULL;
	for (k = 0; k < e.nku; k++)
		json_object_array_add(a, cr_json_str(e.ku[k]));
	json_object_object_add(o, "key_usage", a);
	bc = NULL;
	if (e.has_bc) {
		bc = json_object_new_object();
		json_object_object_add(bc, "ca", json_object_new_boolean(e.ca));
		json_object_object_add(bc, "path_len", e.pathlen >= 0 ?
		    json_object_new_int64(e.pathlen) : NULL);
	}
	json_object_object_add(o, "basic_constraints", bc);
	if (!has_chain(c))
		return;
	all = carried(c);
	judge(c, all, store, &v);
	a = json_object_new_array();
	for (i = 0; i < sk_X509_num(all); i++) {
		struct json_object *jm = json_object_new_object();
		struct member m;

		member_get(sk_X509_value(all, i), &m);
		json_object_object_add(jm, "subject", cr_json_str(m.subject));
		json_object_object_add(jm, "issuer", cr_json_str(m.issuer));
		json_object_object_add(jm, "sha1", cr_json_str(m.sha1));
		json_object_object_add(jm, "self_signed", json_object_new_boolean(m.self_signed));
		json_object_array_add(a, jm);
		member_release(&m);
	}
	json_object_object_add(o, "chain", a);
	st = json_object_new_object();
	json_object_object_add(st, "count", json_object_new_int(v.n));
	json_object_object_add(st, "ordered", json_object_new_boolean(v.ordered &&
	    crt_certs_leaf(all) <= 0));
	json_object_object_add(st, "complete", json_object_new_boolean(v.complete));
	json_object_object_add(st, "problem", v.problem ? cr_json_str(v.problem) : NULL);
	json_object_object_add(o, "chain_status", st);
	crt_chain_verdict_release(&v);
	sk_X509_free(all);
}
