/* svc_echo.c - TCP echo (RFC 862, port 7): every byte received is sent
 * back. Reading stops while an echoed chunk waits for room in the send
 * buffer, so a client that does not read is flow-controlled by its own
 * receive window instead of growing tern's memory. */
#include "svc.h"

#define ECHO_CHUNK    16384
#define ECHO_STEP_MAX (256 * 1024)

typedef struct echo_state {
	uint8_t buf[ECHO_CHUNK];
	size_t len, off; /* buf[off..len) still to send */
	bool eof;        /* the client finished sending */
} echo_state;

static int echo_open(void *state, tern_socket *s, const svc_env *env)
{
	(void)state;
	(void)env;
	/* Echo replies to small writes at once, as interactive use expects. */
	return tern_socket_setopt(s, TERN_SO_NODELAY, 1);
}

static enum svc_next echo_step(void *state, tern_socket *s)
{
	echo_state *e = state;
	for (size_t moved = 0; moved < ECHO_STEP_MAX;) {
		int n;
		if (e->off < e->len) {
			n = tern_socket_send(s, e->buf + e->off, e->len - e->off, 0);
			if (n == TERN_EAGAIN)
				return SVC_WAIT;
			if (n < 0)
				return SVC_ABORT;
			e->off += (size_t)n;
			moved += (size_t)n;
			continue;
		}
		if (e->eof)
			return SVC_CLOSE;
		n = tern_socket_recv(s, e->buf, sizeof e->buf, 0);
		if (n == TERN_EAGAIN)
			return SVC_WAIT;
		if (n < 0)
			return SVC_ABORT;
		e->eof = n == 0;
		e->off = 0;
		e->len = (size_t)n;
	}
	return SVC_MORE;
}

const svc_ops svc_echo = {
    .name = "echo",
    .port = 7,
    .state_size = sizeof(echo_state),
    .open = echo_open,
    .step = echo_step,
};
