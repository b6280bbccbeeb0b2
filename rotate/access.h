/*
 * access.h - the `access` check: can a service account read the new key
 * file or the token's PIN source?  Checkable only where the account is a
 * local account of this machine; otherwise the check is skipped and says
 * where to look.
 */
#ifndef ROT_ACCESS_H
#define ROT_ACCESS_H

#include "checks.h"
#include "../plan/map.h"

/*
 * What the account database said of each account asked about: one lookup
 * per account however many hosts and services name it (NSS lookups read
 * /etc/passwd and /etc/group each time).  Embedded: ROT_ACCESS_CACHE_INIT,
 * rot_access_cache_release.
 */
struct rot_access_cache {
	struct plan_map index;	/* account -> entry */
	struct rot_who *who;	/* entries (owned) */
	size_t n, cap;
};
#define ROT_ACCESS_CACHE_INIT { PLAN_MAP_INIT, NULL, 0, 0 }
void rot_access_cache_release(struct rot_access_cache *cache);

/*
 * Evaluates whether local account `account` (user name, or a group name)
 * can read `path` (every directory on the way searchable, the file
 * readable by owner / group / other bits).  `what` describes the file in
 * messages ("the PIN source", "the key file").  Accounts that do not exist
 * here (Windows accounts such as "CONTOSO\\adfssvc") yield skip.
 */
void rot_chk_access(struct rot_access_cache *cache, const char *host, const char *account,
    const char *path, const char *what, struct rot_result *r);

#endif
