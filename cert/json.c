#include <stdio.h>
#include <stdlib.h>

#include "json.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../common/utf8.h"

struct json_object *
crt_json_tristate(int v)
{
	/* -1 means "could not be read": null, not a guess */
	return v < 0 ? NULL : json_object_new_boolean(v);
}

struct json_object *
crt_json_strings(char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, cr_json_str(v[i]));
	return a;
}

static struct json_object *
token_json(const struct crt_token_ref *t)
{
	struct json_object *o = json_object_new_object();
	struct json_object *k = json_object_new_object();
	char *id = t->id ? cr_hex_upper(t->id, t->id_len) : NULL;

	json_object_object_add(o, "label", cr_json_str(t->token_label ? t->token_label : ""));
	json_object_object_add(o, "uri", t->token_uri ? cr_json_str(t->token_uri) : NULL);
	json_object_object_add(o, "object", t->object ? cr_json_str(t->object) : NULL);
	json_object_object_add(o, "id", id ? cr_json_str(id) : NULL);
	free(id);
	json_object_object_add(k, "present", t->key == CRT_KEY_UNKNOWN ? NULL :
	    json_object_new_boolean(t->key == CRT_KEY_PRESENT));
	json_object_object_add(k, "sensitive", t->key == CRT_KEY_PRESENT ? crt_json_tristate(t->sensitive) : NULL);
	json_object_object_add(k, "extractable", t->key == CRT_KEY_PRESENT ? crt_json_tristate(t->extractable) : NULL);
	if (t->key_note != NULL)
		json_object_object_add(k, "note", cr_json_str(t->key_note));
	json_object_object_add(o, "private_key", k);
	return o;
}

struct json_object *
crt_cert_json(const struct crt_cert *c, const struct crt_info *info)
{
	struct json_object *o = json_object_new_object();
	struct json_object *sig = json_object_new_object();
	struct json_object *key = json_object_new_object();

	json_object_object_add(o, "subject", cr_json_str(info->subject));
	json_object_object_add(o, "issuer", cr_json_str(info->issuer));
	json_object_object_add(o, "serial", cr_json_str(info->serial));
	json_object_object_add(o, "not_before", cr_json_str(info->not_before_s));
	json_object_object_add(o, "not_after", cr_json_str(info->not_after_s));
	json_object_object_add(o, "days_left", json_object_new_int64(info->days_left));
	json_object_object_add(o, "san", crt_json_strings(info->san, info->nsan));
	json_object_object_add(sig, "name", cr_json_str(info->sig_name));
	json_object_object_add(sig, "oid", cr_json_str(info->sig_oid));
	json_object_object_add(o, "signature_algorithm", sig);
	json_object_object_add(key, "type", cr_json_str(info->key_type));
	json_object_object_add(key, "bits", json_object_new_int(info->key_bits));
	json_object_object_add(key, "curve", info->key_curve ? cr_json_str(info->key_curve) : NULL);
	json_object_object_add(o, "key", key);
	json_object_object_add(o, "eku", crt_json_strings(info->eku, info->neku));
	json_object_object_add(o, "sha1", cr_json_str(info->sha1));
	json_object_object_add(o, "sha256", cr_json_str(info->sha256));
	json_object_object_add(o, "tls_name", cr_json_str(info->tls_name));
	json_object_object_add(o, "source", cr_json_str(c->source ? c->source : ""));
	if (c->token != NULL)
		json_object_object_add(o, "token", token_json(c->token));
	return o;
}

void
crt_json_print(FILE *f, struct json_object *obj)
{
	fputs(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE), f);
	fputc('\n', f);
}
