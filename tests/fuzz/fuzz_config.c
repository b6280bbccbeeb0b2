/*
 * fuzz_config.c - the configuration loader (plan/loader.h: cfgscan.c's
 * pre-scan, libconfig, the schema walk, validators and cross-entry rules,
 * through plan_config_parse) on the bytes as a file's text.  Relative paths resolve
 * in an empty directory made at start.  Inputs holding "@include" are
 * skipped: an include reads the machine's files (their validation is the
 * configuration loader's own work and tests).  Asserted: a failure has a
 * message naming the file ("fuzz.cfg:" or "fuzz.cfg"), printable once shown
 * (rot_warn escapes control bytes, so only UTF-8 validity is not required).
 */
#include <stdlib.h>

#include "fuzz.h"
#include "../../plan/config.h"

static char dir[] = "/tmp/certrotate-fuzz-config.XXXXXX";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan_config *cfg = NULL;
	struct cr_err err;
	char *text = fuzz_str(data, size);

	if (strstr(text, "@include") != NULL) {
		free(text);
		return 0;
	}
	cr_err_clear(&err);
	if (plan_config_parse(text, "fuzz.cfg", dir, &cfg, &err) == CR_OK)
		FUZZ_ASSERT(cfg != NULL, "success without a configuration");
	else
		FUZZ_ASSERT(cfg == NULL && strstr(err.msg, "fuzz.cfg") != NULL && err.status == CR_EINPUT,
		    "failure without the file named or with status %d: '%s'", err.status, err.msg);
	plan_config_free(cfg);
	free(text);
	return 0;
}
