/*
 * access.h - the `access` check: can a service account read the new key
 * file or the token's PIN source?  Checkable only where the account is a
 * local account of this machine; otherwise the check is skipped and says
 * where to look.
 */
#ifndef CHK_ACCESS_H
#define CHK_ACCESS_H

#include "checks.h"
#include "../plan/map.h"

/*
 * What the account database said of each account asked about: one lookup
 * per account however many hosts and services name it (NSS lookups read
 * /etc/passwd and /etc/group each time).  Embedded: CHK_ACCESS_CACHE_INIT,
 * chk_access_cache_release.
 */
struct chk_access_cache {
	struct plan_map index;	/* account -> entry */
	struct chk_who *who;	/* entries (owned) */
	size_t n, cap;
};
#define CHK_ACCESS_CACHE_INIT { PLAN_MAP_INIT, NULL, 0, 0 }
void chk_access_cache_release(struct chk_access_cache *cache);

/*
 * Evaluates whether local account `account` (user name, or a group name)
 * can read `path` (every directory on the way searchable, the file
 * readable by owner / group / other bits).  `what` describes the file in
 * messages ("the PIN source", "the key file").  Accounts that do not exist
 * here (Windows accounts such as "CONTOSO\\adfssvc") yield skip.
 */
void chk_access(struct chk_access_cache *cache, const char *host, const char *account,
    const char *path, const char *what, struct chk_result *r);

#endif
