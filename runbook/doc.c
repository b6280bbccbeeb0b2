/*
 * doc.c - the runbook's frame (book.h): title and summary, the
 * certificates, what is affected, the pre-checks, the sign-off and the
 * appendix.  The steps and the rollback are in steps.c, the writing both
 * use in docwrite.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "doc.h"

static const char *
overall_word(int status)
{
	return status == CR_OK ? "**READY**" : status == CR_EBLOCK ? "**BLOCKED**" :
	    status == CR_EENV ? "**ENVIRONMENT FAILURE**" : "**BAD INPUT**";
}

/* ---- title and summary -------------------------------------------------------- */

static void
utc(time_t t, char *buf, size_t n)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, n, "?");
}

static void
summary(struct book_doc *d)
{
	const struct plan *p = d->p;
	const struct plan_config *cfg = p->cfg;
	const struct book_checks *ck = d->ck;
	size_t i, act[3] = { 0, 0, 0 }, done = 0;
	char when[40];

	for (i = 0; i < p->nsteps; i++) {
		act[p->steps[i].action]++;
		done += p->steps[i].done != 0;
	}
	utc(d->o->now, when, sizeof(when));
	doc_add(d, "# Certificate rotation ");
	doc_text(d, cfg->rotation.name);
	doc_add(d, ": change runbook\n\nWritten by certrotate ");
	doc_text(d, d->o->version);
	doc_addf(d, " on %s from ", when);
	doc_code(d, d->o->config);
	doc_add(d, ".  It replaces the TLS certificate named below on the hosts and services of "
	    "section 2, in the order of section 4; section 3 holds the pre-checks as they stood "
	    "when it was written, section 5 the way back, section 6 the sign-off.\n\n");

	doc_add(d, "| Item | Value |\n|---|---|\n| Rotation | ");
	doc_cell_code(d, cfg->rotation.name);
	doc_add(d, " |\n| Old certificate | ");
	doc_cell_text(d, d->oldi.subject);
	doc_add(d, ", SHA-1 ");
	doc_cell_code(d, d->oldi.sha1);
	doc_add(d, ", valid until ");
	doc_cell_text(d, d->oldi.not_after_s);
	doc_add(d, " ");
	doc_cell_text(d, d->oldi.expiry.phrase);
	doc_add(d, " |\n| New certificate | ");
	doc_cell_text(d, d->newi.subject);
	doc_add(d, ", SHA-1 ");
	doc_cell_code(d, d->newi.sha1);
	doc_add(d, ", valid until ");
	doc_cell_text(d, d->newi.not_after_s);
	doc_add(d, " ");
	doc_cell_text(d, d->newi.expiry.phrase);
	doc_addf(d, " |\n| Affected | %zu host%s, %zu service%s, %zu ref%s |\n", cfg->nhosts,
	    cfg->nhosts == 1 ? "" : "s", cfg->nservices, cfg->nservices == 1 ? "" : "s", p->nrefs,
	    p->nrefs == 1 ? "" : "s");
	doc_addf(d, "| Steps | %zu: %zu native (done by certrotate), %zu command (a hook), "
	    "%zu manual", p->nsteps, act[PLAN_NATIVE], act[PLAN_COMMAND], act[PLAN_MANUAL]);
	if (done > 0)
		doc_addf(d, "; %zu already done", done);
	doc_addf(d, " |\n| Pre-checks | %zu pass, %zu warn, %zu fail, %zu skip: %s%s |\n",
	    ck->count[BOOK_PASS], ck->count[BOOK_WARN], ck->count[BOOK_FAIL],
	    ck->count[BOOK_SKIP], overall_word(ck->status),
	    ck->probed ? "" : " (endpoints not probed)");
	doc_add(d, "| Old certificate afterwards | ");
	if (p->old_protected)
		doc_add(d, "kept: it is protected (`protect`), no retire step");
	else if (cfg->rotation.retire == PLAN_RETIRE_KEEP)
		doc_add(d, "kept where it is (`retire = \"keep\"`)");
	else if (cfg->rotation.retire == PLAN_RETIRE_DELETE)
		doc_add(d, "removed once nothing refers to it, without an archive (`retire = \"delete\"`)");
	else {
		doc_add(d, "archived in ");
		doc_cell_code(d, cfg->rotation.archive_dir_text);
		doc_add(d, ", then removed, once nothing refers to it");
	}
	doc_add(d, " |\n\n");
}

/* ---- 1. certificates ------------------------------------------------------------ */

static char *
join(char *const *v, size_t n, const char *none)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		cr_buf_addf(&b, "%s%s", i ? ", " : "", v[i]);
	if (n == 0)
		cr_buf_adds(&b, none);
	return cr_buf_detach(&b);
}

static char *
key_text(const struct crt_info *i)
{
	if (i->key_curve != NULL)
		return cr_xasprintf("%s %s (%d bits)", i->key_type, i->key_curve, i->key_bits);
	return cr_xasprintf("%s %d bits", i->key_type, i->key_bits);
}

/* One row: field, old, new (code spans when code), and "changed" when they differ. */
static void
cert_row(struct book_doc *d, const char *field, const char *o, const char *n, int code, int mark)
{
	doc_add(d, "| ");
	doc_add(d, field);
	doc_add(d, " | ");
	(code ? doc_cell_code : doc_cell_text)(d, o);
	doc_add(d, " | ");
	(code ? doc_cell_code : doc_cell_text)(d, n);
	doc_add(d, mark && strcmp(o, n) != 0 ? " | **changed** |\n" : " | |\n");
}

static void
certificates(struct book_doc *d)
{
	const struct crt_info *o = &d->oldi, *n = &d->newi;
	char *a, *b;

	doc_add(d, "## 1. Certificates\n\n"
	    "| Field | Old certificate (to retire) | New certificate | Change |\n|---|---|---|---|\n");
	cert_row(d, "Subject", o->subject, n->subject, 0, 1);
	cert_row(d, "Issuer", o->issuer, n->issuer, 0, 1);
	cert_row(d, "Serial", o->serial, n->serial, 1, 0);
	a = join(o->san, o->nsan, "(none)");
	b = join(n->san, n->nsan, "(none)");
	cert_row(d, "Subject alternative names", a, b, 0, 1);
	free(a);
	free(b);
	cert_row(d, "Valid from", o->not_before_s, n->not_before_s, 0, 0);
	a = cr_xasprintf("%s %s", o->not_after_s, o->expiry.phrase);
	b = cr_xasprintf("%s %s", n->not_after_s, n->expiry.phrase);
	cert_row(d, "Valid until", a, b, 0, 0);
	free(a);
	free(b);
	a = cr_xasprintf("%s (%s)", o->sig_name, o->sig_oid);
	b = cr_xasprintf("%s (%s)", n->sig_name, n->sig_oid);
	cert_row(d, "Signature algorithm", a, b, 0, 1);
	free(a);
	free(b);
	a = key_text(o);
	b = key_text(n);
	cert_row(d, "Public key", a, b, 0, 1);
	free(a);
	free(b);
	a = join(o->eku, o->neku, o->has_eku ? "(empty)" : "(no extension: any)");
	b = join(n->eku, n->neku, n->has_eku ? "(empty)" : "(no extension: any)");
	cert_row(d, "Extended key usage", a, b, 0, 1);
	free(a);
	free(b);
	cert_row(d, "SHA-1 thumbprint", o->sha1, n->sha1, 1, 0);
	cert_row(d, "SHA-256 fingerprint", o->sha256, n->sha256, 1, 0);
	cert_row(d, "Name for connectors (TlsCertificateName)", o->tls_name, n->tls_name, 1, 1);
	cert_row(d, "Source", d->p->in->old->source, d->p->in->new->source, 1, 0);
	doc_add(d, "\nThe SHA-1 thumbprint is what Windows shows and IIS, Exchange, AD FS and the "
	    "Web Application Proxy use; the name for connectors is the `<I>issuer<S>subject` form "
	    "Exchange connectors hold in TlsCertificateName.  The commands refer to the files ");
	doc_code(d, d->new_pem);
	doc_add(d, " (the new certificate and its chain) and ");
	doc_code(d, d->old_pem);
	doc_add(d, " (the old certificate), printed in the appendix: save them where the "
	    "commands run.\n\n");
}

/* ---- 2. what is affected ------------------------------------------------------------ */

static void
hosts(struct book_doc *d)
{
	const struct plan_config *cfg = d->p->cfg;
	size_t i, k;
	char *s;

	doc_add(d, "### Hosts\n\n| Host | Accepts signatures | Accepts keys | Services |\n"
	    "|---|---|---|---|\n");
	for (i = 0; i < cfg->nhosts; i++) {
		const struct plan_host *h = &cfg->hosts[i];
		int first = 1;

		doc_add(d, "| ");
		doc_cell_code(d, h->name);
		doc_add(d, " | ");
		s = join(h->accept_sig, h->naccept_sig, "any");
		doc_cell_text(d, s);
		free(s);
		doc_add(d, " | ");
		s = join(h->accept_key, h->naccept_key, "any");
		doc_cell_text(d, s);
		free(s);
		doc_add(d, " | ");
		for (k = 0; k < cfg->nservices; k++)
			if (cfg->services[k].host == i) {
				doc_add(d, first ? "" : ", ");
				doc_cell_code(d, cfg->services[k].name);
				first = 0;
			}
		doc_add(d, " |\n");
	}
	doc_add(d, "\n");
}

static void
services(struct book_doc *d)
{
	const struct plan_config *cfg = d->p->cfg;
	size_t i;
	char *s;

	doc_add(d, "### Services\n\n| Service | Host | Kind | Account | Names clients use | "
	    "Restarted after |\n|---|---|---|---|---|---|\n");
	for (i = 0; i < cfg->nservices; i++) {
		const struct plan_service *v = &cfg->services[i];

		doc_add(d, "| ");
		doc_cell_code(d, v->name);
		doc_add(d, " | ");
		doc_cell_code(d, v->host_name);
		doc_add(d, " | ");
		doc_cell_text(d, v->kind != NULL ? v->kind : "generic");
		doc_add(d, " | ");
		doc_cell_text(d, v->account != NULL ? v->account : "");
		doc_add(d, " | ");
		s = join(v->names, v->nnames, "");
		doc_cell_text(d, s);
		free(s);
		doc_add(d, " | ");
		s = join(v->depends, v->ndepends, "");
		doc_cell_text(d, s);
		free(s);
		doc_add(d, " |\n");
	}
	doc_add(d, "\n");
}

/* Where a ref is reached: "127.0.0.1:443 (SNI x, STARTTLS smtp)", "file tls/a.pem". */
static char *
ref_where(const struct plan_ref *r)
{
	struct cr_buf b = CR_BUF_INIT;

	if (r->file_path_text != NULL)
		cr_buf_addf(&b, "file %s%s%s", r->file_path_text, r->key_path_text ? ", key " : "",
		    r->key_path_text ? r->key_path_text : "");
	if (r->endpoint != NULL) {
		cr_buf_addf(&b, "%s%s", b.len ? "; " : "", r->endpoint);
		if (r->sni != NULL || r->starttls_smtp)
			cr_buf_addf(&b, " (%s%s%s%s)", r->sni ? "SNI " : "", r->sni ? r->sni : "",
			    r->sni && r->starttls_smtp ? ", " : "",
			    r->starttls_smtp ? "STARTTLS smtp" : "");
	}
	return cr_buf_detach(&b);
}

static void
refs(struct book_doc *d)
{
	const struct plan *p = d->p;
	size_t i;
	char *s;

	doc_add(d, "### References to the certificate, and endpoints\n\n"
	    "Every place a service holds the certificate (a binding, a connector's name, a file), "
	    "as the configuration declares it, what the configured identity denotes, and the step "
	    "that moves it.\n\n"
	    "| Host | Service | Ref | Type | Certificate as configured | Endpoint or file | "
	    "Denotes | Step |\n|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < p->nrefs; i++) {
		const struct plan_refres *rr = &p->refs[i];

		doc_add(d, "| ");
		doc_cell_code(d, rr->host->name);
		doc_add(d, " | ");
		doc_cell_code(d, rr->service->name);
		doc_add(d, " | ");
		doc_cell_code(d, rr->ref->id);
		doc_add(d, " | ");
		doc_add(d, plan_ref_type_name(rr->ref->type));
		doc_add(d, " | ");
		doc_cell_code(d, rr->ref->cert);
		doc_add(d, " | ");
		s = ref_where(rr->ref);
		doc_cell_text(d, s);
		free(s);
		doc_add(d, " | ");
		doc_add(d, plan_denotes_name(rr->denotes));
		doc_add(d, rr->ambiguous ? " (ambiguous)" : "");
		doc_add(d, " | ");
		if (rr->step >= 0)
			doc_cell_code(d, p->steps[rr->step].id);
		else
			doc_add(d, "left alone");
		doc_add(d, " |\n");
	}
	if (p->nrefs == 0)
		doc_add(d, "| (none) | | | | | | | |\n");
	doc_add(d, "\n");
	if (p->nnotes > 0) {
		doc_add(d, "Notes of the plan:\n\n");
		for (i = 0; i < p->nnotes; i++)
			doc_item(d, p->notes[i]);
		doc_add(d, "\n");
	}
}

/* ---- 3. pre-checks ---------------------------------------------------------------- */

static void
prechecks(struct book_doc *d)
{
	static const enum book_status order[] = { BOOK_FAIL, BOOK_WARN, BOOK_SKIP, BOOK_PASS };
	const struct book_checks *ck = d->ck;
	size_t *sorted = cr_xcalloc(ck->n + 1, sizeof(*sorted)), n = 0, i, k;

	doc_addf(d, "## 3. Pre-checks\n\nThe checks of `certrotate check`, evaluated when this "
	    "runbook was written against the real certificates, keys, tokens%s, as they would hold "
	    "at the start of the change; `certrotate run` evaluates each step's again right before "
	    "it.  Result: %zu pass, %zu warn, %zu fail, %zu skip: %s.\n\n",
	    ck->probed ? " and endpoints" : "", ck->count[BOOK_PASS], ck->count[BOOK_WARN],
	    ck->count[BOOK_FAIL], ck->count[BOOK_SKIP], overall_word(ck->status));
	if (!ck->probed)
		doc_add(d, "Endpoints were not probed (`--no-probe`): the `endpoint` checks are "
		    "skipped.  Run `certrotate check` before the change window.\n\n");
	if (ck->status == CR_EBLOCK)
		doc_add(d, "**The change is blocked**: the failing checks below must be resolved "
		    "first; the column Steps names the steps each one concerns.\n\n");
	else if (ck->status == CR_EENV)
		doc_add(d, "**A token, module or endpoint failed**: the checks below say which. "
		    "Resolve it and write the runbook again.\n\n");
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (i = 0; i < ck->n; i++)
			if (ck->items[i].status == order[k])
				sorted[n++] = i;
	doc_check_table(d, sorted, n, 1);
	free(sorted);
}

/* ---- 6. sign-off, appendix ------------------------------------------------------------ */

static void
signoff(struct book_doc *d)
{
	doc_add(d, "## 6. Sign-off\n\n"
	    "| Change | Details |\n|---|---|\n"
	    "| Change number | |\n"
	    "| Change window (start - end) | |\n"
	    "| Services affected during the window | |\n"
	    "| Rollback decision by (name, phone) | |\n\n"
	    "| Role | Name | Date | Signature |\n|---|---|---|---|\n"
	    "| Prepared by | | | |\n"
	    "| Reviewed by | | | |\n"
	    "| Approved by (change board) | | | |\n"
	    "| Implemented by | | | |\n"
	    "| Verified by | | | |\n\n");
}

/* The PEM of x and of chain (may be NULL) appended to b. */
static void
add_pem(struct cr_buf *b, X509 *x, STACK_OF(X509) *chain)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int i;

	if (bio == NULL)
		return;
	PEM_write_bio_X509(bio, x);
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		PEM_write_bio_X509(bio, sk_X509_value(chain, i));
	n = BIO_get_mem_data(bio, &data);
	if (n > 0)
		cr_buf_add(b, data, (size_t)n);
	BIO_free(bio);
}

static void
appendix(struct book_doc *d)
{
	const struct plan_inputs *in = d->p->in;
	struct cr_buf pem = CR_BUF_INIT;
	STACK_OF(X509) *chain = NULL;
	char *lines[1];
	size_t i;

	doc_add(d, "## Appendix: certificate files\n\nSave each block as the file named above it "
	    "(PEM: base64 between BEGIN and END lines) where the commands run.  Certificates are "
	    "public: no private key is here.\n\n### ");
	doc_code(d, d->new_pem);
	doc_add(d, ": the new certificate and its chain\n\n");
	if (in->chain.n > 0) {
		chain = sk_X509_new_null();
		for (i = 0; chain != NULL && i < in->chain.n; i++)
			sk_X509_push(chain, in->chain.v[i]->x509);
	}
	add_pem(&pem, in->new->x509, chain != NULL ? chain : in->new->chain);
	sk_X509_free(chain);
	lines[0] = cr_buf_detach(&pem);
	if (strlen(lines[0]) > 0 && lines[0][strlen(lines[0]) - 1] == '\n')
		lines[0][strlen(lines[0]) - 1] = '\0';
	book_md_block(&d->b, "text", lines, 1);
	free(lines[0]);
	doc_add(d, "\n### ");
	doc_code(d, d->old_pem);
	doc_add(d, ": the old certificate\n\n");
	add_pem(&pem, in->old->x509, in->old->chain);
	lines[0] = cr_buf_detach(&pem);
	if (strlen(lines[0]) > 0 && lines[0][strlen(lines[0]) - 1] == '\n')
		lines[0][strlen(lines[0]) - 1] = '\0';
	book_md_block(&d->b, "text", lines, 1);
	free(lines[0]);
}

/* ---- the document ------------------------------------------------------------------ */

/* Every service's kind loads (else the error names the service's setting). */
static int
check_kinds(struct book_doc *d, struct cr_err *err)
{
	const struct plan_config *cfg = d->p->cfg;
	const struct book_kind *k;
	size_t i;

	for (i = 0; i < cfg->nservices; i++) {
		const struct plan_service *s = &cfg->services[i];

		if (book_kinds_get(d->ks, s->kind, &k, err) != CR_OK)
			return cr_err_prefix(err, "cannot write the runbook: %s:%d: %s.kind",
			    s->loc.file, s->loc.line, s->path);
	}
	return book_kinds_get(d->ks, NULL, &k, err) != CR_OK ?
	    cr_err_prefix(err, "cannot write the runbook: kind 'generic'") : CR_OK;
}

char *
book_pem_name(const struct plan *p, int new_cert)
{
	return cr_xasprintf("%s-%s.pem", p->cfg->rotation.name, new_cert ? "new" : "old");
}

int
book_markdown(const struct plan *p, const struct book_checks *checks, struct book_kinds *kinds,
    const struct book_opts *o, char **out, struct cr_err *err)
{
	struct book_doc d;
	int r;

	*out = NULL;
	memset(&d, 0, sizeof(d));
	d.p = p;
	d.ck = checks;
	d.ks = kinds;
	d.o = o;
	crt_info_get(p->in->old, o->now, &d.oldi);
	crt_info_get(p->in->new, o->now, &d.newi);
	d.old_pem = book_pem_name(p, 0);
	d.new_pem = book_pem_name(p, 1);
	book_vars_cert(&d.certs.old_cert, &d.oldi, d.old_pem);
	book_vars_cert(&d.certs.new_cert, &d.newi, d.new_pem);

	if ((r = check_kinds(&d, err)) != CR_OK)
		goto out;
	summary(&d);
	certificates(&d);
	doc_add(&d, "## 2. What is affected\n\n");
	hosts(&d);
	services(&d);
	refs(&d);
	prechecks(&d);
	if ((r = doc_steps(&d, err)) != CR_OK)
		goto out;
	doc_rollback(&d);
	signoff(&d);
	appendix(&d);
	*out = cr_buf_detach(&d.b);
	r = CR_OK;
out:
	cr_buf_release(&d.b);
	crt_info_release(&d.oldi);
	crt_info_release(&d.newi);
	free(d.old_pem);
	free(d.new_pem);
	return r;
}
