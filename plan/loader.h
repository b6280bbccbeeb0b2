/*
 * loader.h - the configuration loader's parts (plan/ only; see config.h for
 * what it guarantees).
 *
 *   cfgscan.c    reads the text (regular files, bounded) and pre-scans it and
 *                its @include files before libconfig sees them (limits.h)
 *   config.c     the entry points: read, pre-scan, libconfig, walk, cross rules
 *   schema.c     THE table: every setting of every section, one row each
 *   names.c      the names of the model's enums
 *   cfgwalk.c    the engine walking the table over libconfig's tree: unknown
 *                settings, types, required settings, defaults, storage, release
 *   validate.c   the validators the rows name
 *   source.c     sources parsed once (struct plan_src)
 *   crossref.c   rules across entries: uniqueness, dangling names, cycles,
 *                dependency order
 *   loader.c     errors and warnings with file, line and setting; paths
 *
 * Calls go downwards only: config.c -> cfgwalk.c -> (schema.c's rows ->)
 * validate.c, crossref.c, source.c, placeholder.c -> loader.c, names.c.
 */
#ifndef PLAN_LOADER_H
#define PLAN_LOADER_H

#include <stddef.h>
#include <libconfig.h>

#include "config.h"
#include "map.h"

/* ---- the loader's state (one per load) ---------------------------------------- */

struct plan_cfgtexts;

struct loader {
	config_t lc;
	struct plan_config *cfg;
	struct cr_err *err;
	/* the file-order settings of the elements of the top-level lists tokens,
	   hosts, services (for errors found after the walk) */
	const config_setting_t **elems[3];
	struct plan_map scratch;	/* uniqueness within one list (crossref.c) */
	struct plan_cfgtexts *texts;	/* what cfgscan.c read, for syntax errors */
};
enum { PLAN_ELEMS_TOKENS = 0, PLAN_ELEMS_HOSTS, PLAN_ELEMS_SERVICES };

/* ---- errors and paths (loader.c) ------------------------------------------------ */

/* Where setting s is (NULL: the main file, line 0). */
struct plan_loc plan_ld_loc(struct loader *ld, const config_setting_t *s);
/* The interned name of a file libconfig names (NULL: the main file). */
const char *plan_ld_intern(struct plan_config *cfg, const char *file);

/* "FILE:LINE: PATH: message" into ld->err (CR_EINPUT, CR_R_CONFIG); returns CR_EINPUT. */
int plan_ld_fail(struct loader *ld, const config_setting_t *s, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Adds a warning "FILE:LINE: PATH: msg" to the model. */
void plan_ld_warn(struct loader *ld, const config_setting_t *s, const char *path, const char *msg);

/*
 * "parent.name" into buf (PLAN_PATH_BUF bytes), without allocating; a path
 * too long for the buffer (deeper than any configuration) ends in "...".
 */
#define PLAN_PATH_BUF 256
const char *plan_ld_path(char *buf, const char *parent, const char *name);
/* "parent.[i]" the same way. */
const char *plan_ld_elem_path(char *buf, const char *parent, size_t i);

/* "a string", "a group { ... }", ... for libconfig's CONFIG_TYPE_*. */
const char *plan_ld_type_name(int type);

/* The nearest of names[0..n) to word (edit distance < 3 and < its length), or NULL. */
const char *plan_ld_nearest(const char *word, const char *const *names, size_t n);
size_t plan_ld_edit_distance(const char *a, const char *b);

void plan_free_strv(char **v, size_t n);

/* ---- the schema (schema.c) ------------------------------------------------------- */

/* The sections of SPEC 4: groups whose settings a table row describes. */
enum plan_sec {
	PLAN_SEC_ROOT = 0,	/* the top level: struct plan_config */
	PLAN_SEC_ROTATION,	/* struct plan_rotation */
	PLAN_SEC_TOKEN,		/* struct plan_token */
	PLAN_SEC_HOST,		/* struct plan_host */
	PLAN_SEC_ACCEPTS,	/* hosts' accepts { }: struct plan_host too */
	PLAN_SEC_SERVICE,	/* struct plan_service */
	PLAN_SEC_REF,		/* struct plan_ref */
	PLAN_NSECS
};

struct plan_section {
	const char *what;	/* "a host", for messages */
	unsigned hooks;		/* step types of the run_T / undo_T hooks it holds */
	size_t size;		/* the size of its struct (elements of a list of groups) */
	size_t off_loc;		/* PLAN_AT: its struct plan_loc, 0: none */
	size_t off_path;	/* PLAN_AT: its setting path (char *, "hosts.[3]"), 0: none */
};

/*
 * How a setting is read and where it is stored.  Offsets are PLAN_AT(type,
 * field) (the field's offset + 1) into the section's struct, 0 for none.
 *
 *  type             off            off2               off3              off_loc
 *  PLAN_T_STR       char *         -                  -                 loc
 *  PLAN_T_PATH      char * resolved char * as written  -                 loc
 *  PLAN_T_MODULE    char *: a path (resolved) when it holds '/', else a module name
 *  PLAN_T_SECRET    char *: file:PATH, PATH resolved; the value is never shown
 *  PLAN_T_DURATION  long long s    -                  -                 loc
 *  PLAN_T_ENUM      int            -                  -                 loc   (arg: struct plan_enum)
 *  PLAN_T_SOURCE    char * text    struct plan_src    -                 loc   (arg: enum plan_src_use)
 *  PLAN_T_SOURCES   char **        size_t count       struct plan_src * loc   (arg: enum plan_src_use)
 *  PLAN_T_STRLIST   char **        size_t count       -                 loc
 *  PLAN_T_IDENT     char * text    struct crt_ident   struct plan_src * loc
 *  PLAN_T_PROTECT   struct plan_protect * (text, ident, src, loc, path)   size_t count
 *  PLAN_T_GROUP     a group read as section arg into the struct at off (0: this one)
 *  PLAN_T_GROUPS    array of section arg's struct  size_t count     (a list of groups)
 *  PLAN_T_HOOKS     struct plan_hooks: run_T / undo_T of the section's step types
 *  PLAN_T_HOOK      struct plan_argv   (arg: step type of the hook, by plan_hook_step_fn)
 *
 * Strings are never empty; lists are refused empty unless PLAN_F_EMPTY_OK.
 */
enum plan_stype {
	PLAN_T_STR = 0, PLAN_T_PATH, PLAN_T_MODULE, PLAN_T_SECRET, PLAN_T_DURATION, PLAN_T_ENUM,
	PLAN_T_SOURCE, PLAN_T_SOURCES, PLAN_T_STRLIST, PLAN_T_IDENT, PLAN_T_PROTECT,
	PLAN_T_GROUP, PLAN_T_GROUPS, PLAN_T_HOOKS, PLAN_T_HOOK,
};

#define PLAN_AT(type, field) (offsetof(type, field) + 1)

enum {
	PLAN_F_REQUIRED = 1,	/* absent: "missing (required)" */
	PLAN_F_EMPTY_OK = 2,	/* a list may be empty */
};

/* The names of an enum setting's values (value = base + index). */
struct plan_enum {
	const char *names[8];	/* NULL-terminated */
	int base;
};

/* The enums settings of several sections name (names.c). */
extern const struct plan_enum plan_retire_modes, plan_ref_types;

struct plan_value;
typedef int (*plan_check_fn)(struct loader *ld, struct plan_value *v);
/* The step type of a ref's run / undo hook. */
typedef enum plan_step_type (*plan_hook_step_fn)(const void *obj);

struct plan_setting {
	enum plan_sec sec;
	const char *name;
	enum plan_stype type;
	unsigned flags;
	size_t off, off2, off3, off_loc;
	const void *arg;	/* see enum plan_stype */
	const char *def;	/* default text, as it would be written, or NULL */
	/* absent: called when the setting is absent (before PLAN_F_REQUIRED is
	   applied): may fail, or give a default in v->dflt (and v->s, v->path) */
	plan_check_fn absent;
	plan_check_fn elem;	/* each element of a list, once all are read and stored
				   (a list of groups: each group, once read) */
	plan_check_fn check;	/* the value, once read and stored (not called for a
				   setting absent without a default; always for hooks) */
};

/* What a check function is given. */
struct plan_value {
	const struct plan_setting *row;
	void *obj;			/* the section's struct */
	const config_setting_t *group;	/* the enclosing group */
	const config_setting_t *s;	/* the setting, or the element (elem); NULL when absent */
	const char *text;		/* its string (scalars, list elements), NULL when absent */
	size_t index;			/* the element (elem) */
	char path[PLAN_PATH_BUF];	/* its setting path ("rotation.name", "...names.[1]") */
	char *dflt;			/* a default made by `absent`; the engine frees it */
};

/* The field at off (PLAN_AT) of obj. */
#define PLAN_FIELD(obj, off) ((void *)((char *)(obj) + (off) - 1))

/* The rows of a section, in the order they are read (*n of them). */
const struct plan_setting *plan_schema_rows(enum plan_sec sec, size_t *n);
const struct plan_section *plan_schema_section(enum plan_sec sec);

/* ---- the engine (cfgwalk.c) -------------------------------------------------------- */

/*
 * Reads group g (setting path `path`, "" at the top) as section sec into
 * obj: unknown settings first, then every row in table order.  The first
 * problem is reported (plan_ld_fail) and returned.
 */
int plan_walk(struct loader *ld, enum plan_sec sec, const config_setting_t *g, const char *path,
    void *obj);
/* Frees what the rows of sec stored in obj (and the section's path). */
void plan_walk_release(enum plan_sec sec, void *obj);

/* ---- validators (validate.c): each a plan_check_fn -------------------------------- */

int plan_chk_name(struct loader *ld, struct plan_value *v);
int plan_chk_ref_id(struct loader *ld, struct plan_value *v);	/* any printable name */
int plan_chk_hostname(struct loader *ld, struct plan_value *v);
int plan_chk_svcname(struct loader *ld, struct plan_value *v);
int plan_chk_endpoint(struct loader *ld, struct plan_value *v);
int plan_chk_sigalg(struct loader *ld, struct plan_value *v);
int plan_chk_keyalg(struct loader *ld, struct plan_value *v);
int plan_chk_subject(struct loader *ld, struct plan_value *v);	/* DN text renew can encode */
int plan_chk_key(struct loader *ld, struct plan_value *v);
int plan_chk_import_to(struct loader *ld, struct plan_value *v);
int plan_chk_rotation_hooks(struct loader *ld, struct plan_value *v);
int plan_dflt_archive_dir(struct loader *ld, struct plan_value *v);
int plan_chk_ref_path(struct loader *ld, struct plan_value *v);
int plan_dflt_ref_path(struct loader *ld, struct plan_value *v);
int plan_dflt_ref_cert(struct loader *ld, struct plan_value *v);
int plan_chk_key_path(struct loader *ld, struct plan_value *v);
int plan_chk_needs_endpoint(struct loader *ld, struct plan_value *v);
int plan_chk_sni(struct loader *ld, struct plan_value *v);
enum plan_step_type plan_ref_hook_step(const void *ref);
/* A service's run_test: the placeholders of its restart. */
enum plan_step_type plan_test_hook_step(const void *service);

/* ---- rules across entries (crossref.c) ----------------------------------------------- */

int plan_xref_depends_once(struct loader *ld, struct plan_value *v);	/* elem of depends */
int plan_xref_ref_id_once(struct loader *ld, struct plan_value *v);	/* elem of refs */
int plan_xref_tokens(struct loader *ld, struct plan_value *v);		/* check of tokens */
int plan_xref_protect(struct loader *ld, struct plan_value *v);	/* check of protect */
/* Unique host and service names, and every host / depends naming one. */
int plan_xref_names(struct loader *ld);
/* The private name indexes of a model (plan_config.index). */
void *plan_xref_index_new(void);
void plan_xref_index_free(void *index);
/*
 * Sorts hosts and services by name and refs by id, resolves names to
 * indices, refuses a dependency cycle, ranks services in dependency order.
 */
int plan_xref_finish(struct loader *ld);

/* ---- sources (source.c) ------------------------------------------------------------- */

enum plan_src_use {
	PLAN_USE_CERT = 0,	/* where a certificate is: file:, pkcs11: (type=cert), tls:// */
	PLAN_USE_KEY,		/* where the new key is: file: or pkcs11: (type=private) */
	PLAN_USE_TOKEN,		/* a `tokens` entry: a token-only pkcs11: URI */
	PLAN_USE_IMPORT,	/* rotation.import_to: the same */
};

/*
 * Validates and parses `text` as a source for `use`, relative paths against
 * dir: fills *out (plan_src_release it; its text points at `text`, which
 * must outlive it).  On a problem CR_EINPUT and the message (without file,
 * line, setting) in err, never showing a pin-source or pass-source value.
 */
int plan_src_parse(const char *text, enum plan_src_use use, const char *dir,
    struct plan_src *out, struct cr_err *err);
void plan_src_release(struct plan_src *src);
/* Sets token and pin_source of every pkcs11: source of cfg from its `tokens`. */
void plan_src_bind_tokens(struct plan_config *cfg);

/* ---- the text and its @includes (cfgscan.c) ------------------------------------------ */

/*
 * Reads the main configuration file `path` (shown as `name`): a regular
 * file of at most PLAN_CFG_MAX_BYTES, without NUL bytes, never waiting on a
 * FIFO.  *text NUL-terminated; free() it.
 */
int plan_cfg_read(const char *path, const char *name, char **text, struct cr_err *err);

/*
 * Checks text (the main file `path`, NULL for a string, named `name`) and
 * every file it @includes,
 * as libconfig 1.5 would open them (dir + "/" + name), against the limits
 * of limits.h before libconfig reads anything: regular readable files, no
 * empty name, no loop, bounded nesting, count and bytes, bounded strings,
 * comments, runs of blanks and names, bounded settings per group and
 * nesting.  A file that cannot be opened is left to libconfig (which names
 * it).  *texts (plan_cfgtexts_free it) keeps what was read, for messages.
 */
int plan_cfg_prescan(const char *text, const char *name, const char *path, const char *dir,
    struct plan_cfgtexts **texts, struct cr_err *err);
/* The text read for an included file named as libconfig names it, or NULL.  Borrowed. */
const char *plan_cfgtexts_get(const struct plan_cfgtexts *t, const char *file);
void plan_cfgtexts_free(struct plan_cfgtexts *t);

#endif
