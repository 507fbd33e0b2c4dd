/* svc_discard.c - TCP discard (RFC 863, port 9): everything received is
 * thrown away; the connection closes when the client closes its side. */
#include "svc.h"

static int discard_open(void *state, tern_socket *s, const svc_env *env)
{
	(void)state;
	(void)s;
	(void)env;
	return 0;
}

static enum svc_next discard_step(void *state, tern_socket *s)
{
	(void)state;
	int rc = svc_drain(s);
	if (rc < 0)
		return SVC_ABORT;
	return rc == 0 ? SVC_CLOSE : rc == 2 ? SVC_MORE : SVC_WAIT;
}

const svc_ops svc_discard = {
    .name = "discard",
    .port = 9,
    .state_size = 1,
    .open = discard_open,
    .step = discard_step,
};
