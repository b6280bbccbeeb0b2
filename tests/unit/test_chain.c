/*
 * Unit tests: how a sequence of certificates hangs together (cert/chain.c)
 * - the leaf of a chain written in any order, the verdict on a chain as
 * served or stored (in order, complete up to a root or an anchor, what is
 * wrong), a source taken leaf first - and key usage / basic constraints
 * (cert/ext.c).  Certificates are built in memory (testcert.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../cert/chain.h"
#include "../../cert/ext.h"
#include "../../common/util.h"
#include "testcert.h"

static EVP_PKEY *root_key, *ca_key, *leaf_key;
static X509 *root, *ca, *leaf;

static int
setup(void **state)
{
	struct tc_spec rs = { "/C=US/O=Contoso/CN=Contoso Root CA", NULL, NULL, -86400, 86400 * 3650,
	    NULL, 0, 1 };
	struct tc_spec cs = { "/C=US/O=Contoso/CN=Contoso Issuing CA 1", NULL, NULL, -86400,
	    86400 * 1825, NULL, 0, 1 };
	struct tc_spec ls = { "/C=US/O=Contoso/CN=mail.contoso.com", "DNS:mail.contoso.com",
	    "serverAuth", -86400, 86400 * 365, NULL, 1, 0 };

	(void)state;
	root_key = tc_key(1);
	ca_key = tc_key(1);
	leaf_key = tc_key(1);
	root = tc_cert(&rs, root_key, NULL, root_key);
	ca = tc_cert(&cs, ca_key, root, root_key);
	leaf = tc_cert(&ls, leaf_key, ca, ca_key);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(root);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	return 0;
}

/* L leaf, C issuing CA, R root. */
static STACK_OF(X509) *
seq(const char *spec)
{
	STACK_OF(X509) *s = sk_X509_new_null();

	for (; *spec; spec++)
		sk_X509_push(s, *spec == 'L' ? leaf : *spec == 'C' ? ca : root);
	return s;
}

static void
test_judge(void **state)
{
	static const struct {
		const char *spec;
		int anchor_root;	/* the store holds the root */
		int leaf, ordered, complete;
		const char *summary, *problem;
	} t[] = {
		{ "LC", 1, 0, 1, 1, "2 certificates, in order, up to the anchor 'CN=Contoso Root CA, "
		  "O=Contoso, C=US'", NULL },
		{ "LCR", 0, 0, 1, 1, "3 certificates, in order, ending at a self-signed root", NULL },
		{ "L", 1, 0, 1, 0, "1 certificate, in order", "incomplete: only the leaf is served; its "
		  "issuer 'CN=Contoso Issuing CA 1, O=Contoso, C=US' is neither served nor a trust anchor" },
		{ "LC", 0, 0, 1, 0, "2 certificates, in order", "incomplete: the last certificate served, "
		  "'CN=Contoso Issuing CA 1, O=Contoso, C=US', is issued by 'CN=Contoso Root CA, "
		  "O=Contoso, C=US'" },
		{ "CL", 1, 1, 0, 0, "2 certificates", "out of order: certificate 1 'CN=Contoso Issuing "
		  "CA 1, O=Contoso, C=US' is not issued by certificate 2 'CN=mail.contoso.com" },
		{ "LRC", 1, 0, 0, 1, "3 certificates, up to the anchor", "out of order: certificate 1" },
		{ "R", 0, 0, 1, 1, "1 certificate, in order, ending at a self-signed root", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		STACK_OF(X509) *s = seq(t[i].spec), *anchors = sk_X509_new_null();
		struct crt_chain_verdict v;
		X509_STORE *st;

		/* an anchor that issued none of them stands for "not the system store" */
		sk_X509_push(anchors, t[i].anchor_root ? root : leaf);
		st = crt_anchor_store(anchors);
		assert_int_equal(crt_certs_leaf(s), t[i].leaf);
		crt_chain_judge(s, st, "served", &v);
		if (v.ordered != t[i].ordered || v.complete != t[i].complete ||
		    strstr(v.summary, t[i].summary) == NULL ||
		    (t[i].problem == NULL) != (v.problem == NULL) ||
		    (t[i].problem != NULL && strstr(v.problem, t[i].problem) == NULL))
			fail_msg("%s: ordered %d complete %d summary '%s' problem '%s'", t[i].spec,
			    v.ordered, v.complete, v.summary, v.problem ? v.problem : "(none)");
		crt_chain_verdict_release(&v);
		crt_chain_verdict_release(NULL);
		X509_STORE_free(st);
		sk_X509_free(anchors);
		sk_X509_free(s);
	}
	{
		struct crt_chain_verdict v;

		crt_chain_judge(NULL, NULL, "served", &v);
		assert_int_equal(v.n, 0);
		assert_string_equal(v.problem, "no certificate served");
		crt_chain_verdict_release(&v);
	}
}

/* A source read chain first is taken leaf first, and says so; one in order is left alone. */
static void
test_leaf_first(void **state)
{
	STACK_OF(X509) *rest = sk_X509_new_null();
	struct crt_cert *c, *fixed;
	char *why = NULL;

	(void)state;
	X509_up_ref(ca);
	X509_up_ref(leaf);
	sk_X509_push(rest, leaf);
	c = crt_cert_new(ca, rest, "f.pem");
	fixed = crt_cert_leaf_first(c, &why);
	assert_non_null(fixed);
	assert_int_equal(X509_cmp(fixed->x509, leaf), 0);
	assert_int_equal(sk_X509_num(fixed->chain), 1);
	assert_int_equal(X509_cmp(sk_X509_value(fixed->chain, 0), ca), 0);
	assert_string_equal(fixed->source, "f.pem");
	assert_non_null(strstr(why, "'f.pem' holds its chain before its leaf: the first certificate "
	    "'CN=Contoso Issuing CA 1, O=Contoso, C=US' is a CA certificate: put the leaf "
	    "'CN=mail.contoso.com, O=Contoso, C=US' (certificate 2) first"));
	free(why);
	assert_null(crt_cert_leaf_first(fixed, &why));
	assert_null(why);
	crt_cert_free(fixed);
	crt_cert_free(c);
}

static void
test_ext(void **state)
{
	struct crt_ext e;

	(void)state;
	crt_ext_get(ca, &e);
	assert_true(e.has_bc && e.ca && e.has_ku);
	assert_int_equal(e.nku, 2);
	assert_string_equal(e.ku[0], "keyCertSign");
	assert_string_equal(e.ku[1], "cRLSign");
	crt_ext_get(leaf, &e);
	assert_true(e.has_bc && !e.ca && !e.has_ku);
	assert_int_equal(e.pathlen, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_leaf_first),
		cmocka_unit_test(test_ext),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
