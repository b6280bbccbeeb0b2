/*
 * config.h - the configuration model of SPEC 4 (libconfig syntax), loaded
 * and validated as a whole.
 *
 * plan_config_load() either returns a complete, consistent model or fails
 * with CR_EINPUT and ONE message naming the file, the line and the setting:
 *
 *   certrotate.cfg:14: services.[1].refs.[0].cert: bad identity 'sha1:5A1B...1B2C':
 *       sha1: needs 40 hex digits, got 38
 *
 * Setting paths use libconfig's own lookup notation (`hosts.[0].accepts.key.[2]`),
 * so `config_lookup()` and a person counting entries from 0 find the same
 * setting.  When a configuration has several errors, the first met is
 * reported: groups in file order, a group's settings in the order of the
 * schema (schema.c), then the rules across entries in file order.
 *
 * The reason (err->reason) tells what kind of problem it is: CR_R_CONFIG
 * for the schema and the rules across entries, CR_R_MALFORMED for
 * libconfig's syntax errors, CR_R_NOT_FOUND / CR_R_IO for files that cannot
 * be read, CR_R_NOT_REGULAR and CR_R_TOO_LARGE (LIMITS below).
 *
 * What a valid model guarantees (so that later layers need not re-check):
 *  - every known setting has its type; unknown settings are refused (with
 *    the nearest known name suggested);
 *  - host and service names are unique, ref ids unique within their service,
 *    `tokens` entries name distinct tokens, a service's `depends` names each
 *    service once;
 *  - every PIN / password source (tokens' pin_source, a URI's pin-source, a
 *    PKCS#12's pass-source) is file:PATH; messages about one never show its
 *    value (it may be a PIN pasted by mistake);
 *  - accepts.signature entries name signature algorithms OpenSSL knows (short
 *    or long name, any case, or the dotted OID as OpenSSL writes it);
 *  - every service's `host` and `depends` name an existing host / service,
 *    and `depends` has no cycle;
 *  - every identity (refs' `cert`, `protect`) parses (crt_ident_parse) and
 *    every source (old, new, key, chain, trust, import_to, identities that
 *    are sources) is well-formed; `import_to` names a token only;
 *  - every hook is a non-empty list of strings whose placeholders are known
 *    and available for the step the hook is for (see HOOKS below);
 *  - durations, `accepts` entries, `retire`, `starttls`, `endpoint` are valid.
 *
 * Arrays are sorted (hosts and services by name, refs by id), so nothing
 * downstream depends on the order of entries in the file.
 *
 * Relative paths (file: sources, pin sources, `path`, `key_path`,
 * `archive_dir`, `kinds_dir`, a module given as a path) are relative to the
 * configuration file's directory: the fields marked "resolved" below hold
 * the resolved path; source strings keep their text as written and are
 * resolved when loaded (crt_load_opts.base_dir = plan_config.dir).
 *
 * HOOKS (SPEC 7.2).  A hook is an argv list run without a shell.  Each step
 * type T in import, grant, rebind, rename, restart, retire has a `run_T`
 * hook and an optional `undo_T` (run by rollback; without it the run hook
 * runs with the roles of old and new swapped).  They may be set on:
 *
 *   rotation   run_/undo_ import grant rebind rename restart retire
 *   hosts      run_/undo_ import grant rebind rename restart retire
 *   services   run_/undo_ rebind rename restart
 *   refs       run / undo   (the ref's own rebind or rename step)
 *
 * A step's hook is looked up from its own entity outwards: ref -> service ->
 * host -> rotation for rebind/rename, service -> host -> rotation for
 * restart, host -> rotation for import, grant and a host's retire (its
 * store).  A hook on the step's own entity always makes the step a command;
 * a hook inherited from an enclosing entity does so only for steps
 * certrotate cannot do natively (so a rotation-wide run_rebind for IIS
 * bindings does not take over the native rebind of file refs, nor the
 * native import onto import_to or the native retire from a token).
 *
 * Placeholders, expanded per argv element, are those of placeholder.h
 * (plan_ph_check validates each element for its step type at load time).
 *
 * SOURCES are parsed once, here (struct plan_src): every later layer works
 * on the parsed form and a malformed source fails in one place.  The source
 * texts are kept beside them (rotation.old, ...) for messages.
 *
 * LIMITS (limits.h): the file and every @include must be a regular file
 * (a FIFO, device or directory is refused at once, never waited on); the
 * configuration with its @include files, one string, comment, run of blanks
 * or name, the settings of one group, nesting and @include count and depth
 * are bounded, so that every input costs bounded time and memory.  An
 * exceeded limit is CR_EINPUT with reason CR_R_TOO_LARGE and a message
 * naming the limit; a FIFO, device or directory is CR_R_NOT_REGULAR.
 */
#ifndef PLAN_CONFIG_H
#define PLAN_CONFIG_H

#include <stddef.h>

#include "../common/err.h"
#include "../cert/ident.h"
#include "../cert/tls.h"
#include "steptype.h"
#include "placeholder.h"

struct p11_uri;

/* Where a setting is: file (borrowed from the plan_config) and line. */
struct plan_loc {
	const char *file;
	int line;
};

/* An argv list (a hook).  v == NULL / n == 0 when the hook is absent. */
struct plan_argv {
	char **v;
	size_t n;
	struct plan_loc loc;
	char *path;		/* setting path, e.g. "hosts.[0].run_import" */
};

struct plan_hooks {
	struct plan_argv run[PLAN_NSTEPTYPES];
	struct plan_argv undo[PLAN_NSTEPTYPES];
};

/*
 * A source (SPEC 3.1) as parsed at load time: where a certificate or key
 * is.  One per source setting (rotation old/new/key/import_to/chain/trust,
 * identities that are sources).
 */
enum plan_src_kind { PLAN_SRC_FILE = 0, PLAN_SRC_PKCS11, PLAN_SRC_TLS };

struct plan_src {
	enum plan_src_kind kind;
	const char *text;		/* the source as written (borrowed from the model) */
	char *path;			/* FILE: the file, resolved ("file:" and a
					   "?pass-source=" query cut), else NULL */
	struct p11_uri *uri;		/* PKCS11: parsed (pin-source and module-path
					   resolved), else NULL */
	const struct plan_token *token;	/* PKCS11: the first `tokens` entry whose token
					   attributes it matches, or NULL (borrowed) */
	const char *pin_source;		/* PKCS11: its PIN file: the URI's pin-source,
					   else the pin_source of the first matching
					   `tokens` entry that has one, else NULL (borrowed) */
	struct crt_tls_target tls;	/* TLS: host, port, sni, starttls (timeout 0) */
	char *tls_storage;		/* what tls points into */
};

enum plan_retire_mode { PLAN_RETIRE_ARCHIVE = 0, PLAN_RETIRE_DELETE, PLAN_RETIRE_KEEP };
const char *plan_retire_mode_name(enum plan_retire_mode m);

struct plan_rotation {
	char *name;
	char *old, *new, *key;		/* source texts as written */
	struct plan_src old_src, new_src, key_src;	/* parsed */
	struct plan_loc old_loc, new_loc, key_loc;
	int key_is_file;		/* rotation.key is a file (not pkcs11:) */
	char **chain, **trust;		/* source texts */
	size_t nchain, ntrust;
	struct plan_src *chain_src, *trust_src;	/* parsed, nchain / ntrust of them */
	struct plan_loc chain_loc, trust_loc;
	long long min_remaining;	/* seconds; default 30d */
	char *import_to;		/* token URI or NULL */
	struct plan_src import_to_src;	/* parsed (kind PKCS11) when import_to is set */
	char *import_token;		/* its token= label (decoded), or the URI text */
	struct plan_loc import_to_loc;
	enum plan_retire_mode retire;
	char *archive_dir;		/* resolved; default "<dir>/<name>.archive" */
	char *archive_dir_text;		/* as written (default "<name>.archive"), for people */
	char *label;			/* CKA_LABEL for the imported object, or NULL */
	char *subject;			/* renew: the request's subject (DN text as in name:
					   identities), or NULL: the old certificate's */
	struct plan_loc subject_loc;
	char *kinds_dir;		/* resolved, or NULL */
	struct plan_hooks hooks;	/* run_/undo_ for every step type */
	struct plan_loc loc;
};

struct plan_token {
	char *uri;
	struct plan_src src;		/* the URI parsed (src.uri) */
	char *module;			/* resolved when a path (contains '/'); may be NULL */
	char *pin_source;		/* resolved path, "file:" stripped; may be NULL */
	struct plan_loc loc;
	struct plan_loc module_loc, pin_loc;	/* where module and pin_source are set */
	char *path;			/* "tokens.[0]" */
};

struct plan_host {
	char *name;
	char **accept_sig;		/* accepts.signature; NULL/0 = anything */
	size_t naccept_sig;
	char **accept_key;		/* accepts.key (cert/keyalg.h syntax); NULL/0 = anything */
	size_t naccept_key;
	struct plan_hooks hooks;	/* import grant rebind rename restart retire */
	struct plan_loc loc;
	char *path;			/* "hosts.[3]" (index in the file) */
};

enum plan_ref_type { PLAN_REF_BINDING = 0, PLAN_REF_CONNECTOR, PLAN_REF_FILE };
const char *plan_ref_type_name(enum plan_ref_type t);

struct plan_ref {
	char *id;
	enum plan_ref_type type;
	char *cert;			/* identity text; for a file ref without `cert`,
					   "file:<path as written>" (cert_implicit set) */
	int cert_implicit;
	struct crt_ident ident;		/* parsed `cert` */
	struct plan_src *cert_src;	/* the source, parsed, when ident.kind is
					   CRT_ID_SOURCE; else NULL */
	struct plan_loc cert_loc;
	char *endpoint;			/* "HOST:PORT" or NULL */
	char *sni;			/* or NULL */
	int starttls_smtp;
	char *file_path;		/* resolved `path` (file refs), else NULL */
	char *file_path_text;		/* `path` as written, for people */
	char *key_path;			/* resolved `key_path`, or NULL */
	char *key_path_text;		/* as written */
	struct plan_argv run, undo;
	size_t service;			/* index into plan_config.services */
	struct plan_loc loc;
	char *path;			/* "services.[1].refs.[0]" */
};

struct plan_service {
	char *name;
	char *host_name;
	size_t host;			/* index into plan_config.hosts */
	char *kind;			/* or NULL (kinds: "generic"); which kinds exist is
					   the kinds directory's business: rotate/ checks it */
	struct plan_loc kind_loc;
	char **names;
	size_t nnames;
	char *account;			/* or NULL */
	char **depends;			/* names, deduplicated, sorted */
	size_t ndepends;
	size_t *dep;			/* their indices into plan_config.services */
	struct plan_hooks hooks;	/* rebind rename restart */
	struct plan_argv run_test;	/* the configuration test gating the restart
					   (`nginx -t`), or absent: see plan_service_test */
	struct plan_ref *refs;		/* sorted by id */
	size_t nrefs;
	size_t rank;			/* position in dependency order (0 first) */
	struct plan_loc loc, depends_loc;
	char *path;			/* "services.[1]" */
};

struct plan_protect {
	char *text;
	struct crt_ident ident;
	struct plan_src *src;		/* parsed, when ident.kind is CRT_ID_SOURCE */
	struct plan_loc loc;
	char *path;			/* "protect.[0]" */
};

/*
 * A warning found while loading: an invisible mark in a thumbprint, a
 * protect entry naming what an earlier one names.
 */
struct plan_warning {
	char *msg;			/* "certrotate.cfg:9: services.[0].refs.[1].cert: ..." */
	char *setting;			/* "services.[0].refs.[1].cert" */
};

struct plan_config {
	char *file;			/* as given */
	char *dir;			/* its directory ("." when none) */
	struct plan_rotation rotation;
	struct plan_token *tokens;	/* file order */
	size_t ntokens;
	struct plan_host *hosts;	/* sorted by name */
	size_t nhosts;
	struct plan_service *services;	/* sorted by name */
	size_t nservices;
	struct plan_protect *protect;	/* file order */
	size_t nprotect;
	struct plan_warning *warnings;
	size_t nwarnings;
	char **files;			/* interned file names (plan_loc.file points here) */
	size_t nfiles;
	size_t nrefs;			/* total over all services */
	void *index;			/* private: name indexes */
};

/*
 * Reads and validates the configuration file `path`.  *out is NULL on
 * entry; on success it is a new model (plan_config_free it).  On failure
 * CR_EINPUT with "FILE:LINE: SETTING: problem" in err (an unreadable file:
 * "cannot read 'FILE': reason"; a FIFO: "cannot read 'FILE': is a FIFO, not
 * a regular file", at once).
 */
int plan_config_load(const char *path, struct plan_config **out, struct cr_err *err);

/*
 * Same from a string; `name` stands for the file in messages and `dir` is
 * the base of relative paths and @includes (NULL: ".").  The same limits
 * apply.  For tests, tools and fuzzing.
 */
int plan_config_parse(const char *text, const char *name, const char *dir,
    struct plan_config **out, struct cr_err *err);

void plan_config_free(struct plan_config *cfg);	/* accepts NULL */

/* Index of the host / service named `name`, or -1. O(1). */
long plan_config_host(const struct plan_config *cfg, const char *name);
long plan_config_service(const struct plan_config *cfg, const char *name);

/*
 * The nearest of names[0..n) to word, for "did you mean": edit distance
 * under 3 and under word's length; NULL when none is that near.
 */
const char *plan_nearest(const char *word, const char *const *names, size_t n);

/*
 * Locates err, a failure to use the source ps configured at loc as
 * `setting` (NULL: say nothing of it), at the setting that is wrong: when
 * the failure is the `tokens` entry's - its module cannot be loaded
 * (CR_R_MODULE) or its PIN source read (CR_R_PIN_SOURCE) - and the
 * source's URI names no module / pin-source of its own, that entry's
 * setting ("c.cfg:12: tokens.[0].module: cannot load ... (the token of
 * rotation.old)"); else the source's own ("c.cfg:4: rotation.old: ...").
 * Keeps err's status and reason; returns the status.
 */
int plan_src_error(struct cr_err *err, const struct plan_src *ps, struct plan_loc loc,
    const char *setting);

/*
 * Formats "FILE:LINE: SETTING: " + message into err (status CR_EINPUT), for
 * later layers reporting problems about a setting.  Returns CR_EINPUT.
 */
int plan_config_error(struct cr_err *err, struct plan_loc loc, const char *setting,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
