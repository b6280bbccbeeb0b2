/*
 * progress.c - what `run` and `rollback` show (progress.h): text for
 * people, JSON Lines for programs, and the operator's prompt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "progress.h"
#include "../common/utf8.h"
#include "../common/util.h"

static const char *const how_words[] = {
	[ROT_HOW_RUN] = "run",
	[ROT_HOW_DONE] = "verify-done",
	[ROT_HOW_STARTED] = "verify-started",
	[ROT_HOW_IN_EFFECT] = "verify-in-effect",
	[ROT_HOW_UNDO] = "undo",
};

static const char *const status_word[] = { "pass", "WARN", "FAIL", "skip" };

/* Prompts and manual commands: the terminal's stream (stdout holds JSON in json mode). */
static FILE *
tty_stream(const struct rot_progress *pr)
{
	return pr->fmt == ROT_FMT_JSON ? stderr : stdout;
}

static void
emit(struct json_object *o)
{
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    stdout);
	fputc('\n', stdout);
	fflush(stdout);
	json_object_put(o);
}

static struct json_object *
event(const char *name)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(name));
	return o;
}

/* Every string through cr_json_str: a file name or a hook's output may not be UTF-8. */
static void
add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v != NULL ? cr_json_str(v) : NULL);
}

void
rot_progress_begin(struct rot_progress *pr, enum rot_phase phase, const char *warning)
{
	const struct plan *p = pr->p;
	char *o = plan_short_ident(p->in->old), *n = plan_short_ident(p->in->new);

	if (pr->fmt == ROT_FMT_JSON) {
		struct json_object *e = event("begin");

		add_str(e, "phase", phase == ROT_PHASE_RUN ? "run" : "rollback");
		add_str(e, "rotation", p->cfg->rotation.name);
		add_str(e, "journal", pr->journal);
		json_object_object_add(e, "steps", json_object_new_int64((int64_t)p->nsteps));
		add_str(e, "old", o);
		add_str(e, "new", n);
		add_str(e, "warning", warning);
		emit(e);
	} else {
		printf("%s of rotation '%s': %zu step%s, journal '%s'\n  old  %s\n  new  %s\n",
		    phase == ROT_PHASE_RUN ? "run" : "rollback", p->cfg->rotation.name, p->nsteps,
		    p->nsteps == 1 ? "" : "s", pr->journal, o, n);
		if (warning != NULL)
			printf("  note: %s\n", warning);
		fflush(stdout);
	}
	free(o);
	free(n);
}

void
rot_progress_note(struct rot_progress *pr, const char *what, const char *text)
{
	if (pr->fmt == ROT_FMT_JSON) {
		struct json_object *e = event(what);

		add_str(e, "message", text);
		emit(e);
	} else {
		printf("%s\n", text);
		fflush(stdout);
	}
}

static void
ui_step(void *ctx, size_t i, enum rot_how how)
{
	struct rot_progress *pr = ctx;
	const struct plan_step *s = &pr->p->steps[i];
	static const char *const why[] = {
		[ROT_HOW_RUN] = "",
		[ROT_HOW_DONE] = "  (done in the journal: verifying)",
		[ROT_HOW_STARTED] = "  (started in the journal: verifying first)",
		[ROT_HOW_IN_EFFECT] = "  (in effect before the run: verifying)",
		[ROT_HOW_UNDO] = "  (rolling back)",
	};
	int w = snprintf(NULL, 0, "%zu", pr->p->nsteps);

	if (pr->fmt == ROT_FMT_JSON) {
		struct json_object *e = event("step");

		add_str(e, "step", s->id);
		json_object_object_add(e, "index", json_object_new_int64((int64_t)i + 1));
		add_str(e, "type", plan_step_type_name(s->type));
		add_str(e, "action", plan_action_name(s->action));
		add_str(e, "visit", how_words[how]);
		add_str(e, "description", s->description);
		emit(e);
		return;
	}
	printf("\n[%*zu/%zu] %s  %s%s\n        %s\n", w, i + 1, pr->p->nsteps, s->id,
	    plan_action_name(s->action), why[how], s->description);
	fflush(stdout);
}

static void
ui_checks(void *ctx, size_t i, enum chk_phase ph, const struct rot_verdict *v)
{
	struct rot_progress *pr = ctx;
	const struct chk_report *rep = pr->chk != NULL ? chk_ctx_report(pr->chk) : NULL;
	const struct chk_step_report *sr = rep == NULL ? NULL :
	    ph == CHK_PRE ? &rep->steps[i] : &rep->verify[i];
	struct json_object *e, *arr;
	size_t k;

	if (pr->fmt == ROT_FMT_JSON) {
		e = event("checks");
		arr = json_object_new_array();
		add_str(e, "step", pr->p->steps[i].id);
		add_str(e, "phase", ph == CHK_PRE ? "pre" : "verify");
		json_object_object_add(e, "exit", json_object_new_int(v->exit));
		for (k = 0; sr != NULL && k < sr->n; k++) {
			const struct chk_item *it = &rep->items[sr->items[k]];
			struct json_object *c = json_object_new_object();

			add_str(c, "id", it->id);
			add_str(c, "status", chk_status_name(it->res.status));
			add_str(c, "message", it->res.message);
			add_str(c, "subject", it->subject);
			json_object_array_add(arr, c);
		}
		json_object_object_add(e, "checks", arr);
		emit(e);
		return;
	}
	if (sr == NULL || sr->n == 0) {
		printf("        %s: none\n", ph == CHK_PRE ? "preconditions" : "verify");
	} else if (ph == CHK_PRE && v->nfail == 0 && v->nwarn == 0 && v->exit == 0) {
		printf("        preconditions: %zu pass%s%s\n", v->npass, v->nskip ? ", skip " : "",
		    v->nskip ? "(not applicable or not checkable from here)" : "");
	} else {
		printf("        %s:\n", ph == CHK_PRE ? "preconditions" : "verify");
		for (k = 0; k < sr->n; k++) {
			const struct chk_item *it = &rep->items[sr->items[k]];

			if (ph == CHK_PRE && it->res.status == CHK_PASS)
				continue;
			printf("          %-4s  %-18s %s: %s\n", status_word[it->res.status], it->id,
			    it->subject, it->res.message);
		}
	}
	fflush(stdout);
}

static void
ui_manual(void *ctx, size_t i, int undo)
{
	struct rot_progress *pr = ctx;
	FILE *f = tty_stream(pr);
	char **lines = NULL;
	size_t n = 0, k;
	struct cr_err err;

	cr_err_clear(&err);
	if (act_manual_lines(pr->act, i, &lines, &n, &err) != CR_OK)
		fprintf(f, "        (the commands of its kind cannot be shown: %s)\n", err.msg);
	if (pr->fmt == ROT_FMT_JSON) {
		struct json_object *e = event("manual"), *arr = json_object_new_array();

		add_str(e, "step", pr->p->steps[i].id);
		json_object_object_add(e, "undo", json_object_new_boolean(undo));
		for (k = 0; k < n; k++)
			json_object_array_add(arr, cr_json_str(lines[k]));
		json_object_object_add(e, "lines", arr);
		emit(e);
	}
	fprintf(f, "        %s by hand:\n", undo ? "roll this step back" : "this step is done");
	for (k = 0; k < n; k++)
		fprintf(f, "          %s\n", lines[k]);
	if (n == 0)
		fprintf(f, "          %s\n", pr->p->steps[i].description);
	fflush(f);
	act_lines_free(lines, n);
}

/* The answer a line of input gives, or -1. */
static int
answer_of(const char *line)
{
	static const struct { const char *word; enum rot_answer a; } words[] = {
		{ "y", ROT_ANS_YES }, { "yes", ROT_ANS_YES }, { "s", ROT_ANS_SKIP },
		{ "skip", ROT_ANS_SKIP }, { "r", ROT_ANS_RECHECK }, { "recheck", ROT_ANS_RECHECK },
		{ "a", ROT_ANS_ABORT }, { "abort", ROT_ANS_ABORT },
	};
	char w[16];
	size_t i, n = 0;

	while (*line == ' ' || *line == '\t')
		line++;
	while (line[n] != '\0' && line[n] != '\n' && line[n] != '\r' && line[n] != ' ' && n < 15) {
		w[n] = (char)(line[n] >= 'A' && line[n] <= 'Z' ? line[n] - 'A' + 'a' : line[n]);
		n++;
	}
	w[n] = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(words[i].word, w) == 0)
			return (int)words[i].a;
	return -1;
}

static enum rot_answer
ui_prompt(void *ctx, size_t i, int what, unsigned allowed)
{
	struct rot_progress *pr = ctx;
	static const char *const opt[] = {
		[ROT_ANS_YES] = "y", [ROT_ANS_SKIP] = "s", [ROT_ANS_RECHECK] = "r", [ROT_ANS_ABORT] = "a",
	};
	static const char *const expl[] = {
		[ROT_ANS_YES] = "y yes", [ROT_ANS_SKIP] = "s skip", [ROT_ANS_RECHECK] = "r re-check",
		[ROT_ANS_ABORT] = "a abort",
	};
	const struct plan_step *s = &pr->p->steps[i];
	FILE *f = tty_stream(pr);
	char line[256], keys[16] = "", help[96] = "";
	int a, k;

	for (k = 0; k <= ROT_ANS_ABORT; k++) {
		if (!(allowed & ROT_ASK(k)))
			continue;
		snprintf(keys + strlen(keys), sizeof(keys) - strlen(keys), "%s%s", keys[0] ? "/" : "",
		    opt[k]);
		snprintf(help + strlen(help), sizeof(help) - strlen(help), "%s%s", help[0] ? ", " : "",
		    expl[k]);
	}
	for (;;) {
		if (what == 1)
			fprintf(f, "        its preconditions fail: fix them and re-check, skip it or abort? [%s] ", keys);
		else if (what == 2)
			fprintf(f, "        its verification fails: re-check or abort? [%s] ", keys);
		else if (s->action == PLAN_MANUAL)
			fprintf(f, "        done? [%s] ", keys);
		else
			fprintf(f, "        %s %s? [%s] ", pr->act != NULL && pr->act->rollback ?
			    "roll back" : "do", s->id, keys);
		fflush(f);
		if (fgets(line, sizeof(line), stdin) == NULL) {
			fprintf(f, "\n        end of input: aborting\n");
			return ROT_ANS_ABORT;
		}
		a = answer_of(line);
		if (a >= 0 && (allowed & ROT_ASK(a)))
			return (enum rot_answer)a;
		fprintf(f, "        answer %s\n", help);
	}
}

static void
ui_end(void *ctx, size_t i, enum rot_result r, long long ms, const char *detail)
{
	struct rot_progress *pr = ctx;

	if (pr->fmt == ROT_FMT_JSON) {
		struct json_object *e = event("end");

		add_str(e, "step", pr->p->steps[i].id);
		add_str(e, "result", rot_result_name(r));
		json_object_object_add(e, "seconds", json_object_new_double((double)ms / 1000.0));
		add_str(e, "detail", detail);
		emit(e);
		return;
	}
	if (r == ROT_RES_DONE || r == ROT_RES_UNDONE || r == ROT_RES_VERIFIED ||
	    r == ROT_RES_IN_EFFECT || r == ROT_RES_SKIPPED)
		printf("        %s%s%s (%lld.%01lld s)\n", rot_result_name(r), detail ? ": " : "",
		    detail ? detail : "", ms / 1000, ms % 1000 / 100);
	else
		printf("        %s (%lld.%01lld s): %s\n", r == ROT_RES_MANUAL ? "NOT DONE (manual)" :
		    r == ROT_RES_BLOCKED ? "BLOCKED" : r == ROT_RES_ABORTED ? "ABORTED" : "FAILED",
		    ms / 1000, ms % 1000 / 100, detail ? detail : "");
	fflush(stdout);
}

/* The ids of a list, ", " between, or "none". */
static void
ids(struct cr_buf *b, const struct plan *p, const size_t *v, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		cr_buf_addf(b, "%s%s", k ? ", " : "", p->steps[v[k]].id);
	if (n == 0)
		cr_buf_adds(b, "none");
}

static struct json_object *
id_array(const struct plan *p, const size_t *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t k;

	for (k = 0; k < n; k++)
		json_object_array_add(a, cr_json_str(p->steps[v[k]].id));
	return a;
}

/* What to do next, for people (a new string), or NULL when nothing is left to do. */
static char *
next_step(const struct rot_progress *pr, const struct rot_summary *s)
{
	const char *cmd = s->phase == ROT_PHASE_RUN ? "run" : "rollback";
	const char *again = pr->again, *sp = again[0] ? " " : "";
	struct cr_buf b = CR_BUF_INIT;
	size_t ndone = s->nby[ROT_RES_DONE] + s->nby[ROT_RES_VERIFIED];

	if (s->outcome == ROT_OUT_COMPLETE || s->outcome == ROT_OUT_NOTHING)
		return NULL;
	if (s->outcome == ROT_OUT_UNTIL)
		return cr_xasprintf("stopped as asked; 'certrotate run --resume%s%s' continues with the "
		    "%zu step%s left", sp, again, s->nleft, s->nleft == 1 ? "" : "s");
	if (s->outcome == ROT_OUT_INCOMPLETE)
		return cr_xasprintf("%zu step%s skipped or left: the %s is not complete; "
		    "'certrotate %s%s%s' offers %s again", s->nleft, s->nleft == 1 ? "" : "s",
		    s->phase == ROT_PHASE_RUN ? "rotation" : "rollback", cmd, sp, again,
		    s->nleft == 1 ? "it" : "them");
	if (s->stop_result == ROT_RES_MANUAL)
		return cr_xasprintf("'%s' is a manual step and --yes never asks: do it by hand "
		    "('certrotate runbook' lists its commands), then run 'certrotate %s%s%s' on a "
		    "terminal and answer y - or run that without --yes to be guided through it",
		    pr->p->steps[s->stop].id, cmd, sp, again);
	if (s->phase == ROT_PHASE_ROLLBACK)
		return cr_xasprintf("fix what stopped it, then 'certrotate rollback%s%s' goes on from "
		    "'%s'", sp, again, pr->p->steps[s->stop].id);
	if (s->stop_result == ROT_RES_ABORTED)
		return cr_xasprintf("'certrotate run --resume%s%s' goes on from '%s'; 'certrotate "
		    "rollback%s%s' undoes what this journal did", sp, again, pr->p->steps[s->stop].id,
		    sp, again);
	cr_buf_addf(&b, "fix what stopped it, then 'certrotate run --resume%s%s' %s '%s' (the "
	    "journal keeps what is done)", sp, again, s->stop_result == ROT_RES_BLOCKED ?
	    "checks again and goes on from" : "verifies and, if need be, redoes",
	    pr->p->steps[s->stop].id);
	if (s->stop_result == ROT_RES_FAILED || ndone > 0)
		cr_buf_addf(&b, "; or 'certrotate rollback%s%s' undoes what this journal did", sp, again);
	return cr_buf_detach(&b);
}

static const char *const outcome_words[] = {
	[ROT_OUT_COMPLETE] = "complete",
	[ROT_OUT_STOPPED] = "stopped",
	[ROT_OUT_UNTIL] = "until",
	[ROT_OUT_INCOMPLETE] = "incomplete",
	[ROT_OUT_NOTHING] = "nothing",
};

static void
summary_json(const struct rot_progress *pr, const struct rot_summary *s, const char *next)
{
	const struct plan *p = pr->p;
	struct json_object *e = event("summary"), *stop = NULL;

	add_str(e, "phase", s->phase == ROT_PHASE_RUN ? "run" : "rollback");
	add_str(e, "outcome", outcome_words[s->outcome]);
	json_object_object_add(e, "exit", json_object_new_int(s->exit));
	if (s->stop >= 0) {
		stop = json_object_new_object();
		add_str(stop, "step", p->steps[s->stop].id);
		add_str(stop, "result", rot_result_name(s->stop_result));
		add_str(stop, "detail", s->stop_detail);
	}
	json_object_object_add(e, "stop", stop);
	json_object_object_add(e, "done", id_array(p, s->by[ROT_RES_DONE], s->nby[ROT_RES_DONE]));
	json_object_object_add(e, "verified", id_array(p, s->by[ROT_RES_VERIFIED],
	    s->nby[ROT_RES_VERIFIED]));
	json_object_object_add(e, "in_effect", id_array(p, s->by[ROT_RES_IN_EFFECT],
	    s->nby[ROT_RES_IN_EFFECT]));
	json_object_object_add(e, "skipped", id_array(p, s->by[ROT_RES_SKIPPED],
	    s->nby[ROT_RES_SKIPPED]));
	json_object_object_add(e, "rolled_back", id_array(p, s->by[ROT_RES_UNDONE],
	    s->nby[ROT_RES_UNDONE]));
	json_object_object_add(e, "left", id_array(p, s->left, s->nleft));
	add_str(e, "next", next);
	emit(e);
}

static void
ui_summary(void *ctx, const struct rot_summary *s)
{
	struct rot_progress *pr = ctx;
	const struct plan *p = pr->p;
	char *next = next_step(pr, s);
	struct cr_buf b = CR_BUF_INIT;

	/* the diagnostic, on stderr whatever the format */
	if (s->stop >= 0)
		rot_warn("%s stopped at '%s' (%s): %s", s->phase == ROT_PHASE_RUN ? "run" : "rollback",
		    p->steps[s->stop].id, rot_result_name(s->stop_result),
		    s->stop_detail ? s->stop_detail : "");
	if (pr->fmt == ROT_FMT_JSON) {
		summary_json(pr, s, next);
		free(next);
		return;
	}
	printf("\n");
	if (s->phase == ROT_PHASE_RUN)
		printf("summary: %zu done now, %zu verified as done before, %zu in effect before the "
		    "run, %zu skipped, %zu left\n", s->nby[ROT_RES_DONE], s->nby[ROT_RES_VERIFIED],
		    s->nby[ROT_RES_IN_EFFECT], s->nby[ROT_RES_SKIPPED], s->nleft);
	else
		printf("summary: %zu rolled back, %zu skipped, %zu left\n", s->nby[ROT_RES_UNDONE],
		    s->nby[ROT_RES_SKIPPED], s->nleft);
	if (s->nby[ROT_RES_SKIPPED] > 0) {
		ids(&b, p, s->by[ROT_RES_SKIPPED], s->nby[ROT_RES_SKIPPED]);
		printf("  skipped: %s\n", cr_buf_str(&b));
		cr_buf_release(&b);
	}
	if (s->nleft > 0) {
		ids(&b, p, s->left, s->nleft);
		printf("  left: %s\n", cr_buf_str(&b));
		cr_buf_release(&b);
	}
	if (s->outcome == ROT_OUT_COMPLETE && s->phase == ROT_PHASE_RUN)
		printf("rotation '%s' is complete (journal '%s')\n", p->cfg->rotation.name, pr->journal);
	else if (s->outcome == ROT_OUT_COMPLETE || s->outcome == ROT_OUT_NOTHING)
		printf("rotation '%s' is rolled back (journal '%s')\n", p->cfg->rotation.name,
		    pr->journal);
	else if (s->stop >= 0)
		printf("STOPPED at %s (%s): %s\n", p->steps[s->stop].id, rot_result_name(s->stop_result),
		    s->stop_detail ? s->stop_detail : "");
	if (next != NULL)
		printf("next: %s\n", next);
	fflush(stdout);
	free(next);
}

void
rot_progress_init(struct rot_progress *pr)
{
	memset(&pr->ui, 0, sizeof(pr->ui));
	pr->ui.step = ui_step;
	pr->ui.checks = ui_checks;
	pr->ui.manual = ui_manual;
	pr->ui.prompt = ui_prompt;
	pr->ui.end = ui_end;
	pr->ui.summary = ui_summary;
	pr->ui.ctx = pr;
	if (pr->again == NULL)
		pr->again = "";
}

void
rot_progress_complete(const char *rotation, const char *journal, const char *at)
{
	struct json_object *e = event("summary");

	add_str(e, "phase", "run");
	add_str(e, "outcome", "complete");
	json_object_object_add(e, "exit", json_object_new_int(0));
	add_str(e, "rotation", rotation);
	add_str(e, "journal", journal);
	add_str(e, "at", at);
	emit(e);
}

void
rot_again(char *buf, size_t len, const char *config, const char *state)
{
	snprintf(buf, len, "%s%s%s%s%s", config ? "-c " : "", config ? config : "",
	    config && state ? " " : "", state ? "--state " : "", state ? state : "");
}
