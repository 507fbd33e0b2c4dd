/* smpp_users.c - parsing the message centre's accounts file (smpp_users.h).
 * system_ids are 1..15 characters of [A-Za-z0-9_.-] (they name mailboxes
 * in the queue file), passwords 0..8 characters (SMPP 3.4 4.1.1: the
 * fields hold 16 and 9 octets with their NUL), prefixes 1..20 digits, '+'
 * or '*' characters. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "smpp_users.h"

#define USERS_LINE_MAX 256

static bool id_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= TERN_SMPP_SYSTEM_ID_SZ)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

static bool prefix_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < TERN_SMPP_ADDR_SZ && strspn(s, "0123456789+*#") == n;
}

static const char *parse_prefixes(tern_smpp_user *u, char *list)
{
	char *save;
	for (char *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (u->nprefix == TERN_SMPP_PREFIX_MAX)
			return "more than 4 prefixes";
		if (!prefix_ok(p))
			return "a prefix must be 1..20 of 0-9 + * #";
		strcpy(u->prefix[u->nprefix++], p);
	}
	return NULL;
}

/* "system_id:password[:prefix,...]" into u; NULL, or why not. */
static const char *parse_line(tern_smpp_users *us, char *line, tern_smpp_user *u)
{
	char *pw = strchr(line, ':');
	if (!pw)
		return "expected system_id:password[:prefix,...]";
	*pw++ = '\0';
	char *routes = strchr(pw, ':');
	if (routes)
		*routes++ = '\0';
	if (!id_ok(line))
		return "system_id must be 1..15 of A-Z a-z 0-9 _ . -";
	if (tern_smpp_users_find(us, line) >= 0)
		return "system_id given twice";
	if (strlen(pw) >= TERN_SMPP_PASSWORD_SZ)
		return "password longer than 8 characters";
	strcpy(u->system_id, line);
	strcpy(u->password, pw);
	return routes ? parse_prefixes(u, routes) : NULL;
}

static void add_default(tern_smpp_users *us)
{
	memset(us, 0, sizeof *us);
	strcpy(us->u[0].system_id, "tern");
	strcpy(us->u[0].password, "tern");
	us->names[0] = us->u[0].system_id;
	us->n = 1;
}

static int fail(FILE *err, const char *path, unsigned lineno, const char *why)
{
	if (lineno)
		fprintf(err, "%s:%u: %s\n", path, lineno, why);
	else
		fprintf(err, "%s: %s\n", path, why);
	return -1;
}

int tern_smpp_users_load(const char *path, tern_smpp_users *us, FILE *err)
{
	char line[USERS_LINE_MAX];
	add_default(us);
	if (!path)
		return 0;
	us->n = 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return fail(err, path, 0, strerror(errno));
	const char *why = NULL;
	unsigned lineno = 0;
	while (!why && fgets(line, sizeof line, f)) {
		lineno++;
		size_t n = strcspn(line, "#\r\n");
		if (line[n] == '\0' && n == sizeof line - 1)
			why = "line too long";
		line[n] = '\0';
		if (why || strspn(line, " \t") == strlen(line))
			continue;
		if (us->n == TERN_SMPP_USERS_MAX)
			why = "more than 64 accounts";
		else if (!(why = parse_line(us, line, &us->u[us->n]))) {
			us->names[us->n] = us->u[us->n].system_id;
			us->n++;
		}
	}
	fclose(f);
	if (!why && us->n == 0)
		why = "no account";
	return why ? fail(err, path, lineno, why) : 0;
}

int tern_smpp_users_find(const tern_smpp_users *us, const char *system_id)
{
	for (unsigned i = 0; i < us->n; i++)
		if (!strcmp(us->u[i].system_id, system_id))
			return (int)i;
	return -1;
}
