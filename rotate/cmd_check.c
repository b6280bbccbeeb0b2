/*
 * cmd_check.c - `certrotate check`: the dry run.  Builds the plan and
 * evaluates every precondition of every step as it would hold at the start
 * of `run` (check/: chk_plan), changing nothing; prints failures first and
 * loud, then each step with its checks, then a summary.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "rot.h"
#include "../check/check.h"
#include "load.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../cert/json.h"
#include "../pkcs11/p11.h"
#include "../common/utf8.h"

static const char *const status_word[] = { "pass", "WARN", "FAIL", "skip" };

static void
print_item(const struct chk_item *it, const char *indent)
{
	printf("%s%-4s  %-18s %s: %s\n", indent, status_word[it->res.status], it->id, it->subject,
	    it->res.message);
}

/*
 * An item under a step or among the other checks: in full the first time
 * it is printed, then (a check shared by several steps, a failure listed
 * above) by id and subject only - one cause, one line.
 */
static void
print_once(const struct chk_item *it, unsigned char *shown, size_t i, const char *indent)
{
	if (shown[i])
		printf("%s%-4s  %-18s %s: as above\n", indent, status_word[it->res.status], it->id,
		    it->subject);
	else
		print_item(it, indent);
	shown[i] = 1;
}

/* The short identity of a certificate, or why there is none. */
static char *
short_ident(const struct crt_cert *c)
{
	return c != NULL ? plan_short_ident(c) : cr_xstrdup("(not read)");
}

static int
item_fails(const struct chk_item *it, int strict)
{
	return it->res.status == CHK_FAIL || (strict && it->res.status == CHK_WARN);
}

/*
 * The failures, loud, each followed by what it does to the rotation: the
 * blocked steps that list it, or - a check no pending step lists - that it
 * stops the rotation and why (check.h, ONE VERDICT).
 */
static void
print_failed(const struct plan *p, const struct chk_report *rep, int strict, size_t npending,
    unsigned char *shown)
{
	size_t *first, *steps, *fill, i, k;

	/* the blocked steps of every item, item by item (one pass over the
	   steps, so that many failures stay linear) */
	first = cr_xcalloc(rep->n + 1, sizeof(*first));
	for (k = 0; k < rep->nsteps; k++)
		for (i = 0; rep->steps[k].status == CHK_STEP_BLOCKED && i < rep->steps[k].n; i++)
			first[rep->steps[k].items[i] + 1]++;
	for (i = 0; i < rep->n; i++)
		first[i + 1] += first[i];
	steps = cr_xcalloc(first[rep->n] + 1, sizeof(*steps));
	fill = cr_xcalloc(rep->n + 1, sizeof(*fill));
	for (k = 0; k < rep->nsteps; k++)
		for (i = 0; rep->steps[k].status == CHK_STEP_BLOCKED && i < rep->steps[k].n; i++) {
			size_t it = rep->steps[k].items[i];
			steps[first[it] + fill[it]++] = k;
		}
	printf("\nFAILED (%zu):\n", rep->count[CHK_FAIL] + (strict ? rep->count[CHK_WARN] : 0));
	for (i = 0; i < rep->n; i++) {
		const struct chk_item *it = &rep->items[i];

		if (!item_fails(it, strict))
			continue;
		print_item(it, "  ");
		shown[i] = 1;
		if (p == NULL)
			printf("        stops the rotation: no plan can be made without it (%s)\n",
			    plan_check_what(it->check));
		else if (it->stops && npending > 0)
			printf("        stops the rotation: no pending step lists it, so %s %zu pending "
			    "step%s wait%s for it (%s)\n", npending == 1 ? "the" : "all", npending,
			    npending == 1 ? "" : "s", npending == 1 ? "s" : "", plan_check_what(it->check));
		else if (it->stops || first[i + 1] == first[i])
			printf("        stops the rotation: every step is done, but it must hold (%s)\n",
			    plan_check_what(it->check));
		else
			for (k = first[i]; k < first[i + 1]; k++)
				printf("%s%s%s", k == first[i] ? "        blocks " : ", ",
				    p->steps[steps[k]].id, k + 1 == first[i + 1] ? "\n" : "");
	}
	free(first);
	free(steps);
	free(fill);
}

/*
 * The report for people.  p is NULL when no plan could be built (an input
 * failed to load): then there are only the checks that belong to no step.
 * The header's counts, each step's status, the FAILED list and the
 * summary come from the same report and agree (tests/verdict.py checks).
 */
static void
print_text(const struct plan_config *cfg, const struct plan_inputs *in, const struct plan *p,
    const struct chk_report *rep, int strict)
{
	size_t i, k, nblocked = 0, npending = 0, nsteps = p != NULL ? p->nsteps : 0;
	unsigned char *shown = cr_xcalloc(rep->n + 1, 1);
	char *o = short_ident(in->old), *n = short_ident(in->new);

	for (i = 0; i < rep->nsteps; i++) {
		nblocked += rep->steps[i].status == CHK_STEP_BLOCKED;
		npending += rep->steps[i].status != CHK_STEP_DONE;
	}
	if (p != NULL)
		printf("check of rotation '%s': %zu step%s, %zu blocked%s\n", cfg->rotation.name,
		    nsteps, nsteps == 1 ? "" : "s", nblocked, npending == 0 && nsteps > 0 ?
		    " (all done)" : "");
	else
		printf("check of rotation '%s': NO PLAN: %s could not be loaded\n",
		    cfg->rotation.name, plan_input_name(in->failed));
	printf("  old  %s\n  new  %s\n", o, n);
	free(o);
	free(n);

	if (rep->count[CHK_FAIL] > 0 || (strict && rep->count[CHK_WARN] > 0))
		print_failed(p, rep, strict, npending, shown);
	if (rep->count[CHK_WARN] > 0 && !strict) {
		printf("\nWARNINGS (%zu):\n", rep->count[CHK_WARN]);
		for (i = 0; i < rep->n; i++)
			if (rep->items[i].res.status == CHK_WARN) {
				print_item(&rep->items[i], "  ");
				shown[i] = 1;
			}
	}
	if (nsteps > 0)
		printf("\nsteps:\n");
	for (i = 0; i < nsteps; i++) {
		const struct chk_step_report *sr = &rep->steps[i];

		printf("  %-7s %s  %s\n", sr->status == CHK_STEP_BLOCKED ? "BLOCKED" :
		    chk_step_status_name(sr->status), p->steps[i].id, p->steps[i].description);
		for (k = 0; k < sr->n; k++)
			print_once(&rep->items[sr->items[k]], shown, sr->items[k], "          ");
	}
	if (rep->ntop > 0) {
		printf("\nother checks:\n");
		for (i = 0; i < rep->ntop; i++)
			print_once(&rep->items[rep->top[i]], shown, rep->top[i], "          ");
	}
	free(shown);
	printf("\nsummary: %zu pass, %zu warn, %zu fail, %zu skip: %s\n", rep->count[CHK_PASS],
	    rep->count[CHK_WARN], rep->count[CHK_FAIL], rep->count[CHK_SKIP],
	    rep->status == CR_OK ? "ready to run" :
	    rep->status == CR_EBLOCK ? "BLOCKED (exit 1)" :
	    rep->status == CR_EENV ? "ENVIRONMENT FAILURE (exit 3)" : "BAD INPUT (exit 2)");
}

static struct json_object *
item_json(const struct chk_item *it)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(it->id));
	json_object_object_add(o, "status", json_object_new_string(chk_status_name(it->res.status)));
	json_object_object_add(o, "message", cr_json_str(it->res.message));
	json_object_object_add(o, "subject", cr_json_str(it->subject));
	/* a failure no pending step lists: it stops the rotation, and why */
	if (it->stops)
		json_object_object_add(o, "stops", json_object_new_string(plan_check_what(it->check)));
	return o;
}

static void
print_json(const struct plan_config *cfg, const struct plan_inputs *in, const struct plan *p,
    const struct chk_report *rep)
{
	struct json_object *o = json_object_new_object(), *steps = json_object_new_array();
	struct json_object *top = json_object_new_array(), *sum = json_object_new_object();
	size_t i, k, nsteps = p != NULL ? p->nsteps : 0;

	json_object_object_add(o, "rotation", cr_json_str(cfg->rotation.name));
	json_object_object_add(o, "old", in->old != NULL ? plan_cert_json(in->old) : NULL);
	json_object_object_add(o, "new", in->new != NULL ? plan_cert_json(in->new) : NULL);
	for (i = 0; i < nsteps; i++) {
		struct json_object *s = plan_step_json(p, &p->steps[i]);
		struct json_object *checks = json_object_new_array();
		json_object_object_add(s, "status",
		    json_object_new_string(chk_step_status_name(rep->steps[i].status)));
		for (k = 0; k < rep->steps[i].n; k++)
			json_object_array_add(checks, item_json(&rep->items[rep->steps[i].items[k]]));
		json_object_object_add(s, "checks", checks);
		json_object_array_add(steps, s);
	}
	json_object_object_add(o, "steps", steps);
	for (i = 0; i < rep->ntop; i++)
		json_object_array_add(top, item_json(&rep->items[rep->top[i]]));
	json_object_object_add(o, "checks", top);
	json_object_object_add(sum, "pass", json_object_new_int64((int64_t)rep->count[CHK_PASS]));
	json_object_object_add(sum, "warn", json_object_new_int64((int64_t)rep->count[CHK_WARN]));
	json_object_object_add(sum, "fail", json_object_new_int64((int64_t)rep->count[CHK_FAIL]));
	json_object_object_add(sum, "skip", json_object_new_int64((int64_t)rep->count[CHK_SKIP]));
	json_object_object_add(o, "summary", sum);
	json_object_object_add(o, "exit", json_object_new_int(rep->status));
	crt_json_print(stdout, o);
	json_object_put(o);
}

int
cmd_check(const struct rot_command *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "no-probe", no_argument, NULL, 'n' },
		{ "strict", no_argument, NULL, 's' },
		{ "force-login", no_argument, NULL, 'F' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct chk_opts o = { .probe = 1, .now = cr_now() };
	enum rot_format fmt = ROT_FMT_TEXT;
	const char *cfgpath = "certrotate.cfg";
	struct rot_loaded ld = ROT_LOADED_INIT;
	struct chk_report unplanned;
	const struct chk_report *rep;
	struct chk_ctx *ctx = NULL;
	struct cr_err err;
	long long ms;
	int c, force = 0, r;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'f':
			if (rot_parse_format(self, optarg, 1u << ROT_FMT_TEXT | 1u << ROT_FMT_JSON,
			    &fmt) != 0)
				return CR_EINPUT;
			break;
		case 'n':
			o.probe = 0;
			break;
		case 's':
			o.strict = 1;
			break;
		case 'F':
			force = 1;
			break;
		case 't':
			if (rot_timeout_opt(self, "--timeout", optarg, 3600, &ms) != CR_OK)
				return CR_EINPUT;
			o.timeout_ms = (int)ms;
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
	o.progress = rot_stderr_is_tty();

	cr_err_clear(&err);
	memset(&unplanned, 0, sizeof(unplanned));
	r = rot_load(self, cfgpath, force, PLAN_LOAD_CHAIN | PLAN_LOAD_LITE, &ld, &err);
	rot_loaded_warn(&ld);
	if (r != CR_OK) {
		/* a certificate, token or module that failed to load is a failed
		   check with a report (SPEC 2, 6); a bad configuration is not */
		if (!chk_unplanned(ld.cfg, ld.in, &o, &err, &unplanned)) {
			rot_loaded_release(&ld);
			return rot_finish_output(fmt == ROT_FMT_JSON ? rot_report_json(&err) :
			    rot_report(&err));
		}
		(void)rot_report(&err);
		rep = &unplanned;
	} else {
		ctx = chk_ctx_new(ld.plan, ld.p11, &o);
		chk_plan(ctx);
		rep = chk_ctx_report(ctx);
	}
	if (fmt == ROT_FMT_JSON)
		print_json(ld.cfg, ld.in, ld.plan, rep);
	else
		print_text(ld.cfg, ld.in, ld.plan, rep, o.strict);
	r = rep->status;
	chk_ctx_free(ctx);
	chk_report_release(&unplanned);
	rot_loaded_release(&ld);
	return rot_finish_output(r);
}
