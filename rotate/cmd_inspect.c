/*
 * cmd_inspect.c - `certrotate inspect SOURCE... [--format text|json]`:
 * everything a person needs to identify a certificate (SPEC 3.3).
 *
 * Each source is reported on its own; a source that cannot be read is
 * reported on stderr and the others are still shown, and so is each file of
 * a directory that cannot be read (one line each).  The exit code is the
 * worst status by SPEC 2's precedence.  JSON output is always an array, one
 * object per certificate, so scripts need not special-case one source.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include <time.h>

#include "rot.h"
#include "inspect.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../cert/cert.h"
#include "../cert/chain.h"
#include "../cert/json.h"
#include "../cert/walk.h"
#include "../pkcs11/p11.h"

static const char *
yesno(int v, const char *yes, const char *no)
{
	return v < 0 ? "unknown" : v ? yes : no;
}

static void
print_list(const char *label, char **v, size_t n)
{
	size_t i;

	printf("  %-21s", label);
	if (n == 0)
		fputs("(none)", stdout);
	for (i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "", v[i]);
	putchar('\n');
}

/* s (NULL: `none`) escaped: file names and token labels are untrusted too. */
static void
put_esc(const char *s, const char *none)
{
	char *e = s != NULL ? cr_esc_str(s) : NULL;

	fputs(e != NULL ? e : none, stdout);
	free(e);
}

static void
print_text(const struct crt_cert *c, const struct crt_info *in)
{
	put_esc(c->source, "");
	putchar('\n');
	printf("  %-21s%s\n", "subject:", in->subject);
	printf("  %-21s%s\n", "issuer:", in->issuer);
	printf("  %-21s%s\n", "serial:", in->serial);
	printf("  %-21s%s\n", "not before:", in->not_before_s);
	/* the phrase and JSON's days_left are one computation (crt_expiry_get) */
	printf("  %-21s%s %s\n", "not after:", in->not_after_s, in->expiry.phrase);
	print_list("SAN:", in->san, in->nsan);
	printf("  %-21s%s (%s)\n", "signature algorithm:", in->sig_name, in->sig_oid);
	if (in->key_curve != NULL)
		printf("  %-21s%s %s (%d bits)\n", "public key:", in->key_type, in->key_curve,
		    in->key_bits);
	else
		printf("  %-21s%s %d bits\n", "public key:", in->key_type, in->key_bits);
	if (in->has_eku)
		print_list("EKU:", in->eku, in->neku);
	else
		printf("  %-21s%s\n", "EKU:", "(no extension: any purpose)");
	printf("  %-21s%s\n", "SHA-1 thumbprint:", in->sha1);
	printf("  %-21s%s\n", "SHA-256:", in->sha256);
	printf("  %-21s%s\n", "TLS name:", in->tls_name);
	if (c->token != NULL) {
		const struct crt_token_ref *t = c->token;
		char *id = t->id ? cr_hex_upper(t->id, t->id_len) : NULL;

		printf("  %-21s", "token:");
		put_esc(t->token_label, "");
		fputs(" (", stdout);
		put_esc(t->token_uri, "");
		printf(")\n  %-21s", "object:");
		put_esc(t->object, "(no label)");
		putchar('\n');
		printf("  %-21s%s\n", "CKA_ID:", id ? id : "(none)");
		free(id);
		switch (t->key) {
		case CRT_KEY_PRESENT:
			printf("  %-21spresent, %s, %s\n", "private key:",
			    yesno(t->sensitive, "sensitive", "NOT sensitive"),
			    yesno(t->extractable, "EXTRACTABLE", "not extractable"));
			break;
		case CRT_KEY_ABSENT:
			printf("  %-21s%s\n", "private key:", "absent from the token");
			break;
		default:
			printf("  %-21sunknown (%s)\n", "private key:",
			    t->key_note ? t->key_note : "not looked up");
			break;
		}
	}
}

/* A file of a directory that cannot be read: one line each, the worst status kept. */
static void
report_unreadable(void *arg, const struct cr_err *e)
{
	int *status = arg;

	*status = cr_status_worse(*status, rot_report(e));
}

/* What a skipped file held, in words. */
static const char *const skip_phrase[CRT_NSKIPS] = {
	[CRT_SKIP_KEY] = "a private key (%s), no certificate",
	[CRT_SKIP_OTHER] = "not a certificate (%s)",
	[CRT_SKIP_SPECIAL] = "is %s, not a regular file",
	[CRT_SKIP_DIR] = "a directory that cannot be read (%s)",
};

/* A file of a directory that holds no certificate (certbot's privkey.pem): a note, no failure. */
static void
report_skipped(void *arg, const char *path, enum crt_walk_skip why, const char *what)
{
	char said[256];

	(void)arg;
	snprintf(said, sizeof(said), (unsigned)why < CRT_NSKIPS && skip_phrase[why] ?
	    skip_phrase[why] : "%s", what != NULL ? what : "");
	rot_warn("skipped '%s': %s", path, said);
}

/*
 * The certificates of one source: a file or a directory tree as `scan`
 * walks it (cert/walk.h: a key file among certificates is skipped with a
 * note), a token or an endpoint through crt_load.
 */
static int
load_source(const char *src, const struct crt_load_opts *opts, struct crt_list *out,
    struct cr_err *err)
{
	const struct crt_walk_cb cb = { report_skipped, report_unreadable, NULL,
	    opts->on_unreadable_arg };

	struct stat sb;

	if (strncasecmp(src, "pkcs11:", 7) == 0 || strncasecmp(src, "tls://", 6) == 0)
		return crt_load(src, opts, out, err);
	/* a thumbprint or <I>..<S>.. pasted where a source goes (not a file of that name) */
	if ((strncasecmp(src, "sha1:", 5) == 0 || strncasecmp(src, "sha256:", 7) == 0 ||
	    strncasecmp(src, "name:", 5) == 0) && lstat(src, &sb) != 0)
		return cr_err_setr(err, CR_EINPUT, CR_R_NOT_FOUND, "'%s' is an identity, not a "
		    "source: give where the certificate is (a file, pkcs11:URI or tls://HOST:PORT); "
		    "to find it, scan the token or directory and look for its thumbprint", src);
	return crt_walk_load(src, NULL, &cb, out, err);
}

int
cmd_inspect(const struct rot_command *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum rot_format fmt = ROT_FMT_TEXT;
	struct p11_ctx *p11 = NULL;
	struct json_object *arr = NULL;
	X509_STORE *store = NULL;
	struct cr_err err;
	int status = CR_OK, c, i, shown = 0;
	time_t now = cr_now();

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (rot_parse_format(self, optarg,
			    1u << ROT_FMT_TEXT | 1u << ROT_FMT_JSON, &fmt) != 0)
				return CR_EINPUT;
			break;
		case 'h':
			rot_help(self);
			return rot_finish_output(CR_OK);
		case ':':
			return rot_missing_value(self, argv[optind - 1]);
		default:
			return rot_unknown_option(self, longopts, argv[optind - 1]);
		}
	}
	/* Options may also follow the sources: "inspect a.pem --format json". */
	for (i = optind; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			if (rot_parse_format(self, argv[i + 1],
			    1u << ROT_FMT_TEXT | 1u << ROT_FMT_JSON, &fmt) != 0)
				return CR_EINPUT;
			i++;
		} else if (strcmp(argv[i], "--format") == 0) {
			return rot_usage_error(self, "option '--format' needs a value");
		} else if (strncmp(argv[i], "--format=", 9) == 0) {
			if (rot_parse_format(self, argv[i] + 9,
			    1u << ROT_FMT_TEXT | 1u << ROT_FMT_JSON, &fmt) != 0)
				return CR_EINPUT;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			rot_help(self);
			return rot_finish_output(CR_OK);
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			return rot_usage_error(self, "unknown option '%s'", argv[i]);
		}
	}
	if (optind >= argc)
		return rot_usage_error(self, "no SOURCE given");
	for (i = optind; i < argc; i++)
		if (argv[i][0] != '-' && rot_source_check(self, argv[i]) != 0)
			return CR_EINPUT;

	cr_err_clear(&err);
	if (p11_ctx_new(&p11, &err) != CR_OK)
		return rot_report(&err);
	p11_ctx_set_read_write(p11, rot_read_write(self));
	if (fmt == ROT_FMT_JSON)
		arr = json_object_new_array();
	store = crt_anchor_store(NULL);

	for (i = optind; i < argc; i++) {
		struct crt_load_opts opts = { .p11 = p11, .base_dir = NULL, .timeout_ms = 0,
		    .describe_keys = 1, .scan_dirs = 1, .on_unreadable = report_unreadable,
		    .on_unreadable_arg = &status };
		struct crt_list list = CRT_LIST_INIT;
		size_t k;
		int r;

		if (strcmp(argv[i], "--format") == 0) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--", 2) == 0 || strcmp(argv[i], "-h") == 0)
			continue;
		cr_err_clear(&err);
		r = load_source(argv[i], &opts, &list, &err);
		if (r != CR_OK) {
			rot_report(&err);
			status = cr_status_worse(status, r);
		}
		for (k = 0; k < list.n; k++) {
			struct crt_info info;

			crt_info_get(list.v[k], now, &info);
			if (arr != NULL) {
				struct json_object *o = crt_cert_json(list.v[k], &info);

				rot_inspect_json(o, list.v[k], store);
				json_object_array_add(arr, o);
			} else {
				if (shown++)
					putchar('\n');
				print_text(list.v[k], &info);
				rot_inspect_text(list.v[k], store);
			}
			crt_info_release(&info);
		}
		crt_list_release(&list);
	}
	if (arr != NULL) {
		crt_json_print(stdout, arr);
		json_object_put(arr);
	}
	X509_STORE_free(store);
	p11_ctx_free(p11);
	return rot_finish_output(status);
}
