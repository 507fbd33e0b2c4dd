/* svc_chargen.c - Character Generator (RFC 864, port 19): lines of 72
 * printable ASCII characters, each starting one character further along the
 * 95-character cycle, sent as fast as the send window allows until the
 * client closes; whatever the client sends is thrown away. The pattern
 * repeats every 95 lines, so one number (the offset into that cycle) is
 * all the state a connection needs. */
#include "svc.h"

#define CG_PRINTABLE 95 /* ' ' .. '~' */
#define CG_WIDTH     72
#define CG_LINE      (CG_WIDTH + 2) /* with CR LF */
#define CG_CYCLE     (CG_PRINTABLE * CG_LINE)
#define CG_CHUNK     8192
#define CG_STEP_MAX  (256 * 1024)

/* The whole cycle, and a chunk more so that any chunk of the stream is
 * contiguous: sending is then one copy, not a division per byte (which made
 * generating the stream, not TCP, the limit over TUN). Filled on first use;
 * services run on the stack's one thread. */
static char cg_table[CG_CYCLE + CG_CHUNK];
static bool cg_table_ready;

typedef struct chargen_state {
	uint32_t pos; /* offset into the 95-line cycle of the next byte */
} chargen_state;

static char cg_byte(uint32_t pos)
{
	uint32_t line = pos / CG_LINE, col = pos % CG_LINE;
	if (col == CG_WIDTH)
		return '\r';
	if (col == CG_WIDTH + 1)
		return '\n';
	return (char)(' ' + (line + col) % CG_PRINTABLE);
}

/* Fill buf with the stream from pos on. */
static void cg_fill(uint32_t pos, char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = cg_byte((uint32_t)((pos + i) % CG_CYCLE));
}

static int chargen_open(void *state, tern_socket *s, const svc_env *env)
{
	chargen_state *c = state;
	(void)s;
	(void)env;
	if (!cg_table_ready) {
		cg_fill(0, cg_table, sizeof cg_table);
		cg_table_ready = true;
	}
	/* RFC 864's example starts its first line with '!', one past ' '. */
	c->pos = CG_LINE;
	return 0;
}

static enum svc_next chargen_step(void *state, tern_socket *s)
{
	chargen_state *c = state;
	int rc = svc_drain(s);
	if (rc < 0)
		return SVC_ABORT;
	if (rc == 0)
		return SVC_CLOSE; /* the client closed: stop generating */
	for (size_t sent = 0; sent < CG_STEP_MAX;) {
		int n = tern_socket_send(s, cg_table + c->pos, CG_CHUNK, 0);
		if (n == TERN_EAGAIN)
			return SVC_WAIT;
		if (n < 0)
			return SVC_ABORT;
		c->pos = (uint32_t)((c->pos + (uint32_t)n) % CG_CYCLE);
		sent += (size_t)n;
	}
	return SVC_MORE;
}

const svc_ops svc_chargen = {
    .name = "chargen",
    .port = 19,
    .state_size = sizeof(chargen_state),
    .open = chargen_open,
    .step = chargen_step,
};
