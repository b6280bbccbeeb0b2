/*
 * Unit tests: key pairs generated on the token (pkcs11/keygen.c), against a
 * private copy of the fixture tokens (SOFTHSM2_CONF pointed at $WORK before
 * any module loads), and through the fault module tests/p11fault for a
 * token that fails while generating.
 *
 * Needs FIX and WORK, as tests/run.sh sets them; without them every test is
 * skipped.  The fault module is $P11FAULT, else $BUILD/tests/p11fault.so.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/objects.h>

#include "../../common/util.h"
#include "../../pkcs11/p11.h"

static char *pinpath;		/* the private copy's edge.pin */
static char softhsm[1024];
static char faultmod[1024];
static int ready;

static void
need_tokens(void)
{
	if (!ready)
		skip();
}

static struct p11_ctx *
ctx_with(const char *module, int rw)
{
	struct p11_ctx *ctx = NULL;
	struct cr_err err;

	assert_int_equal(p11_ctx_new(&ctx, &err), CR_OK);
	if (p11_ctx_add_token_conf(ctx, "pkcs11:token=edge", module, pinpath, &err) != CR_OK)
		fail_msg("%s", err.msg);
	p11_ctx_set_read_write(ctx, rw);
	return ctx;
}

static struct p11_token *
edge(struct p11_ctx *ctx)
{
	struct p11_uri *u = NULL;
	struct p11_token **v = NULL, *t;
	struct cr_err err;
	size_t n = 0;

	assert_int_equal(p11_uri_parse("pkcs11:token=edge", NULL, &u, &err), CR_OK);
	if (p11_find_tokens(ctx, u, &v, &n, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(n, 1);
	t = v[0];
	free(v);
	p11_uri_free(u);
	return t;
}

/* Private keys `uri` names on the token (a fresh listing each time). */
static size_t
count_keys(struct p11_ctx *ctx, const char *uri)
{
	struct p11_uri *u = NULL;
	struct p11_key_obj **k = NULL;
	struct cr_err err;
	size_t n = 0;

	assert_int_equal(p11_uri_parse(uri, NULL, &u, &err), CR_OK);
	if (p11_find_keys(ctx, u, &k, &n, &err) != CR_OK)
		fail_msg("%s", err.msg);
	free(k);
	p11_uri_free(u);
	return n;
}

/* A signature p11_key_sign makes with key (digest md) verifies with pub. */
static void
assert_signs(struct p11_key_obj *key, const EVP_MD *md, EVP_PKEY *pub)
{
	static const unsigned char msg[] = "a certification request info";
	EVP_MD_CTX *v = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t siglen = 0;
	struct cr_err err;

	if (p11_key_sign(key, md, msg, sizeof(msg), &sig, &siglen, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_non_null(v);
	assert_int_equal(EVP_DigestVerifyInit(v, NULL, md, NULL, pub), 1);
	assert_int_equal(EVP_DigestVerify(v, sig, siglen, msg, sizeof(msg)), 1);
	/* another message: the signature is of this one */
	assert_int_equal(EVP_DigestVerifyInit(v, NULL, md, NULL, pub), 1);
	assert_int_not_equal(EVP_DigestVerify(v, sig, siglen, msg, sizeof(msg) - 1), 1);
	EVP_MD_CTX_free(v);
	free(sig);
}

/* The certificate labelled mail-2026 on the fixture token (its key: CKA_ID 20). */
static X509 *
mail2026(struct p11_ctx *ctx)
{
	struct p11_uri *u = NULL;
	struct p11_cert_obj **c = NULL;
	struct cr_err err;
	size_t n = 0;
	X509 *x;

	assert_int_equal(p11_uri_parse("pkcs11:token=edge;object=mail-2026;type=cert", NULL, &u,
	    &err), CR_OK);
	if (p11_find_certs(ctx, u, &c, &n, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(n, 1);
	x = c[0]->x509;
	free(c);
	p11_uri_free(u);
	return x;
}

/* RSA and EC pairs: the template as the token kept it, the public key read
 * back, a signature on the token that the public key verifies, then gone. */
static void
test_generate(void **state)
{
	static const unsigned char id_rsa[] = { 0x5e, 0x01 }, id_ec[] = { 0x5e, 0x02 };
	static const struct {
		enum p11_keygen_alg alg;
		unsigned long bits;
		int nid;
		const unsigned char *id;
		const char *label, *uri, *type;
	} t[] = {
		{ P11_KEYGEN_RSA, 2048, NID_undef, id_rsa, "keygen-rsa",
		  "pkcs11:token=edge;object=keygen-rsa;id=%5e%01;type=private", "RSA" },
		{ P11_KEYGEN_EC, 0, NID_secp384r1, id_ec, "keygen-ec",
		  "pkcs11:token=edge;object=keygen-ec;id=%5e%02;type=private", "EC" },
	};
	size_t i;

	(void)state;
	need_tokens();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct p11_ctx *ctx = ctx_with(softhsm, 1);
		struct p11_token *tok = edge(ctx);
		struct p11_keygen kg = { t[i].alg, t[i].bits, t[i].nid, t[i].id, 2, t[i].label };
		struct p11_newkey *nk = NULL, *again;
		struct p11_key_obj *before = NULL, *listed = NULL, *found = NULL;
		size_t nbefore = 0, nafter = 0;
		X509 *cert;
		struct cr_err err;

		/* keys searched and listed before: looked up again after */
		assert_int_equal(count_keys(ctx, t[i].uri), 0);
		assert_int_equal(p11_token_login(tok, NULL, 1, &err), CR_OK);
		assert_int_equal(p11_token_keys(tok, &before, &nbefore, &err), CR_OK);
		cert = mail2026(ctx);
		assert_int_equal(p11_key_for_cert(tok, cert, NULL, 0, &found, &err), CR_OK);
		assert_non_null(found);
		if (p11_token_generate_key(tok, &kg, &nk, &err) != CR_OK)
			fail_msg("%s", err.msg);
		/* what was handed out before stays valid and still signs */
		assert_string_equal(found->label, "mail-2026");
		if (p11_key_test_sign(found, cert, &err) != CR_OK)
			fail_msg("%s", err.msg);
		/* the listing is read again: one key more, the new one in it; the
		   certificate's key is found in the new listing */
		assert_int_equal(p11_token_keys(tok, &listed, &nafter, &err), CR_OK);
		assert_int_equal(nafter, nbefore + 1);
		assert_ptr_not_equal(listed, before);
		found = NULL;
		assert_int_equal(p11_key_for_cert(tok, cert, NULL, 0, &found, &err), CR_OK);
		assert_non_null(found);
		assert_true(found >= listed && found < listed + nafter);
		if (p11_key_test_sign(found, cert, &err) != CR_OK)
			fail_msg("%s", err.msg);
		assert_int_equal(nk->flags.token, 1);
		assert_int_equal(nk->flags.private_, 1);
		assert_int_equal(nk->flags.sensitive, 1);
		assert_int_equal(nk->flags.extractable, 0);
		assert_int_equal(nk->flags.always_sensitive, 1);
		assert_int_equal(nk->flags.never_extractable, 1);
		assert_int_equal(nk->flags.local, 1);
		assert_int_equal(nk->flags.sign, 1);
		assert_int_not_equal(nk->flags.decrypt, 1);
		assert_int_not_equal(nk->flags.unwrap, 1);
		assert_int_not_equal(nk->flags.derive, 1);
		assert_string_equal(nk->key->label, t[i].label);
		assert_int_equal(nk->key->sensitive, 1);
		assert_int_equal(nk->key->extractable, 0);
		assert_true(EVP_PKEY_is_a(nk->pub, t[i].type));
		if (t[i].alg == P11_KEYGEN_RSA)
			assert_int_equal(EVP_PKEY_get_bits(nk->pub), 2048);
		else
			assert_int_equal(EVP_PKEY_get_bits(nk->pub), 384);
		assert_int_equal(count_keys(ctx, t[i].uri), 1);
		/* the key signs on the token; the public key read back verifies */
		assert_signs(nk->key, EVP_sha256(), nk->pub);
		assert_signs(nk->key, EVP_sha384(), nk->pub);
		assert_signs(nk->key, EVP_sha1(), nk->pub);
		/* the same id or label again: refused, naming what holds it */
		again = NULL;
		assert_int_equal(p11_token_generate_key(tok, &kg, &again, &err), CR_EBLOCK);
		assert_null(again);
		assert_int_equal(err.reason, CR_R_OBJECT_EXISTS);
		assert_non_null(strstr(err.msg, "already holds a"));
		/* discarded: both objects gone */
		if (p11_newkey_discard(nk, &err) != CR_OK)
			fail_msg("%s", err.msg);
		assert_int_equal(count_keys(ctx, t[i].uri), 0);
		p11_newkey_free(nk);
		p11_ctx_free(ctx);
		/* and gone for another process too: the pair can be made again */
		ctx = ctx_with(softhsm, 1);
		tok = edge(ctx);
		assert_int_equal(p11_token_login(tok, NULL, 1, &err), CR_OK);
		nk = NULL;
		if (p11_token_generate_key(tok, &kg, &nk, &err) != CR_OK)
			fail_msg("%s", err.msg);
		assert_int_equal(p11_newkey_discard(nk, &err), CR_OK);
		p11_newkey_free(nk);
		p11_ctx_free(ctx);
	}
}

/* Refusals change nothing and say why. */
static void
test_refusals(void **state)
{
	static const unsigned char id20[] = { 0x20 }, idnew[] = { 0x5e, 0x10 };
	static const struct {
		const unsigned char *id;
		const char *label;
		unsigned long bits;
		const char *want;
		int status, reason;
	} t[] = {
		{ id20, "keygen-fresh", 2048, "with CKA_ID 20 ('mail-2026'): not generated",
		  CR_EBLOCK, CR_R_OBJECT_EXISTS },
		{ idnew, "mail-2025", 2048, "labelled 'mail-2025' (CKA_ID 10): not generated",
		  CR_EBLOCK, CR_R_OBJECT_EXISTS },
		{ idnew, "keygen-fresh", 1u << 20, "token 'edge' cannot generate RSA keys of "
		  "1048576 bits (CKM_RSA_PKCS_KEY_PAIR_GEN: ", CR_EENV, CR_R_TOKEN },
	};
	struct p11_ctx *ctx;
	struct p11_token *tok;
	struct p11_newkey *nk = NULL;
	struct cr_err err;
	size_t i, before;

	(void)state;
	need_tokens();
	ctx = ctx_with(softhsm, 1);
	tok = edge(ctx);
	before = count_keys(ctx, "pkcs11:token=edge;type=private");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct p11_keygen kg = { P11_KEYGEN_RSA, t[i].bits, NID_undef, t[i].id, t[i].id == id20 ?
		    1 : 2, t[i].label };

		cr_err_clear(&err);
		assert_int_equal(p11_token_generate_key(tok, &kg, &nk, &err), t[i].status);
		assert_null(nk);
		if (strstr(err.msg, t[i].want) == NULL || (int)err.reason != t[i].reason)
			fail_msg("case %zu: '%s' (%s)", i, err.msg, cr_reason_name(err.reason));
	}
	assert_int_equal(count_keys(ctx, "pkcs11:token=edge;type=private"), before);
	p11_ctx_free(ctx);

	/* logged in read-only: refused before anything */
	ctx = ctx_with(softhsm, 0);
	tok = edge(ctx);
	assert_int_equal(p11_token_login(tok, NULL, 0, &err), CR_OK);
	{
		struct p11_keygen kg = { P11_KEYGEN_RSA, 2048, NID_undef, idnew, 2, "keygen-ro" };

		assert_int_equal(p11_token_generate_key(tok, &kg, &nk, &err), CR_EENV);
		assert_int_equal(err.reason, CR_R_LOGIN);
		assert_non_null(strstr(err.msg, "not logged in with a read-write session"));
		kg.label = "";
		assert_int_equal(p11_token_generate_key(tok, &kg, &nk, &err), CR_EINPUT);
	}
	p11_ctx_free(ctx);
}

/* The token fails while generating: the failure in words, nothing left. */
static void
test_fault(void **state)
{
	static const unsigned char id[] = { 0x5e, 0x20 };
	struct p11_ctx *ctx;
	struct p11_token *tok;
	struct p11_newkey *nk = NULL;
	struct p11_keygen kg = { P11_KEYGEN_EC, 0, NID_X9_62_prime256v1, id, 2, "keygen-fault" };
	struct cr_err err;

	(void)state;
	need_tokens();
	if (access(faultmod, R_OK) != 0)
		skip();
	setenv("P11FAULT_FAIL", "C_GenerateKeyPair:1,C_Sign:1", 1);
	ctx = ctx_with(faultmod, 1);
	tok = edge(ctx);
	assert_int_equal(p11_token_login(tok, NULL, 1, &err), CR_OK);
	assert_int_equal(p11_token_generate_key(tok, &kg, &nk, &err), CR_EENV);
	assert_null(nk);
	assert_string_equal(err.msg, "cannot generate the key pair 'keygen-fault' (CKA_ID 5E20) "
	    "on token 'edge': CKR_DEVICE_ERROR");
	assert_int_equal(count_keys(ctx, "pkcs11:token=edge;object=keygen-fault"), 0);
	/* the second call passes: made, then discarded */
	if (p11_token_generate_key(tok, &kg, &nk, &err) != CR_OK)
		fail_msg("%s", err.msg);
	/* a signature the token refuses: in words, nothing handed back */
	{
		unsigned char *sig = (unsigned char *)"x";
		size_t siglen = 1;

		assert_int_equal(p11_key_sign(nk->key, EVP_sha256(), id, sizeof(id), &sig, &siglen,
		    &err), CR_EENV);
		assert_null(sig);
		assert_int_equal(siglen, 0);
		assert_string_equal(err.msg, "cannot sign with key 'keygen-fault' on token 'edge': "
		    "CKR_DEVICE_ERROR");
	}
	assert_signs(nk->key, EVP_sha256(), nk->pub);
	assert_int_equal(p11_newkey_discard(nk, &err), CR_OK);
	p11_newkey_free(nk);
	p11_ctx_free(ctx);
	unsetenv("P11FAULT_FAIL");
}

/* A private copy of the fixture tokens, so that nothing here touches the
 * fixtures other tests share. */
static int
private_tokens(void)
{
	const char *fix = getenv("FIX"), *work = getenv("WORK");
	char *cmd, *conf, *dir;
	FILE *f;
	int ok;

	if (fix == NULL || *fix == '\0' || work == NULL || *work == '\0')
		return 0;
	dir = cr_xasprintf("%s/keygen-tokens", work);
	cmd = cr_xasprintf("rm -rf '%s' && cp -a '%s/tokens' '%s'", dir, fix, dir);
	ok = system(cmd) == 0;
	free(cmd);
	conf = cr_xasprintf("%s/softhsm2.conf", work);
	if (ok && (f = fopen(conf, "w")) != NULL) {
		fprintf(f, "directories.tokendir = %s/\nobjectstore.backend = file\n"
		    "log.level = ERROR\nslots.removable = false\n", dir);
		ok = fclose(f) == 0;
		setenv("SOFTHSM2_CONF", conf, 1);
	} else {
		ok = 0;
	}
	pinpath = cr_xasprintf("%s/edge.pin", fix);
	free(conf);
	free(dir);
	return ok;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_fault),
	};
	const char *s, *build;
	int r;

	s = getenv("SOFTHSM_MODULE");
	snprintf(softhsm, sizeof(softhsm), "%s", s && *s ? s : "/usr/lib/softhsm/libsofthsm2.so");
	s = getenv("P11FAULT");
	build = getenv("BUILD");
	if (s != NULL && *s != '\0')
		snprintf(faultmod, sizeof(faultmod), "%s", s);
	else
		snprintf(faultmod, sizeof(faultmod), "%s/tests/p11fault.so",
		    build && *build ? build : "build");
	setenv("P11FAULT_MODULE", softhsm, 1);
	ready = private_tokens();
	r = cmocka_run_group_tests_name("p11keygen", tests, NULL, NULL);
	free(pinpath);
	return r;
}
