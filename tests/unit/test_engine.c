/*
 * Unit tests: the check engine (check/) - the registry of checks, and the
 * step-level API `run` drives: preconditions as the journal says things
 * are (chk_set_done), verify checks after a step (import.present,
 * file.content, retire.absent, endpoint after the change), and results
 * judged again after chk_invalidate.
 *
 * Inventories are written to a temp dir with certificates built here; the
 * endpoint is a TLS server on 127.0.0.1 in a thread (the kernel picks its
 * port) whose certificate the test switches.  The token tests use the
 * fixture token "spare" (FIX, SOFTHSM2_CONF from tests/run.sh; skipped
 * without), writing objects there and removing them again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "testcert.h"
#include "testfs.h"
#include "../../check/check.h"
#include "../../check/internal.h"
#include "../../common/util.h"
#include "../../pkcs11/p11.h"

#define DAY 86400L

static struct {
	EVP_PKEY *root_key, *ca_key, *leaf_key, *other_key;
	X509 *root, *ca, *old, *new, *other;
	char *dir;		/* the inventories' temp dir (tf_tmpdir) */
} G;

/* ---- files ------------------------------------------------------------------- */

static char *
path_of(const char *name)
{
	return cr_xasprintf("%s/%s", G.dir, name);
}

/* Writes certificates (NULL-terminated) and then key (may be NULL) as PEM to name. */
static void
write_pem(const char *name, EVP_PKEY *key, ...)
{
	char *p = path_of(name);
	FILE *f;
	va_list ap;
	X509 *x;

	unlink(p);
	f = fopen(p, "w");
	if (f == NULL)
		fail_msg("cannot write %s", p);
	va_start(ap, key);
	while ((x = va_arg(ap, X509 *)) != NULL)
		PEM_write_X509(f, x);
	va_end(ap);
	if (key != NULL)
		PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	free(p);
}

static int
setup(void **state)
{
	struct tc_spec root = { "/C=US/O=Contoso/CN=Contoso Root CA", NULL, NULL, -DAY, 3650 * DAY, NULL, 0, 1 };
	struct tc_spec ca = { "/C=US/O=Contoso Ltd/CN=Contoso Issuing CA 1", NULL, NULL, -DAY, 1000 * DAY, NULL, 0, 1 };
	struct tc_spec leaf = { "/C=US/O=Contoso/CN=mail.contoso.com", "DNS:mail.contoso.com",
	    "serverAuth", -300 * DAY, 200 * DAY, NULL, 0, 0 };
	struct tc_spec other = { "/C=US/O=Contoso/CN=other.contoso.com", "DNS:other.contoso.com",
	    "serverAuth", -DAY, 365 * DAY, NULL, 0, 0 };

	(void)state;
	G.root_key = tc_key(0);
	G.ca_key = tc_key(0);
	G.leaf_key = tc_key(0);
	G.other_key = tc_key(0);
	G.root = tc_cert(&root, G.root_key, NULL, NULL);
	G.ca = tc_cert(&ca, G.ca_key, G.root, G.root_key);
	G.old = tc_cert(&leaf, G.leaf_key, G.ca, G.ca_key);
	leaf.from = -DAY;
	leaf.to = 365 * DAY;
	G.new = tc_cert(&leaf, G.leaf_key, G.ca, G.ca_key);
	G.other = tc_cert(&other, G.other_key, G.ca, G.ca_key);
	G.dir = tf_tmpdir("test_engine");
	write_pem("root.pem", NULL, G.root, NULL);
	write_pem("ca.pem", NULL, G.ca, NULL);
	write_pem("old.pem", NULL, G.old, NULL);
	write_pem("new.pem", NULL, G.new, NULL);
	write_pem("new.key", G.leaf_key, NULL);
	{
		char *k = path_of("new.key");

		assert_int_equal(chmod(k, 0600), 0);	/* key.mode: a key readable by its owner only */
		free(k);
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tf_rmrf(G.dir);
	free(G.dir);
	X509_free(G.root);
	X509_free(G.ca);
	X509_free(G.old);
	X509_free(G.new);
	X509_free(G.other);
	EVP_PKEY_free(G.root_key);
	EVP_PKEY_free(G.ca_key);
	EVP_PKEY_free(G.leaf_key);
	EVP_PKEY_free(G.other_key);
	return 0;
}

/* ---- a TLS server whose certificate the test switches -------------------------- */

struct server {
	int lfd, port;
	pthread_t th;
	pthread_mutex_t lock;
	SSL_CTX *ctx;		/* what the next handshake serves */
	int probes;		/* connections accepted */
	int stop;
};
static struct server S;

static void *
server_main(void *arg)
{
	sigset_t pipe_set;

	(void)arg;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
	for (;;) {
		struct pollfd p = { .fd = S.lfd, .events = POLLIN };
		struct timeval tv = { 5, 0 };
		SSL *ssl;
		int fd;

		if (poll(&p, 1, 200) != 1) {
			if (S.stop)
				return NULL;
			continue;
		}
		if ((fd = accept(S.lfd, NULL, NULL)) < 0)
			return NULL;
		/* counted whether or not the handshake completes: a probe may
		   hang up once it has the certificate */
		pthread_mutex_lock(&S.lock);
		S.probes++;
		pthread_mutex_unlock(&S.lock);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		pthread_mutex_lock(&S.lock);
		ssl = SSL_new(S.ctx);
		pthread_mutex_unlock(&S.lock);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) == 1)
			SSL_shutdown(ssl);
		SSL_free(ssl);
		ERR_clear_error();
		close(fd);
	}
}

static void
server_serve(X509 *cert, EVP_PKEY *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method()), *old;

	assert_non_null(ctx);
	assert_true(SSL_CTX_use_certificate(ctx, cert));
	assert_true(SSL_CTX_use_PrivateKey(ctx, key));
	assert_true(SSL_CTX_add1_chain_cert(ctx, G.ca));
	pthread_mutex_lock(&S.lock);
	old = S.ctx;
	S.ctx = ctx;
	pthread_mutex_unlock(&S.lock);
	SSL_CTX_free(old);
}

static int
probes(void)
{
	int n;

	pthread_mutex_lock(&S.lock);
	n = S.probes;
	pthread_mutex_unlock(&S.lock);
	return n;
}

static void
server_start(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	memset(&S, 0, sizeof(S));
	pthread_mutex_init(&S.lock, NULL);
	S.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(S.lfd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(S.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(S.lfd, 16), 0);
	assert_int_equal(getsockname(S.lfd, (struct sockaddr *)&a, &len), 0);
	S.port = ntohs(a.sin_port);
	server_serve(G.old, G.leaf_key);
	assert_int_equal(pthread_create(&S.th, NULL, server_main, NULL), 0);
}

static void
server_stop(void)
{
	S.stop = 1;
	pthread_join(S.th, NULL);
	close(S.lfd);
	SSL_CTX_free(S.ctx);
	pthread_mutex_destroy(&S.lock);
}

/* ---- a plan ------------------------------------------------------------------- */

struct fixture {
	struct plan_config *cfg;
	struct plan_inputs *in;
	struct plan *plan;
	struct p11_ctx *p11;
	struct chk_ctx *ctx;
};

/* Writes certrotate.cfg (printf-style) and loads its plan through p11 (may be NULL). */
static void
load(struct fixture *f, struct p11_ctx *p11, const char *fmt, ...)
{
	char *p = path_of("certrotate.cfg");
	struct cr_err err;
	va_list ap;
	FILE *out;

	memset(f, 0, sizeof(*f));
	f->p11 = p11;
	out = fopen(p, "w");
	assert_non_null(out);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fclose(out);
	cr_err_clear(&err);
	if (plan_config_load(p, &f->cfg, &err) != CR_OK ||
	    (p11 != NULL && plan_config_tokens(f->cfg, p11, &err) != CR_OK) ||
	    plan_inputs_load(f->cfg, p11, PLAN_LOAD_CHAIN, &f->in, &err) != CR_OK ||
	    plan_build(f->cfg, f->in, &f->plan, &err) != CR_OK)
		fail_msg("%s", err.msg);
	free(p);
}

static void
start(struct fixture *f, int probe, int journal)
{
	struct chk_opts o = { .probe = probe, .journal = journal, .timeout_ms = 3000,
	    .now = time(NULL) };

	f->ctx = chk_ctx_new(f->plan, f->p11, &o);
}

static void
release(struct fixture *f)
{
	chk_ctx_free(f->ctx);
	plan_free(f->plan);
	plan_inputs_free(f->in);
	plan_config_free(f->cfg);
}

static size_t
step_index(const struct fixture *f, const char *id)
{
	size_t i;

	for (i = 0; i < f->plan->nsteps; i++)
		if (strcmp(f->plan->steps[i].id, id) == 0)
			return i;
	fail_msg("no step '%s'", id);
	return 0;
}

/* The item of `id` in a step's results; fails the test when absent. */
static const struct chk_item *
result(const struct fixture *f, const struct chk_step_report *sr, const char *id,
    const char *subject)
{
	const struct chk_report *rep = chk_ctx_report(f->ctx);
	size_t k;

	for (k = 0; k < sr->n; k++) {
		const struct chk_item *it = &rep->items[sr->items[k]];
		if (strcmp(it->id, id) == 0 && (subject == NULL || strcmp(it->subject, subject) == 0))
			return it;
	}
	fail_msg("no '%s' (%s) among the step's %zu results", id, subject ? subject : "any",
	    sr->n);
	return NULL;
}

/* Asserts the status of `id` in step `step`'s `phase` results, and a substring of its message. */
static void
expect(struct fixture *f, const char *step, enum chk_phase ph, const char *id,
    enum chk_status st, const char *needle)
{
	const struct chk_step_report *sr = chk_step(f->ctx, step_index(f, step), ph);
	const struct chk_item *it;

	assert_non_null(sr);
	it = result(f, sr, id, NULL);
	if (it->res.status != st || strstr(it->res.message, needle) == NULL)
		fail_msg("%s %s %s: expected %s '...%s...', got %s '%s'", step,
		    ph == CHK_PRE ? "pre" : ph == CHK_VERIFY ? "verify" : "rollback", id, chk_status_name(st), needle,
		    chk_status_name(it->res.status), it->res.message);
}

/* An inventory of files: a file ref (with an endpoint when port > 0) and a binding. */
#define FILES_CFG \
	"rotation = { name = \"t\"; old = \"file:old.pem\"; new = \"file:new.pem\";\n" \
	"  key = \"file:new.key\"; chain = [ \"file:ca.pem\" ]; trust = [ \"file:root.pem\" ]; };\n" \
	"hosts = ( { name = \"h1\"; } );\n" \
	"services = ( { name = \"web\"; host = \"h1\"; refs = (\n" \
	"  { id = \"b\"; type = \"binding\"; cert = \"file:old.pem\"; },\n" \
	"  { id = \"tls\"; type = \"file\"; path = \"svc.pem\"%s } ); } );\n"

/* ---- the registry -------------------------------------------------------------- */

static void
test_registry(void **state)
{
	size_t i, j, v, k;

	(void)state;
	assert_null(chk_registry[PLAN_CHK_NONE].eval);
	for (i = 1; i < PLAN_NCHECKS; i++) {
		const struct chk_row *row = &chk_registry[i];
		const char *name = plan_check_name((enum plan_check)i);

		/* every enum value has its row, its evaluator, a subject, an id */
		assert_int_equal(row->check, i);
		assert_non_null(row->eval);
		assert_int_not_equal(row->subject, CHK_SUBJ_NONE);
		assert_non_null(plan_check_what((enum plan_check)i));
		assert_int_equal(plan_check_find(name), i);
		assert_true(strspn(name, "abcdefghijklmnopqrstuvwxyz.-") == strlen(name));
		for (j = 1; j < i; j++)
			assert_string_not_equal(name, plan_check_name((enum plan_check)j));
	}
	assert_int_equal(plan_check_find("no.such"), PLAN_CHK_NONE);
	assert_string_equal(plan_check_name(PLAN_CHK_NEW_KEY_PROTECTION), "new.key-protection");
	/* what steps list are checks with rows */
	for (v = 0; v < PLAN_NVARIANTS; v++) {
		const struct plan_step_checks *t = plan_step_checks((enum plan_variant)v);

		assert_int_equal(t->variant, v);
		for (k = 0; k < PLAN_MAX_CHECKS && t->pre[k].id != PLAN_CHK_NONE; k++)
			assert_true(t->pre[k].id < PLAN_NCHECKS);
		for (k = 0; k < PLAN_MAX_CHECKS && t->verify[k].id != PLAN_CHK_NONE; k++)
			assert_true(t->verify[k].id < PLAN_NCHECKS);
	}
}

/*
 * key.mode: the new key file and the key files a rebind writes - others may
 * not read a key (fail), a group may, knowingly (warn, naming it); a key
 * file yet to be created is 0600.
 */
static void
test_key_mode(void **state)
{
	static const struct {
		unsigned mode;
		enum chk_status st;
		const char *msg;
	} t[] = {
		{ 0600, CHK_PASS, "'new.key' (the new key) is mode 0600: readable by its owner only" },
		{ 0400, CHK_PASS, "is mode 0400" },
		{ 0640, CHK_WARN, "is readable by group 'root' (mode 0640): fine when that group holds "
		    "only the services that read the key" },
		{ 0620, CHK_WARN, "is writable by group" },
		{ 0644, CHK_FAIL, "is readable by every user of the host (mode 0644): a private key must "
		    "not be; chmod 600 it" },
		{ 0602, CHK_FAIL, "is writable by every user" },
	};
	char *k = path_of("new.key"), *kp = path_of("svc.key");
	struct fixture f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct chk_at at = { PLAN_CHK_KEY_MODE, CHK_PRE, CHK_NO_STEP, NULL, NULL, NULL };
		const struct chk_report *rep;

		write_pem("svc.pem", NULL, G.old, G.ca, NULL);
		load(&f, NULL, FILES_CFG, ";");
		start(&f, 0, 1);
		assert_int_equal(chmod(k, t[i].mode), 0);
		chk_registry[PLAN_CHK_KEY_MODE].eval(f.ctx, &at);
		rep = chk_ctx_report(f.ctx);
		assert_int_equal(rep->n, 1);
		assert_string_equal(rep->items[0].subject, "key file new.key");
		if (rep->items[0].res.status != t[i].st || strstr(rep->items[0].res.message,
		    t[i].msg) == NULL)
			fail_msg("%04o: %s '%s'", t[i].mode, chk_status_name(rep->items[0].res.status),
			    rep->items[0].res.message);
		release(&f);
	}
	assert_int_equal(chmod(k, 0600), 0);
	/* a file ref's key_path: judged before its rebind beside the new key file; missing: 0600 */
	unlink(kp);
	load(&f, NULL, FILES_CFG, "; key_path = \"svc.key\";");
	start(&f, 0, 1);
	expect(&f, "03-rebind-h1-web-tls", CHK_PRE, "key.mode", CHK_PASS,
	    "'new.key' (the new key) is mode 0600");
	{
		const struct chk_step_report *sr = chk_step(f.ctx, step_index(&f, "03-rebind-h1-web-tls"),
		    CHK_PRE);
		const struct chk_item *it = result(&f, sr, "key.mode", "key file svc.key");

		assert_non_null(strstr(it->res.message, "'svc.key' (the key file the service reads) "
		    "does not exist yet: it will be created with mode 0600"));
	}
	/* ... and file.key warns: the service cannot be reading its key from there now */
	expect(&f, "03-rebind-h1-web-tls", CHK_PRE, "file.key", CHK_WARN,
	    "'svc.key' does not exist: the service cannot be reading its key from there now");
	release(&f);
	free(k);
	free(kp);
}

/* ---- preconditions as the journal says things are --------------------------------- */

static void
test_retire_refs_journal(void **state)
{
	struct fixture f;

	(void)state;
	write_pem("svc.pem", NULL, G.old, G.ca, NULL);
	load(&f, NULL, FILES_CFG, ";");
	start(&f, 0, 1);
	expect(&f, "05-retire-h1", CHK_PRE, "retire.refs", CHK_FAIL,
	    "retire waits for 02-rebind-h1-web-b, 03-rebind-h1-web-tls, which are not done yet");
	assert_int_equal(chk_step(f.ctx, step_index(&f, "05-retire-h1"), CHK_PRE)->status,
	    CHK_STEP_BLOCKED);
	chk_set_done(f.ctx, step_index(&f, "02-rebind-h1-web-b"), 1);
	expect(&f, "05-retire-h1", CHK_PRE, "retire.refs", CHK_FAIL,
	    "retire waits for 03-rebind-h1-web-tls, which is not done yet");
	chk_set_done(f.ctx, step_index(&f, "03-rebind-h1-web-tls"), 1);
	assert_true(chk_is_done(f.ctx, step_index(&f, "03-rebind-h1-web-tls")));
	expect(&f, "05-retire-h1", CHK_PRE, "retire.refs", CHK_PASS,
	    "the 2 refs on the old certificate moved: 02-rebind-h1-web-b, 03-rebind-h1-web-tls done");
	/* a done step: only what its endpoint serves is evaluated before it */
	assert_int_equal(chk_step(f.ctx, step_index(&f, "03-rebind-h1-web-tls"), CHK_PRE)->n, 0);
	assert_int_equal(chk_step(f.ctx, step_index(&f, "03-rebind-h1-web-tls"), CHK_PRE)->status,
	    CHK_STEP_DONE);
	release(&f);

	/* projection (check): the steps before retire will move them */
	load(&f, NULL, FILES_CFG, ";");
	start(&f, 0, 0);
	chk_plan(f.ctx);
	expect(&f, "05-retire-h1", CHK_PRE, "retire.refs", CHK_PASS,
	    "2 refs on the old certificate move first: retire waits for 02-rebind-h1-web-b, "
	    "03-rebind-h1-web-tls");
	release(&f);
}

/* ---- verify: file.content, retire.absent ---------------------------------------- */

static void
test_file_content(void **state)
{
	struct fixture f;
	struct chk_at at;
	char *svc = path_of("svc.pem");

	(void)state;
	write_pem("svc.pem", NULL, G.old, G.ca, NULL);
	load(&f, NULL, FILES_CFG, ";");
	start(&f, 0, 1);
	/* the layout before the change (file.layout, SPEC 6) */
	memset(&at, 0, sizeof(at));
	at.check = PLAN_CHK_FILE_LAYOUT;
	at.step = step_index(&f, "03-rebind-h1-web-tls");
	at.s = &f.plan->steps[at.step];
	at.ref = at.s->res;
	at.subject = "ref web/tls";
	f.ctx->call++;
	chk_registry[PLAN_CHK_FILE_LAYOUT].eval(f.ctx, &at);
	assert_non_null(strstr(chk_ctx_report(f.ctx)->items[0].res.message, "svc.pem' holds leaf + "
	    "chain (leaf, chain; 2 certificates), in order: the new material will be written the "
	    "same way"));

	expect(&f, "03-rebind-h1-web-tls", CHK_VERIFY, "file.content", CHK_FAIL,
	    "still holds the OLD certificate");
	/* the rebind wrote it: judged again only once the executor says files changed */
	write_pem("svc.pem", NULL, G.new, G.ca, NULL);
	expect(&f, "03-rebind-h1-web-tls", CHK_VERIFY, "file.content", CHK_FAIL,
	    "still holds the OLD certificate");
	chk_invalidate(f.ctx, CHK_F_FILES);
	expect(&f, "03-rebind-h1-web-tls", CHK_VERIFY, "file.content", CHK_PASS,
	    "' holds the new certificate: leaf + chain (2 certificates)");

	const struct {
		X509 *a, *b, *c;
		EVP_PKEY *key;
		const char *want;
	} bad[] = {
		{ G.new, NULL, NULL, NULL, "' holds leaf, but it held leaf + chain before the change" },
		{ G.new, G.root, G.ca, NULL, "' is out of order: certificate 1 'CN=mail.contoso.com, "
		    "O=Contoso, C=US' is not issued by certificate 2 'CN=Contoso Root CA" },
		{ G.other, G.ca, NULL, NULL, "' holds 'CN=other.contoso.com, O=Contoso, C=US' (sha1:" },
		{ G.new, G.ca, NULL, G.other_key, "the key in '" },
		{ G.new, G.ca, NULL, G.leaf_key, "' holds leaf + chain + key, but it held leaf + chain" },
		{ NULL, NULL, NULL, G.leaf_key, "' holds no certificate" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i].a == NULL)
			write_pem("svc.pem", bad[i].key, NULL);
		else
			write_pem("svc.pem", bad[i].key, bad[i].a, bad[i].b, bad[i].c, NULL);
		chk_invalidate(f.ctx, CHK_F_FILES);
		expect(&f, "03-rebind-h1-web-tls", CHK_VERIFY, "file.content", CHK_FAIL, bad[i].want);
	}
	/* untrusted files: a FIFO is refused without blocking */
	unlink(svc);
	assert_int_equal(mkfifo(svc, 0600), 0);
	chk_invalidate(f.ctx, CHK_F_FILES);
	expect(&f, "03-rebind-h1-web-tls", CHK_VERIFY, "file.content", CHK_FAIL,
	    "is a FIFO, not a regular file");
	unlink(svc);
	release(&f);
	free(svc);
}

/*
 * An old certificate read from a file has no native retire: the file is
 * only read.  The host that held it by binding retires it from its store,
 * which cannot be seen from here: retire.absent says what to verify there.
 */
static void
test_retire_absent_host(void **state)
{
	struct fixture f;
	size_t i;

	(void)state;
	write_pem("svc.pem", NULL, G.old, G.ca, NULL);
	load(&f, NULL, FILES_CFG, ";");
	start(&f, 0, 1);
	for (i = 0; i < f.plan->nsteps; i++)
		assert_true(f.plan->steps[i].type != PLAN_RETIRE ||
		    f.plan->steps[i].variant == PLAN_V_RETIRE_HOST);
	expect(&f, "05-retire-h1", CHK_VERIFY, "retire.absent", CHK_SKIP,
	    "the certificate store of h1 cannot be seen from here: verify there that the old "
	    "certificate sha1:");
	/* a host's store cannot be seen from here */
	expect(&f, "01-import-h1", CHK_VERIFY, "import.present", CHK_SKIP,
	    "the certificate store of host 'h1' cannot be seen from here");
	/* what a binding names, neither */
	expect(&f, "02-rebind-h1-web-b", CHK_VERIFY, "ref.moved", CHK_SKIP,
	    "binding 'b' on h1 cannot be seen from here: verify there that it names the new "
	    "certificate sha1:");
	release(&f);
}

/*
 * The rollback rows (CHK_ROLLBACK): the file holds the old certificate again
 * (in order, its key the old one's); what cannot be seen says what to verify.
 */
static void
test_rollback_rows(void **state)
{
	struct fixture f;

	(void)state;
	write_pem("svc.pem", NULL, G.new, G.ca, NULL);
	load(&f, NULL, FILES_CFG, ";");
	start(&f, 0, 1);
	expect(&f, "03-rebind-h1-web-tls", CHK_ROLLBACK, "rollback.file", CHK_FAIL,
	    "svc.pem' still holds the NEW certificate after the rollback");
	write_pem("svc.pem", NULL, G.old, G.ca, NULL);
	chk_invalidate(f.ctx, CHK_F_FILES);
	expect(&f, "03-rebind-h1-web-tls", CHK_ROLLBACK, "rollback.file", CHK_PASS,
	    "svc.pem' holds the old certificate again: leaf + chain (2 certificates)");
	write_pem("svc.pem", NULL, G.old, G.root, G.ca, NULL);
	chk_invalidate(f.ctx, CHK_F_FILES);
	expect(&f, "03-rebind-h1-web-tls", CHK_ROLLBACK, "rollback.file", CHK_FAIL,
	    "svc.pem' is out of order after the rollback");
	write_pem("svc.pem", G.other_key, G.old, G.ca, NULL);
	chk_invalidate(f.ctx, CHK_F_FILES);
	expect(&f, "03-rebind-h1-web-tls", CHK_ROLLBACK, "rollback.file", CHK_FAIL,
	    "svc.pem' is not the old certificate's");
	write_pem("svc.pem", NULL, G.ca, NULL, NULL);
	chk_invalidate(f.ctx, CHK_F_FILES);
	expect(&f, "03-rebind-h1-web-tls", CHK_ROLLBACK, "rollback.file", CHK_FAIL,
	    "not the old certificate");
	/* a host's store, a binding: skip, with what to verify there */
	expect(&f, "01-import-h1", CHK_ROLLBACK, "rollback.unseen", CHK_SKIP,
	    "the certificate store on h1 cannot be seen from here: verify there that the new "
	    "certificate is removed (unless it was there before the run) sha1:");
	expect(&f, "02-rebind-h1-web-b", CHK_ROLLBACK, "rollback.unseen", CHK_SKIP,
	    "binding 'b' on h1 cannot be seen from here: verify there that it names the old "
	    "certificate again sha1:");
	expect(&f, "05-retire-h1", CHK_ROLLBACK, "rollback.unseen", CHK_SKIP,
	    "verify there that the old certificate is back sha1:");
	release(&f);
}

/* ---- verify: the endpoint after the change ----------------------------------------- */

static void
test_endpoint_after(void **state)
{
	struct fixture f;
	char ep[64];
	int n;

	(void)state;
	server_start();
	snprintf(ep, sizeof(ep), "; endpoint = \"127.0.0.1:%d\";", S.port);
	write_pem("svc.pem", NULL, G.old, G.ca, NULL);
	load(&f, NULL, FILES_CFG, ep);
	n = probes();
	start(&f, 1, 1);	/* probes now */
	assert_int_equal(probes(), n + 1);
	expect(&f, "03-rebind-h1-web-tls", CHK_PRE, "endpoint", CHK_PASS,
	    "serves the old certificate now");
	/* after the restart, judged on what was probed until the executor says otherwise */
	expect(&f, "04-restart-h1-web", CHK_VERIFY, "endpoint", CHK_FAIL,
	    "still serves the OLD certificate after the change");
	server_serve(G.new, G.leaf_key);
	chk_invalidate(f.ctx, CHK_F_PROBES);
	n = probes();
	expect(&f, "04-restart-h1-web", CHK_VERIFY, "endpoint", CHK_PASS,
	    "serves the new certificate");
	/* one probe again: the one this step needs */
	assert_int_equal(probes(), n + 1);
	expect(&f, "04-restart-h1-web", CHK_VERIFY, "endpoint", CHK_PASS,
	    "serves the new certificate");
	assert_int_equal(probes(), n + 1);
	server_serve(G.other, G.other_key);
	chk_invalidate(f.ctx, CHK_F_WORLD);
	expect(&f, "04-restart-h1-web", CHK_VERIFY, "endpoint", CHK_FAIL,
	    "serves neither the old nor the new certificate after the change but "
	    "'CN=other.contoso.com, O=Contoso, C=US'");
	/* before a step, neither is a failure in run (a warning in check) */
	expect(&f, "03-rebind-h1-web-tls", CHK_PRE, "endpoint", CHK_FAIL,
	    "serves neither the old nor the new certificate");
	release(&f);

	load(&f, NULL, FILES_CFG, ep);
	start(&f, 1, 0);
	expect(&f, "03-rebind-h1-web-tls", CHK_PRE, "endpoint", CHK_WARN,
	    "serves neither the old nor the new certificate");
	release(&f);
	server_stop();
}

/* ---- verify on a token: import.present, retire.absent ---------------------------------- */

static const char *
fix(void)
{
	const char *s = getenv("FIX");

	return s != NULL && *s ? s : NULL;
}

/* Token spare, logged in read-write through p11. */
static struct p11_token *
spare(struct p11_ctx *p11)
{
	struct p11_uri *u = NULL;
	struct p11_token **toks = NULL, *tok;
	struct cr_err err;
	size_t n = 0;

	cr_err_clear(&err);
	assert_int_equal(p11_uri_parse("pkcs11:token=spare", NULL, &u, &err), CR_OK);
	assert_int_equal(p11_find_tokens(p11, u, &toks, &n, &err), CR_OK);
	assert_int_equal(n, 1);
	tok = toks[0];
	free(toks);
	p11_uri_free(u);
	if (p11_token_login(tok, NULL, 1, &err) != CR_OK)
		fail_msg("%s", err.msg);
	return tok;
}

/* Stores x on token spare as `label`, through p11 (read-write). */
static void
store(struct p11_ctx *p11, X509 *x, const char *label, unsigned char id)
{
	struct cr_err err;
	int changed;

	cr_err_clear(&err);
	if (p11_token_import_cert(spare(p11), x, label, &id, 1, &changed, &err) != CR_OK)
		fail_msg("%s", err.msg);
}

/* Destroys the objects of token spare labelled `label` that hold x (one at least). */
static void
unstore(struct p11_ctx *p11, X509 *x, const char *label)
{
	struct cr_err err;
	int changed;

	cr_err_clear(&err);
	if (p11_token_destroy_cert(spare(p11), x, label, NULL, 0, &changed, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(changed, 1);
}

/* Overwrites `word` in the string s, in place, with as many 'X'. */
static void
blot(char *s, const char *word)
{
	char *p = strstr(s, word);

	assert_non_null(p);
	memset(p, 'X', strlen(word));
}

static void
test_token_verify(void **state)
{
	struct fixture f;
	struct p11_ctx *p11 = NULL;
	struct cr_err err;
	char *pin;

	(void)state;
	if (fix() == NULL)
		skip();
	cr_err_clear(&err);
	pin = cr_xasprintf("%s/spare.pin", fix());
	assert_int_equal(p11_ctx_new(&p11, &err), CR_OK);
	p11_ctx_set_read_write(p11, 1);
	assert_int_equal(p11_ctx_add_token_conf(p11, "pkcs11:token=spare", NULL, pin, &err), CR_OK);
	/* the old certificate on the token, the new one not yet */
	store(p11, G.old, "chk-old", 0x71);
	load(&f, p11,
	    "rotation = { name = \"t\"; old = \"pkcs11:token=spare;object=chk-old;type=cert\";\n"
	    "  new = \"file:new.pem\"; key = \"file:new.key\"; import_to = \"pkcs11:token=spare\";\n"
	    "  chain = [ \"file:ca.pem\" ]; trust = [ \"file:root.pem\" ]; };\n"
	    "tokens = ( { uri = \"pkcs11:token=spare\"; pin_source = \"file:%s\"; } );\n"
	    "hosts = ( { name = \"h1\"; } );\n"
	    "services = ( { name = \"web\"; host = \"h1\"; refs = (\n"
	    "  { id = \"b\"; type = \"binding\"; cert = \"pkcs11:token=spare;object=chk-old;type=cert\"; }"
	    " ); } );\n", pin);
	free(pin);
	/* parse once: check/ works on the sources parsed at load time, never on
	   their text again - a text changed afterwards changes nothing */
	blot(f.cfg->rotation.old, "spare");
	blot(f.cfg->rotation.import_to, "spare");
	start(&f, 0, 1);
	expect(&f, "01-import-token:spare", CHK_VERIFY, "import.present", CHK_FAIL,
	    "the new certificate is not on token 'spare'");
	store(p11, G.new, "chk-new", 0x72);
	chk_invalidate(f.ctx, CHK_F_TOKENS);
	expect(&f, "01-import-token:spare", CHK_VERIFY, "import.present", CHK_PASS,
	    "token 'spare' holds the new certificate");
	assert_string_equal(result(&f, chk_step(f.ctx, 0, CHK_VERIFY), "import.present",
	    NULL)->subject, "token spare");
	expect(&f, "06-retire-token:spare", CHK_VERIFY, "retire.absent", CHK_FAIL,
	    "the old certificate is still on token 'spare'");
	unstore(p11, G.old, "chk-old");
	chk_invalidate(f.ctx, CHK_F_TOKENS);
	expect(&f, "06-retire-token:spare", CHK_VERIFY, "retire.absent", CHK_PASS,
	    "the old certificate is no longer on token 'spare'");
	/* the rollback's: the new certificate gone, the old one back */
	expect(&f, "01-import-token:spare", CHK_ROLLBACK, "rollback.import", CHK_FAIL,
	    "the new certificate is still on token 'spare' after the rollback");
	expect(&f, "06-retire-token:spare", CHK_ROLLBACK, "rollback.retire", CHK_FAIL,
	    "the old certificate is not back on token 'spare' after the rollback");
	unstore(p11, G.new, "chk-new");
	store(p11, G.old, "chk-old", 0x71);
	chk_invalidate(f.ctx, CHK_F_TOKENS);
	expect(&f, "01-import-token:spare", CHK_ROLLBACK, "rollback.import", CHK_PASS,
	    "the new certificate is no longer on token 'spare'");
	expect(&f, "06-retire-token:spare", CHK_ROLLBACK, "rollback.retire", CHK_PASS,
	    "token 'spare' holds the old certificate again");
	unstore(p11, G.old, "chk-old");
	release(&f);
	p11_ctx_free(p11);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_key_mode),
		cmocka_unit_test(test_retire_refs_journal),
		cmocka_unit_test(test_file_content),
		cmocka_unit_test(test_rollback_rows),
		cmocka_unit_test(test_retire_absent_host),
		cmocka_unit_test(test_endpoint_after),
		cmocka_unit_test(test_token_verify),
	};

	return cmocka_run_group_tests_name("engine", tests, setup, teardown);
}
