/*
 * greet.h - a hint for a TLS probe that failed on a port where the server
 * speaks first, in clear (greet.c).
 */
#ifndef CRT_GREET_H
#define CRT_GREET_H

#include "tls.h"

/*
 * After crt_tls_fetch failed its handshake on t (without starttls): when
 * the server greets a plain connection as SMTP does ("220 ..."), appends
 * to err's message that the certificate is behind STARTTLS and how to ask
 * for it (starttls = "smtp", ?starttls=smtp).  Status and reason kept;
 * nothing changes when the server says nothing within the timeout (at
 * most 2 s), or something else.  Sends nothing.
 */
void crt_greeting_hint(const struct crt_tls_target *t, struct cr_err *err);

#endif
