/*
 * internal.h - what the files of runbook/ share and nobody else uses.
 */
#ifndef BOOK_INTERNAL_H
#define BOOK_INTERNAL_H

#include "kind.h"

/*
 * The placeholder adapter (kind.c): the only calls into plan/'s placeholder
 * code.  book_placeholder_ok: 0 when {name} is available in a step of type
 * t, 1 when the name is unknown, 2 when it is known but not available there.
 * book_expand: plan_expand.
 */
int book_placeholder_ok(const char *name, enum plan_step_type t);
char *book_expand(const char *tmpl, const char *(*lookup)(void *ctx, const char *name),
    void *ctx);

/* 1 when name may name a kind file: [A-Za-z0-9][A-Za-z0-9_-]*, at most 64. */
int book_kind_name_ok(const char *name);

#endif
