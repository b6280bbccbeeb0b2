/*
 * cmd_runbook.c - `certrotate runbook`: the change-request document (SPEC 8).
 *
 * Builds the plan, runs the pre-checks with the same engine as `check`
 * (check/: chk_plan), and writes the document (runbook/book.h) in Markdown
 * or as one HTML page, to stdout or atomically to -o FILE.
 *
 * The document is written even when pre-checks fail or a token refuses
 * its PIN: a change board must see the failing checks.  The exit code is
 * then the one `check` gives (1 blocked, 3 environment), so a script does
 * not take a blocked change for a ready one.  No document is written when
 * no plan can be built (a certificate, module or token that cannot be
 * read: the error on stderr, exit 2 or 3) or when a command cannot be
 * written as it would run (exit 2).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rot.h"
#include "load.h"
#include "../check/check.h"
#include "../common/util.h"
#include "../runbook/book.h"

/*
 * THE ONE PLACE that reads the check engine's report: its results in the
 * runbook's neutral form.  bc borrows from rep; *items_out and *steps_out
 * are the arrays to free() afterwards.
 */
static void
report_to_book(const struct chk_report *rep, int probed, struct book_checks *bc,
    struct book_check **items_out, struct book_step_checks **steps_out)
{
	static const enum book_status st[] = {
		[CHK_PASS] = BOOK_PASS, [CHK_WARN] = BOOK_WARN, [CHK_FAIL] = BOOK_FAIL,
		[CHK_SKIP] = BOOK_SKIP,
	};
	static const enum book_step_status sst[] = {
		[CHK_STEP_READY] = BOOK_STEP_READY, [CHK_STEP_BLOCKED] = BOOK_STEP_BLOCKED,
		[CHK_STEP_DONE] = BOOK_STEP_DONE,
	};
	struct book_check *items = cr_xcalloc(rep->n + 1, sizeof(*items));
	struct book_step_checks *steps = cr_xcalloc(rep->nsteps + 1, sizeof(*steps));
	size_t i;

	for (i = 0; i < rep->n; i++) {
		items[i].id = rep->items[i].id;
		items[i].subject = rep->items[i].subject;
		items[i].message = rep->items[i].res.message;
		items[i].status = st[rep->items[i].res.status];
	}
	for (i = 0; i < rep->nsteps; i++) {
		steps[i].items = rep->steps[i].items;
		steps[i].n = rep->steps[i].n;
		steps[i].status = sst[rep->steps[i].status];
	}
	memset(bc, 0, sizeof(*bc));
	bc->items = items;
	bc->n = rep->n;
	bc->steps = steps;
	bc->top = rep->top;
	bc->ntop = rep->ntop;
	for (i = 0; i < BOOK_NSTATUS; i++)
		bc->count[i] = rep->count[st[i]];
	bc->status = rep->status;
	bc->probed = probed;
	*items_out = items;
	*steps_out = steps;
}

/*
 * Writes data to path atomically: a new file beside it (O_EXCL|O_NOFOLLOW,
 * mode 0644 less the umask: the document holds no secret and is meant to be
 * shared), written, fsync'd, renamed over path.  The rename replaces a
 * symlink planted at path, never what it points to.
 */
static int
write_atomic(const char *path, const char *data, size_t len, struct cr_err *err)
{
	char *tmp = NULL, *dir = NULL;
	size_t off = 0;
	int fd = -1, r = CR_EENV, i;

	for (i = 0; i < 100 && fd < 0; i++) {
		free(tmp);
		tmp = cr_xasprintf("%s.tmp.%ld.%d", path, (long)getpid(), i);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		r = cr_err_setr(err, CR_EENV, CR_R_IO, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = cr_err_setr(err, CR_EENV, CR_R_IO, "cannot write '%s': %s", path,
			    strerror(w < 0 ? errno : EIO));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		r = cr_err_setr(err, CR_EENV, CR_R_IO, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		r = cr_err_setr(err, CR_EENV, CR_R_IO, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	dir = cr_path_dirname(path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);	/* the rename durable; a failure here loses nothing written */
		close(fd);
	}
	fd = -1;
	r = CR_OK;
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(dir);
	return r;
}

struct opts {
	const char *cfgpath, *output, *kinds;
	enum rot_format fmt;
	struct chk_opts check;
};

/* Parses argv into *o.  Returns -1 to go on, else the exit code. */
static int
parse(const struct rot_command *self, int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "no-probe", no_argument, NULL, 'n' },
		{ "kinds", required_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long long ms;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:c:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->cfgpath = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "md") == 0)
				o->fmt = ROT_FMT_MARKDOWN;
			else if (rot_parse_format(self, optarg, 1u << ROT_FMT_MARKDOWN |
			    1u << ROT_FMT_HTML, &o->fmt) != 0)
				return CR_EINPUT;
			break;
		case 'n':
			o->check.probe = 0;
			break;
		case 'k':
			o->kinds = optarg;
			break;
		case 't':
			if (rot_timeout_opt(self, "--timeout", optarg, 3600, &ms) != CR_OK)
				return CR_EINPUT;
			o->check.timeout_ms = (int)ms;
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
	if (optind < argc)
		return rot_usage_error(self, "unexpected argument '%s'", argv[optind]);
	if (o->output != NULL && o->output[0] == '\0')
		return rot_usage_error(self, "-o needs a file name");
	return -1;
}

/* The document in the chosen format into *doc (new string). */
static int
render(const struct opts *o, const struct rot_loaded *ld, const struct book_checks *bc,
    char **doc, struct cr_err *err)
{
	struct book_opts bo = { .config = o->cfgpath, .version = CR_VERSION, .now = o->check.now };
	char *dir = book_kinds_dir(o->kinds, ld->cfg->rotation.kinds_dir, NULL);
	struct book_kinds *ks = book_kinds_new(dir);
	char *md = NULL, *title = NULL;
	int r;

	*doc = NULL;
	if ((r = book_markdown(ld->plan, bc, ks, &bo, &md, err)) != CR_OK)
		goto out;
	if (o->fmt == ROT_FMT_HTML) {
		title = cr_xasprintf("Certificate rotation %s: change runbook",
		    ld->cfg->rotation.name);
		r = book_html(md, title, doc, err);
	} else {
		*doc = md;
		md = NULL;
	}
out:
	free(md);
	free(title);
	free(dir);
	book_kinds_free(ks);
	return r;
}

int
cmd_runbook(const struct rot_command *self, int argc, char **argv)
{
	struct opts o = { .cfgpath = "certrotate.cfg", .fmt = ROT_FMT_MARKDOWN,
		.check = { .probe = 1 } };
	struct rot_loaded ld = ROT_LOADED_INIT;
	struct book_check *items = NULL;
	struct book_step_checks *steps = NULL;
	struct book_checks bc;
	struct chk_ctx *ctx = NULL;
	struct cr_err err;
	char *doc = NULL;
	int r;

	if ((r = parse(self, argc, argv, &o)) >= 0)
		return r;
	o.check.now = cr_now();
	o.check.progress = rot_stderr_is_tty();
	cr_err_clear(&err);
	ld.kinds_cli = o.kinds;
	r = rot_load(self, o.cfgpath, 0, PLAN_LOAD_CHAIN, &ld, &err);
	rot_loaded_warn(&ld);
	if (r != CR_OK) {
		r = rot_report(&err);
		rot_warn("no runbook written: no plan without the certificates");
		goto out;
	}
	ctx = chk_ctx_new(ld.plan, ld.p11, &o.check);
	chk_plan(ctx);
	report_to_book(chk_ctx_report(ctx), o.check.probe, &bc, &items, &steps);
	if ((r = render(&o, &ld, &bc, &doc, &err)) != CR_OK) {
		r = rot_report(&err);
		goto out;
	}
	if (o.output != NULL) {
		if ((r = write_atomic(o.output, doc, strlen(doc), &err)) != CR_OK) {
			r = rot_report(&err);
			goto out;
		}
	} else {
		(void)fputs(doc, stdout);	/* a failure shows in ferror(stdout) */
		if ((r = rot_finish_output(CR_OK)) != CR_OK)
			goto out;
	}
	r = bc.status;
	if (r != CR_OK)
		rot_warn("runbook written%s%s, but the pre-checks %s (exit %d): see its section 3",
		    o.output ? " to " : "", o.output ? o.output : "",
		    r == CR_EBLOCK ? "fail" : "could not all be made", r);
out:
	free(doc);
	free(items);
	free(steps);
	chk_ctx_free(ctx);
	rot_loaded_release(&ld);
	return r;
}
