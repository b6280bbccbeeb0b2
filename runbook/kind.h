/*
 * kind.h - kinds of service as data (SPEC 8): the commands an operator runs
 * for each step of a rotation, how to verify the step and how to undo it,
 * loaded from kinds/NAME.cfg and rendered with every value quoted for the
 * kind's shell (quote.h).
 *
 * THE FILE (libconfig syntax; doc/certrotate.cfg.5 "KIND FILES"):
 *
 *   shell = "powershell";                 # or "sh": how values are quoted
 *   description = "Exchange Server: certificate store and service assignment";
 *   import = {                            # one group per step type of SPEC 5:
 *     what   = "Import the new certificate into the server's store";
 *     do     = [ "Import-ExchangeCertificate -Server {host} -FileData ..." ];
 *     verify = [ "Get-ExchangeCertificate -Server {host} -Thumbprint {new.sha1} | ..." ];
 *     undo   = [ "Remove-ExchangeCertificate -Server {host} -Thumbprint {new.sha1}" ];
 *     notes  = [ "Copy the PEM file to the server first." ];
 *   };
 *   rebind = (                            # rebind and rename: a list of groups,
 *     { refs = [ "httpsys" ]; what = ...; do = [...]; ... },   # chosen by ref id,
 *     { what = ...; do = [...]; ... }                         # else the last one
 *   );
 *
 * Top-level settings: shell (required), description (required), and
 * import, grant, rebind, rename, restart, retire (each optional: a step
 * type without a group has no commands of this kind).  In a group: what
 * (required, one line), do, verify, undo, notes (lists of strings, each
 * optional), for rebind and rename only, refs (ref ids this group is
 * for), and for restart only, test_notes (how to read the configuration
 * test's result: the test itself is not the kind's, see book_step_test;
 * a restart's do and undo hold the reload alone).  A list of groups holds the groups with refs first and at most one
 * without, last: the group for a ref is the first whose refs hold its id
 * (compared exactly), else the one without refs, else none.
 *
 * Each string of do, verify and undo is one command line for the kind's
 * shell, with the placeholders of SPEC 7.2 ({new.sha1} ... {path}), each
 * available where hooks have it (config.h, HOOKS: {ref} only in rebind and
 * rename, ...); `{{` is a literal brace.  A placeholder is replaced by its
 * value quoted as ONE literal of the shell: templates never put quotes
 * around a placeholder.  In a PowerShell kind a placeholder must stand as a
 * whole word - after the start of the line, a blank, `(` or `,` and before
 * the end, a blank, `)`, `,`, `;` or `|` - because a value beyond printable
 * ASCII becomes a parenthesised expression (quote.h).  undo commands name
 * the certificates as they are: {old.sha1} is the certificate to go back to
 * (the roles are NOT swapped as they are for hooks under rollback).
 * what, notes and test_notes are text for people, shown as written: no
 * placeholders.
 * Anything else - an unknown setting (the known ones are named), a wrong
 * type, an empty command, a control character, a placeholder unknown or
 * unavailable for the step type, @include - is refused with FILE:LINE.
 *
 * UNTRUSTED INPUT: a kind file is read only when it is a regular file of at
 * most BOOK_KIND_MAX_BYTES (a FIFO or device planted in the kinds directory
 * is refused without blocking); kind names are [A-Za-z0-9_-] (no path).
 *
 * WHERE KINDS ARE (book_kinds_dir): the directory given with --kinds DIR,
 * else the configuration's kinds_dir, else the kinds/ directory of the
 * source tree when the running binary was built in one (its directory's
 * parent holds kinds/generic.cfg: build/certrotate -> kinds/), else the
 * installed CR_KINDS_DIR ($(PREFIX)/share/certrotate/kinds).  The source
 * tree comes before the installed copy so that a developer's build never
 * reads stale installed kinds.
 */
#ifndef BOOK_KIND_H
#define BOOK_KIND_H

#include <stddef.h>

#include "quote.h"
#include "../common/err.h"
#include "../plan/config.h"

struct plan;
struct plan_step;
struct crt_info;

#define BOOK_KIND_MAX_BYTES (256u * 1024u)
#define BOOK_KIND_MAX_CMDS 64		/* per list */
#define BOOK_KIND_MAX_LINE 4096		/* bytes per command or note */

/* The lists of a group that hold commands. */
enum book_part {
	BOOK_DO = 0,
	BOOK_VERIFY,
	BOOK_UNDO,
	BOOK_NPARTS
};
const char *book_part_name(enum book_part p);	/* "do", "verify", "undo" */

/* A list of strings with the line of each (for messages). */
struct book_lines {
	char **v;
	int *line;
	size_t n;
};

struct book_group {
	char *what;
	struct book_lines test_notes;	/* restart only: how to read the configuration
					   test's result (text for people) */
	char **refs;			/* ref ids this group is for; NULL/0: any */
	size_t nrefs;
	struct book_lines cmd[BOOK_NPARTS];	/* templates, as written */
	struct book_lines notes;
	int line;
};

struct book_kind {
	char *name;			/* "exchange" */
	char *file;			/* the path read (or the name given to book_kind_parse) */
	enum book_shell shell;
	char *description;
	struct book_group *groups[PLAN_NSTEPTYPES];	/* file order */
	size_t ngroups[PLAN_NSTEPTYPES];
};

/*
 * Reads and validates DIR/NAME.cfg.  *out NULL on entry; on success a new
 * kind (book_kind_free it).  Errors: CR_EINPUT with reason CR_R_NOT_FOUND
 * ("unknown kind 'x': no file 'DIR/x.cfg'"), CR_R_NOT_REGULAR,
 * CR_R_TOO_LARGE, CR_R_IO, CR_R_CONFIG ("FILE:LINE: SETTING: problem"), or
 * CR_R_MALFORMED (a bad kind name; a syntax error "FILE:LINE: ...").
 */
int book_kind_load(const char *dir, const char *name, struct book_kind **out,
    struct cr_err *err);

/* The same from text (n bytes); `file` names it in messages.  For tests. */
int book_kind_parse(const char *text, size_t n, const char *name, const char *file,
    struct book_kind **out, struct cr_err *err);

void book_kind_free(struct book_kind *k);	/* accepts NULL */

/*
 * The group of step type t for a ref id (NULL for steps without a ref),
 * chosen as described above; NULL when the kind has none.  Borrowed.
 */
const struct book_group *book_kind_group(const struct book_kind *k, enum plan_step_type t,
    const char *ref);

/* ---- values and rendering ------------------------------------------------ */

/* A certificate's placeholders: {new.X} / {old.X}.  Strings borrowed; NULL = "". */
struct book_cert_vars {
	const char *sha1, *sha256, *subject, *issuer, *tls_name, *pem;
};

/* Every placeholder's value.  Strings borrowed; NULL renders as "" (quoted). */
struct book_vars {
	struct book_cert_vars new_cert, old_cert;
	const char *host, *service, *account, *ref, *endpoint, *path;
};

/*
 * The value of placeholder `name` ("new.sha1", "host", ...) in v, as it is
 * (not quoted); NULL for a name that is not a placeholder or a value not
 * set.  Borrowed from v.  For hooks shown as they will run.
 */
const char *book_var(const struct book_vars *v, const char *name);

/*
 * Fills the context values of a plan step (host, service, account, ref,
 * endpoint, path: the ref's resolved file path) as hooks see them, leaving
 * the certificate values as they are.  Borrowed from the step and its
 * configuration.
 */
void book_vars_step(struct book_vars *v, const struct plan_step *s);

/*
 * The kind whose commands step s of plan p shows: its service's `kind` (a
 * grant's service is the first of its host and account); for an import,
 * the kind of the first service with a rebind, rename or restart step on
 * the same host (plan order: by service dependency); NULL - generic - for
 * the import onto a token, a host with no such service, and the retire.
 * Borrowed from the configuration.
 */
const char *book_step_kind(const struct plan *p, const struct plan_step *s);

/*
 * Fills a certificate's values from crt_info_get's description (sha1,
 * sha256, subject, issuer, tls_name) and `pem`, the path of the PEM file of
 * that certificate and its chain (may be NULL).  Borrowed from info.
 */
void book_vars_cert(struct book_cert_vars *cv, const struct crt_info *info, const char *pem);

/*
 * Renders the commands of part p of group g (from kind k): one new string
 * per command, every placeholder replaced by its value quoted for k's shell;
 * a command naming a placeholder the step has no value for (NULL: a ref
 * without an endpoint) becomes a comment of both shells saying so, with
 * the template ("# left out: this step has no {endpoint} for: openssl ...").
 * *lines (NULL on entry) becomes an array of *n strings; book_lines_free it.
 * A value the shell cannot receive (quote.h) fails the whole rendering with
 * CR_EINPUT naming the kind, the step part and the placeholder:
 * "kind 'iis': rebind do, line 2: {ref}: value holds a NUL byte ...".
 */
int book_render(const struct book_kind *k, const struct book_group *g, enum book_part p,
    const struct book_vars *v, char ***lines, size_t *n, struct cr_err *err);
void book_lines_free(char **lines, size_t n);

/* ---- hooks and a restart's configuration test --------------------------------- */

/*
 * An argv as sh reads it: each argument expanded with v (placeholders of
 * SPEC 7.2) and quoted for sh (quote.h), plain words as they are.  A new
 * string; NULL with err set (CR_EINPUT) when an argument cannot be quoted.
 */
char *book_argv_line(const struct plan_argv *a, const struct book_vars *v, struct cr_err *err);

/*
 * Where the configuration test shown before a restart comes from.  ONE
 * owner: plan/svctest.c (plan_service_test, plan_kind_test) - the test
 * `check` runs (config.test) and that gates `run` is the one the runbook
 * and run's manual steps show; kind files hold the reload only, and say in
 * their restart group's test_notes how to read the test's output.
 */
enum book_test_from {
	BOOK_TEST_NONE = 0,	/* no test known: a kind without a default, no run_test */
	BOOK_TEST_RUN_TEST,	/* the service's run_test: certrotate runs it (config.test) on
				   its own machine, from the configuration's directory */
	BOOK_TEST_DEFAULT,	/* the kind's default, which certrotate runs (config.test): the
				   service's files, so its configuration, are on its machine */
	BOOK_TEST_BY_HAND,	/* the kind's default, which certrotate cannot run (no file of
				   the service is on its machine): the operator runs it on the host */
};

/*
 * The configuration test to run before restart step s, as one sh command
 * line (book_argv_line with v, {new.pem} and {old.pem} empty as for
 * run_test): *line a new string, or NULL with *from BOOK_TEST_NONE for a
 * step that is no restart or has no test.  CR_EINPUT when an argument
 * cannot be quoted.
 */
int book_step_test(const struct plan_step *s, const struct book_vars *v, char **line,
    enum book_test_from *from, struct cr_err *err);

/* ---- a directory of kinds ---------------------------------------------------- */

/* Kinds loaded from one directory, each once.  Opaque. */
struct book_kinds;

/* A new, empty set reading from dir (copied; not opened yet). */
struct book_kinds *book_kinds_new(const char *dir);
void book_kinds_free(struct book_kinds *ks);		/* accepts NULL */
const char *book_kinds_path(const struct book_kinds *ks);	/* the directory */

/*
 * The kind `name` (NULL or "": "generic"), loaded on first use.  *out is
 * borrowed from the set.  Errors as book_kind_load, each reported every time
 * it is asked for.
 */
int book_kinds_get(struct book_kinds *ks, const char *name, const struct book_kind **out,
    struct cr_err *err);

/*
 * The commands for one step: the group of the service's kind for step type
 * t and ref, else (the kind has none for it) the `generic` kind's.  Sets
 * *kind and *group (borrowed; *group NULL when generic has none either).
 */
int book_kinds_step(struct book_kinds *ks, const char *kind_name, enum plan_step_type t,
    const char *ref, const struct book_kind **kind, const struct book_group **group,
    struct cr_err *err);

/*
 * The names of the kinds in dir (every regular NAME.cfg whose NAME is a
 * kind name), sorted, into *names (free each and the array; NULL, 0 on
 * entry).  CR_EENV when dir cannot be read.
 */
int book_kinds_names(const char *dir, char ***names, size_t *n, struct cr_err *err);

/*
 * Where kinds are read from (see above): cli_dir (--kinds), else cfg_dir
 * (the configuration's kinds_dir, resolved), else the source tree's kinds/
 * beside the running binary, else CR_KINDS_DIR.  Returns a new string
 * (free() it); *why (may be NULL) is set to a static phrase for messages:
 * "--kinds", "kinds_dir", "source tree", "installed".
 */
char *book_kinds_dir(const char *cli_dir, const char *cfg_dir, const char **why);

#endif
