/* svc_daytime.c - TCP daytime (RFC 867, port 13): one human-readable line
 * with the date and time, then the server closes. The format is the one
 * RFC 867 suggests: "Weekday, Month Day, Year HH:MM:SS-Zone". */
#include <string.h>
#include <time.h>

#include "svc.h"

static int daytime_open(void *state, tern_socket *s, const svc_env *env)
{
	svc_msg *m = state;
	struct tm tm;
	time_t t = time(NULL);
	(void)s;
	(void)env;
	if (!localtime_r(&t, &tm))
		return TERN_EINVAL;
	m->len = strftime(m->text, sizeof m->text - 2, "%A, %B %d, %Y %H:%M:%S-%Z", &tm);
	memcpy(m->text + m->len, "\r\n", 2);
	m->len += 2;
	return 0;
}

static enum svc_next daytime_step(void *state, tern_socket *s)
{
	return svc_msg_step(state, s);
}

const svc_ops svc_daytime = {
    .name = "daytime",
    .port = 13,
    .state_size = sizeof(svc_msg),
    .open = daytime_open,
    .step = daytime_step,
};
