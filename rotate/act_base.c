/*
 * act_base.c - what every action shares (act.h): its report, the places of
 * the archive, a certificate with its chain in order, and doing nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "act.h"
#include "act_int.h"
#include "../common/util.h"

void
act_out_put(struct act_out *o, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < o->ndata; i++)
		if (strcmp(o->key[i], key) == 0) {
			free(o->value[i]);
			o->value[i] = cr_xstrdup(value != NULL ? value : "");
			return;
		}
	if (o->ndata >= ACT_DATA_MAX)
		return;
	o->key[o->ndata] = (char *)key;
	o->value[o->ndata++] = cr_xstrdup(value != NULL ? value : "");
}

void
act_out_detail(struct act_out *o, const char *fmt, ...)
{
	va_list ap;

	free(o->detail);
	va_start(ap, fmt);
	if (vasprintf(&o->detail, fmt, ap) < 0)
		o->detail = NULL;
	va_end(ap);
}

void
act_out_release(struct act_out *o)
{
	size_t i;

	if (o == NULL)
		return;
	free(o->detail);
	for (i = 0; i < o->ndata; i++)
		free(o->value[i]);
	memset(o, 0, sizeof(*o));
}

int
act_nothing(struct act_ctx *a, size_t step, struct act_out *out, struct cr_err *err)
{
	(void)a;
	(void)step;
	(void)err;
	act_out_detail(out, "nothing to do (retire = keep: the old certificate stays)");
	return CR_OK;
}

const char *
act_jid(const struct act_ctx *a, size_t step)
{
	return a->jid != NULL ? a->jid[step] : a->p->steps[step].id;
}

char *
act_archive_step_dir(const struct plan_config *cfg, const char *step_id)
{
	const char *p = step_id;

	while (*p >= '0' && *p <= '9')
		p++;
	return cr_xasprintf("%s/%s", cfg->rotation.archive_dir,
	    p > step_id && *p == '-' ? p + 1 : step_id);
}

char *
act_archive_retired(const struct plan_config *cfg, const char *old_sha256_hex, const char *ext)
{
	char hex[65];
	size_t i;

	/* upper case, as every fingerprint certrotate prints */
	for (i = 0; i < 64 && old_sha256_hex[i] != '\0'; i++)
		hex[i] = (char)(old_sha256_hex[i] >= 'a' && old_sha256_hex[i] <= 'f' ?
		    old_sha256_hex[i] - 'a' + 'A' : old_sha256_hex[i]);
	hex[i] = '\0';
	return cr_xasprintf("%s/old-%s.%s", cfg->rotation.archive_dir, hex, ext);
}

/* Whether x is self-signed (an anchor: not part of a chain a service sends). */
static int
self_signed(X509 *x)
{
	return X509_check_issued(x, x) == X509_V_OK;
}

/* The issuer of x among the pools, or NULL. */
static X509 *
issuer_in(X509 *x, STACK_OF(X509) *const *pools, size_t npools)
{
	size_t p;
	int i;

	for (p = 0; p < npools; p++)
		for (i = 0; pools[p] != NULL && i < sk_X509_num(pools[p]); i++) {
			X509 *c = sk_X509_value(pools[p], i);

			if (X509_cmp(c, x) != 0 && X509_check_issued(c, x) == X509_V_OK)
				return c;
		}
	return NULL;
}

static STACK_OF(X509) *
list_stack(const struct crt_list *l)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	size_t i;

	for (i = 0; l != NULL && i < l->n; i++)
		sk_X509_push(sk, l->v[i]->x509);
	return sk;
}

STACK_OF(X509) *
act_chain(const struct plan_inputs *in, const struct crt_cert *c)
{
	STACK_OF(X509) *out = sk_X509_new_null(), *chain = NULL, *trust = NULL;
	STACK_OF(X509) *pools[3];
	X509 *x = c->x509, *up;
	int depth = 0;

	chain = list_stack(in != NULL ? &in->chain : NULL);
	trust = list_stack(in != NULL ? &in->trust : NULL);
	pools[0] = c->chain;
	pools[1] = chain;
	pools[2] = trust;
	/* the leaf's issuer, its issuer..., up to an anchor (left out) */
	while (depth++ < 10 && (up = issuer_in(x, pools, 3)) != NULL && !self_signed(up)) {
		X509_up_ref(up);
		sk_X509_push(out, up);
		x = up;
	}
	sk_X509_free(chain);
	sk_X509_free(trust);
	return out;
}

char *
act_pem(X509 *leaf, STACK_OF(X509) *chain, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *s;
	long n;
	int i;

	PEM_write_bio_X509(b, leaf);
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		PEM_write_bio_X509(b, sk_X509_value(chain, i));
	n = BIO_get_mem_data(b, &data);
	s = cr_xstrndup(data, (size_t)n);
	*len = (size_t)n;
	BIO_free(b);
	return s;
}
