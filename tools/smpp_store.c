/* smpp_store.c - the message centre's queue and its append-only log
 * (smpp_store.h). Records are text so that `cat` explains a queue file;
 * strings are hex, so no byte of an address or a message can break a line. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smpp_store.h"

#define HASH_BUCKETS 4096u
#define LINE_MAX_LEN 2048 /* an A record is at most about 1,200 bytes */
#define FIELDS_MAX   24

struct tern_smpp_store {
	int fd; /* the log, O_APPEND; -1: memory only */
	char *path;
	uint64_t next_id;
	uint32_t max_live;
	bool dirty; /* records written since the last sync */
	const char *const *names;
	unsigned nnames;
	tern_smpp_box boxes[TERN_SMPP_BOXES];
	tern_smpp_msg *hash[HASH_BUCKETS];
	tern_smpp_store_stats stats;
};

void tern_smpp_msg_id_str(uint64_t id, char out[TERN_SMPP_MSG_ID_SZ])
{
	snprintf(out, TERN_SMPP_MSG_ID_SZ, "%016" PRIx64, id);
}

/* ---- memory: the id hash and the mailboxes ---------------------------------------- */

static tern_smpp_msg **slot(tern_smpp_store *st, uint64_t id)
{
	tern_smpp_msg **p = &st->hash[(id ^ id >> 12) % HASH_BUCKETS];
	while (*p && (*p)->id != id)
		p = &(*p)->hnext;
	return p;
}

static void box_push(tern_smpp_box *b, tern_smpp_msg *m, bool at_head)
{
	m->prev = at_head ? NULL : b->tail;
	m->next = at_head ? b->head : NULL;
	if (m->prev)
		m->prev->next = m;
	else
		b->head = m;
	if (m->next)
		m->next->prev = m;
	else
		b->tail = m;
	b->count++;
	m->queued = true;
}

static void box_cut(tern_smpp_box *b, tern_smpp_msg *m)
{
	if (m->prev)
		m->prev->next = m->next;
	else
		b->head = m->next;
	if (m->next)
		m->next->prev = m->prev;
	else
		b->tail = m->prev;
	b->count--;
	m->prev = m->next = NULL;
	m->queued = false;
}

/* Into the hash and the tail of its box. */
static void msg_insert(tern_smpp_store *st, tern_smpp_msg *m)
{
	*slot(st, m->id) = m;
	box_push(&st->boxes[m->box], m, false);
	if (++st->stats.live > st->stats.max_live)
		st->stats.max_live = st->stats.live;
	if (m->id >= st->next_id)
		st->next_id = m->id + 1;
}

static void msg_free(tern_smpp_store *st, tern_smpp_msg *m)
{
	tern_smpp_msg **p = slot(st, m->id);
	if (*p == m)
		*p = m->hnext;
	if (m->queued)
		box_cut(&st->boxes[m->box], m);
	st->stats.live--;
	free(m);
}

/* ---- records: writing ---------------------------------------------------------------- */

static uint32_t fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* " <hex>" of n bytes, or " -" when empty. */
static int put_hex(char *o, size_t cap, const void *v, size_t n)
{
	const uint8_t *b = v;
	if (n == 0)
		return snprintf(o, cap, " -");
	if (cap < 2 * n + 2)
		return (int)cap;
	o[0] = ' ';
	for (size_t i = 0; i < n; i++)
		snprintf(o + 1 + 2 * i, 3, "%02x", b[i]);
	return (int)(2 * n + 1);
}

/* The A record's fields after "A id box from" (the order of parse_sm). */
static size_t put_sm(char *o, size_t cap, const tern_smpp_msg *m)
{
	const tern_smpp_sm *s = &m->sm;
	size_t n = (size_t)snprintf(o, cap, " %" PRId64 " %u %u %u %u %u %u %u %u %u %d", m->accepted,
	                            s->src_ton, s->src_npi, s->dst_ton, s->dst_npi, s->esm_class,
	                            s->protocol_id, s->priority_flag, s->registered_delivery,
	                            s->data_coding, s->has_message_state ? s->message_state : -1);
	const char *strs[] = {s->service_type, s->src_addr, s->dst_addr, s->receipted_message_id};
	for (size_t i = 0; i < 4 && n < cap; i++)
		n += (size_t)put_hex(o + n, cap - n, strs[i], strlen(strs[i]));
	if (n < cap)
		n += (size_t)put_hex(o + n, cap - n, s->short_message, s->sm_length);
	return n;
}

/* Append the checksum and write the whole line at once (O_APPEND). */
static int put_line(tern_smpp_store *st, char *line, size_t n, size_t cap)
{
	if (st->fd < 0)
		return 0;
	if (n + 11 > cap)
		return -EOVERFLOW;
	n += (size_t)snprintf(line + n, cap - n, " %08" PRIx32 "\n", fnv1a(line, n));
	ssize_t w = write(st->fd, line, n);
	if (w != (ssize_t)n) {
		st->stats.write_errors++;
		return w < 0 ? -errno : -EIO;
	}
	st->stats.records++;
	st->dirty = true;
	return 0;
}

static int log_add(tern_smpp_store *st, const tern_smpp_msg *m)
{
	char line[LINE_MAX_LEN];
	size_t n = (size_t)snprintf(line, sizeof line, "A %016" PRIx64 " %s %s", m->id,
	                            st->names[m->box], st->names[m->from]);
	n += put_sm(line + n, sizeof line - n, m);
	return put_line(st, line, n, sizeof line);
}

static int log_simple(tern_smpp_store *st, char kind, uint64_t v)
{
	char line[64];
	size_t n = (size_t)snprintf(line, sizeof line, "%c %016" PRIx64, kind, v);
	return put_line(st, line, n, sizeof line);
}

/* ---- records: reading ------------------------------------------------------------------ */

static int name_index(const tern_smpp_store *st, const char *name)
{
	for (unsigned i = 0; i < st->nnames; i++)
		if (!strcmp(st->names[i], name))
			return (int)i;
	return -1;
}

/* Hex into dst (at most cap bytes, plus a NUL when text). */
static bool get_hex(const char *h, void *dst, size_t cap, size_t *len, bool text)
{
	uint8_t *d = dst;
	size_t n = 0;
	if (strcmp(h, "-") != 0) {
		n = strlen(h);
		if (n % 2 || n / 2 > cap)
			return false;
		n /= 2;
		for (size_t i = 0; i < n; i++) {
			unsigned v;
			if (sscanf(h + 2 * i, "%2x", &v) != 1)
				return false;
			d[i] = (uint8_t)v;
		}
	}
	if (text) {
		if (n >= cap || memchr(d, 0, n))
			return false;
		d[n] = 0;
	}
	if (len)
		*len = n;
	return true;
}

static bool get_u8(const char *t, uint8_t *v)
{
	char *end;
	unsigned long x = strtoul(t, &end, 10);
	*v = (uint8_t)x;
	return *t && !*end && x <= 255;
}

/* f[0..] are the fields after "A id box from". */
static bool parse_sm(char **f, tern_smpp_msg *m)
{
	tern_smpp_sm *s = &m->sm;
	uint8_t *u8s[] = {&s->src_ton,     &s->src_npi,     &s->dst_ton,
	                  &s->dst_npi,     &s->esm_class,   &s->protocol_id,
	                  &s->priority_flag, &s->registered_delivery, &s->data_coding};
	char *end;
	m->accepted = strtoll(f[0], &end, 10);
	if (*end)
		return false;
	for (int i = 0; i < 9; i++)
		if (!get_u8(f[1 + i], u8s[i]))
			return false;
	s->has_message_state = strcmp(f[10], "-1") != 0;
	if (s->has_message_state && !get_u8(f[10], &s->message_state))
		return false;
	size_t len;
	if (!get_hex(f[11], s->service_type, sizeof s->service_type, NULL, true) ||
	    !get_hex(f[12], s->src_addr, sizeof s->src_addr, NULL, true) ||
	    !get_hex(f[13], s->dst_addr, sizeof s->dst_addr, NULL, true) ||
	    !get_hex(f[14], s->receipted_message_id, sizeof s->receipted_message_id, NULL, true) ||
	    !get_hex(f[15], s->short_message, sizeof s->short_message, &len, false))
		return false;
	s->sm_length = (uint8_t)len;
	return true;
}

static bool replay_add(tern_smpp_store *st, char **f, int nf)
{
	int box, from;
	if (nf != 20 || (box = name_index(st, f[2])) < 0 || (from = name_index(st, f[3])) < 0)
		return false;
	tern_smpp_msg *m = calloc(1, sizeof *m);
	if (!m)
		return false;
	m->id = strtoull(f[1], NULL, 16);
	m->box = (uint16_t)box;
	m->from = (uint16_t)from;
	if (!parse_sm(f + 4, m) || *slot(st, m->id) || st->stats.live >= st->max_live) {
		free(m);
		return false;
	}
	msg_insert(st, m);
	return true;
}

/* One line without its newline: checksum, then the record. */
static bool replay_line(tern_smpp_store *st, char *line)
{
	char *f[FIELDS_MAX + 1], *save;
	size_t n = strlen(line);
	if (n < 10 || line[n - 9] != ' ')
		return false;
	uint32_t sum = (uint32_t)strtoul(line + n - 8, NULL, 16);
	line[n - 9] = '\0';
	if (fnv1a(line, n - 9) != sum)
		return false;
	int nf = 0;
	for (char *t = strtok_r(line, " ", &save); t && nf <= FIELDS_MAX; t = strtok_r(NULL, " ", &save))
		f[nf++] = t;
	if (nf == 2 && !strcmp(f[0], "N")) {
		uint64_t v = strtoull(f[1], NULL, 16);
		st->next_id = v > st->next_id ? v : st->next_id;
		return true;
	}
	if (nf == 2 && !strcmp(f[0], "D")) {
		tern_smpp_msg *m = *slot(st, strtoull(f[1], NULL, 16));
		if (m)
			msg_free(st, m);
		return true;
	}
	return nf > 0 && !strcmp(f[0], "A") && replay_add(st, f, nf);
}

/* Every whole line; a line too long or without its newline is skipped. */
static void replay(tern_smpp_store *st, FILE *in)
{
	char line[LINE_MAX_LEN];
	bool skipping = false;
	while (fgets(line, sizeof line, in)) {
		size_t n = strlen(line);
		bool whole = n > 0 && line[n - 1] == '\n';
		if (skipping || !whole) {
			st->stats.skipped += !skipping;
			skipping = !whole;
			continue;
		}
		line[n - 1] = '\0';
		if (replay_line(st, line))
			st->stats.replayed++;
		else
			st->stats.skipped++;
	}
}

/* ---- open: replay, then compact ---------------------------------------------------------- */

static int sync_dir(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* The live messages, box by box in queue order, after the next id. */
static int write_live(tern_smpp_store *st)
{
	int rc = log_simple(st, 'N', st->next_id);
	for (unsigned b = 0; b < TERN_SMPP_BOXES && rc == 0; b++)
		for (tern_smpp_msg *m = st->boxes[b].head; m && rc == 0; m = m->next)
			rc = log_add(st, m);
	if (rc == 0 && fdatasync(st->fd) < 0)
		rc = -errno;
	return rc;
}

/* Write path.tmp with the live messages, sync it, rename it over the log,
 * sync the directory; the new file stays open for appending. */
static int compact(tern_smpp_store *st)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", st->path) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	st->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (st->fd < 0)
		return -errno;
	int rc = write_live(st);
	if (rc == 0 && rename(tmp, st->path) < 0)
		rc = -errno;
	if (rc == 0)
		rc = sync_dir(st->path);
	st->dirty = false;
	return rc;
}

static int load(tern_smpp_store *st, FILE *err)
{
	FILE *in = fopen(st->path, "re");
	if (!in && errno != ENOENT) {
		int e = errno;
		fprintf(err, "%s: %s\n", st->path, strerror(e));
		return -e;
	}
	if (in) {
		replay(st, in);
		fclose(in);
	}
	int rc = compact(st);
	if (rc < 0)
		fprintf(err, "%s: cannot rewrite the queue file: %s\n", st->path, strerror(-rc));
	return rc;
}

int tern_smpp_store_open(const char *path, uint32_t max_live, const char *const *names,
                         unsigned nnames, FILE *err, tern_smpp_store **out)
{
	tern_smpp_store *st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	st->fd = -1;
	st->max_live = max_live;
	st->names = names;
	st->nnames = nnames < TERN_SMPP_BOXES ? nnames : TERN_SMPP_BOXES;
	/* Ids from the clock, in case there is no log to continue from: a
	 * restart without one must not hand out ids the ESMEs saw before. */
	st->next_id = (uint64_t)time(NULL) << 20;
	int rc = 0;
	if (path && !(st->path = strdup(path)))
		rc = -ENOMEM;
	if (rc == 0 && path)
		rc = load(st, err);
	if (rc < 0) {
		tern_smpp_store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void tern_smpp_store_close(tern_smpp_store *st)
{
	if (!st)
		return;
	tern_smpp_store_sync(st);
	for (unsigned i = 0; i < HASH_BUCKETS; i++)
		while (st->hash[i])
			msg_free(st, st->hash[i]);
	if (st->fd >= 0)
		close(st->fd);
	free(st->path);
	free(st);
}

/* ---- the queue ------------------------------------------------------------------------------ */

tern_smpp_msg *tern_smpp_store_add(tern_smpp_store *st, uint16_t box, uint16_t from,
                                   const tern_smpp_sm *sm, int64_t now_unix, bool *full)
{
	*full = st->stats.live >= st->max_live;
	if (*full || box >= st->nnames || from >= st->nnames)
		return NULL;
	tern_smpp_msg *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->id = st->next_id;
	m->box = box;
	m->from = from;
	m->accepted = now_unix;
	m->sm = *sm;
	if (log_add(st, m) < 0) {
		free(m);
		return NULL;
	}
	msg_insert(st, m);
	return m;
}

void tern_smpp_store_done(tern_smpp_store *st, tern_smpp_msg *m)
{
	/* A failed write leaves the message to be delivered again after a
	 * restart: a duplicate by id, never a loss. */
	(void)log_simple(st, 'D', m->id);
	msg_free(st, m);
}

tern_smpp_msg *tern_smpp_store_take(tern_smpp_store *st, uint16_t box)
{
	tern_smpp_msg *m = box < TERN_SMPP_BOXES ? st->boxes[box].head : NULL;
	if (m)
		box_cut(&st->boxes[box], m);
	return m;
}

void tern_smpp_store_requeue(tern_smpp_store *st, tern_smpp_msg *m)
{
	if (!m->queued)
		box_push(&st->boxes[m->box], m, true);
}

int tern_smpp_store_sync(tern_smpp_store *st)
{
	if (!st->dirty || st->fd < 0)
		return 0;
	st->dirty = false;
	st->stats.syncs++;
	return fdatasync(st->fd) < 0 ? -errno : 0;
}

const tern_smpp_box *tern_smpp_store_box(const tern_smpp_store *st, uint16_t box)
{
	return &st->boxes[box < TERN_SMPP_BOXES ? box : 0];
}

void tern_smpp_store_stats_get(const tern_smpp_store *st, tern_smpp_store_stats *out)
{
	*out = st->stats;
}
