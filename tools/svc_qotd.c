/* svc_qotd.c - Quote of the Day (RFC 865, port 17): one short message
 * (under 512 characters, as the RFC asks), then the server closes. The
 * quote changes once a day, which is what the name promises. */
#include <string.h>
#include <time.h>

#include "svc.h"

static const char *const quotes[] = {
    "\"Be conservative in what you do, be liberal in what you accept from others.\"\n"
    "    -- Jon Postel, RFC 793\n",
    "\"There are two ways of constructing a software design: one way is to make it so\n"
    "simple that there are obviously no deficiencies, and the other way is to make it\n"
    "so complicated that there are no obvious deficiencies.\"\n    -- C. A. R. Hoare\n",
    "\"We reject: kings, presidents and voting. We believe in: rough consensus and\n"
    "running code.\"\n    -- David D. Clark, IETF 24\n",
    "\"Simplicity is prerequisite for reliability.\"\n    -- Edsger W. Dijkstra\n",
    "\"Premature optimization is the root of all evil.\"\n    -- Donald E. Knuth\n",
};

static int qotd_open(void *state, tern_socket *s, const svc_env *env)
{
	svc_msg *m = state;
	size_t n = sizeof quotes / sizeof quotes[0];
	const char *q = quotes[(size_t)(time(NULL) / 86400) % n];
	(void)s;
	(void)env;
	m->len = strlen(q);
	if (m->len >= sizeof m->text)
		return TERN_EMSGSIZE;
	memcpy(m->text, q, m->len);
	return 0;
}

static enum svc_next qotd_step(void *state, tern_socket *s)
{
	return svc_msg_step(state, s);
}

const svc_ops svc_qotd = {
    .name = "qotd",
    .port = 17,
    .state_size = sizeof(svc_msg),
    .open = qotd_open,
    .step = qotd_step,
};
