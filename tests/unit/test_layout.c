/*
 * Unit tests: what a certificate file holds and in what order
 * (cert/layout.c) - every layout a service reads (leaf, leaf + chain,
 * haproxy's combined PEM with the key first or last, a key alone, DER, a
 * chain written before its leaf), and the new material composed back in
 * the same layout.  Certificates are built in memory (testcert.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "../../cert/layout.h"
#include "../../common/util.h"
#include "testcert.h"

static EVP_PKEY *root_key, *ca_key, *leaf_key, *new_key;
static X509 *root, *ca, *leaf, *new_leaf;

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
	new_key = tc_key(1);
	root = tc_cert(&rs, root_key, NULL, root_key);
	ca = tc_cert(&cs, ca_key, root, root_key);
	leaf = tc_cert(&ls, leaf_key, ca, ca_key);
	new_leaf = tc_cert(&ls, new_key, ca, ca_key);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(root);
	X509_free(ca);
	X509_free(leaf);
	X509_free(new_leaf);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(new_key);
	return 0;
}

/* PEM of the blocks named by `spec`: L leaf, C issuing CA, R root, K leaf key, N new leaf. */
static char *
pem_of(const char *spec)
{
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *m;
	char *s;

	for (; *spec; spec++) {
		switch (*spec) {
		case 'L': PEM_write_bio_X509(b, leaf); break;
		case 'N': PEM_write_bio_X509(b, new_leaf); break;
		case 'C': PEM_write_bio_X509(b, ca); break;
		case 'R': PEM_write_bio_X509(b, root); break;
		case 'K': PEM_write_bio_PrivateKey(b, leaf_key, NULL, NULL, 0, NULL, NULL); break;
		default: fail_msg("bad spec '%c'", *spec);
		}
	}
	BIO_get_mem_ptr(b, &m);
	s = m->length > 0 ? cr_xstrndup(m->data, m->length) : cr_xstrdup("");
	BIO_free(b);
	return s;
}

/* Every layout: its shape, order, leaf and whether it is in order. */
static void
test_shapes(void **state)
{
	static const struct {
		const char *spec;
		enum crt_shape shape;
		const char *order;
		int leaf;		/* crt_layout_leaf */
		int ordered;
		const char *why;	/* in the reason when not ordered */
	} t[] = {
		{ "L", CRT_SHAPE_LEAF, "leaf", 0, 1, NULL },
		{ "LC", CRT_SHAPE_CHAIN, "leaf, chain", 0, 1, NULL },
		{ "LCR", CRT_SHAPE_CHAIN, "leaf, chain", 0, 1, NULL },
		{ "LK", CRT_SHAPE_LEAF_KEY, "leaf, key", 0, 1, NULL },
		{ "KL", CRT_SHAPE_LEAF_KEY, "key, leaf", 0, 1, NULL },
		{ "LCK", CRT_SHAPE_CHAIN_KEY, "leaf, chain, key", 0, 1, NULL },
		{ "KLC", CRT_SHAPE_CHAIN_KEY, "key, leaf, chain", 0, 1, NULL },
		{ "K", CRT_SHAPE_KEY, "key", -1, 1, NULL },
		{ "", CRT_SHAPE_NONE, "nothing", -1, 1, NULL },
		/* the chain before the leaf: the leaf is the one that issued nothing */
		{ "CL", CRT_SHAPE_CHAIN, "chain, leaf", 1, 0,
		  "the first certificate 'CN=Contoso Issuing CA 1, O=Contoso, C=US' is a CA "
		  "certificate the file's chain goes through, not the leaf: the leaf "
		  "'CN=mail.contoso.com, O=Contoso, C=US' (certificate 2) must come first" },
		{ "RCL", CRT_SHAPE_CHAIN, "chain, leaf", 2, 0, "(certificate 3) must come first" },
		{ "KCL", CRT_SHAPE_CHAIN_KEY, "key, chain, leaf", 1, 0, "must come first" },
		/* the leaf first, the root before the issuing CA */
		{ "LRC", CRT_SHAPE_CHAIN, "leaf, chain", 0, 0,
		  "certificate 1 'CN=mail.contoso.com, O=Contoso, C=US' is not issued by "
		  "certificate 2 'CN=Contoso Root CA, O=Contoso, C=US'" },
		/* two leaves: none is "the" leaf */
		{ "LN", CRT_SHAPE_CHAIN, "leaf, chain", -1, 0, "is not issued by certificate 2" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *pem = pem_of(t[i].spec), *why = NULL;
		struct crt_layout l;
		struct cr_err err;
		int ord;

		if (crt_layout_parse((unsigned char *)pem, strlen(pem), "f.pem", &l, &err) != CR_OK)
			fail_msg("%s: %s", t[i].spec, err.msg);
		if (crt_layout_shape(&l) != t[i].shape)
			fail_msg("%s: shape %s", t[i].spec, crt_shape_name(crt_layout_shape(&l)));
		assert_string_equal(crt_layout_order(&l), t[i].order);
		if (crt_layout_leaf(&l) != t[i].leaf)
			fail_msg("%s: leaf %d", t[i].spec, crt_layout_leaf(&l));
		ord = crt_layout_ordered(&l, &why);
		assert_int_equal(ord, t[i].ordered);
		if (t[i].why != NULL && (why == NULL || strstr(why, t[i].why) == NULL))
			fail_msg("%s: why '%s'", t[i].spec, why ? why : "(none)");
		assert_int_equal(crt_shape_has_key(t[i].shape), strchr(t[i].spec, 'K') != NULL);
		if (strchr(t[i].spec, 'K') != NULL)
			assert_non_null(l.key);
		crt_layout_drop_key(&l);
		assert_null(l.key);
		free(why);
		free(pem);
		crt_layout_release(&l);
	}
}

/* A DER certificate is a leaf; other bytes are nothing; a broken certificate block fails. */
static void
test_der_and_garbage(void **state)
{
	unsigned char *der = NULL;
	int n = i2d_X509(leaf, &der);
	const char *broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	struct crt_layout l;
	struct cr_err err;

	(void)state;
	assert_int_equal(crt_layout_parse(der, (size_t)n, "f.der", &l, &err), CR_OK);
	assert_int_equal(crt_layout_shape(&l), CRT_SHAPE_LEAF);
	assert_true(l.der);
	assert_string_equal(crt_layout_order(&l), "DER leaf");
	crt_layout_release(&l);
	assert_int_equal(crt_layout_parse((const unsigned char *)"hello", 5, "t.txt", &l, &err), CR_OK);
	assert_int_equal(crt_layout_shape(&l), CRT_SHAPE_NONE);
	crt_layout_release(&l);
	assert_int_equal(crt_layout_parse((const unsigned char *)broken, strlen(broken), "b.pem", &l,
	    &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, "'b.pem': certificate 1 does not parse"));
	crt_layout_release(&l);
	assert_int_equal(crt_layout_read("/nonexistent/x.pem", &l, &err), CR_EINPUT);
	assert_true(l.missing);
	crt_layout_release(&l);
	OPENSSL_free(der);
}

/*
 * The new material in the layout of the old file, read back: same shape,
 * same key position, leaf first (a chain-first file is written in order),
 * the new key where the old one was; a key layout without a key file is
 * refused.
 */
static void
test_compose(void **state)
{
	static const struct {
		const char *old;
		const char *want;	/* crt_layout_order of the result */
	} t[] = {
		{ "L", "leaf" }, { "LC", "leaf, chain" }, { "LCK", "leaf, chain, key" },
		{ "KLC", "key, leaf, chain" }, { "LK", "leaf, key" }, { "CL", "leaf, chain" },
		{ "K", "key" },
	};
	STACK_OF(X509) *chain = sk_X509_new_null();
	size_t i;

	(void)state;
	sk_X509_push(chain, ca);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *pem = pem_of(t[i].old), *why = NULL;
		struct crt_layout old, got;
		unsigned char *out;
		size_t len;
		struct cr_err err;

		assert_int_equal(crt_layout_parse((unsigned char *)pem, strlen(pem), "old", &old, &err),
		    CR_OK);
		if (crt_layout_compose(&old, new_leaf, chain, new_key, &out, &len, &err) != CR_OK)
			fail_msg("%s: %s", t[i].old, err.msg);
		assert_int_equal(crt_layout_parse(out, len, "new", &got, &err), CR_OK);
		assert_string_equal(crt_layout_order(&got), t[i].want);
		assert_true(crt_layout_ordered(&got, &why));
		if (got.ncerts > 0)
			assert_int_equal(X509_cmp(sk_X509_value(got.certs, 0), new_leaf), 0);
		if (got.key != NULL)
			assert_int_equal(EVP_PKEY_eq(got.key, new_key), 1);
		crt_layout_release(&got);
		OPENSSL_cleanse(out, len);
		free(out);
		/* a key on a token cannot be written into a file */
		if (crt_shape_has_key(crt_layout_shape(&old))) {
			assert_int_equal(crt_layout_compose(&old, new_leaf, chain, NULL, &out, &len, &err),
			    CR_EINPUT);
			assert_int_equal(err.reason, CR_R_NOT_FOUND);
			assert_null(out);
		}
		crt_layout_release(&old);
		free(pem);
	}
	sk_X509_free(chain);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_der_and_garbage),
		cmocka_unit_test(test_compose),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
