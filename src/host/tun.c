/* tun.c - a layer-3 TUN device: one write(2) per transmitted packet, one
 * read(2) per received one, no packet information header.
 *
 * With offloads (TERN_TUN_OFFLOAD) every packet carries a virtio-net
 * header (IFF_VNET_HDR) and the kernel may hand over TCP segments of up to
 * 64 KiB with a partial checksum (TUNSETOFFLOAD: CSUM, TSO4, TSO6,
 * TSO_ECN), as it does to a virtual machine's NIC; tern hands it segments
 * of up to 64 KiB the same way. A TUN moves a roughly fixed number of
 * packets a second whatever their size, so this is what lifts throughput
 * past that ceiling. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tern/host.h"
#include "wire/wire.h"

#define VNET_HLEN sizeof(struct virtio_net_hdr)

/* Enough for the largest IPv4 packet, so reads never truncate. */
#define TUN_BUF 65536
/* Packets read per tern_tun_read(): bounds the time spent before the loop
 * gets back to timers; the fd stays readable, so nothing is lost. */
#define TUN_BATCH 256

typedef struct tern_tun {
	tern_dev dev; /* first: the tern_dev * is the tern_tun * */
	tern_allocator alloc;
	int fd;
	bool vnet;     /* offloads: a virtio-net header on every packet */
	uint32_t mtu;  /* larger TCP segments leave as GSO packets */
	tern_tun_stats stats;
	char name[IFNAMSIZ];
	uint8_t buf[VNET_HLEN + TUN_BUF];
} tern_tun;

/* ---- offloads: the virtio-net header ---------------------------------------- */

/* An IPv4 TCP segment over the MTU leaves as one GSO packet: the kernel's
 * TCP takes it whole, as if GRO had built it. Its checksum becomes partial,
 * as a virtio NIC is given it: the field holds the pseudo-header sum and
 * the header says where the rest is to be added, so the kernel need not
 * sum 64 KiB again. hdr receives the packet's IP and TCP headers with that
 * field; returns their length, or 0 when the packet goes as it is. */
static size_t vnet_tx(const tern_tun *t, const uint8_t *pkt, size_t len,
		      struct virtio_net_hdr *vh, uint8_t *hdr)
{
	memset(vh, 0, sizeof *vh);
	if (len <= t->mtu || len < 40 || pkt[0] >> 4 != 4 || pkt[9] != TERN_IPPROTO_TCP)
		return 0;
	size_t ihl = (size_t)(pkt[0] & 15) * 4, thl;
	if (ihl < 20 || len < ihl + 20 || (thl = (size_t)(pkt[ihl + 12] >> 4) * 4) < 20 ||
	    len <= ihl + thl || ihl + thl >= t->mtu)
		return 0;
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh->hdr_len = (uint16_t)(ihl + thl);
	vh->gso_size = (uint16_t)(t->mtu - ihl - thl);
	vh->csum_start = (uint16_t)ihl;
	vh->csum_offset = 16;
	memcpy(hdr, pkt, ihl + thl);
	uint64_t ps = tern_csum_pseudo4(tern_get32(pkt + 12), tern_get32(pkt + 16),
					TERN_IPPROTO_TCP, (uint16_t)(len - ihl));
	tern_put16(hdr + ihl + 16, tern_csum_fold(ps));
	return ihl + thl;
}

/* A packet from the kernel whose checksum is partial gets it completed:
 * summing from csum_start to the end, the field (which holds the
 * pseudo-header sum) included, gives the whole; tern's input then checks
 * it like any other. A GSO packet goes up whole: tern's TCP takes segments
 * of any length. Returns false for a header that points outside. */
static bool vnet_rx(uint8_t *pkt, size_t len, const struct virtio_net_hdr *vh)
{
	if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return true;
	size_t start = vh->csum_start, at = start + vh->csum_offset;
	if (start >= len || at + 2 > len || len < 20)
		return false;
	uint16_t sum = (uint16_t)~tern_csum_fold(tern_csum_add(0, pkt + start, len - start));
	if (sum == 0 && pkt[9] == TERN_IPPROTO_UDP)
		sum = 0xffff;  /* RFC 768: zero means "no checksum" */
	tern_put16(pkt + at, sum);
	return true;
}

static ssize_t tun_write(tern_tun *t, const uint8_t *pkt, size_t len)
{
	if (!t->vnet)
		return write(t->fd, pkt, len);
	struct virtio_net_hdr vh;
	uint8_t hdr[120];
	size_t hl = vnet_tx(t, pkt, len, &vh, hdr);
	struct iovec iov[3] = {{&vh, VNET_HLEN}, {hdr, hl}, {(void *)(pkt + hl), len - hl}};
	if (hl)
		t->stats.tx_gso++;
	ssize_t n = writev(t->fd, iov, 3);
	return n >= (ssize_t)VNET_HLEN ? n - (ssize_t)VNET_HLEN : (n < 0 ? n : 0);
}

static int tun_transmit(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now)
{
	tern_tun *t = (tern_tun *)d;
	(void)now;
	for (int tries = 0; tries < 4; tries++) {
		ssize_t n = tun_write(t, pkt, len);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0)
			return TERN_EMSGSIZE;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return TERN_ENOBUFS;
		if (errno != EINTR)
			return -errno;
	}
	return TERN_ENOBUFS;
}

static void tun_del(tern_dev *d)
{
	tern_tun *t = (tern_tun *)d;
	close(t->fd);
	t->alloc.free(t->alloc.ctx, t, sizeof *t);
}

static const tern_dev_ops tun_ops = {
    .name = "tun",
    .transmit = tun_transmit,
    .poll = NULL,
    .del = tun_del,
};

static int tun_attach(int fd, const char *name, bool vnet, char *actual)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
	if (name)
		memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return -errno;
	/* what the kernel may send us: partial checksums and TCP up to 64 KiB */
	unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	if (vnet && ioctl(fd, TUNSETOFFLOAD, off) < 0)
		return -errno;
	memcpy(actual, ifr.ifr_name, IFNAMSIZ);
	actual[IFNAMSIZ - 1] = '\0';
	return 0;
}

int tern_tun_open(const char *name, const tern_allocator *a, tern_dev **out)
{
	return tern_tun_open_flags(name, a, 0, out);
}

int tern_tun_open_flags(const char *name, const tern_allocator *a, unsigned flags, tern_dev **out)
{
	if (name && strlen(name) >= IFNAMSIZ)
		return TERN_EINVAL;
	tern_tun *t = a->alloc(a->ctx, sizeof *t);
	if (!t)
		return TERN_ENOMEM;
	memset(&t->dev, 0, sizeof t->dev);
	t->dev.ops = &tun_ops;
	t->alloc = *a;
	t->vnet = (flags & TERN_TUN_OFFLOAD) != 0;
	t->mtu = 1500;
	memset(&t->stats, 0, sizeof t->stats);
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	int rc = t->fd < 0 ? -errno : tun_attach(t->fd, name, t->vnet, t->name);
	if (rc < 0) {
		if (t->fd >= 0)
			close(t->fd);
		a->free(a->ctx, t, sizeof *t);
		return rc;
	}
	*out = &t->dev;
	return 0;
}

const char *tern_tun_name(const tern_dev *tun)
{
	return ((const tern_tun *)tun)->name;
}

int tern_tun_fd(const tern_dev *tun)
{
	return ((const tern_tun *)tun)->fd;
}

bool tern_tun_offloading(const tern_dev *tun)
{
	return ((const tern_tun *)tun)->vnet;
}

void tern_tun_set_mtu(tern_dev *tun, uint32_t mtu)
{
	((tern_tun *)tun)->mtu = mtu;
}

void tern_tun_stats_get(const tern_dev *tun, tern_tun_stats *out)
{
	*out = ((const tern_tun *)tun)->stats;
}

/* One packet read into t->buf: deliver it (after the virtio-net header,
 * with offloads). */
static void tun_deliver(tern_tun *t, size_t n, tern_time now)
{
	if (!t->vnet) {
		tern_dev_deliver(&t->dev, t->buf, n, now);
		return;
	}
	struct virtio_net_hdr vh;
	if (n <= VNET_HLEN)
		return;
	memcpy(&vh, t->buf, VNET_HLEN);
	uint8_t *pkt = t->buf + VNET_HLEN;
	n -= VNET_HLEN;
	if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		t->stats.rx_gso++;
	if (!vnet_rx(pkt, n, &vh)) {
		t->stats.rx_bad++;
		return;
	}
	tern_dev_deliver(&t->dev, pkt, n, now);
}

int tern_tun_read(tern_dev *tun, tern_time now)
{
	tern_tun *t = (tern_tun *)tun;
	int got = 0;
	while (got < TUN_BATCH) {
		ssize_t n = read(t->fd, t->buf, sizeof t->buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		got++;
		if (n > 0)
			tun_deliver(t, (size_t)n, now);
	}
	return got;
}

/* ---- the Linux side of the link ------------------------------------------ */

static void ifr_set_in(struct ifreq *ifr, uint32_t addr, int which)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(addr);
	if (which == SIOCSIFNETMASK)
		memcpy(&ifr->ifr_netmask, &sin, sizeof sin);
	else
		memcpy(&ifr->ifr_addr, &sin, sizeof sin);
}

static int ifr_ioctl(int s, unsigned long req, struct ifreq *ifr)
{
	return ioctl(s, req, ifr) < 0 ? -errno : 0;
}

/* The address goes before the netmask: SIOCSIFADDR on a point-to-point
 * device resets the prefix to /32, SIOCSIFNETMASK then widens it. */
static int configure(int s, struct ifreq *ifr, uint32_t addr, uint8_t prefix, uint32_t mtu)
{
	uint32_t mask = prefix ? 0xffffffffu << (32 - prefix) : 0;
	int rc;
	ifr->ifr_mtu = (int)mtu;
	if ((rc = ifr_ioctl(s, SIOCSIFMTU, ifr)) < 0)
		return rc;
	ifr_set_in(ifr, addr, SIOCSIFADDR);
	if ((rc = ifr_ioctl(s, SIOCSIFADDR, ifr)) < 0)
		return rc;
	ifr_set_in(ifr, mask, SIOCSIFNETMASK);
	if ((rc = ifr_ioctl(s, SIOCSIFNETMASK, ifr)) < 0)
		return rc;
	if ((rc = ifr_ioctl(s, SIOCGIFFLAGS, ifr)) < 0)
		return rc;
	ifr->ifr_flags |= IFF_UP | IFF_RUNNING;
	return ifr_ioctl(s, SIOCSIFFLAGS, ifr);
}

int tern_tun_configure(const char *name, uint32_t linux_addr, uint8_t prefix, uint32_t mtu)
{
	if (!name || !*name || strlen(name) >= IFNAMSIZ || prefix > 32 || mtu < 68 || mtu > 65535)
		return TERN_EINVAL;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, name, strlen(name));
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	int rc = configure(s, &ifr, linux_addr, prefix, mtu);
	close(s);
	return rc;
}
