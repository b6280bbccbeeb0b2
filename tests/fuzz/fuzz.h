/*
 * fuzz.h - shared by the libFuzzer harnesses of tests/fuzz/ (one file per
 * harness: fuzz_NAME.c, its seed corpus in corpus/NAME/; see README.md).
 * Header-only.
 *
 * A harness asserts properties, not only "no crash": FUZZ_ASSERT prints the
 * property and aborts, which libFuzzer reports as a crash with the input
 * saved.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/text.h"
#include "../../common/utf8.h"

#define FUZZ_ASSERT(cond, ...) do {						\
	if (!(cond)) {								\
		fprintf(stderr, "fuzz: property violated at %s:%d: %s\n", __FILE__,	\
		    __LINE__, #cond);						\
		fprintf(stderr, "fuzz: " __VA_ARGS__);				\
		fputc('\n', stderr);						\
		abort();							\
	}									\
} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* data[0..size) as a C string, cut at the first NUL.  New string; free() it. */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t n = nul != NULL ? (size_t)(nul - data) : size;
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

/* Shown text holds no raw control byte and is valid UTF-8 (common/text.h). */
static inline int
fuzz_shown_ok(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return cr_utf8_valid(s, strlen(s));
}

#endif
