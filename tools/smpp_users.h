/* smpp_users.h - the accounts of tern's message centre (`--smpp-users
 * FILE`): one `system_id:password[:prefix,...]` a line; `#` starts a
 * comment. The optional prefixes route: a submit_sm whose destination_addr
 * starts with one of them goes to that system_id's mailbox (longest prefix
 * wins), whether or not it is bound at the time. */
#ifndef TERN_TOOLS_SMPP_USERS_H
#define TERN_TOOLS_SMPP_USERS_H

#include <stdbool.h>
#include <stdio.h>

#include "smpp_pdu.h"

#define TERN_SMPP_USERS_MAX  64 /* = TERN_SMPP_BOXES */
#define TERN_SMPP_PREFIX_MAX 4

typedef struct tern_smpp_user {
	char system_id[TERN_SMPP_SYSTEM_ID_SZ];
	char password[TERN_SMPP_PASSWORD_SZ];
	char prefix[TERN_SMPP_PREFIX_MAX][TERN_SMPP_ADDR_SZ];
	unsigned nprefix;
} tern_smpp_user;

typedef struct tern_smpp_users {
	tern_smpp_user u[TERN_SMPP_USERS_MAX];
	const char *names[TERN_SMPP_USERS_MAX]; /* u[i].system_id, for the store */
	unsigned n;
} tern_smpp_users;

/* Load path (NULL: the one account tern/tern). Returns 0, or -1 after
 * writing "FILE:LINE: why" to err. */
int tern_smpp_users_load(const char *path, tern_smpp_users *us, FILE *err);
/* The index of system_id, or -1. */
int tern_smpp_users_find(const tern_smpp_users *us, const char *system_id);

#endif
