/* test_smpp_store.c - the SMPP message centre's queue and log
 * (tools/smpp_store.c): messages survive a close and reopen in their
 * order with every field, delivered ones do not come back, ids never
 * repeat across restarts, a torn last line or a corrupted record is
 * skipped, the store refuses past its limit, and requeue puts a message
 * back at the head of its mailbox. */
#include <unistd.h>

#include "tools/smpp_store.h"
#include "tt.h"

static const char *const names[] = {"tern", "rx"};

static void path_for(char *buf, size_t cap, const char *what)
{
	snprintf(buf, cap, "/tmp/tern-test-smpp-store-%d-%s", (int)getpid(), what);
	unlink(buf);
}

static tern_smpp_sm sm_with(const char *text)
{
	tern_smpp_sm sm;
	memset(&sm, 0, sizeof sm);
	strcpy(sm.src_addr, "4477 009 01"); /* a space must not break the line */
	strcpy(sm.dst_addr, "555123");
	sm.registered_delivery = 1;
	sm.sm_length = (uint8_t)strlen(text);
	memcpy(sm.short_message, text, sm.sm_length);
	return sm;
}

static tern_smpp_store *open_at(const char *path)
{
	tern_smpp_store *st = NULL;
	if (tern_smpp_store_open(path, 100, names, 2, stderr, &st) < 0)
		return NULL;
	return st;
}

TT_TEST(survives_reopen)
{
	char path[128];
	path_for(path, sizeof path, "reopen");
	tern_smpp_store *st = open_at(path);
	TT_CHECK(st != NULL);
	bool full;
	tern_smpp_msg *a = tern_smpp_store_add(st, 1, 0, &(tern_smpp_sm){0}, 5, &full);
	tern_smpp_sm s2 = sm_with("second\n\x01\xff");
	tern_smpp_msg *b = tern_smpp_store_add(st, 1, 0, &s2, 6, &full);
	tern_smpp_msg *c = tern_smpp_store_add(st, 0, 1, &s2, 7, &full);
	TT_CHECK(a && b && c && b->id == a->id + 1 && c->id == b->id + 1);
	uint64_t bid = b->id, cid = c->id;
	TT_CHECK(tern_smpp_store_take(st, 1) == a);
	tern_smpp_store_done(st, a);
	TT_EQ(tern_smpp_store_sync(st), 0);
	tern_smpp_store_close(st);

	st = open_at(path);
	TT_CHECK(st != NULL);
	tern_smpp_store_stats ss;
	tern_smpp_store_stats_get(st, &ss);
	TT_EQ(ss.live, 2);
	TT_EQ(ss.skipped, 0);
	tern_smpp_msg *m = tern_smpp_store_take(st, 1);
	TT_CHECK(m && m->id == bid && m->from == 0 && m->accepted == 6);
	TT_CHECK(!memcmp(&m->sm, &s2, sizeof s2));
	m = tern_smpp_store_take(st, 0);
	TT_CHECK(m && m->id == cid && m->from == 1);
	tern_smpp_msg *d = tern_smpp_store_add(st, 0, 0, &s2, 8, &full);
	TT_CHECK(d && d->id > cid); /* ids go on from the log */
	tern_smpp_store_close(st);
	unlink(path);
}

/* A torn last line (a crash in mid-write) and a corrupted record are
 * skipped; everything else replays. */
TT_TEST(torn_and_corrupt_lines)
{
	char path[128];
	path_for(path, sizeof path, "torn");
	tern_smpp_store *st = open_at(path);
	TT_CHECK(st != NULL);
	bool full;
	tern_smpp_sm s = sm_with("keep");
	TT_CHECK(tern_smpp_store_add(st, 0, 0, &s, 1, &full));
	TT_CHECK(tern_smpp_store_add(st, 0, 0, &s, 2, &full));
	tern_smpp_store_close(st);
	FILE *f = fopen(path, "r+");
	TT_CHECK(f != NULL);
	char line[2048];
	TT_CHECK(fgets(line, sizeof line, f) && fgets(line, sizeof line, f)); /* N, first A */
	long second = ftell(f);
	TT_CHECK(fgets(line, sizeof line, f));
	fseek(f, second + 40, SEEK_SET);
	fputc(line[40] == '0' ? '1' : '0', f); /* one flipped hex digit */
	fseek(f, 0, SEEK_END);
	fputs("A 00000000000000ff tern tern 3 0 0", f); /* no newline: torn */
	fclose(f);
	st = open_at(path);
	TT_CHECK(st != NULL);
	tern_smpp_store_stats ss;
	tern_smpp_store_stats_get(st, &ss);
	TT_EQ(ss.live, 1);
	TT_EQ(ss.skipped, 2);
	tern_smpp_store_close(st);
	st = open_at(path); /* the rewrite left a clean file */
	TT_CHECK(st != NULL);
	tern_smpp_store_stats_get(st, &ss);
	TT_EQ(ss.live, 1);
	TT_EQ(ss.skipped, 0);
	tern_smpp_store_close(st);
	unlink(path);
}

TT_TEST(limit_and_requeue)
{
	tern_smpp_store *st = NULL;
	TT_EQ(tern_smpp_store_open(NULL, 2, names, 2, stderr, &st), 0);
	bool full;
	tern_smpp_sm s = sm_with("x");
	tern_smpp_msg *a = tern_smpp_store_add(st, 0, 0, &s, 1, &full);
	tern_smpp_msg *b = tern_smpp_store_add(st, 0, 0, &s, 1, &full);
	TT_CHECK(a && b && !full);
	TT_CHECK(tern_smpp_store_add(st, 0, 0, &s, 1, &full) == NULL && full);
	TT_CHECK(tern_smpp_store_add(st, 5, 0, &s, 1, &full) == NULL); /* no such box */
	TT_CHECK(tern_smpp_store_take(st, 0) == a);
	TT_CHECK(tern_smpp_store_take(st, 0) == b);
	TT_CHECK(tern_smpp_store_take(st, 0) == NULL);
	tern_smpp_store_requeue(st, b);
	tern_smpp_store_requeue(st, a); /* back at the head: a, then b */
	TT_EQ(tern_smpp_store_box(st, 0)->count, 2);
	TT_CHECK(tern_smpp_store_take(st, 0) == a);
	tern_smpp_store_done(st, a);
	char id[TERN_SMPP_MSG_ID_SZ];
	tern_smpp_msg_id_str(0xabc, id);
	TT_CHECK(!strcmp(id, "0000000000000abc"));
	tern_smpp_store_close(st); /* frees b, still queued */
}

TT_MAIN(survives_reopen, torn_and_corrupt_lines, limit_and_requeue)
