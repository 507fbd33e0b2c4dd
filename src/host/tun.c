/* tun.c - a layer-3 TUN device: one write(2) per transmitted packet, one
 * read(2) per received one, no packet information header. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tern/host.h"

/* Enough for the largest IPv4 packet, so reads never truncate. */
#define TUN_BUF 65536
/* Packets read per tern_tun_read(): bounds the time spent before the loop
 * gets back to timers; the fd stays readable, so nothing is lost. */
#define TUN_BATCH 256

typedef struct tern_tun {
	tern_dev dev; /* first: the tern_dev * is the tern_tun * */
	tern_allocator alloc;
	int fd;
	char name[IFNAMSIZ];
	uint8_t buf[TUN_BUF];
} tern_tun;

static int tun_transmit(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now)
{
	tern_tun *t = (tern_tun *)d;
	(void)now;
	for (int tries = 0; tries < 4; tries++) {
		ssize_t n = write(t->fd, pkt, len);
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

static int tun_attach(int fd, const char *name, char *actual)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (name)
		memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return -errno;
	memcpy(actual, ifr.ifr_name, IFNAMSIZ);
	actual[IFNAMSIZ - 1] = '\0';
	return 0;
}

int tern_tun_open(const char *name, const tern_allocator *a, tern_dev **out)
{
	if (name && strlen(name) >= IFNAMSIZ)
		return TERN_EINVAL;
	tern_tun *t = a->alloc(a->ctx, sizeof *t);
	if (!t)
		return TERN_ENOMEM;
	memset(&t->dev, 0, sizeof t->dev);
	t->dev.ops = &tun_ops;
	t->alloc = *a;
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	int rc = t->fd < 0 ? -errno : tun_attach(t->fd, name, t->name);
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
			tern_dev_deliver(tun, t->buf, (size_t)n, now);
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
