/*
 * internal.h - what the engine and the evaluators of check/ share: the
 * context, the registry row, the evaluator contract and the item helpers.
 * Not for other layers.
 *
 * Calls inside check/ go one way (`make cycles` checks it):
 *   engine.c -> registry.c -> chk_*.c (evaluators) -> items.c,
 *   probe.c, access.c, checks_cert.c; among the evaluators, chk_ref.c ->
 *   chk_endpoint.c (a ref's endpoint tells whether its identity is right)
 * An evaluator never calls the engine: what it needs of other checks
 * (the token login of new.key, the endpoints retire judges) is in its own
 * family file or below.
 */
#ifndef CHK_INTERNAL_H
#define CHK_INTERNAL_H

#include <openssl/x509.h>

#include "check.h"
#include "access.h"
#include "probe.h"

/* What a check is about: the engine names the subject and knows whether a step has one. */
enum chk_subject {
	CHK_SUBJ_NONE = 0,
	CHK_SUBJ_NEW,		/* "certificate new" (when it loaded) */
	CHK_SUBJ_OLD,		/* "certificate old" (when it loaded) */
	CHK_SUBJ_KEY,		/* "key SOURCE": rotation.key */
	CHK_SUBJ_SERVICE,	/* "service NAME": the step's service */
	CHK_SUBJ_HOST,		/* "host NAME": the step's (configured) host */
	CHK_SUBJ_REF,		/* "ref SERVICE/ID": the step's ref, or a ref of no step */
	CHK_SUBJ_ACCOUNT,	/* "account HOST/ACCOUNT": a grant step's */
	CHK_SUBJ_PLACE,		/* "token LABEL" / "host NAME": where the step acts */
	CHK_SUBJ_STEP,		/* "step ID" */
	CHK_SUBJ_TOKEN,		/* named by the evaluator (the token found) */
	CHK_SUBJ_ENDPOINT,	/* named by the evaluator (a ref, an endpoint, old) */
	CHK_SUBJ_SETTING,	/* named by the evaluator (a configuration setting) */
	CHK_SUBJ_FILE,		/* named by the evaluator ("key file /etc/ssl/private/x.key") */
};

struct chk_ctx;

/* Where an evaluation happens. */
#define CHK_NO_STEP ((size_t)-1)
struct chk_at {
	enum plan_check check;
	enum chk_phase phase;
	size_t step;				/* CHK_NO_STEP: a check of no step */
	const struct plan_step *s;		/* that step, or NULL */
	const struct plan_refres *ref;		/* the step's ref, or the ref of no step */
	const char *subject;			/* the subject text the engine named, or NULL
						   (CHK_SUBJ_TOKEN, CHK_SUBJ_ENDPOINT) */
};

/*
 * An evaluator: evaluates check at->check where `at` says, into items it
 * gets with chk_fresh / chk_item_get, and lists under at's step (chk_attach)
 * the items that are that step's result.  Items already evaluated are
 * reused (fresh == 0): evaluate only fresh ones.
 */
typedef void chk_eval_fn(struct chk_ctx *c, const struct chk_at *at);

/* A row of the registry (registry.c, from plan/checks.def). */
struct chk_row {
	enum plan_check check;
	enum chk_subject subject;
	unsigned flags;		/* CHK_F_* */
	chk_eval_fn *eval;
};
/* Indexed by enum plan_check; row 0 (PLAN_CHK_NONE) has no evaluator. */
extern const struct chk_row chk_registry[PLAN_NCHECKS];

/* Every evaluator of checks.def. */
#define PLAN_CHECK(name, id, subject, flags, eval, what) chk_eval_fn eval;
#include "../plan/checks.def"
#undef PLAN_CHECK

struct chk_ctx {
	const struct plan *p;		/* NULL in chk_unplanned */
	const struct plan_config *cfg;
	const struct plan_inputs *in;
	struct p11_ctx *p11;
	struct chk_opts o;
	struct chk_report *rep;		/* &own, or the caller's (chk_unplanned) */
	struct chk_report own;
	size_t call;			/* chk_step calls so far */
	unsigned char *done;		/* per step: done, as the journal says */
	long *restart_of;		/* per service: its restart step, or -1 */
	long retire_step;		/* the retire step, or -1 */

	/* key family (chk_key.c) */
	size_t key_login;		/* new.key's token.login item + 1 when that login
					   failed (new.key then skips, pointing at it), else 0 */

	/* certificate family (chk_cert.c) */
	STACK_OF(X509) *untrusted;	/* rotation.chain + the new source's own chain */
	STACK_OF(X509) *anchors;	/* rotation.trust, NULL: system store */
	int chain_done;			/* new.chain evaluated into chain_res */
	struct chk_result chain_res;
	STACK_OF(X509) *path;		/* the path it built (owned), or NULL */
	STACK_OF(X509) *above;		/* what sigalg judges above the leaf: the path
					   without its leaf, else `untrusted` */

	/* endpoints (chk_endpoint.c) */
	struct chk_probes probes;
	size_t *probe_of;		/* per plan ref: probe index + 1, 0 none */
	size_t *probe_nosni;		/* same, the no-SNI probe when the ref has an sni */
	struct plan_map declared_nosni;	/* endpoints some ref declares without sni */
	size_t *stale;			/* endpoint items where the old certificate stays in
					   use (undeclared bindings, changes in effect that
					   did not take): the retire step lists them */
	size_t nstale, capstale;

	/* accounts and files (chk_files.c) */
	struct chk_access_cache access;	/* accounts looked up */
	char *secret;			/* what an account must read to use the key (owned) */
	const char *secret_what;	/* "the key file", "the PIN source"; NULL: not known yet */
	struct plan_map layouts;	/* file path -> layout seen before a change (+ 1) */
	char **layout_paths;		/* the map's keys (owned) */
	size_t nlayouts;

	/* hooks (chk_hooks.c): each program resolved once however many steps run it */
	struct plan_map progs;		/* argv[0] -> index into prog_* */
	char **prog_name;		/* the map's keys (owned) */
	char **prog_said;		/* what it resolved to, or why not (owned) */
	unsigned char *prog_bad;	/* it did not resolve */
	size_t nprogs;
};

/* ---- what the families set up for a context, and release (engine.c calls) ---- */

void chk_cert_setup(struct chk_ctx *c);		/* the chain and anchors */
void chk_cert_release(struct chk_ctx *c);
void chk_endpoint_setup(struct chk_ctx *c);	/* probes (run now with opts.probe) */
void chk_endpoint_invalidate(struct chk_ctx *c, unsigned what);
void chk_endpoint_release(struct chk_ctx *c);
void chk_files_release(struct chk_ctx *c);
void chk_hooks_release(struct chk_ctx *c);

/*
 * chk_key.c, for import.present and retire.absent: the result of item idx
 * is whether the one token the pkcs11: source `src` names (parsed at load
 * time: rotation.import_to_src, old_src) holds `cert` now (read from the
 * token): PASS when that is `want` (1 present, 0 absent), else FAIL; the
 * message is `yes` or `no` (a format taking the token's label) as it holds
 * it or not.  A URI naming no or several tokens, or a token that cannot be
 * read, is a FAIL with its message and status.
 */
void chk_token_presence(struct chk_ctx *c, size_t idx, const struct plan_src *src,
    const struct crt_cert *cert, int want, const char *yes, const char *no);

/*
 * chk_endpoint.c, for ref.resolve (chk_ref.c): the resolution of a ref the
 * plan leaves alone whose endpoint is probed, into item idx - a failure
 * when the endpoint serves the old certificate (the identity is wrong).
 */
void chk_resolve_probed(struct chk_ctx *c, size_t idx, const struct plan_refres *r);

/* ---- items (items.c) ------------------------------------------------------ */

/*
 * The item of `check` in `phase` about `what` (shown as `subject`): *fresh
 * is 1 when it was just created or was stale (the caller evaluates it;
 * its previous result is cleared), 0 when it holds a result.  Creating an
 * item moves the item array: hold indices, not pointers, across calls.
 */
size_t chk_item_get(struct chk_ctx *c, enum plan_check check, enum chk_phase phase,
    const char *subject, const char *what, int *fresh);
struct chk_item *chk_item_at(struct chk_ctx *c, size_t i);

/* Lists item `it` under at's step (for at's phase), once per chk_step call. */
void chk_attach(struct chk_ctx *c, const struct chk_at *at, size_t it);

/*
 * The item of at->check about at->subject, listed under at's step: its
 * result to fill when it is fresh, else NULL (nothing to do).  The pointer
 * is valid until the next item is created.
 */
struct chk_result *chk_fresh(struct chk_ctx *c, const struct chk_at *at);
/* The same by index: *fresh tells whether to evaluate it. */
size_t chk_fresh_item(struct chk_ctx *c, const struct chk_at *at, int *fresh);

/*
 * The item of a per-file check (at->check: file.layout, file.key,
 * file.content) about the file at `path` (resolved; shown as "file TEXT"),
 * and `also` when not NULL (a second file the judgment is about: the
 * certificate file a key_path must pair with, the key_path of a
 * certificate file), listed under at's step: ONE item per file however many
 * refs name it, in whatever spelling (plan_file.entry) - a file shared by
 * several refs is judged and reported once.  Its result to fill when fresh,
 * else NULL.
 */
struct chk_result *chk_file_item(struct chk_ctx *c, const struct chk_at *at, const char *path,
    const char *text, const char *also);

/* Whether the item failed (a warning too, with strict). */
int chk_item_fails(const struct chk_ctx *c, const struct chk_item *it);
/* Whether the list has a failed check (a warning too, with strict). */
int chk_list_fails(const struct chk_ctx *c, const struct chk_step_report *sr);
/* Its exit code: the worst of its items' statuses, then 1 when it fails. */
int chk_list_exit(const struct chk_ctx *c, const struct chk_step_report *sr);

/* Counts the results, gives the report its exit code and its top-level list. */
void chk_report_count(struct chk_report *rep, int strict);

/* "'CN=..., O=...' (sha1:HEX)" - a certificate in messages.  New string. */
char *chk_cert_brief(const struct crt_cert *x);
/* Whether step si of the plan is done now. */
int chk_done(const struct chk_ctx *c, long si);

#endif
