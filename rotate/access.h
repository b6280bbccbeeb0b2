/*
 * access.h - the `access` check: can a service account read the new key
 * file or the token's PIN source?  Checkable only where the account is a
 * local account of this machine; otherwise the check is skipped and says
 * where to look.
 */
#ifndef ROT_ACCESS_H
#define ROT_ACCESS_H

#include "checks.h"

/*
 * Evaluates whether local account `account` (user name, or a group name)
 * can read `path` (every directory on the way searchable, the file
 * readable by owner / group / other bits).  `what` describes the file in
 * messages ("the PIN source", "the key file").  Accounts that do not exist
 * here (Windows accounts such as "CONTOSO\\adfssvc") yield skip.
 */
void rot_chk_access(const char *host, const char *account, const char *path,
    const char *what, struct rot_result *r);

#endif
