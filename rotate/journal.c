#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../common/fsutil.h"
#include "../common/utf8.h"
#include "../common/util.h"

/* The header's first key, written first: how a torn header is told from a foreign file. */
#define HEADER_KEY "certrotate-journal"
#define HEADER_PREFIX "{\"" HEADER_KEY "\":"
#define AT_MAX 40
#define KEY_MAX 64

static const struct {
	const char *name;
	enum rot_step_state state;
} events[] = {
	[ROT_EV_START] = { "start", ROT_STEP_STARTED },
	[ROT_EV_DONE] = { "done", ROT_STEP_DONE },
	[ROT_EV_FAILED] = { "failed", ROT_STEP_FAILED },
	[ROT_EV_SKIPPED] = { "skipped", ROT_STEP_SKIPPED },
	[ROT_EV_ROLLED_BACK] = { "rolled-back", ROT_STEP_ROLLED_BACK },
};
#define NEVENTS (sizeof(events) / sizeof(events[0]))

static const char *const phases[] = { [ROT_PHASE_RUN] = "run", [ROT_PHASE_ROLLBACK] = "rollback" };

static const char *const states[] = {
	[ROT_STEP_PENDING] = "pending", [ROT_STEP_STARTED] = "started", [ROT_STEP_DONE] = "done",
	[ROT_STEP_FAILED] = "failed", [ROT_STEP_SKIPPED] = "skipped",
	[ROT_STEP_ROLLED_BACK] = "rolled-back",
};

const char *
rot_event_name(enum rot_event ev)
{
	return (unsigned)ev < NEVENTS ? events[ev].name : "?";
}

const char *
rot_step_state_name(enum rot_step_state st)
{
	return (unsigned)st < sizeof(states) / sizeof(states[0]) ? states[st] : "?";
}

struct kv {
	char *key;
	char *value;
};

/* A step as replayed: its last event, and the data of all its events merged. */
struct jstep {
	char *id;
	enum rot_step_state state;
	enum rot_phase phase;
	char *at;
	char *detail;
	struct kv *data;
	size_t ndata, capdata;
};

struct rot_journal {
	char *path;
	int fd;
	size_t size;			/* bytes of complete lines in the file */
	char *rotation, *old_sha256, *new_sha256;
	struct rot_journal_id id;	/* views of the three above */
	char *warning;
	struct jstep whole;		/* ROT_JOURNAL_ROTATION */
	struct jstep *steps;		/* in order of first appearance */
	size_t nsteps, capsteps;
	size_t *slots;			/* hash of steps: index + 1, 0 = empty */
	size_t nslots;
};

/* ---------------------------------------------------------------- replayed state */

static size_t
hash(const char *s)
{
	size_t h = 1469598103934665603u;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static void
rehash(struct rot_journal *j)
{
	size_t i, n = j->nslots ? j->nslots * 2 : 64;

	free(j->slots);
	j->slots = cr_xcalloc(n, sizeof(*j->slots));
	j->nslots = n;
	for (i = 0; i < j->nsteps; i++) {
		size_t h = hash(j->steps[i].id) & (n - 1);
		while (j->slots[h] != 0)
			h = (h + 1) & (n - 1);
		j->slots[h] = i + 1;
	}
}

/* The step named id, or NULL; with create, made PENDING when missing. */
static struct jstep *
step_find(struct rot_journal *j, const char *id, int create)
{
	size_t h;

	if (strcmp(id, ROT_JOURNAL_ROTATION) == 0)
		return &j->whole;
	if (j->nslots != 0) {
		for (h = hash(id) & (j->nslots - 1); j->slots[h] != 0; h = (h + 1) & (j->nslots - 1))
			if (strcmp(j->steps[j->slots[h] - 1].id, id) == 0)
				return &j->steps[j->slots[h] - 1];
	}
	if (!create)
		return NULL;
	cr_grow(&j->steps, &j->capsteps, j->nsteps + 1, sizeof(*j->steps));
	memset(&j->steps[j->nsteps], 0, sizeof(j->steps[0]));
	j->steps[j->nsteps].id = cr_xstrdup(id);
	j->nsteps++;
	if (j->nsteps * 2 > j->nslots) {
		rehash(j);
	} else {
		for (h = hash(id) & (j->nslots - 1); j->slots[h] != 0; h = (h + 1) & (j->nslots - 1))
			;
		j->slots[h] = j->nsteps;
	}
	return &j->steps[j->nsteps - 1];
}

static void
step_set_data(struct jstep *s, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < s->ndata; i++)
		if (strcmp(s->data[i].key, key) == 0) {
			free(s->data[i].value);
			s->data[i].value = cr_xstrdup(value);
			return;
		}
	cr_grow(&s->data, &s->capdata, s->ndata + 1, sizeof(*s->data));
	s->data[s->ndata].key = cr_xstrdup(key);
	s->data[s->ndata].value = cr_xstrdup(value);
	s->ndata++;
}

/* An event, from the file or just appended, applied to the replayed state. */
static void
step_apply(struct rot_journal *j, const char *id, enum rot_event ev, enum rot_phase phase,
    const char *at, const char *detail, const char *const *data)
{
	struct jstep *s = step_find(j, id, 1);
	size_t i;

	/* a step's event after the rotation's "done" or "rolled-back" (a rollback begun,
	   a run again after a rollback): the rotation is neither any more */
	if (s != &j->whole && (j->whole.state == ROT_STEP_DONE ||
	    j->whole.state == ROT_STEP_ROLLED_BACK))
		j->whole.state = ROT_STEP_PENDING;
	s->state = events[ev].state;
	s->phase = phase;
	free(s->at);
	s->at = cr_xstrdup(at);
	free(s->detail);
	s->detail = cr_xstrdup(detail != NULL ? detail : "");
	for (i = 0; data != NULL && data[i] != NULL && data[i + 1] != NULL; i += 2)
		step_set_data(s, data[i], data[i + 1]);
}

static void
step_release(struct jstep *s)
{
	size_t i;

	free(s->id);
	free(s->at);
	free(s->detail);
	for (i = 0; i < s->ndata; i++) {
		free(s->data[i].key);
		free(s->data[i].value);
	}
	free(s->data);
}

/* ---------------------------------------------------------------- validation */

static int
valid_step_id(const char *s)
{
	size_t n = strlen(s);

	/* one word a journal, a shell and --only can carry: plan ids slug what is not */
	return n >= 1 && n <= ROT_JOURNAL_STEP_MAX &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}

static int
valid_key(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= KEY_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static int
valid_sha256(const char *s)
{
	return s != NULL && strlen(s) == 64 && strspn(s, "0123456789abcdefABCDEF") == 64;
}

/* The string value of o without an embedded NUL, or NULL. */
static const char *
str_of(struct json_object *o)
{
	const char *s;

	if (o == NULL || !json_object_is_type(o, json_type_string))
		return NULL;
	s = json_object_get_string(o);
	return strlen(s) == (size_t)json_object_get_string_len(o) ? s : NULL;
}

/* The index of name in a table of n names, or -1. */
static int
lookup(const char *name, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; name != NULL && i < n; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

static int
event_of(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < NEVENTS; i++)
		if (strcmp(events[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ---------------------------------------------------------------- parsing */

/* Parses exactly one JSON object from line[0..len): NULL when it is not one. */
static struct json_object *
parse_object(const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(4);	/* header/event {data {}}: depth 2 */
	struct json_object *o;

	if (tok == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len || !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Compares the journal's header with the caller's id: the first difference, or CR_OK. */
static int
header_matches(struct rot_journal *j, const struct rot_journal_id *id, struct cr_err *err)
{
	static const char *const what[] = {
		"rotation", "old certificate SHA-256", "new certificate SHA-256",
	};
	const char *mine[] = { j->id.rotation, j->id.old_sha256, j->id.new_sha256 };
	const char *want[] = { id->rotation, id->old_sha256, id->new_sha256 };
	size_t i;

	for (i = 0; i < 3; i++) {
		char *clean;
		int same;

		if (want[i] == NULL && i > 0)
			continue;	/* a certificate unknown to the caller: the journal's stands */
		clean = cr_utf8_sanitize(want[i] != NULL ? want[i] : "",
		    want[i] != NULL ? strlen(want[i]) : 0, 0, 0, NULL);
		same = i > 0 ? strcasecmp(mine[i], clean) == 0 : strcmp(mine[i], clean) == 0;
		free(clean);
		if (!same)
			return cr_err_setr(err, CR_EINPUT, CR_R_STATE,
			    "journal '%s' belongs to another rotation: its %s is '%s', not '%s'", j->path,
			    what[i], mine[i], want[i] != NULL ? want[i] : "");
	}
	return CR_OK;
}

static int
parse_header(struct rot_journal *j, const char *line, size_t len, const struct rot_journal_id *id,
    struct cr_err *err)
{
	struct json_object *o = parse_object(line, len), *v;
	const char *rot = NULL, *olds = NULL, *news = NULL, *at = NULL;
	int r = CR_EINPUT, version = -1, n = 0;

	if (o == NULL || !json_object_object_get_ex(o, HEADER_KEY, &v)) {
		cr_err_setr(err, CR_EINPUT, CR_R_STATE,
		    "'%s' is not a certrotate journal (line 1 is no journal header)", j->path);
		goto out;
	}
	json_object_object_foreach(o, key, val) {
		n++;
		if (strcmp(key, HEADER_KEY) == 0 && json_object_is_type(val, json_type_int))
			version = json_object_get_int(val);
		else if (strcmp(key, "rotation") == 0)
			rot = str_of(val);
		else if (strcmp(key, "old_sha256") == 0)
			olds = str_of(val);
		else if (strcmp(key, "new_sha256") == 0)
			news = str_of(val);
		else if (strcmp(key, "at") == 0)
			at = str_of(val);
	}
	if (version != ROT_JOURNAL_VERSION) {
		cr_err_setr(err, CR_EINPUT, CR_R_STATE,
		    "journal '%s' is of version %d; this certrotate reads version %d", j->path, version,
		    ROT_JOURNAL_VERSION);
		goto out;
	}
	if (n != 5 || rot == NULL || !valid_sha256(olds) || !valid_sha256(news) || at == NULL) {
		cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "journal '%s' line 1: malformed header",
		    j->path);
		goto out;
	}
	j->id.rotation = j->rotation = cr_xstrdup(rot);
	j->id.old_sha256 = j->old_sha256 = cr_xstrdup(olds);
	j->id.new_sha256 = j->new_sha256 = cr_xstrdup(news);
	r = header_matches(j, id, err);
out:
	json_object_put(o);
	return r;
}

/* The "data" object of an event as a NULL-terminated key, value list (borrowed from o). */
static int
parse_data(struct json_object *o, const char **pairs)
{
	size_t n = 0;

	if (!json_object_is_type(o, json_type_object))
		return -1;
	json_object_object_foreach(o, key, val) {
		const char *s = str_of(val);
		if (n >= 2 * ROT_JOURNAL_DATA_MAX || !valid_key(key) || s == NULL ||
		    strlen(s) > ROT_JOURNAL_VALUE_MAX)
			return -1;
		pairs[n++] = key;
		pairs[n++] = s;
	}
	pairs[n] = NULL;
	return 0;
}

static int
parse_event(struct rot_journal *j, const char *line, size_t len, size_t lineno, struct cr_err *err)
{
	struct json_object *o = parse_object(line, len);
	const char *step = NULL, *at = NULL, *detail = NULL, *why = NULL;
	const char *pairs[2 * ROT_JOURNAL_DATA_MAX + 1] = { NULL };
	int ev = -1, phase = ROT_PHASE_RUN, r = CR_EINPUT;

	if (o == NULL) {
		why = "not a JSON object";
		goto out;
	}
	json_object_object_foreach(o, key, val) {
		if (strcmp(key, "step") == 0)
			step = str_of(val);
		else if (strcmp(key, "event") == 0)
			ev = event_of(str_of(val));
		else if (strcmp(key, "phase") == 0)
			phase = lookup(str_of(val), phases, 2);
		else if (strcmp(key, "at") == 0)
			at = str_of(val);
		else if (strcmp(key, "detail") == 0 && (val == NULL ||
		    json_object_is_type(val, json_type_string)))
			detail = val != NULL ? json_object_get_string(val) : NULL;	/* a NUL inside only cuts it short */
		else if (strcmp(key, "data") == 0 && parse_data(val, pairs) == 0)
			continue;
		else {
			why = "unknown or malformed member";
			goto out;
		}
	}
	if (step == NULL || !valid_step_id(step))
		why = "no valid \"step\"";
	else if (ev < 0)
		why = "no valid \"event\"";
	else if (phase < 0)
		why = "bad \"phase\"";
	else if (at == NULL || strlen(at) > AT_MAX)
		why = "no valid \"at\"";
	if (why != NULL)
		goto out;
	step_apply(j, step, (enum rot_event)ev, (enum rot_phase)phase, at, detail, pairs);
	r = CR_OK;
out:
	if (why != NULL)
		cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "journal '%s' line %zu: malformed: %s",
		    j->path, lineno, why);
	json_object_put(o);
	return r;
}

/*
 * Replays buf[0..len).  *keep is the length of its complete lines; a torn
 * last line beyond it is reported in j->warning (the caller truncates it).
 */
static int
replay(struct rot_journal *j, const char *buf, size_t len, const struct rot_journal_id *id,
    size_t *keep, struct cr_err *err)
{
	const char *p = buf, *end = buf + len;
	size_t lineno = 0;
	int r;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (n > ROT_JOURNAL_LINE_MAX)
			return cr_err_setr(err, CR_EINPUT, CR_R_TOO_LARGE,
			    "journal '%s' line %zu: longer than %d bytes", j->path, lineno + 1,
			    ROT_JOURNAL_LINE_MAX);
		if (nl == NULL) {
			/*
			 * A torn last line.  Before any header, only a torn header
			 * may be ours: anything else is a file we must not touch.
			 */
			if (lineno == 0 && strncmp(p, HEADER_PREFIX, n < strlen(HEADER_PREFIX) ? n :
			    strlen(HEADER_PREFIX)) != 0)
				return cr_err_setr(err, CR_EINPUT, CR_R_STATE,
				    "'%s' is not a certrotate journal", j->path);
			j->warning = cr_xasprintf("journal '%s': ignored the torn last line %zu (%zu bytes "
			    "without a line end): an interrupted run was writing it", j->path, lineno + 1, n);
			break;
		}
		lineno++;
		if (memchr(p, '\0', n) != NULL)
			return cr_err_setr(err, CR_EINPUT, lineno == 1 ? CR_R_STATE : CR_R_MALFORMED,
			    "journal '%s' line %zu: malformed: a NUL byte", j->path, lineno);
		if (lineno == 1)
			r = parse_header(j, p, n - 1, id, err);
		else
			r = parse_event(j, p, n - 1, lineno, err);
		if (r != CR_OK)
			return r;
		p = nl + 1;
	}
	*keep = (size_t)(p - buf);
	return CR_OK;
}

/* ---------------------------------------------------------------- writing */

static void
now_rfc3339(char *buf, size_t size)
{
	time_t t = time(NULL);	/* the real time: the journal records when things happened */
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Appends obj as one line and fsyncs; a partial write is truncated away. */
static int
append_object(struct rot_journal *j, struct json_object *obj, struct cr_err *err)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen(s);
	char *line;
	int r = CR_OK;

	if (n + 1 > ROT_JOURNAL_LINE_MAX)
		return cr_err_setr(err, CR_EINPUT, CR_R_TOO_LARGE,
		    "cannot write journal '%s': an event of %zu bytes is over %d", j->path, n + 1,
		    ROT_JOURNAL_LINE_MAX);
	if (j->size + n + 1 > ROT_JOURNAL_MAX)
		return cr_err_setr(err, CR_EENV, CR_R_TOO_LARGE,
		    "cannot write journal '%s': it would pass %d bytes", j->path, ROT_JOURNAL_MAX);
	line = cr_xasprintf("%s\n", s);
	if (cr_fs_write_all(j->fd, line, n + 1) != 0 || fsync(j->fd) != 0) {
		r = cr_err_setr(err, CR_EENV, CR_R_IO, "cannot write journal '%s': %s", j->path,
		    strerror(errno));
		if (ftruncate(j->fd, (off_t)j->size) == 0)
			(void)fsync(j->fd);
	} else {
		j->size += n + 1;
	}
	free(line);
	return r;
}

static int
write_header(struct rot_journal *j, const struct rot_journal_id *id, struct cr_err *err)
{
	struct json_object *o;
	char at[32], *rot;
	int r;

	if (id->rotation == NULL || !valid_sha256(id->old_sha256) || !valid_sha256(id->new_sha256))
		return cr_err_setr(err, CR_EINPUT, CR_R_STATE,
		    "cannot start journal '%s': the rotation name and both certificates' SHA-256 are "
		    "needed", j->path);
	now_rfc3339(at, sizeof(at));
	rot = cr_utf8_sanitize(id->rotation, strlen(id->rotation), 0, 0, NULL);
	o = json_object_new_object();
	json_object_object_add(o, HEADER_KEY, json_object_new_int(ROT_JOURNAL_VERSION));
	json_object_object_add(o, "rotation", json_object_new_string(rot));
	json_object_object_add(o, "old_sha256", json_object_new_string(id->old_sha256));
	json_object_object_add(o, "new_sha256", json_object_new_string(id->new_sha256));
	json_object_object_add(o, "at", json_object_new_string(at));
	r = append_object(j, o, err);
	json_object_put(o);
	if (r == CR_OK) {
		j->id.rotation = j->rotation = rot;
		j->id.old_sha256 = j->old_sha256 = cr_xstrdup(id->old_sha256);
		j->id.new_sha256 = j->new_sha256 = cr_xstrdup(id->new_sha256);
	} else {
		free(rot);
	}
	return r;
}

/* Checks data pairs and builds the "data" object (NULL when there are none). */
static int
build_data(const struct rot_journal *j, const char *const *data, struct json_object **out,
    struct cr_err *err)
{
	size_t i;

	*out = NULL;
	for (i = 0; data != NULL && data[i] != NULL; i += 2) {
		const char *k = data[i], *v = data[i + 1];
		char *clean;
		if (i >= 2 * ROT_JOURNAL_DATA_MAX || v == NULL || !valid_key(k) ||
		    strlen(v) > ROT_JOURNAL_VALUE_MAX) {
			json_object_put(*out);
			*out = NULL;
			return cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED,
			    "cannot write journal '%s': bad data '%s'", j->path, k);
		}
		clean = cr_utf8_sanitize(v, strlen(v), 0, 0, NULL);
		if (strcmp(clean, v) != 0) {
			/* a value (a path) the journal could not give back byte for byte */
			free(clean);
			json_object_put(*out);
			*out = NULL;
			return cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED,
			    "cannot write journal '%s': data '%s' is not UTF-8 text", j->path, k);
		}
		free(clean);
		if (*out == NULL)
			*out = json_object_new_object();
		json_object_object_add(*out, k, json_object_new_string(v));
	}
	return CR_OK;
}

int
rot_journal_append(struct rot_journal *j, const struct rot_journal_event *ev, struct cr_err *err)
{
	struct json_object *o = NULL, *data = NULL;
	char at[32], *detail = NULL;
	int r;

	if (ev->step == NULL || !valid_step_id(ev->step) || (unsigned)ev->event >= NEVENTS ||
	    (unsigned)ev->phase > ROT_PHASE_ROLLBACK)
		return cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED,
		    "cannot write journal '%s': bad step id or event", j->path);
	if ((r = build_data(j, ev->data, &data, err)) != CR_OK)
		return r;
	now_rfc3339(at, sizeof(at));
	detail = cr_utf8_sanitize(ev->detail != NULL ? ev->detail : "",
	    ev->detail != NULL ? strlen(ev->detail) : 0, ROT_JOURNAL_DETAIL_MAX, 0, NULL);
	o = json_object_new_object();
	json_object_object_add(o, "step", json_object_new_string(ev->step));
	json_object_object_add(o, "event", json_object_new_string(events[ev->event].name));
	if (ev->phase == ROT_PHASE_ROLLBACK)
		json_object_object_add(o, "phase", json_object_new_string(phases[ev->phase]));
	json_object_object_add(o, "at", json_object_new_string(at));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	if (data != NULL)
		json_object_object_add(o, "data", data);
	if ((r = append_object(j, o, err)) == CR_OK)
		step_apply(j, ev->step, ev->event, ev->phase, at, detail, ev->data);
	json_object_put(o);
	free(detail);
	return r;
}

/* ---------------------------------------------------------------- open / close */

/* Opens the journal file and takes its lock; *created when there was none. */
static int
open_locked(struct rot_journal *j, int flags, int *created, struct cr_err *err)
{
	struct stat st;
	int fl;

	*created = 0;
	if (lstat(j->path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return cr_err_setr(err, CR_EINPUT, CR_R_NOT_REGULAR,
			    "cannot open journal '%s': not a regular file%s", j->path,
			    S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
	} else if (errno != ENOENT) {
		return cr_err_setr(err, CR_EENV, CR_R_IO, "cannot open journal '%s': %s", j->path,
		    strerror(errno));
	} else if (!(flags & ROT_JOURNAL_CREATE)) {
		return cr_err_setr(err, CR_EINPUT, CR_R_NOT_FOUND, "no journal '%s'", j->path);
	} else {
		*created = 1;
	}
	j->fd = open(j->path, O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    ((flags & ROT_JOURNAL_CREATE) ? O_CREAT : 0), 0600);
	if (j->fd < 0)
		return cr_err_setr(err, errno == ELOOP || errno == ENOENT ? CR_EINPUT : CR_EENV,
		    errno == ELOOP ? CR_R_NOT_REGULAR : errno == ENOENT ? CR_R_NOT_FOUND : CR_R_IO,
		    "cannot open journal '%s': %s", j->path, strerror(errno));
	if (fstat(j->fd, &st) != 0 || (fl = fcntl(j->fd, F_GETFL)) < 0 ||
	    fcntl(j->fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return cr_err_setr(err, CR_EENV, CR_R_IO, "cannot open journal '%s': %s", j->path,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cr_err_setr(err, CR_EINPUT, CR_R_NOT_REGULAR,
		    "cannot open journal '%s': not a regular file", j->path);
	if (st.st_uid != geteuid())
		return cr_err_setr(err, CR_EENV, CR_R_STATE,
		    "cannot use journal '%s': it is owned by uid %ld, not %ld", j->path,
		    (long)st.st_uid, (long)geteuid());
	if (st.st_nlink != 1)
		return cr_err_setr(err, CR_EENV, CR_R_STATE,
		    "cannot use journal '%s': it has %ld hard links", j->path, (long)st.st_nlink);
	if (flock(j->fd, LOCK_EX | LOCK_NB) != 0)
		return cr_err_setr(err, CR_EENV, CR_R_STATE, errno == EWOULDBLOCK ?
		    "journal '%s' is in use: another certrotate run or rollback holds its lock" :
		    "cannot lock journal '%s': %s", j->path, strerror(errno));
	if ((st.st_mode & 07777) != 0600 && fchmod(j->fd, 0600) != 0)
		return cr_err_setr(err, CR_EENV, CR_R_IO, "cannot make journal '%s' mode 0600: %s",
		    j->path, strerror(errno));
	return CR_OK;
}

int
rot_journal_open(const char *path, const struct rot_journal_id *id, int flags,
    struct rot_journal **out, struct cr_err *err)
{
	struct rot_journal *j = cr_xcalloc(1, sizeof(*j));
	unsigned char *buf = NULL;
	size_t len = 0, keep = 0;
	int r, created;

	*out = NULL;
	j->path = cr_xstrdup(path);
	j->fd = -1;
	if ((r = open_locked(j, flags, &created, err)) != CR_OK)
		goto out;
	if ((r = cr_fs_read_fd(j->fd, path, ROT_JOURNAL_MAX, &buf, &len, err)) != CR_OK)
		goto out;
	if ((r = replay(j, (const char *)buf, len, id, &keep, err)) != CR_OK)
		goto out;
	j->size = keep;
	if (keep < len && (ftruncate(j->fd, (off_t)keep) != 0 || fsync(j->fd) != 0)) {
		r = cr_err_setr(err, CR_EENV, CR_R_IO, "cannot repair journal '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	if (keep == 0 && (r = write_header(j, id, err)) != CR_OK)
		goto out;
	if (created) {
		char *dir = cr_path_dirname(path);
		r = cr_fs_fsync_dir(dir, err);
		free(dir);
		if (r != CR_OK)
			goto out;
	}
	*out = j;
	j = NULL;
	r = CR_OK;
out:
	free(buf);
	rot_journal_close(j);	/* a journal this call created and left empty is a new one next time */
	return r;
}

void
rot_journal_close(struct rot_journal *j)
{
	size_t i;

	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);	/* releases the flock */
	for (i = 0; i < j->nsteps; i++)
		step_release(&j->steps[i]);
	step_release(&j->whole);
	free(j->steps);
	free(j->slots);
	free(j->rotation);
	free(j->old_sha256);
	free(j->new_sha256);
	free(j->warning);
	free(j->path);
	free(j);
}

/* ---------------------------------------------------------------- queries */

const struct rot_journal_id *
rot_journal_header(const struct rot_journal *j)
{
	return &j->id;
}

const char *
rot_journal_path(const struct rot_journal *j)
{
	return j->path;
}

const char *
rot_journal_warning(const struct rot_journal *j)
{
	return j->warning;
}

void
rot_journal_step(const struct rot_journal *j, const char *step, struct rot_step_info *info)
{
	struct jstep *s = step_find((struct rot_journal *)j, step, 0);

	memset(info, 0, sizeof(*info));
	if (s == NULL || s->at == NULL)
		return;
	info->state = s->state;
	info->phase = s->phase;
	info->at = s->at;
	info->detail = s->detail;
}

const char *
rot_journal_data(const struct rot_journal *j, const char *step, const char *key)
{
	struct jstep *s = step_find((struct rot_journal *)j, step, 0);
	size_t i;

	for (i = 0; s != NULL && i < s->ndata; i++)
		if (strcmp(s->data[i].key, key) == 0)
			return s->data[i].value;
	return NULL;
}

size_t
rot_journal_nsteps(const struct rot_journal *j)
{
	return j->nsteps;
}

const char *
rot_journal_step_id(const struct rot_journal *j, size_t i)
{
	return i < j->nsteps ? j->steps[i].id : NULL;
}

int
rot_journal_complete(const struct rot_journal *j)
{
	return j->whole.state == ROT_STEP_DONE && j->whole.phase == ROT_PHASE_RUN;
}

int
rot_journal_rolled_back(const struct rot_journal *j)
{
	return j->whole.state == ROT_STEP_ROLLED_BACK;
}
