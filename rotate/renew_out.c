/*
 * renew_out.c - the report of `certrotate renew` (renew.h), text and JSON:
 * the decisions of plan/renew.c and the key as the token made it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "renew.h"
#include "../common/util.h"
#include "../common/utf8.h"
#include "../cert/cert.h"
#include "../cert/dn.h"
#include "../cert/json.h"
#include "../plan/config.h"
#include "../plan/renew.h"
#include "../pkcs11/p11.h"

static const char *const key_choice_name[] = {
	[PLAN_KEY_ASKED] = "asked",
	[PLAN_KEY_AS_OLD] = "old",
	[PLAN_KEY_OTHER] = "other",
};

static const char *const key_choice_text[] = {
	[PLAN_KEY_ASKED] = "as asked (--key-type)",
	[PLAN_KEY_AS_OLD] = "as the old certificate",
	[PLAN_KEY_OTHER] = "the old one could not be kept: see notes",
};

/* 1 when the key is what renew asked for: private, sensitive, never
 * extractable, signing only. */
static int
sign_only(const struct p11_key_flags *f)
{
	return f->sign == 1 && f->decrypt != 1 && f->unwrap != 1 && f->derive != 1;
}

static void
print_names(FILE *f, const char *label, char *const *v, size_t n, const char *why)
{
	size_t i;

	if (n == 0)
		return;
	fprintf(f, "  %-10s ", label);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "", v[i]);
	fprintf(f, "%s%s\n", why != NULL ? " " : "", why != NULL ? why : "");
}

static void
print_key(const struct rot_renew_result *r, FILE *f)
{
	const struct p11_key_flags *k = &r->nk->flags;
	char *hex = cr_hex_upper(r->id, r->id_len);

	fprintf(f, "  key        %s\n", r->key_uri);
	fprintf(f, "             label '%s'%s, CKA_ID %s%s\n", r->label,
	    r->label_chosen ? " (chosen)" : "", hex, r->id_chosen ? " (chosen)" : "");
	fprintf(f, "             %s: %s, %s, %s, %s; public key beside it\n", r->pr->key->desc,
	    k->private_ == 1 ? "private" : "NOT PRIVATE",
	    k->sensitive == 1 ? "sensitive" : "NOT SENSITIVE",
	    k->extractable == 0 ? (k->never_extractable == 1 ? "never extractable" :
	    "not extractable") : "EXTRACTABLE",
	    sign_only(k) ? "sign only" : "NOT SIGN-ONLY");
	fprintf(f, "  key type   %s -> %s (%s)\n", r->pr->old_key, r->pr->key->desc,
	    key_choice_text[r->pr->key_how]);
	free(hex);
}

void
rot_renew_print_text(const struct rot_renew_result *r, FILE *f)
{
	const struct plan_renew *pr = r->pr;
	char *subj = crt_dn_render(r->subject);
	size_t i;

	fprintf(f, "renew of rotation '%s': new key pair generated on token '%s'\n",
	    r->cfg->rotation.name, r->token);
	print_key(r, f);
	fprintf(f, "  subject    %s (%s)\n", subj, r->subject_from_config ? "rotation.subject" :
	    "as the old certificate");
	print_names(f, "names", pr->dns, pr->ndns, "(dNSName: every service's names)");
	print_names(f, "addresses", pr->ips, pr->nips, "(iPAddress)");
	print_names(f, "dropped", pr->dropped, pr->ndropped, pr->ndropped == 1 ?
	    "(the old certificate has it, no service lists it)" :
	    "(the old certificate has them, no service lists them)");
	print_names(f, "gained", pr->gained, pr->ngained, pr->ngained == 1 ?
	    "(services use it, the old certificate lacked it: clients using it got errors)" :
	    "(services use them, the old certificate lacked them: clients using them got errors)");
	fprintf(f, "  signature  %s (%s)\n", pr->sig_name, pr->sig_oid);
	fprintf(f, "  requested  extendedKeyUsage serverAuth, keyUsage digitalSignature\n");
	if (r->out != NULL)
		fprintf(f, "  request    written to '%s'\n", r->out);
	else
		fprintf(f, "  request    below\n");
	if (pr->nhonour > 0) {
		fprintf(f, "\nthe issuing CA must honour:\n");
		for (i = 0; i < pr->nhonour; i++)
			fprintf(f, "  %s\n", pr->honour[i].message);
	}
	if (pr->nnotes > 0) {
		fprintf(f, "\nnotes:\n");
		for (i = 0; i < pr->nnotes; i++)
			fprintf(f, "  %s\n", pr->notes[i]);
	}
	fprintf(f, "\nnext:\n");
	if (r->label_chosen || r->id_chosen)
		fprintf(f, "  set rotation.key = \"%s\" (the %s chosen here)\n", r->key_uri,
		    r->label_chosen && r->id_chosen ? "label and CKA_ID were" :
		    r->label_chosen ? "label was" : "CKA_ID was");
	fprintf(f, "  have the CA sign the request; save the certificate as rotation.new ('%s'),\n"
	    "  on the token beside the key when it names a token object (same CKA_ID);\n"
	    "  then run 'certrotate check'\n", r->cfg->rotation.new);
	if (r->out == NULL)
		fprintf(f, "\n%s", r->pem);
	free(subj);
}

static struct json_object *
key_json(const struct rot_renew_result *r)
{
	const struct p11_key_flags *k = &r->nk->flags;
	struct json_object *o = json_object_new_object();
	char *hex = cr_hex_upper(r->id, r->id_len);

	json_object_object_add(o, "uri", cr_json_str(r->key_uri));
	json_object_object_add(o, "label", cr_json_str(r->label));
	json_object_object_add(o, "id", cr_json_str(hex));
	json_object_object_add(o, "label_chosen", json_object_new_boolean(r->label_chosen));
	json_object_object_add(o, "id_chosen", json_object_new_boolean(r->id_chosen));
	json_object_object_add(o, "type", cr_json_str(r->pr->key->spec));
	json_object_object_add(o, "description", cr_json_str(r->pr->key->desc));
	json_object_object_add(o, "private", crt_json_tristate(k->private_));
	json_object_object_add(o, "sensitive", crt_json_tristate(k->sensitive));
	json_object_object_add(o, "extractable", crt_json_tristate(k->extractable));
	json_object_object_add(o, "always_sensitive", crt_json_tristate(k->always_sensitive));
	json_object_object_add(o, "never_extractable", crt_json_tristate(k->never_extractable));
	json_object_object_add(o, "local", crt_json_tristate(k->local));
	json_object_object_add(o, "sign_only", json_object_new_boolean(sign_only(k)));
	free(hex);
	return o;
}

static struct json_object *
honour_json(const struct plan_renew *pr)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < pr->nhonour; i++) {
		const struct plan_honour *h = &pr->honour[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "host", cr_json_str(h->host->name));
		json_object_object_add(o, "accepts", crt_json_strings(h->host->accept_sig,
		    h->host->naccept_sig));
		json_object_object_add(o, "sha1_only", json_object_new_boolean(h->sha1_only));
		json_object_object_add(o, "message", cr_json_str(h->message));
		json_object_array_add(a, o);
	}
	return a;
}

void
rot_renew_print_json(const struct rot_renew_result *r, FILE *f)
{
	const struct plan_renew *pr = r->pr;
	struct json_object *o = json_object_new_object(), *san = json_object_new_object();
	struct json_object *sig = json_object_new_object(), *req = json_object_new_object();
	static char *const eku[] = { "serverAuth" }, *const ku[] = { "digitalSignature" };
	char *subj = crt_dn_render(r->subject);

	json_object_object_add(o, "rotation", cr_json_str(r->cfg->rotation.name));
	json_object_object_add(o, "token", cr_json_str(r->token));
	json_object_object_add(o, "key", key_json(r));
	json_object_object_add(o, "old_key", cr_json_str(pr->old_key));
	json_object_object_add(o, "key_choice", cr_json_str(key_choice_name[pr->key_how]));
	json_object_object_add(o, "subject", cr_json_str(subj));
	json_object_object_add(o, "subject_from", cr_json_str(r->subject_from_config ?
	    "rotation.subject" : "old certificate"));
	json_object_object_add(san, "dns", crt_json_strings(pr->dns, pr->ndns));
	json_object_object_add(san, "ip", crt_json_strings(pr->ips, pr->nips));
	json_object_object_add(o, "san", san);
	json_object_object_add(o, "dropped", crt_json_strings(pr->dropped, pr->ndropped));
	json_object_object_add(o, "gained", crt_json_strings(pr->gained, pr->ngained));
	json_object_object_add(sig, "name", cr_json_str(pr->sig_name));
	json_object_object_add(sig, "oid", cr_json_str(pr->sig_oid));
	json_object_object_add(o, "signature_algorithm", sig);
	json_object_object_add(o, "eku", crt_json_strings(eku, 1));
	json_object_object_add(o, "key_usage", crt_json_strings(ku, 1));
	json_object_object_add(o, "ca_must_honour", honour_json(pr));
	json_object_object_add(o, "notes", crt_json_strings(pr->notes, pr->nnotes));
	json_object_object_add(req, "file", r->out != NULL ? cr_json_str(r->out) : NULL);
	json_object_object_add(req, "pem", cr_json_str(r->pem));
	json_object_object_add(o, "request", req);
	crt_json_print(f, o);
	json_object_put(o);
	free(subj);
}
