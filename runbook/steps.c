/*
 * steps.c - the runbook's steps (section 4) and rollback (section 5).
 *
 * Each step shows what its action means: a native step is done by
 * `certrotate run` itself (the kind's commands are its manual equivalent), a
 * command step runs its hook (shown as sh would read it, every argument
 * expanded and quoted), a manual step is the kind's commands.  Commands are
 * rendered by kinds.c with every value quoted for the kind's shell; a line a
 * document cannot show as it would run is refused, not approximated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "internal.h"

/* Per variant: what it is, why it is needed, how rollback undoes it when native. */
static const struct {
	const char *what;
	const char *why;
	const char *native_undo;
} variants[PLAN_NVARIANTS] = {
	[PLAN_V_IMPORT_TOKEN] = { "import onto the token",
	    "The services use the private key on the token: the new certificate must be on the "
	    "token beside it before any service is pointed at it.",
	    "`certrotate rollback` removes the certificate object it stored (only when its "
	    "journal says it stored it); the key stays." },
	[PLAN_V_IMPORT_HOST] = { "import into the host's store",
	    "A service can only be pointed at a certificate its host holds, with the chain the "
	    "host sends to clients.", NULL },
	[PLAN_V_GRANT] = { "key access for the service account",
	    "A service account that cannot use the new private key fails TLS as soon as its "
	    "service is pointed at the new certificate, although the certificate is in place.",
	    NULL },
	[PLAN_V_REBIND_BINDING] = { "rebind: a binding",
	    "The binding holds the old certificate by thumbprint: it serves the old certificate "
	    "until it is changed, and breaks when the old certificate is removed.", NULL },
	[PLAN_V_REBIND_FILE] = { "rebind: a certificate file",
	    "The service reads its certificate from this file: the file must hold the new "
	    "certificate, in the layout it has now, before the service reloads.",
	    "`certrotate rollback` puts the previous file back from the archive." },
	[PLAN_V_RENAME] = { "rename: a connector's certificate name",
	    "The connector finds its certificate by issuer and subject.  A name that matches no "
	    "certificate does not fail: TLS silently stops on the connector once the old "
	    "certificate is gone.", NULL },
	[PLAN_V_RESTART] = { "restart or reload",
	    "The service reads its certificate when it starts or reloads: the changes before "
	    "take effect only then.", NULL },
	[PLAN_V_RETIRE_HOST] = { "retire from the host's store",
	    "Once nothing refers to the old certificate it is removed from every host that held "
	    "it, so that no service can fall back to it.", NULL },
	[PLAN_V_RETIRE_TOKEN] = { "retire from the token",
	    "Once nothing refers to the old certificate it is removed, so that no service can "
	    "fall back to it; it is archived first.",
	    "`certrotate rollback` stores the certificate on the token again from the archive." },
};

static const char *
action_text(enum plan_action a)
{
	return a == PLAN_NATIVE ? "native: `certrotate run` does this step itself" :
	    a == PLAN_COMMAND ? "command: `certrotate run` runs the hook below (no shell)" :
	    "manual: the operator runs the commands below; `certrotate run` stops and asks";
}

/*
 * " on mx1", or " on the machine running certrotate" for a token or local
 * step; ", from the configuration's directory" when the step writes a file
 * named by a relative path (its commands name it so).
 */
static void
where(struct book_doc *d, const struct plan_step *s)
{
	size_t k;
	int relative = 0;

	for (k = 0; k < s->nwrites; k++)
		relative |= s->writes[k].text[0] != '/';
	if (s->host_cfg == NULL) {
		doc_add(d, " on the machine running certrotate");
	} else {
		doc_add(d, " on ");
		doc_code(d, s->host);
	}
	if (relative)
		doc_add(d, ", from the configuration's directory");
}

/* ---- commands ------------------------------------------------------------------- */

/*
 * Appends the lines as a fenced block for shell sh, after checking that a
 * document can show each as it runs.  CR_EINPUT naming the step otherwise.
 */
static int
block(struct book_doc *d, const struct plan_step *s, const char *what, enum book_shell sh,
    char *const *lines, size_t n, struct cr_err *err)
{
	size_t i, off;
	unsigned cp;

	for (i = 0; i < n; i++)
		if (book_md_block_ok(lines[i], &off, &cp) != 0)
			return cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "cannot write the runbook: "
			    "step %s: %s, command %zu: a value holds %s %s%0*X (byte %zu) that a "
			    "document cannot show as it runs", s->id, what, i + 1,
			    cp < 0x80 || cp > 0xFF ? "the character" : "the byte",
			    cp > 0xFF ? "U+" : "0x", cp > 0xFF ? 4 : 2, cp, off);
	book_md_block(&d->b, book_shell_name(sh), lines, n);
	return CR_OK;
}

static int
has_cmds(const struct book_group *g, enum book_part part)
{
	return g != NULL && g->cmd[part].n > 0;
}

/* The kind's commands of part `part`, as a block, or a sentence when there are none. */
static int
kind_part(struct book_doc *d, const struct plan_step *s, const struct book_kind *k,
    const struct book_group *g, enum book_part part, const struct book_vars *v,
    struct cr_err *err)
{
	char **lines = NULL, *what;
	size_t n = 0;
	int r;

	if (g == NULL || g->cmd[part].n == 0) {
		doc_addf(d, "(the kind `%s` has no %s commands for this step)\n\n", k->name,
		    book_part_name(part));
		return CR_OK;
	}
	if ((r = book_render(k, g, part, v, &lines, &n, err)) != CR_OK)
		return cr_err_prefix(err, "cannot write the runbook: step %s", s->id);
	what = cr_xasprintf("kind '%s', %s", k->name, book_part_name(part));
	r = block(d, s, what, k->shell, lines, n, err);
	free(what);
	book_lines_free(lines, n);
	if (r == CR_OK)
		doc_add(d, "\n");
	return r;
}

static int
hook_block(struct book_doc *d, const struct plan_step *s, const struct plan_argv *a,
    const struct book_vars *v, struct cr_err *err)
{
	char *line = book_argv_line(a, v, err);
	int r;

	if (line == NULL)
		return cr_err_prefix(err, "cannot write the runbook: step %s: hook %s", s->id,
		    a->path);
	r = block(d, s, a->path, BOOK_SH, &line, 1, err);
	free(line);
	if (r == CR_OK) {
		doc_add(d, "\nfrom ");
		doc_code(d, a->path);
		doc_addf(d, " (%s:%d), run from the configuration's directory.\n\n",
		    a->loc.file != NULL ? a->loc.file : "?", a->loc.line);
	}
	return r;
}

/* ---- one step ------------------------------------------------------------------ */

static void
step_table(struct book_doc *d, size_t i, const struct book_kind *k)
{
	const struct plan_step *s = &d->p->steps[i];
	const struct plan_config *cfg = d->p->cfg;
	size_t j;

	doc_add(d, "| Field | Value |\n|---|---|\n| Type | ");
	doc_add(d, variants[s->variant].what);
	doc_add(d, " |\n| Host | ");
	doc_cell_code(d, s->host);
	if (s->service != NULL) {
		doc_add(d, " |\n| Service | ");
		doc_cell_code(d, s->service->name);
	}
	if (s->nservices > 1) {
		doc_add(d, " (and ");
		for (j = 1; j < s->nservices; j++) {
			doc_add(d, j > 1 ? ", " : "");
			doc_cell_code(d, cfg->services[s->services[j]].name);
		}
		doc_add(d, ")");
	}
	doc_add(d, " |\n| Kind | ");
	doc_cell_code(d, k->name);
	doc_add(d, ": ");
	doc_cell_text(d, k->description);
	if (s->ref != NULL) {
		char *w = NULL;

		doc_add(d, " |\n| Ref | ");
		doc_cell_code(d, s->ref->id);
		doc_addf(d, " (%s)", plan_ref_type_name(s->ref->type));
		if (s->ref->endpoint != NULL || s->ref->file_path_text != NULL) {
			w = cr_xasprintf("%s%s%s%s%s", s->ref->file_path_text ? "file " : "",
			    s->ref->file_path_text ? s->ref->file_path_text : "",
			    s->ref->file_path_text && s->ref->endpoint ? ", " : "",
			    s->ref->endpoint ? "endpoint " : "", s->ref->endpoint ? s->ref->endpoint : "");
			doc_add(d, ", ");
			doc_cell_text(d, w);
			free(w);
		}
		if (s->ref->sni != NULL) {
			doc_add(d, ", SNI ");
			doc_cell_text(d, s->ref->sni);
		}
	}
	if (s->account != NULL) {
		doc_add(d, " |\n| Account | ");
		doc_cell_text(d, s->account);
	}
	if (s->from != NULL && s->to != NULL) {
		doc_add(d, " |\n| From | ");
		doc_cell_code(d, s->from);
		doc_add(d, " |\n| To | ");
		doc_cell_code(d, s->to);
	}
	doc_add(d, " |\n| Action | ");
	doc_add(d, action_text(s->action));
	doc_add(d, " |\n| Status | ");
	doc_add(d, doc_step_status_word(d->ck->steps[i].status));
	doc_add(d, s->done ? ": already in effect" :
	    d->ck->steps[i].status == BOOK_STEP_BLOCKED ? ": a pre-check fails" : "");
	doc_add(d, " |\n\n");
}

static void
notes(struct book_doc *d, const struct book_group *g)
{
	size_t j;

	if (g == NULL || g->notes.n == 0)
		return;
	doc_add(d, "Notes:\n\n");
	for (j = 0; j < g->notes.n; j++)
		doc_item(d, g->notes.v[j]);
	doc_add(d, "\n");
}

static void
verify_ids(struct book_doc *d, const struct plan_step *s)
{
	const char *what;
	size_t j;

	if (s->nverify == 0)
		return;
	doc_add(d, "After the step `certrotate run` checks:\n\n");
	for (j = 0; j < s->nverify; j++) {
		doc_add(d, "- ");
		doc_code(d, plan_check_name(s->verify[j]));
		if ((what = plan_check_what(s->verify[j])) != NULL) {
			doc_add(d, ": ");
			doc_text(d, what);
		}
		doc_add(d, "\n");
	}
	doc_add(d, "\n");
}

/*
 * The configuration test of a restart step (book_step_test: the test
 * `check` runs), as a block with where it runs, who runs it and how to
 * read its result; `again` for the roll back (a shorter text).  *shown: 1
 * when there is one.
 */
static int
test_block(struct book_doc *d, const struct plan_step *s, const struct book_group *g,
    const struct book_vars *v, int again, int *shown, struct cr_err *err)
{
	enum book_test_from from;
	char *line = NULL;
	size_t j;
	int r;

	*shown = 0;
	if ((r = book_step_test(s, v, &line, &from, err)) != CR_OK)
		return cr_err_prefix(err, "cannot write the runbook: step %s", s->id);
	if (line == NULL)
		return CR_OK;
	*shown = 1;
	if (!again) {
		doc_add(d, "**Configuration test first** (sh");
		if (from == BOOK_TEST_BY_HAND)
			where(d, s);
		else
			doc_add(d, " on the machine running certrotate, from the configuration's "
			    "directory");
		doc_add(d, from == BOOK_TEST_RUN_TEST ? "; the service's `run_test`: `certrotate run` "
		    "runs it right before this step - check `config.test` - and stops when it fails" :
		    from == BOOK_TEST_DEFAULT ? "; the default test of the kind: `certrotate run` runs "
		    "it right before this step - check `config.test` - and stops when it fails" :
		    "; the default test of the kind: certrotate does not run it, as none of the "
		    "service's files is on the machine running certrotate - give the service a "
		    "`run_test` to have `check` and `run` run it");
		doc_add(d, "):\n\n");
	}
	r = block(d, s, "configuration test", BOOK_SH, &line, 1, err);
	free(line);
	if (r != CR_OK)
		return r;
	doc_add(d, "\nIt passes when it exits with status 0 (`echo $?` right after it prints `0`).");
	for (j = 0; !again && g != NULL && j < g->test_notes.n; j++) {
		doc_add(d, "  ");
		doc_text(d, g->test_notes.v[j]);
	}
	doc_add(d, again ? "  Reload only once it passes.\n\n" :
	    "  When it fails, stop here and reload nothing: read what it prints (the file and line "
	    "it names), fix that or roll back the steps before, and test again.\n\n");
	return CR_OK;
}

/*
 * Whether the kind's manual commands fit the files step s writes: none, or
 * one file, not a link, holding the leaf and its chain (what {new.pem}
 * holds) - else they would replace a link with a file or leave out a key.
 */
static int
writes_plain(const struct plan_step *s)
{
	const struct plan_write *w = s->writes;

	return s->nwrites == 0 || (s->nwrites == 1 && w->shape == CRT_SHAPE_CHAIN &&
	    w->file != NULL && w->file->pv_error == NULL && !w->file->pv.link);
}

/*
 * The files a native rebind writes (plan/files.c), one row each: what it
 * will hold, its mode and owner, and how it is written.
 */
static void
writes_table(struct book_doc *d, const struct plan_step *s)
{
	size_t k;

	doc_add(d, "Files it writes (as configured: a relative path is from the configuration's "
	    "directory):\n\n| File | Will hold | Mode | How |\n|---|---|---|---|\n");
	for (k = 0; k < s->nwrites; k++) {
		const struct plan_write *w = &s->writes[k];
		const struct plan_file *f = w->file;
		int ok = f != NULL && f->pv_error == NULL;

		doc_add(d, "| ");
		doc_cell_code(d, w->text);
		doc_add(d, " | ");
		doc_cell_text(d, w->order);
		doc_add(d, " | ");
		if (ok) {
			char *mode = cr_xasprintf("%04o%s%s%s", f->pv.perm, f->pv.exists ? " kept" : " (new)",
			    f->owner != NULL ? ", owner " : "", f->owner != NULL ? f->owner : "");

			doc_cell_text(d, mode);
			free(mode);
		}
		doc_add(d, " | ");
		if (!ok) {
			doc_add(d, "cannot be written: ");
			doc_cell_text(d, f != NULL && f->pv_error != NULL ? f->pv_error : "not read");
		} else if (f->pv.link) {
			doc_add(d, "a symbolic link to ");
			doc_cell_code(d, f->pv.link_text);
			doc_add(d, ": the new file ");
			doc_cell_code(d, f->pv.link_new);
			doc_add(d, " is written beside its target, then the link repointed");
		} else {
			doc_add(d, "replaced atomically (a temporary file beside it, then renamed)");
		}
		doc_add(d, " |\n");
	}
	doc_add(d, "\n");
}

/* Whether restart step s has a configuration test to show. */
static int
has_test(const struct plan_step *s, const struct book_vars *v)
{
	enum book_test_from from;
	struct cr_err e;
	char *line = NULL;

	cr_err_clear(&e);
	(void)book_step_test(s, v, &line, &from, &e);
	free(line);
	return from != BOOK_TEST_NONE;
}

/* Whether the step's verify list holds check c. */
static int
verifies(const struct plan_step *s, enum plan_check c)
{
	size_t j;

	for (j = 0; j < s->nverify; j++)
		if (s->verify[j] == c)
			return 1;
	return 0;
}

/* Whether step s puts ref rr into effect: its own refs, or its service's for a restart. */
static int
step_moves(const struct plan *p, const struct plan_step *s, const struct plan_refres *rr)
{
	size_t k;

	if (s->type == PLAN_RESTART)
		return rr->service == s->service && rr->step >= 0;
	if (s->res == rr)
		return 1;
	for (k = 0; k < s->nfrefs; k++)
		if (&p->refs[s->frefs[k]] == rr)
			return 1;
	return 0;
}

/*
 * For a step after which the endpoints serve the new certificate (its
 * verify lists `endpoint`): one openssl line per endpoint of its refs, with
 * the ref's SNI name and STARTTLS, printing its fingerprint line only when
 * the endpoint serves the new certificate - what an operator checks by
 * hand, as `certrotate run` does.
 */
static int
endpoint_block(struct book_doc *d, const struct plan_step *s, struct cr_err *err)
{
	const struct plan *p = d->p;
	const char *sha = d->certs.new_cert.sha256;
	char **lines = NULL;
	size_t i, n = 0;
	int r = CR_OK;

	if (!verifies(s, PLAN_CHK_ENDPOINT) || sha == NULL)
		return CR_OK;
	for (i = 0; i < p->nrefs && r == CR_OK; i++) {
		const struct plan_ref *ref = p->refs[i].ref;
		struct cr_buf b = CR_BUF_INIT;

		if (ref->endpoint == NULL || !step_moves(p, s, &p->refs[i]))
			continue;
		cr_buf_adds(&b, "openssl s_client -connect ");
		r = book_quote(BOOK_SH, ref->endpoint, strlen(ref->endpoint), &b, err);
		if (r == CR_OK && ref->sni != NULL) {
			cr_buf_adds(&b, " -servername ");
			r = book_quote(BOOK_SH, ref->sni, strlen(ref->sni), &b, err);
		}
		if (ref->starttls_smtp)
			cr_buf_adds(&b, " -starttls smtp");
		cr_buf_adds(&b, " </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 | "
		    "tr -d : | grep -i -- ");
		if (r == CR_OK)
			r = book_quote(BOOK_SH, sha, strlen(sha), &b, err);
		lines = cr_xrealloc(lines, (n + 1) * sizeof(*lines));
		lines[n++] = cr_buf_detach(&b);
	}
	if (r == CR_OK && n > 0) {
		doc_add(d, "The endpoints (sh, from any machine with OpenSSL that reaches them): each line "
		    "prints the new certificate's fingerprint when its endpoint serves it, nothing when "
		    "not:\n\n");
		r = block(d, s, "endpoints", BOOK_SH, lines, n, err);
		if (r == CR_OK)
			doc_add(d, "\n");
	}
	if (r != CR_OK)
		r = cr_err_prefix(err, "cannot write the runbook: step %s: endpoints", s->id);
	book_lines_free(lines, n);
	return r;
}

/* What the step does: the action's commands. */
static int
step_do(struct book_doc *d, const struct plan_step *s, const struct book_kind *k,
    const struct book_group *g, const struct book_vars *v, struct cr_err *err)
{
	int r, tested;

	if ((r = test_block(d, s, g, v, 0, &tested, err)) != CR_OK)
		return r;
	if (s->action == PLAN_COMMAND && s->run != NULL) {
		doc_add(d, "**Command** (sh");
		where(d, s);
		doc_add(d, "; `certrotate run` runs it itself, without a shell):\n\n");
		if ((r = hook_block(d, s, s->run, v, err)) != CR_OK)
			return r;
		doc_addf(d, "The same by hand with the kind's commands (%s", book_shell_name(k->shell));
	} else if (s->action == PLAN_NATIVE) {
		doc_add(d, "**Done by certrotate.**  `certrotate run` does this itself: ");
		doc_text(d, s->description);
		doc_add(d, ".\n\n");
		if (s->nwrites > 0)
			writes_table(d, s);
		if (!writes_plain(s) && has_cmds(g, BOOK_DO)) {
			doc_add(d, "Not by hand: the kind's commands copy one plain file holding the leaf "
			    "and its chain, and these files are not all such - they would replace a "
			    "symbolic link with a file, or leave out a key.  Let `certrotate run --only ");
			doc_add(d, s->id);
			doc_add(d, "` write them, and `certrotate rollback` put them back.\n\n");
			notes(d, g);
			return CR_OK;
		}
		if (!has_cmds(g, BOOK_DO)) {
			notes(d, g);
			return CR_OK;
		}
		doc_addf(d, "The same by hand (%s", book_shell_name(k->shell));
	} else {
		doc_addf(d, "**Commands** (%s", book_shell_name(k->shell));
	}
	where(d, s);
	doc_add(d, tested ? "), once the configuration test passed:\n\n" : "):\n\n");
	if ((r = kind_part(d, s, k, g, BOOK_DO, v, err)) != CR_OK)
		return r;
	notes(d, g);
	return CR_OK;
}

/* How the step is undone. */
static int
step_undo(struct book_doc *d, const struct plan_step *s, const struct book_kind *k,
    const struct book_group *g, const struct book_vars *v, struct cr_err *err)
{
	struct book_vars swapped = *v;
	int r;

	doc_add(d, "**Roll back**");
	if (s->action == PLAN_COMMAND && s->run != NULL) {
		if (s->undo != NULL) {
			doc_add(d, ": `certrotate rollback` runs the undo hook:\n\n");
			return hook_block(d, s, s->undo, v, err);
		}
		doc_add(d, ": `certrotate rollback` runs the same hook with the old and the new "
		    "certificate swapped and `CERTROTATE_PHASE=rollback` in its environment:\n\n");
		swapped.new_cert = v->old_cert;
		swapped.old_cert = v->new_cert;
		return hook_block(d, s, s->run, &swapped, err);
	}
	if (s->action == PLAN_NATIVE && variants[s->variant].native_undo != NULL) {
		doc_add(d, ": ");
		doc_add(d, variants[s->variant].native_undo);
		if (!has_cmds(g, BOOK_UNDO) || !writes_plain(s)) {
			doc_add(d, "\n\n");
			return CR_OK;
		}
		doc_addf(d, "  By hand (%s", book_shell_name(k->shell));
	} else {
		doc_addf(d, " (%s", book_shell_name(k->shell));
	}
	where(d, s);
	if (s->type == PLAN_RESTART && has_cmds(g, BOOK_UNDO) && has_test(s, v)) {
		int tested;

		doc_add(d, "), once the steps before it are rolled back: the configuration test "
		    "again (sh");
		if (s->test == NULL)
			where(d, s);
		else
			doc_add(d, " on the machine running certrotate");
		doc_add(d, "),\n\n");
		if ((r = test_block(d, s, g, v, 1, &tested, err)) != CR_OK)
			return r;
		doc_addf(d, "then (%s", book_shell_name(k->shell));
		where(d, s);
	}
	doc_add(d, "):\n\n");
	if ((r = kind_part(d, s, k, g, BOOK_UNDO, v, err)) != CR_OK)
		return r;
	return CR_OK;
}

static int
step_section(struct book_doc *d, size_t i, struct cr_err *err)
{
	const struct plan_step *s = &d->p->steps[i];
	const struct book_step_checks *sc = &d->ck->steps[i];
	const struct book_kind *k = NULL;
	const struct book_group *g = NULL;
	const char *kind = book_step_kind(d->p, s);
	struct book_vars v = d->certs;
	int r;

	if ((r = book_kinds_step(d->ks, kind, s->type, s->ref != NULL ? s->ref->id : NULL, &k,
	    &g, err)) != CR_OK) {
		if (s->service != NULL)
			return cr_err_prefix(err, "cannot write the runbook: %s:%d: service '%s'",
			    s->service->loc.file, s->service->loc.line, s->service->name);
		return cr_err_prefix(err, "cannot write the runbook: step %s", s->id);
	}
	book_vars_step(&v, s);
	doc_addf(d, "### Step %zu of %zu: ", i + 1, d->p->nsteps);
	doc_code(d, s->id);
	doc_add(d, "\n\n");
	step_table(d, i, k);
	doc_add(d, "**What:** ");
	doc_text(d, s->description);
	if (g != NULL) {
		doc_add(d, ".  ");
		doc_text(d, g->what);
	}
	doc_add(d, ".");
	doc_add(d, "\n\n**Why:** ");
	doc_add(d, variants[s->variant].why);
	doc_add(d, "\n\n");
	if (s->done) {
		doc_add(d, "Already in effect before the change: nothing to do, nothing to roll "
		    "back.\n\n");
		return CR_OK;
	}
	if (sc->n > 0) {
		doc_add(d, "**Pre-checks:**\n\n");
		doc_check_table(d, sc->items, sc->n, 0);
	} else {
		doc_add(d, "**Pre-checks:** none for this step.\n\n");
	}
	if ((r = step_do(d, s, k, g, &v, err)) != CR_OK)
		return r;
	doc_addf(d, "**Verify** (%s", book_shell_name(k->shell));
	where(d, s);
	doc_add(d, "):\n\n");
	if ((r = kind_part(d, s, k, g, BOOK_VERIFY, &v, err)) != CR_OK ||
	    (r = endpoint_block(d, s, err)) != CR_OK)
		return r;
	verify_ids(d, s);
	return step_undo(d, s, k, g, &v, err);
}

int
doc_steps(struct book_doc *d, struct cr_err *err)
{
	size_t i;
	int r;

	doc_add(d, "## 4. Steps\n\nIn this order: each step's pre-checks must pass before it; "
	    "`certrotate run` re-checks them, does the native and command steps, stops at each "
	    "manual step for the operator, verifies each step after it and keeps a journal "
	    "(`certrotate run --resume` goes on after an interruption).  Every value in a command "
	    "is quoted for its shell.\n\n");
	for (i = 0; i < d->p->nsteps; i++)
		if ((r = step_section(d, i, err)) != CR_OK)
			return r;
	return CR_OK;
}

/* ---- 5. rollback ------------------------------------------------------------------ */

void
doc_rollback(struct book_doc *d)
{
	const struct plan *p = d->p;
	size_t i, order = 0, done = 0;

	doc_add(d, "## 5. Rollback\n\nTo undo the change, undo the steps that were done, the "
	    "last one first.  `certrotate rollback` undoes what `certrotate run` journaled as done "
	    "(native and command steps) in this order; a manual step is undone by hand with the "
	    "commands under **Roll back** in its section.\n\n"
	    "| Order | Step | Action | How |\n|---|---|---|---|\n");
	for (i = p->nsteps; i-- > 0;) {
		const struct plan_step *s = &p->steps[i];

		if (s->done) {
			done++;
			continue;
		}
		doc_addf(d, "| %zu | ", ++order);
		doc_cell_code(d, s->id);
		doc_addf(d, " | %s | ", plan_action_name(s->action));
		if (s->action == PLAN_COMMAND && s->run != NULL)
			doc_add(d, s->undo != NULL ? "`certrotate rollback` runs the undo hook" :
			    "`certrotate rollback` runs the hook with old and new swapped");
		else if (s->action == PLAN_NATIVE && variants[s->variant].native_undo != NULL)
			doc_add(d, variants[s->variant].native_undo);
		else
			doc_addf(d, "by hand: the roll-back commands of step %zu", i + 1);
		doc_add(d, " |\n");
	}
	if (order == 0)
		doc_add(d, "| | (nothing to undo) | | |\n");
	doc_add(d, "\n");
	if (done > 0)
		doc_addf(d, "%zu step%s already in effect before the change %s not undone.\n\n",
		    done, done == 1 ? "" : "s", done == 1 ? "is" : "are");
}
