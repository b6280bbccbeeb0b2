/*
 * plan.h - the planner of SPEC 5: which refs denote the old certificate,
 * and the ordered steps that move them to the new one.
 *
 * Three parts, each usable alone:
 *
 *  1. plan_inputs_load(): the certificates a plan is made of, read through
 *     cert/ (files, token objects, endpoints): old, new, every source named
 *     by a ref or a protect entry, and the other certificates on the tokens
 *     of old, new and import_to (so that a `name:` identity matching more
 *     than one of them is seen).  Reads certificates only: no login, no
 *     endpoint is contacted unless a source itself is tls://.
 *     `check` calls it too (with PLAN_LOAD_CHAIN).
 *
 *  2. plan_build(): pure - configuration + inputs in, plan out.  Tests give
 *     it certificates built in memory.
 *
 *  3. plan_render_text() / plan_render_json() (render.c).
 *
 * RESOLUTION.  Each ref's identity is matched against the known
 * certificates (old, new, the token neighbours, protected sources):
 * sha1:/sha256:/name: identities with crt_ident_matches, source identities
 * by loading the source and comparing certificates (crt_cert_same).  The
 * known certificates are indexed by SHA-256, SHA-1 and a normalised name key
 * (internal.h), so only the candidates sharing the identity's key are
 * compared.  The ref then denotes
 *   old        it matches the old certificate (even if it also matches
 *              others: it must move; `ambiguous` is set and a note says so -
 *              e.g. a connector name that old and new share);
 *   new        it matches the new one (already moved: its step is "done");
 *   protected  it matches a certificate listed in `protect`, or its hash /
 *              name equals a protect entry's;
 *   other      it matches another known certificate;
 *   unknown    nothing known (ref.resolve warns; a pkcs11: source naming
 *              no object on its token is unknown too, with the reason in
 *              `note`; unreadable files are refused by plan_inputs_load).
 *              A hash or name near a known certificate - a digit off, the
 *              RDNs in another order, one RDN different (nearmiss.c) - says
 *              so in the note and in `near` / `near_why`.
 * The certificates an identity matches are ordered by role (old, new,
 * protected, other), then source, then SHA-256 - never the token's object
 * order, which differs between processes - and the first decides; the
 * note lists them in that order.
 * Each distinct identity text is resolved once (memoised), with one index
 * lookup: planning is linear in refs plus distinct certificates.
 *
 * STEPS, in SPEC 5 order; ids "NN-type-host[-service[-ref]]", NN the
 * 1-based position zero-padded to the width of the step count (>= 2):
 *   import   the import_to token first (pseudo-host "token:LABEL", native;
 *            done when the token already holds the new certificate), then
 *            each host with a binding or connector ref on old or new, by
 *            name (a host with only file refs needs none: the rebind writes
 *            the file); done when none of its refs is left on old.
 *   grant    one per (host, account) over services with an `account` and a
 *            ref on old or new; id and `service` name the first such
 *            service in dependency order; `services` lists them all.
 *   rebind   binding and file refs on old (pending) or new (done);
 *   rename   connector refs on old or new;
 *            both sorted by host, service dependency rank, ref id.
 *   restart  each service with a ref on old or new, in dependency order
 *            over all hosts (ties: host, then name); done when none of its
 *            refs is left on old.
 *   retire   one per host with a binding or connector ref on old or new
 *            (the hosts of the import steps), by name: the old certificate
 *            leaves the host's store by the host's run_retire hook, else
 *            the rotation's, else by hand (always pending); then, when the
 *            old certificate is a token object, the token's (host
 *            "token:LABEL", native: archive, then destroy).  The file or
 *            endpoint named by rotation.old is only read: no step for it.
 *            retire = keep: none (a note).  A protected old certificate
 *            keeps its steps, blocked by retire.protected.
 *
 * ACTIONS: native (import onto import_to, rebind of a file ref, retire on a
 * token), command (a hook applies - see config.h for the lookup), manual
 * otherwise.
 *
 * CHECK IDS: every step lists the checks to evaluate before it (`pre`) and
 * after it (`verify`), taken from the one table in checkids.c
 * (plan_step_checks()); the checks themselves are the rows of checks.def.
 * The `check` command evaluates exactly these (check/).
 */
#ifndef PLAN_PLAN_H
#define PLAN_PLAN_H

#include <stdio.h>

#include "config.h"
#include "../cert/cert.h"
#include "../cert/layout.h"
#include "../common/fsutil.h"

struct p11_ctx;
struct json_object;

/* ---- inputs ------------------------------------------------------------ */

/* A source named by an identity (refs' `cert`, protect entries). */
struct plan_source {
	char *text;			/* the source text, as in crt_ident.source */
	struct crt_cert *cert;		/* owned; NULL when it could not be loaded */
	char *error;			/* why not (owned), else NULL */
};

/* Which input plan_inputs_load stopped at (plan_inputs.failed). */
enum plan_input {
	PLAN_INPUT_NONE = 0,		/* loaded */
	PLAN_INPUT_OLD,			/* rotation.old (or its token's other objects) */
	PLAN_INPUT_NEW,			/* rotation.new (or its token's other objects) */
	PLAN_INPUT_IMPORT_TO,		/* rotation.import_to */
	PLAN_INPUT_CHAIN,		/* rotation.chain */
	PLAN_INPUT_TRUST,		/* rotation.trust */
	PLAN_INPUT_SOURCES,		/* a ref's or protect entry's source */
};

/* The setting's name: "rotation.old", ..., "sources" ("" for NONE). */
const char *plan_input_name(enum plan_input in);

/*
 * A file a `file` ref names - its `path` or its `key_path` - as read at
 * plan time (files.c): what it holds, in what order, and what installing
 * the new material there would do (SPEC 7.2: the same layout, owner and
 * mode kept, a symlinked path through a new file beside its target).
 */
struct plan_file {
	char *path;			/* resolved (owned) */
	char *entry;			/* the directory entry written there: an absolute path,
					   its directory resolved (realpath), "." and ".." gone -
					   two spellings of one file ("tls/a.pem", "./tls/a.pem")
					   have one entry (owned) */
	const char *text;		/* as configured (borrowed from the configuration) */
	int key_path;			/* named by a key_path: it receives the new key alone */
	int read;			/* it was read: `layout` holds what is there */
	struct crt_layout layout;	/* its certificates, shape and order (a key it holds
					   is compared with the certificate, then dropped) */
	char *why;			/* why its certificates are out of order, or NULL */
	char *error;			/* why it could not be read, or NULL (a missing file
					   is not an error: layout.missing) */
	int key_mode;			/* installed as a key file (CR_FS_KEY): it holds a key */
	struct cr_fs_preview pv;	/* what installing it does (valid without pv_error) */
	char *pv_error;			/* why it could not be installed, or NULL */
	char *owner;			/* "www-data:ssl-cert (33:112)": the owner it keeps, when
					   that is not the user running certrotate; else NULL */
};

struct plan_inputs {
	struct crt_cert *old, *new;	/* owned */
	struct crt_list known;		/* other certificates seen (token neighbours,
					   protect sources); none equal to old/new */
	struct plan_source *sources;	/* owned */
	size_t nsources;
	int new_on_import_to;		/* 1 yes, 0 no, -1 unknown / no import_to */
	struct crt_list chain, trust;	/* loaded only with PLAN_LOAD_CHAIN */
	/* after a failed plan_inputs_load: the input whose source failed, else
	   PLAN_INPUT_NONE */
	enum plan_input failed;
	const char *failed_source;	/* that source's text (borrowed from the config), or NULL */
	struct cr_err new_err;		/* when old failed: why new failed too (CR_OK: it loaded) */
	char *new_misordered;		/* the new source holds its chain before its leaf: why
					   (new.load fails on it; `new` is the leaf), or NULL */
	struct plan_file *files;	/* every file a file ref names (files.c), by path */
	size_t nfiles;
};

/*
 * The file of `path` (resolved) among in->files, or NULL.  Borrowed.
 */
const struct plan_file *plan_inputs_file(const struct plan_inputs *in, const char *path);
/*
 * Whether paths a and b (resolved; NULL: no) name the same file: the same
 * directory entry (plan_file.entry) when the files were read, else the same
 * string.
 */
int plan_same_file(const struct plan_inputs *in, const char *a, const char *b);

enum {
	PLAN_LOAD_CHAIN = 1,		/* also load rotation.chain and rotation.trust */
	/*
	 * Token certificates that are neither old nor new (the sources of refs
	 * and protect entries, the tokens' other certificates: `known`) come
	 * lite (crt_load_opts.lite: x509 NULL): for a caller that reads only
	 * their names, digests and crt_info - `check`.  With a p11 ctx set to
	 * p11_ctx_set_lazy_parse, a token's 2,000 certificates then cost no
	 * X509 each.  old, new, chain and trust are always whole.
	 */
	PLAN_LOAD_LITE = 2,
};

/*
 * Loads what plan_build needs (see above) for `cfg`, through `p11`
 * (borrowed; may be NULL when no source is pkcs11:).  *out NULL on entry;
 * plan_inputs_free it.  Errors name the setting: "certrotate.cfg:3:
 * rotation.old: cannot read 'old.pem': ..." with the loader's status
 * (CR_EINPUT for unreadable / malformed certificates, CR_EENV for modules,
 * tokens, endpoints; CR_EBLOCK for a rotation.new that does not exist - no
 * such file, no such token object - which is a certificate the CA has not
 * issued yet: the message says so).  A ref's or protect entry's source that cannot be
 * read is an error too ("c.cfg:12: services.[0].refs.[1].cert: cannot read
 * 'nope.pem': No such file or directory"), except a ref's pkcs11: source
 * naming no certificate object: that ref resolves to unknown with the
 * reason (a warning), as SPEC 5 has it for identities that match nothing.
 * On failure *out still receives what was loaded, with `failed` set (old or
 * new may then be NULL), so that `check` can report the failure as a check;
 * plan_inputs_free it either way.
 */
int plan_inputs_load(const struct plan_config *cfg, struct p11_ctx *p11, unsigned flags,
    struct plan_inputs **out, struct cr_err *err);
void plan_inputs_free(struct plan_inputs *in);	/* accepts NULL */

/*
 * The same for a rotation whose old certificate `run` has retired: its
 * token no longer holds it, so it is taken from `old_copy` (the archive's
 * copy, borrowed; the caller checked it is the journal's old certificate).
 * in->old is named by rotation.old's text (so the plan's places and step
 * ids are those of the rotation as it started), and an identity whose
 * source is that same text resolves to it.  Everything else is loaded as
 * plan_inputs_load does.
 */
int plan_inputs_load_retired(const struct plan_config *cfg, struct p11_ctx *p11, unsigned flags,
    X509 *old_copy, struct plan_inputs **out, struct cr_err *err);

/*
 * Adds the configuration's `tokens` entries to p11 (module and PIN source
 * for matching pkcs11: sources).  CR_EINPUT naming the entry on failure.
 */
int plan_config_tokens(const struct plan_config *cfg, struct p11_ctx *p11, struct cr_err *err);

/* ---- the plan ------------------------------------------------------------ */

enum plan_denotes {
	PLAN_DENOTES_UNKNOWN = 0,
	PLAN_DENOTES_OLD,
	PLAN_DENOTES_NEW,
	PLAN_DENOTES_PROTECTED,
	PLAN_DENOTES_OTHER,
};
const char *plan_denotes_name(enum plan_denotes d);	/* "unknown", "old", ... */

enum plan_action { PLAN_NATIVE = 0, PLAN_COMMAND, PLAN_MANUAL };
const char *plan_action_name(enum plan_action a);	/* "native", "command", "manual" */

/* Finer than the step type: what the check table is keyed on. */
enum plan_variant {
	PLAN_V_IMPORT_TOKEN = 0,	/* new cert onto the import_to token */
	PLAN_V_IMPORT_HOST,		/* new cert (+ chain) into a host's store */
	PLAN_V_GRANT,
	PLAN_V_REBIND_BINDING,
	PLAN_V_REBIND_FILE,
	PLAN_V_RENAME,
	PLAN_V_RESTART,
	PLAN_V_RETIRE_HOST,		/* a host's store: its run_retire hook, or by hand */
	PLAN_V_RETIRE_TOKEN,		/* native: archive, then destroy the token object */
	PLAN_NVARIANTS
};
const char *plan_variant_name(enum plan_variant v);	/* "import-token", ... */

/* How a ref resolved. */
struct plan_refres {
	const struct plan_ref *ref;		/* borrowed from the config */
	const struct plan_service *service;	/* borrowed */
	const struct plan_host *host;		/* borrowed */
	enum plan_denotes denotes;
	const struct crt_cert *cert;	/* the certificate denoted (borrowed), NULL when
					   unknown or protected by hash only */
	size_t nmatch;			/* known certificates the identity matches */
	int ambiguous;			/* nmatch > 1 */
	char *note;			/* owned, or NULL */
	/* unknown: the known certificate the identity is a near miss of (a
	   thumbprint a digit off, a name with its RDNs reversed or one RDN
	   different: nearmiss.c), the first in role order; else NULL */
	const struct crt_cert *near;	/* borrowed */
	enum plan_denotes near_role;	/* what it is: old, new, protected, other */
	char *near_why;			/* how it is near, for people (owned), or NULL */
	long step;			/* index of its rebind/rename step, or -1 */
};

/* What the rebind of a file ref writes: one per file (SPEC 7.2). */
struct plan_write {
	const char *path;		/* the path resolved (borrowed from the configuration) */
	const char *text;		/* the path as configured (borrowed) */
	const struct plan_file *file;	/* what is there now (borrowed from the inputs), or
					   NULL when the plan was built without reading files */
	enum crt_shape shape;		/* what it will hold: the shape it has (a file that
					   holds nothing yet: leaf + chain; a key_path: key) */
	const char *order;		/* "leaf, chain", "key, leaf, chain", ... (static) */
	int key;			/* it will hold the new private key */
};

struct plan_step {
	char *id;			/* "03-rebind-cas2-owa-https-all" */
	enum plan_step_type type;
	enum plan_variant variant;
	char *host;			/* host name, or "token:LABEL" / "local" */
	const struct plan_host *host_cfg;	/* NULL for pseudo-hosts */
	const struct plan_service *service;	/* NULL for import, retire */
	const struct plan_ref *ref;		/* rebind, rename; else NULL */
	const struct plan_refres *res;		/* rebind, rename; else NULL */
	const char *account;			/* grant; else NULL (borrowed) */
	size_t *services;		/* grant: indices into cfg->services; owned */
	size_t nservices;
	enum plan_action action;
	int done;			/* already in effect (refs on the new certificate) */
	const struct plan_argv *run;	/* command steps: the hook (borrowed), else NULL */
	const struct plan_argv *undo;	/* its undo hook, or NULL */
	char *description;		/* one sentence for people */
	/* rebind: "sha1:..." of old and new; rename: the <I>..<S>.. names; else
	   NULL.  Borrowed from the plan / the configuration. */
	const char *from, *to;
	const char *change;		/* rename: what differs ("issuer O: 'A' -> 'B'"), else NULL */
	const enum plan_check *pre;	/* checks before the step; borrowed from the plan */
	size_t npre;
	const enum plan_check *verify;	/* checks after it */
	size_t nverify;
	const enum plan_check *rbverify;	/* checks after its rollback (its undo) */
	size_t nrbverify;
	/* rebind of a file ref: every ref the step moves (indices into plan->refs,
	   its own `ref` first): refs of any service naming one file share its
	   step, so that the file is written once; and the files it writes */
	size_t *frefs;			/* owned */
	size_t nfrefs;
	struct plan_write *writes;	/* owned */
	size_t nwrites;
	/* restart: the configuration test run right before it (the service's
	   run_test, else its kind's: plan_service_test), or NULL */
	const struct plan_argv *test;
	int test_is_default;		/* test is the kind's default */
};

struct plan {
	const struct plan_config *cfg;	/* borrowed: must outlive the plan */
	const struct plan_inputs *in;	/* borrowed: must outlive the plan */
	struct plan_step *steps;
	size_t nsteps;
	struct plan_refres *refs;	/* every ref: services by name, refs by id */
	size_t nrefs;
	char **notes;			/* for people: ambiguous / unknown refs, protected old */
	size_t nnotes;
	int old_protected;
	const struct plan_protect *old_protect;	/* the entry protecting old, or NULL */
	void *priv;			/* strings and check-id lists the steps share */
};

/*
 * Builds the plan.  cfg and in are borrowed and must outlive *out.  *out
 * NULL on entry; plan_free it.  CR_EINPUT when old or new is missing or
 * they are the same certificate.
 */
int plan_build(const struct plan_config *cfg, const struct plan_inputs *in,
    struct plan **out, struct cr_err *err);
void plan_free(struct plan *p);	/* accepts NULL */

/* ---- check ids (checks.def: THE registry; checkids.c: what each step lists) ---- */

/*
 * Every check, keyed by an enum generated from plan/checks.def (one row per
 * check: id, subject, evaluator, what).  PLAN_CHK_NONE ends a list.
 */
enum plan_check {
	PLAN_CHK_NONE = 0,
#define PLAN_CHECK(name, id, subject, flags, eval, what) PLAN_CHK_##name,
#include "checks.def"
#undef PLAN_CHECK
	PLAN_NCHECKS
};

/* "new.load", ... ("?" for PLAN_CHK_NONE or out of range). Static. */
const char *plan_check_name(enum plan_check c);
/* What it establishes, one line for people (NULL out of range). Static. */
const char *plan_check_what(enum plan_check c);
/* The check whose id is `name`, or PLAN_CHK_NONE. */
enum plan_check plan_check_find(const char *name);

/* When a listed check applies to a step. */
enum plan_when {
	PLAN_WHEN_ALWAYS = 0,
	PLAN_WHEN_ENDPOINT,	/* the ref has an endpoint (restart: one of the service's changed refs) */
	PLAN_WHEN_NAMES,	/* the service lists names */
	PLAN_WHEN_NO_RESTART,	/* the ref's service has no restart step */
	PLAN_WHEN_KEY_PATH,	/* the file ref installs the key (key_path) */
	PLAN_WHEN_NO_ENDPOINT,	/* no endpoint (restart: none of the service's changed refs has one) */
	PLAN_WHEN_KEY_TOKEN,	/* rotation.key is on a token (pkcs11:) */
	PLAN_WHEN_HOOK,		/* the step runs a hook (run or undo) */
	PLAN_WHEN_TEST,		/* the restart has a configuration test */
	PLAN_WHEN_SNI,		/* the ref has an endpoint and an sni */
};

/*
 * The configuration test of service svc's restart (SPEC 4 run_test): its
 * run_test; else, for a service with a `file` ref (its files are on the
 * machine certrotate runs on, so is its configuration), the default of its
 * kind (plan_kind_test); else NULL.  *is_default (may be NULL) tells which.
 * Borrowed / static.
 */
const struct plan_argv *plan_service_test(const struct plan_service *svc, int *is_default);
/*
 * The default configuration test of a kind: nginx `nginx -t`, apache
 * `apachectl configtest`, haproxy `haproxy -c -f /etc/haproxy/haproxy.cfg`,
 * postfix `postfix check`; NULL for other kinds.  Static.
 */
const struct plan_argv *plan_kind_test(const char *kind);

struct plan_check_use {
	enum plan_check id;	/* PLAN_CHK_NONE ends the list */
	enum plan_when when;
};

#define PLAN_MAX_CHECKS 24
struct plan_step_checks {
	enum plan_variant variant;
	enum plan_step_type type;
	const char *name;				/* "rebind-file" */
	struct plan_check_use pre[PLAN_MAX_CHECKS];	/* evaluated before the step */
	struct plan_check_use verify[PLAN_MAX_CHECKS];	/* evaluated after it */
	struct plan_check_use rbverify[PLAN_MAX_CHECKS];	/* evaluated after its undo */
};

/* The table row of a variant (never NULL for a valid variant). */
const struct plan_step_checks *plan_step_checks(enum plan_variant v);

/* ---- rendering (render.c) ---------------------------------------------------- */

/*
 * The identity object of a certificate in plans: sha1, sha256, subject,
 * issuer, serial, tls_name, not_before, not_after, source.  New reference.
 */
struct json_object *plan_cert_json(const struct crt_cert *c);

/*
 * One step: id, type, host, service, ref, action, status ("pending" |
 * "done"), description, preconditions, verify, and when they apply:
 * account, services (grant); ref_type, cert (the identity as configured),
 * denotes, ambiguous, note, endpoint, sni, path (rebind, rename); from, to,
 * change; command and undo (the hooks' argv, unexpanded).  New reference;
 * `check` adds its own keys to it.
 */
struct json_object *plan_step_json(const struct plan *p, const struct plan_step *s);

/*
 * The whole plan: rotation, old, new, steps, untouched, notes.  Every ref
 * appears once: in its rebind/rename step, or in `untouched` (refs on a
 * protected, other or unknown certificate: host, service, ref, type, cert,
 * denotes, ambiguous, note).  New reference.
 */
struct json_object *plan_json(const struct plan *p);

/*
 * Writes the plan as JSON (pretty, insertion order) / as text for people
 * (one line per step; a rename that changes the name is followed by the
 * connector's old and new <I>..<S>.. names, '^' under the changed RDNs).
 */
void plan_render_json(const struct plan *p, FILE *f);
void plan_render_text(const struct plan *p, FILE *f);

/* "sha1:5A1B2C3D…9F00" - a thumbprint shortened for people.  New string. */
char *plan_short_ident(const struct crt_cert *c);

#endif
