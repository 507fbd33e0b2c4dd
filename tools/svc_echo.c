/* svc_echo.c - TCP echo (RFC 862, port 7): every byte received is sent
 * back. Reading stops while an echoed chunk waits for room in the send
 * buffer, so a client that does not read is flow-controlled by its own
 * receive window instead of growing tern's memory. */
#include "svc.h"

#define ECHO_STEP_MAX (256 * 1024)

typedef struct echo_state {
	bool eof; /* the client finished sending */
} echo_state;

static int echo_open(void *state, tern_socket *s, const svc_env *env)
{
	(void)state;
	(void)env;
	/* Echo replies to small writes at once, as interactive use expects. */
	return tern_socket_setopt(s, TERN_SO_NODELAY, 1);
}

/* The received bytes go back from where they lie in the receive ring, and
 * only what the send ring took is consumed: one copy a byte, and a client
 * that does not read stops its own sending through tern's window. */
static enum svc_next echo_step(void *state, tern_socket *s)
{
	echo_state *e = state;
	for (size_t moved = 0; moved < ECHO_STEP_MAX;) {
		if (e->eof)
			return SVC_CLOSE;
		const void *at;
		int n = tern_socket_recv_view(s, &at);
		if (n == TERN_EAGAIN)
			return SVC_WAIT;
		if (n < 0)
			return SVC_ABORT;
		if (n == 0) {
			e->eof = true;
			continue;
		}
		int k = tern_socket_send(s, at, (size_t)n, 0);
		if (k == TERN_EAGAIN)
			return SVC_WAIT;
		if (k < 0 || tern_socket_recv_done(s, (size_t)k) < 0)
			return SVC_ABORT;
		moved += (size_t)k;
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
