/* plot_pcap.c - classic pcap files into TERN_PLOT_WIRE events: the link
 * types tern writes (raw IPv4) and those a tcpdump of Linux gives
 * (Ethernet, Linux cooked v1 and v2). IPv4 TCP only; other packets and
 * non-first fragments are skipped. A record that runs past the end of the
 * file is an error naming its offset. */
#include <stdlib.h>
#include <string.h>

#include "plot_int.h"

/* No link layer this reader knows has a frame near this; a larger record
 * length means a corrupt file. */
#define MAX_RECORD (256u * 1024)

enum { LT_NULL = 0, LT_ETH = 1, LT_RAW_BSD = 12, LT_RAW = 101, LT_SLL = 113, LT_IPV4 = 228, LT_SLL2 = 276 };

typedef struct pcap_hdr {
	bool swap, nano;
	uint32_t linktype;
} pcap_hdr;

static uint32_t rd32(const unsigned char *p, bool swap)
{
	uint32_t le = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		      (uint32_t)p[3] << 24;
	return swap ? __builtin_bswap32(le) : le;
}

static uint16_t be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Where the IPv4 header starts in a frame, or -1 for a frame that is not
 * IPv4. */
static long ip_offset(const pcap_hdr *h, const unsigned char *p, size_t n)
{
	size_t off;
	uint16_t proto;
	switch (h->linktype) {
	case LT_RAW:
	case LT_RAW_BSD:
	case LT_IPV4:
		return n && p[0] >> 4 == 4 ? 0 : -1;
	case LT_NULL:
		return n >= 4 && (rd32(p, false) == 2 || rd32(p, true) == 2) ? 4 : -1;
	case LT_ETH:
		off = 12;
		while (n >= off + 2 && (be16(p + off) == 0x8100 || be16(p + off) == 0x88a8))
			off += 4; /* VLAN tags */
		if (n < off + 2)
			return -1;
		proto = be16(p + off);
		off += 2;
		break;
	case LT_SLL:
		if (n < 16)
			return -1;
		proto = be16(p + 14);
		off = 16;
		break;
	case LT_SLL2:
		if (n < 20)
			return -1;
		proto = be16(p);
		off = 20;
		break;
	default:
		return -1;
	}
	return proto == 0x0800 ? (long)off : -1;
}

static void tcp_options(const unsigned char *o, size_t n, tern_plot_seg *s)
{
	size_t i = 0;
	s->ws = -1;
	while (i < n) {
		unsigned kind = o[i];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
			break;
		size_t len = o[i + 1];
		const unsigned char *v = o + i + 2;
		if (kind == 2 && len == 4)
			s->mss = be16(v);
		else if (kind == 3 && len == 3)
			s->ws = (int8_t)(v[0] > 14 ? 14 : v[0]);
		else if (kind == 4 && len == 2)
			s->sackok = true;
		else if (kind == 8 && len == 10) {
			s->has_ts = true;
			s->tsval = be32(v);
			s->tsecr = be32(v + 4);
		} else if (kind == 5) {
			for (size_t b = 0; b + 8 <= len - 2 && s->nsack < TERN_PLOT_MAX_SACK; b += 8) {
				s->sack[s->nsack][0] = be32(v + b);
				s->sack[s->nsack][1] = be32(v + b + 4);
				s->nsack++;
			}
		}
		i += len;
	}
}

/* Fills e from an IPv4 packet; returns 0, or -1 when it is not a whole TCP
 * header (skipped). The data length comes from the IP total length, so a
 * short snap length still gives the right sequence space. */
static int ipv4_tcp(const unsigned char *p, size_t n, tern_plot_ev *e)
{
	if (n < 20 || p[0] >> 4 != 4 || p[9] != 6)
		return -1;
	size_t ihl = (size_t)(p[0] & 15) * 4, total = be16(p + 2);
	if (ihl < 20 || (be16(p + 6) & 0x1fff) != 0 || n < ihl + 20 || total < ihl + 20)
		return -1;
	const unsigned char *t = p + ihl;
	size_t doff = (size_t)(t[12] >> 4) * 4;
	if (doff < 20 || total < ihl + doff || n < ihl + doff)
		return -1;
	tern_plot_seg *s = &e->u.seg;
	e->local = (tern_plot_ep){be32(p + 12), be16(t)};
	e->remote = (tern_plot_ep){be32(p + 16), be16(t + 2)};
	s->seq = be32(t + 4);
	s->ack = be32(t + 8);
	s->flags = t[13];
	s->win = be16(t + 14);
	s->len = (uint32_t)(total - ihl - doff);
	tcp_options(t + 20, doff - 20, s);
	return 0;
}

static int read_header(FILE *f, const char *path, pcap_hdr *h)
{
	unsigned char b[24];
	if (fread(b, 1, sizeof b, f) != sizeof b)
		return tern_plot_err(1, "%s: truncated pcap file header (24 bytes)", path);
	uint32_t magic = rd32(b, false);
	h->swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
	h->nano = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
	h->linktype = rd32(b + 20, h->swap) & 0xffff;
	switch (h->linktype) {
	case LT_NULL: case LT_ETH: case LT_RAW_BSD: case LT_RAW: case LT_SLL: case LT_IPV4:
	case LT_SLL2:
		return 0;
	}
	return tern_plot_err(1, "%s: pcap link type %u not supported (raw IPv4, Ethernet, "
				"Linux cooked are)", path, h->linktype);
}

static int add_packet(tern_plot_trace *t, const pcap_hdr *h, const unsigned char *rec,
		      const unsigned char *p, size_t n)
{
	long off = ip_offset(h, p, n);
	tern_plot_ev e = {.kind = TERN_PLOT_WIRE};
	if (off < 0 || ipv4_tcp(p + off, n - (size_t)off, &e) < 0)
		return 0;
	uint32_t sec = rd32(rec, h->swap), frac = rd32(rec + 4, h->swap);
	e.t = (int64_t)sec * 1000000 + (h->nano ? frac / 1000 : frac);
	tern_plot_ev *slot = tern_plot_trace_add(t);
	if (!slot)
		return -1;
	*slot = e;
	return 0;
}

int tern_plot_load_pcap(FILE *f, const char *path, tern_plot_trace *t)
{
	pcap_hdr h = {0};
	if (read_header(f, path, &h))
		return 1;
	t->from_pcap = true;
	unsigned char *buf = malloc(MAX_RECORD), rec[16];
	if (!buf)
		return tern_plot_err(1, "out of memory");
	long offset = 24;
	int rc = 0;
	for (size_t i = 1; rc == 0; i++, offset += 16) {
		size_t got = fread(rec, 1, 16, f);
		if (got == 0)
			break;
		uint32_t incl = rd32(rec + 8, h.swap);
		if (got < 16)
			rc = tern_plot_err(1, "%s: truncated pcap: record %zu's header at offset %ld "
					      "has %zu of 16 bytes", path, i, offset, got);
		else if (incl > MAX_RECORD)
			rc = tern_plot_err(1, "%s: corrupt pcap: record %zu at offset %ld claims %u "
					      "bytes", path, i, offset, incl);
		else if (fread(buf, 1, incl, f) != incl)
			rc = tern_plot_err(1, "%s: truncated pcap: record %zu at offset %ld needs %u "
					      "bytes past the end of the file", path, i, offset, incl);
		else if (add_packet(t, &h, rec, buf, incl) < 0)
			rc = tern_plot_err(1, "out of memory reading %s", path);
		offset += (long)incl;
	}
	free(buf);
	return rc;
}
