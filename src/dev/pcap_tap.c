/*
 * pcap_tap.c - a device that records every packet passing through it, in
 * both directions, and otherwise stays out of the way.
 */
#include "dev_int.h"

struct pcap_tap {
	tern_dev dev; /* first, so a tern_dev * is the tap */
	tern_dev *lower;
	tern_allocator a;
	tern_pcap_write_fn write;
	void *write_ctx;
	tern_time base;
};

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

int tern_pcap_write_header(tern_pcap_write_fn write, void *ctx)
{
	uint8_t h[TERN_PCAP_HDR_LEN];

	put_le32(h, 0xa1b2c3d4u); /* microsecond timestamps */
	put_le16(h + 4, 2);       /* version 2.4 */
	put_le16(h + 6, 4);
	put_le32(h + 8, 0);  /* thiszone: timestamps are UTC */
	put_le32(h + 12, 0); /* sigfigs: always 0 in practice */
	put_le32(h + 16, TERN_PCAP_SNAPLEN);
	put_le32(h + 20, TERN_PCAP_LINKTYPE_RAW);
	return write(ctx, h, sizeof(h));
}

int tern_pcap_write_record(tern_pcap_write_fn write, void *ctx, tern_time ts, const uint8_t *pkt,
                           size_t len)
{
	uint8_t r[TERN_PCAP_REC_LEN];
	size_t caplen = len < TERN_PCAP_SNAPLEN ? len : TERN_PCAP_SNAPLEN;
	int rc;

	/* The seconds field is 32 bits: captures wrap in 2106. */
	put_le32(r, (uint32_t)(ts / 1000000u));
	put_le32(r + 4, (uint32_t)(ts % 1000000u));
	put_le32(r + 8, (uint32_t)caplen);
	put_le32(r + 12, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	rc = write(ctx, r, sizeof(r));
	if (rc < 0 || caplen == 0)
		return rc < 0 ? rc : 0;
	rc = write(ctx, pkt, caplen);
	return rc < 0 ? rc : 0;
}

/* A failing writer must not disturb traffic, so record errors are ignored
 * here; the writer is the place to notice them. */
static void tap_record(struct pcap_tap *t, const uint8_t *pkt, size_t len, tern_time now)
{
	(void)tern_pcap_write_record(t->write, t->write_ctx, t->base + now, pkt, len);
}

static int tap_transmit(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now)
{
	struct pcap_tap *t = (struct pcap_tap *)d;

	tap_record(t, pkt, len, now);
	return tern_dev_transmit(t->lower, pkt, len, now);
}

static void tap_rx(void *ctx, const uint8_t *pkt, size_t len, tern_time now)
{
	struct pcap_tap *t = ctx;

	tap_record(t, pkt, len, now);
	tern_dev_deliver(&t->dev, pkt, len, now);
}

static tern_time tap_poll(tern_dev *d, tern_time now)
{
	return tern_dev_poll(((struct pcap_tap *)d)->lower, now);
}

/* Hands the lower device's receive path back to whatever sat above the tap,
 * so a tap can be removed from a live chain. */
static void tap_del(tern_dev *d)
{
	struct pcap_tap *t = (struct pcap_tap *)d;
	tern_allocator a = t->a;

	if (t->lower->up == tap_rx && t->lower->up_ctx == t) {
		t->lower->up = t->dev.up;
		t->lower->up_ctx = t->dev.up_ctx;
	}
	a.free(a.ctx, t, sizeof(*t));
}

static const tern_dev_ops tap_ops = {
    .name = "pcap",
    .transmit = tap_transmit,
    .poll = tap_poll,
    .del = tap_del,
};

int tern_pcap_tap_new(const tern_allocator *a, tern_dev *lower, tern_pcap_write_fn write,
                      void *write_ctx, tern_time base_time, tern_dev **out)
{
	struct pcap_tap *t;
	int rc;

	if (!a || !a->alloc || !a->free || !lower || !write || !out)
		return TERN_EINVAL;
	t = a->alloc(a->ctx, sizeof(*t));
	if (!t)
		return TERN_ENOMEM;
	*t = (struct pcap_tap){
	    .lower = lower, .a = *a, .write = write, .write_ctx = write_ctx, .base = base_time};
	t->dev.ops = &tap_ops;
	rc = tern_pcap_write_header(write, write_ctx);
	if (rc < 0) {
		a->free(a->ctx, t, sizeof(*t));
		return rc;
	}
	/* Take over the lower device's receive path; whatever was installed
	 * there now sits above the tap, so a tap can be slid into a live
	 * chain as well as built before the stack attaches. */
	t->dev.up = lower->up;
	t->dev.up_ctx = lower->up_ctx;
	lower->up = tap_rx;
	lower->up_ctx = t;
	*out = &t->dev;
	return 0;
}
