/*
 * dev.c - the tern_dev wrappers. They tolerate missing ops so that a layer
 * never has to know which optional hooks the device below implements.
 */
#include "tern/dev.h"

int tern_dev_transmit(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now)
{
	if (!d || !d->ops || !d->ops->transmit)
		return TERN_EINVAL;
	return d->ops->transmit(d, pkt, len, now);
}

tern_time tern_dev_poll(tern_dev *d, tern_time now)
{
	if (!d || !d->ops || !d->ops->poll)
		return TERN_TIME_NEVER;
	return d->ops->poll(d, now);
}

void tern_dev_del(tern_dev *d)
{
	if (d && d->ops && d->ops->del)
		d->ops->del(d);
}

void tern_dev_deliver(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now)
{
	if (d && d->up)
		d->up(d->up_ctx, pkt, len, now);
}
