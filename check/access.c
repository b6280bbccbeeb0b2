#include "access.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/util.h"

struct chk_who {
	char *account;		/* owned; the cache's key */
	int found;		/* a local user or group */
	int is_root;
	uid_t uid;		/* (uid_t)-1 for a group-only account */
	gid_t *groups;
	int ngroups;
};

static int
who_lookup(const char *account, struct chk_who *w)
{
	struct passwd *pw;
	struct group *gr;

	memset(w, 0, sizeof(*w));
	if ((pw = getpwnam(account)) != NULL) {
		int n = 64;
		w->uid = pw->pw_uid;
		w->is_root = pw->pw_uid == 0;
		w->groups = cr_xcalloc((size_t)n, sizeof(gid_t));
		if (getgrouplist(account, pw->pw_gid, w->groups, &n) < 0) {
			w->groups = cr_xrealloc(w->groups, (size_t)n * sizeof(gid_t));
			getgrouplist(account, pw->pw_gid, w->groups, &n);
		}
		w->ngroups = n;
		return 0;
	}
	if ((gr = getgrnam(account)) != NULL) {
		w->uid = (uid_t)-1;
		w->groups = cr_xcalloc(1, sizeof(gid_t));
		w->groups[0] = gr->gr_gid;
		w->ngroups = 1;
		return 0;
	}
	return -1;
}

/* The cached entry of `account` (looked up on first use). */
static const struct chk_who *
who_get(struct chk_access_cache *cache, const char *account)
{
	struct chk_who *w;
	size_t i;

	if (plan_map_get(&cache->index, account, &i))
		return &cache->who[i];
	if (cache->n == cache->cap) {
		/* the map borrows each entry's account string, which stays put
		   when the entry array moves */
		cache->cap = cache->cap ? 2 * cache->cap : 16;
		cache->who = cr_xrealloc(cache->who, cache->cap * sizeof(*cache->who));
	}
	w = &cache->who[cache->n];
	w->found = who_lookup(account, w) == 0;
	w->account = cr_xstrdup(account);
	plan_map_put(&cache->index, w->account, cache->n, NULL);
	return &cache->who[cache->n++];
}

void
chk_access_cache_release(struct chk_access_cache *cache)
{
	size_t i;

	for (i = 0; i < cache->n; i++) {
		free(cache->who[i].account);
		free(cache->who[i].groups);
	}
	free(cache->who);
	plan_map_release(&cache->index);
	memset(cache, 0, sizeof(*cache));
}

/* The permission bits (r=4, w=2, x=1) `w` has on st. */
static int
perms(const struct chk_who *w, const struct stat *st)
{
	int i;

	if (w->is_root)
		return 7;
	if (w->uid != (uid_t)-1 && st->st_uid == w->uid)
		return (st->st_mode >> 6) & 7;
	for (i = 0; i < w->ngroups; i++)
		if (w->groups[i] == st->st_gid)
			return (st->st_mode >> 3) & 7;
	return st->st_mode & 7;
}

void
chk_access(struct chk_access_cache *cache, const char *host, const char *account,
    const char *path, const char *what, struct chk_result *r)
{
	const struct chk_who *w;
	struct stat st;
	char *abs = NULL, *p;

	if (account == NULL || *account == '\0') {
		chk_result_set(r, CHK_SKIP, "no account configured");
		return;
	}
	if (path == NULL) {
		chk_result_set(r, CHK_SKIP, "no key file or PIN source to check for account '%s'",
		    account);
		return;
	}
	w = who_get(cache, account);
	if (!w->found) {
		chk_result_set(r, CHK_SKIP, "account '%s' is not a local account here: grant it "
		    "read access to the new private key on host '%s' and verify there", account, host);
		return;
	}
	if (path[0] == '/') {
		abs = cr_xstrdup(path);
	} else {
		char cwd[4096];
		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			chk_result_set(r, CHK_SKIP, "cannot tell the working directory: %s",
			    strerror(errno));
			goto out;
		}
		abs = cr_xasprintf("%s/%s", cwd, path);
	}
	/* every directory on the way must be searchable */
	for (p = strchr(abs + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (stat(abs, &st) == 0 && !(perms(w, &st) & 1)) {
			chk_result_set(r, CHK_FAIL, "account '%s' cannot read %s '%s': directory "
			    "'%s' is not searchable by it (mode %04o)", account, what, path, abs,
			    (unsigned)(st.st_mode & 07777));
			*p = '/';
			goto out;
		}
		*p = '/';
	}
	if (stat(abs, &st) != 0) {
		chk_result_set(r, CHK_FAIL, "cannot check %s '%s' for account '%s': %s", what, path,
		    account, strerror(errno));
		goto out;
	}
	if (perms(w, &st) & 4)
		chk_result_set(r, CHK_PASS, "account '%s' can read %s '%s'", account, what, path);
	else
		chk_result_set(r, CHK_FAIL, "account '%s' cannot read %s '%s' (mode %04o, owner "
		    "uid %u gid %u): grant it read access", account, what, path,
		    (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid);
out:
	free(abs);
}
