/*
 * fuzz_smtp.c - the SMTP server's replies up to STARTTLS (cert/smtp.c), as
 * cert/tls.c feeds them: the banner, the EHLO reply, the STARTTLS reply,
 * read from one stream of server bytes.  The first byte sets how the
 * stream is cut into arrivals (1 to 64 bytes at a time), the rest is the
 * stream.  Asserted: feeding in pieces gives exactly what feeding the whole
 * gives (same replies, codes, STARTTLS flag, bytes used, status); a
 * complete reply has a code 0-999 and a printable last line; messages are
 * printable UTF-8.
 */
#include "fuzz.h"
#include "../../cert/smtp.h"

struct run {
	int status;
	int stage;		/* replies accepted */
	int code[3];
	int starttls;
	size_t used;
};

/* Reads the three replies from data, `step` bytes arriving at a time (0: all at once). */
static void
run(const uint8_t *data, size_t size, size_t step, struct run *out)
{
	static const char *const when[] = { "waiting for the SMTP banner", "after EHLO",
	    "after STARTTLS" };
	char buf[CRT_SMTP_LINE_MAX];
	size_t have = 0, arrived = 0, consumed = 0;
	struct crt_smtp_reply r;
	struct cr_err err;

	memset(out, 0, sizeof(*out));
	for (out->stage = 0; out->stage < 3; out->stage++) {
		crt_smtp_reply_init(&r);
		for (;;) {
			size_t used, n;

			cr_err_clear(&err);
			out->status = crt_smtp_reply_feed(&r, "fuzz:25", when[out->stage], buf, have,
			    &used, &err);
			if (out->status != CR_OK) {
				/* the lines before the bad one were consumed */
				FUZZ_ASSERT(fuzz_shown_ok(err.msg), "message '%s'", err.msg);
				out->used = consumed + used;
				return;
			}
			FUZZ_ASSERT(used <= have, "used %zu of %zu", used, have);
			memmove(buf, buf + used, have - used);
			have -= used;
			consumed += used;
			if (r.complete)
				break;
			if (arrived == size) {
				out->used = consumed;
				return;	/* the server said no more */
			}
			n = sizeof(buf) - have;
			if (step > 0 && n > step)
				n = step;
			if (n > size - arrived)
				n = size - arrived;
			FUZZ_ASSERT(n > 0, "no room in the buffer: the feed should have refused the line");
			memcpy(buf + have, data + arrived, n);
			have += n;
			arrived += n;
		}
		FUZZ_ASSERT(r.code >= 0 && r.code <= 999, "code %d", r.code);
		FUZZ_ASSERT(fuzz_shown_ok(r.last), "last line '%s'", r.last);
		out->code[out->stage] = r.code;
		if (out->stage == 1)
			out->starttls = r.starttls;
		cr_err_clear(&err);
		if (crt_smtp_judge((enum crt_smtp_stage)out->stage, &r, "fuzz:25", &err) != CR_OK) {
			FUZZ_ASSERT(fuzz_shown_ok(err.msg), "message '%s'", err.msg);
			out->status = CR_EENV;
			out->used = consumed;
			return;
		}
	}
	out->used = consumed;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole, pieces;

	if (size < 1)
		return 0;
	run(data + 1, size - 1, 0, &whole);
	run(data + 1, size - 1, (size_t)(data[0] % 64) + 1, &pieces);
	FUZZ_ASSERT(whole.status == pieces.status && whole.stage == pieces.stage &&
	    memcmp(whole.code, pieces.code, sizeof(whole.code)) == 0 &&
	    whole.starttls == pieces.starttls && whole.used == pieces.used,
	    "pieces of %d bytes: status %d/%d stage %d/%d used %zu/%zu", data[0] % 64 + 1,
	    whole.status, pieces.status, whole.stage, pieces.stage, whole.used, pieces.used);
	return 0;
}
