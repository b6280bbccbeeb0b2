/*
 * fuzz_journal.c - the journal of a rotation (rotate/journal.c) replayed
 * from the bytes as the journal file's content: rot_journal_open on a file
 * holding them, bound to the rotation "fuzz" (either SHA-256 accepted).
 * Asserted: a refusal is status 2 or 3 with a reason and a message naming
 * the file; an accepted journal lists only valid step ids, each in a
 * defined state, a warning (a torn last line cut) is printable UTF-8, the
 * rotation is not both complete and rolled back, and it takes an append
 * that the next open reads back (the step started, with its data), with
 * the steps read before still there.
 */
#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"
#include "../../rotate/journal.h"

static char dir[] = "/tmp/certrotate-fuzz-journal.XXXXXX";
static char *path;

/* Writes the journal file (in a directory of its own, made on the first call). */
static void
put(const uint8_t *data, size_t size)
{
	int fd;

	if (path == NULL) {
		if (mkdtemp(dir) == NULL)
			abort();
		path = cr_xasprintf("%s/j.jsonl", dir);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
		abort();
}

static int
step_id_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= ROT_JOURNAL_STEP_MAX && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}

/* What an accepted journal must be; the count of its steps. */
static size_t
check_open(const struct rot_journal *j)
{
	const char *w = rot_journal_warning(j);
	size_t i, n = rot_journal_nsteps(j);

	FUZZ_ASSERT(strcmp(rot_journal_header(j)->rotation, "fuzz") == 0, "another rotation");
	FUZZ_ASSERT(w == NULL || fuzz_shown_ok(w), "warning not printable: '%s'", w);
	FUZZ_ASSERT(!(rot_journal_complete(j) && rot_journal_rolled_back(j)),
	    "complete and rolled back at once");
	for (i = 0; i < n; i++) {
		const char *id = rot_journal_step_id(j, i);
		struct rot_step_info info;

		FUZZ_ASSERT(id != NULL && step_id_ok(id), "step id '%s'", id ? id : "(null)");
		rot_journal_step(j, id, &info);
		FUZZ_ASSERT(info.state != ROT_STEP_PENDING && info.state <= ROT_STEP_ROLLED_BACK &&
		    info.at != NULL, "step '%s' listed without an event", id);
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kv[] = { "written", "fuzz\xc3\xa9/path", NULL };
	const struct rot_journal_id id = { "fuzz", NULL, NULL };
	const struct rot_journal_event ev = { "zz-fuzz", ROT_EV_START, ROT_PHASE_RUN,
	    "appended", kv };
	struct rot_journal *j = NULL;
	struct rot_step_info info;
	struct cr_err err;
	size_t n, again;
	int r;

	put(data, size);
	cr_err_clear(&err);
	r = rot_journal_open(path, &id, 0, &j, &err);
	if (r != CR_OK) {
		FUZZ_ASSERT(j == NULL && (r == CR_EINPUT || r == CR_EENV) &&
		    err.reason != CR_R_NONE && strstr(err.msg, path) != NULL,
		    "refused with status %d, reason %s: '%s'", r, cr_reason_name(err.reason),
		    err.msg);
		goto out;
	}
	n = check_open(j);
	cr_err_clear(&err);
	r = rot_journal_append(j, &ev, &err);
	rot_journal_close(j);
	j = NULL;
	if (r != CR_OK) {
		/* only the journal's size bound may refuse a valid event */
		FUZZ_ASSERT(err.reason == CR_R_TOO_LARGE, "append refused: '%s'", err.msg);
		goto out;
	}
	cr_err_clear(&err);
	r = rot_journal_open(path, &id, 0, &j, &err);
	FUZZ_ASSERT(r == CR_OK, "the journal just appended to is refused: '%s'", err.msg);
	again = check_open(j);
	rot_journal_step(j, "zz-fuzz", &info);
	FUZZ_ASSERT(info.state == ROT_STEP_STARTED && info.detail != NULL &&
	    strcmp(info.detail, "appended") == 0, "the appended event is not read back");
	FUZZ_ASSERT(rot_journal_data(j, "zz-fuzz", "written") != NULL &&
	    strcmp(rot_journal_data(j, "zz-fuzz", "written"), kv[1]) == 0,
	    "the appended data is not read back");
	FUZZ_ASSERT(again == n || again == n + 1, "%zu steps before the append, %zu after", n,
	    again);
out:
	rot_journal_close(j);
	unlink(path);
	return 0;
}
