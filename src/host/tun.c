/* tun.c - a layer-3 TUN device: one write(2) per transmitted packet, one
 * read(2) per received one, no packet information header.
 *
 * With TERN_TUN_TX_THREAD the writes are made by a thread of the device's
 * own (see "the writer thread" below), so the kernel's receive path for
 * tern's packets runs beside tern's thread instead of inside it.
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
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
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

/* The writer thread's queue: a ring of TXQ_BYTES bytes holding records
 * (a 4-byte length, the packet, padding to 8 bytes), one producer (the
 * thread that calls the stack) and one consumer (the writer). */
#define TXQ_BYTES ((size_t)1 << 20)
#define TXQ_REC_HDR 8u
#define TXQ_WRAP UINT32_MAX  /* record length: the rest of the ring is unused */
/* How long a transmit waits for room in a full ring before it drops the
 * packet (TERN_ENOBUFS, counted in tx_drops). */
#define TXQ_WAIT_MS 100

typedef struct tun_txq {
	uint8_t *ring;                 /* NULL: no writer thread */
	_Atomic size_t head;           /* bytes published; written by the producer */
	_Atomic size_t tail;           /* bytes released; written by the consumer */
	_Atomic int writer_asleep;     /* the writer waits on data_efd */
	_Atomic int producer_asleep;   /* the producer waits on space_efd */
	_Atomic bool stop;
	int data_efd, space_efd;
	pthread_t thread;
	bool running;
	_Atomic uint64_t written, drops, gso; /* the writer's counters */
	uint64_t queued, waits, full_drops;   /* the producer's */
} tun_txq;

typedef struct tern_tun {
	tern_dev dev; /* first: the tern_dev * is the tern_tun * */
	tern_allocator alloc;
	int fd;
	bool vnet;     /* offloads: a virtio-net header on every packet */
	_Atomic uint32_t mtu;  /* larger TCP segments leave as GSO packets */
	tern_tun_stats stats;  /* tx_gso: counted in txq.gso with a writer thread */
	tun_txq txq;
	char name[IFNAMSIZ];
	uint8_t buf[VNET_HLEN + TUN_BUF];
} tern_tun;

/* ---- offloads: the virtio-net header ---------------------------------------- */

/* An unfragmented IPv4 TCP segment whose checksum tern left partial
 * (TERN_CSUM_OFFLOAD_TCP_TX: the field holds the folded pseudo-header sum)
 * leaves marked so, as a virtio NIC is given it, and the kernel finishes
 * the sum. One with a finished checksum (a bare segment, or a stack that
 * sums itself, as with a capture or corruption above the device) goes as
 * it is, so the kernel checks what it carries. One over the MTU leaves as
 * one GSO packet, partial whatever tern left: the kernel's TCP takes it
 * whole, as if GRO had built it. hdr receives the packet's IP and TCP
 * headers with the partial field; returns their length, or 0 when the
 * packet goes as it is. */
static size_t vnet_tx(const tern_tun *t, const uint8_t *pkt, size_t len,
		      struct virtio_net_hdr *vh, uint8_t *hdr)
{
	uint32_t mtu = atomic_load_explicit(&t->mtu, memory_order_relaxed);
	memset(vh, 0, sizeof *vh);
	if (len < 40 || pkt[0] >> 4 != 4 || pkt[9] != TERN_IPPROTO_TCP ||
	    (tern_get16(pkt + 6) & 0x3fff) || tern_get16(pkt + 2) != len)
		return 0;
	size_t ihl = (size_t)(pkt[0] & 15) * 4, thl;
	if (ihl < 20 || len < ihl + 20 || (thl = (size_t)(pkt[ihl + 12] >> 4) * 4) < 20 ||
	    len < ihl + thl || ihl + thl >= mtu)
		return 0;
	uint16_t partial = tern_csum_fold(tern_csum_pseudo4(tern_get32(pkt + 12),
							    tern_get32(pkt + 16), TERN_IPPROTO_TCP,
							    (uint16_t)(len - ihl)));
	if (len <= mtu && tern_get16(pkt + ihl + 16) != partial)
		return 0;
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = (uint16_t)ihl;
	vh->csum_offset = 16;
	vh->hdr_len = (uint16_t)(ihl + thl);
	if (len > mtu) {
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vh->gso_size = (uint16_t)(mtu - ihl - thl);
	}
	memcpy(hdr, pkt, ihl + thl);
	tern_put16(hdr + ihl + 16, partial);
	return ihl + thl;
}

/* A packet from the kernel whose checksum is partial gets it completed:
 * summing from csum_start to the end, the field (which holds the
 * pseudo-header sum) included, gives the whole; the kernel built it, so it
 * needs no check. One with a full checksum the kernel has not verified
 * (not DATA_VALID; it may have been forwarded from elsewhere) is checked
 * here, so that the stack need not (TERN_CSUM_OFFLOAD_RX): a bad one is
 * dropped (*bad_csum). A GSO packet goes up whole: tern's TCP takes
 * segments of any length. Returns false for a packet to drop. */
static bool vnet_rx(uint8_t *pkt, size_t len, const struct virtio_net_hdr *vh, bool *bad_csum)
{
	*bad_csum = false;
	if (vh->flags & VIRTIO_NET_HDR_F_DATA_VALID)
		return true;
	if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return !(*bad_csum = tern_ip4_l4_csum_bad(pkt, len));
	size_t start = vh->csum_start, at = start + vh->csum_offset;
	if (start >= len || at + 2 > len || len < 20)
		return false;
	uint16_t sum = (uint16_t)~tern_csum_fold(tern_csum_add(0, pkt + start, len - start));
	if (sum == 0 && pkt[9] == TERN_IPPROTO_UDP)
		sum = 0xffff;  /* RFC 768: zero means "no checksum" */
	tern_put16(pkt + at, sum);
	return true;
}

/* *gso is set when the packet left as one GSO packet. */
static ssize_t tun_write(const tern_tun *t, const uint8_t *pkt, size_t len, bool *gso)
{
	*gso = false;
	if (!t->vnet)
		return write(t->fd, pkt, len);
	struct virtio_net_hdr vh;
	uint8_t hdr[120];
	size_t hl = vnet_tx(t, pkt, len, &vh, hdr);
	struct iovec iov[3] = {{&vh, VNET_HLEN}, {hdr, hl}, {(void *)(pkt + hl), len - hl}};
	*gso = vh.gso_type != VIRTIO_NET_HDR_GSO_NONE;
	ssize_t n = writev(t->fd, iov, 3);
	return n >= (ssize_t)VNET_HLEN ? n - (ssize_t)VNET_HLEN : (n < 0 ? n : 0);
}

/* One packet written now, by whichever thread calls. */
static int tun_write_now(const tern_tun *t, const uint8_t *pkt, size_t len, bool *gso)
{
	for (int tries = 0; tries < 4; tries++) {
		ssize_t n = tun_write(t, pkt, len, gso);
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

/* ---- the writer thread ---------------------------------------------------------
 *
 * A write(2) to a TUN runs Linux's whole receive path for the packet (GRO,
 * IP, Linux's own TCP and the ACKs or data it sends back) inside the
 * writer's system call. With TERN_TUN_TX_THREAD, tun_transmit only copies
 * the packet into the ring and a thread of the device makes the write, so
 * that work runs on another core while tern's thread goes on.
 *
 * The ring is lock-free: the producer alone advances head, the writer
 * alone tail (release stores, acquire loads). Neither spins: a side with
 * nothing to do sets its *_asleep flag, looks once more, and blocks on an
 * eventfd; the other side, after publishing, swaps the flag back and
 * writes the eventfd only when it was set. The flag and the index are
 * sequentially consistent on both sides, so one of the two always sees the
 * other (no lost wake-up), and under load neither makes a system call for
 * the hand-over. A stale eventfd count only costs one spurious pass.
 *
 * A full ring makes transmit wait (poll on space_efd) up to TXQ_WAIT_MS for
 * the writer to make room, the same back-pressure the inline write gave;
 * past that the packet is dropped, counted, and TERN_ENOBUFS returned (the
 * stack treats it as a loss on the link). */

static size_t rec_size(size_t len)
{
	return TXQ_REC_HDR + ((len + 7) & ~(size_t)7);
}

static void efd_signal(int efd)
{
	uint64_t one = 1;
	(void)!write(efd, &one, sizeof one);
}

static void efd_clear(int efd)
{
	uint64_t v;
	(void)!read(efd, &v, sizeof v);
}

/* Wake the other side if it is asleep on efd. */
static void wake(_Atomic int *asleep, int efd)
{
	if (atomic_load(asleep) && atomic_exchange(asleep, 0))
		efd_signal(efd);
}

static void writer_count(tern_tun *t, int rc, bool gso)
{
	if (rc < 0)
		atomic_fetch_add_explicit(&t->txq.drops, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&t->txq.written, 1, memory_order_relaxed);
	if (rc == 0 && gso)
		atomic_fetch_add_explicit(&t->txq.gso, 1, memory_order_relaxed);
}

/* Write every record between tail and head; returns how many. */
static size_t writer_drain(tern_tun *t)
{
	tun_txq *q = &t->txq;
	size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&q->head, memory_order_acquire);
	size_t n = 0;
	while (tail != head) {
		size_t off = tail & (TXQ_BYTES - 1);
		uint32_t len;
		memcpy(&len, q->ring + off, sizeof len);
		if (len == TXQ_WRAP) {
			tail += TXQ_BYTES - off;
		} else {
			bool gso;
			int rc = tun_write_now(t, q->ring + off + TXQ_REC_HDR, len, &gso);
			writer_count(t, rc, gso);
			tail += rec_size(len);
			n++;
		}
		atomic_store(&q->tail, tail);
		if (tail == head)
			head = atomic_load_explicit(&q->head, memory_order_acquire);
		/* A waiting producer is woken once a quarter of the ring is
		 * free (more than any one record needs, wrap included), not
		 * after every packet: fewer wake-ups while the ring is full. */
		if (TXQ_BYTES - (head - tail) >= TXQ_BYTES / 4)
			wake(&q->producer_asleep, q->space_efd);
	}
	return n;
}

static void *writer_main(void *arg)
{
	tern_tun *t = arg;
	tun_txq *q = &t->txq;
	for (;;) {
		writer_drain(t);
		/* Stop only with the ring empty: the stop flag is set after the
		 * last packet was published, so head read after it is final. */
		if (atomic_load(&q->stop) && atomic_load(&q->head) == atomic_load(&q->tail))
			break;
		atomic_store(&q->writer_asleep, 1);
		if (atomic_load(&q->head) != atomic_load(&q->tail) || atomic_load(&q->stop)) {
			atomic_store(&q->writer_asleep, 0);
			continue;
		}
		struct pollfd pfd = {.fd = q->data_efd, .events = POLLIN};
		(void)poll(&pfd, 1, -1);
		efd_clear(q->data_efd);
		atomic_store(&q->writer_asleep, 0);
	}
	return NULL;
}

/* Room for `need` bytes from head, waiting up to TXQ_WAIT_MS. */
static bool txq_room(tun_txq *q, size_t head, size_t need)
{
	if (TXQ_BYTES - (head - atomic_load_explicit(&q->tail, memory_order_acquire)) >= need)
		return true;
	q->waits++;
	tern_time until = tern_host_now() + TERN_MS(TXQ_WAIT_MS);
	for (;;) {
		atomic_store(&q->producer_asleep, 1);
		if (TXQ_BYTES - (head - atomic_load(&q->tail)) >= need) {
			atomic_store(&q->producer_asleep, 0);
			return true;
		}
		tern_time now = tern_host_now();
		if (now >= until) {
			atomic_store(&q->producer_asleep, 0);
			return false;
		}
		struct pollfd pfd = {.fd = q->space_efd, .events = POLLIN};
		(void)poll(&pfd, 1, (int)((until - now + 999) / 1000));
		efd_clear(q->space_efd);
	}
}

static int txq_push(tern_tun *t, const uint8_t *pkt, size_t len)
{
	tun_txq *q = &t->txq;
	size_t rec = rec_size(len);
	if (rec > TXQ_BYTES / 2)
		return TERN_EMSGSIZE;
	size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	size_t off = head & (TXQ_BYTES - 1), end = TXQ_BYTES - off;
	if (!txq_room(q, head, rec <= end ? rec : end + rec)) {
		q->full_drops++;
		return TERN_ENOBUFS;
	}
	if (rec > end) {
		uint32_t wrap = TXQ_WRAP;
		memcpy(q->ring + off, &wrap, sizeof wrap);
		head += end;
		off = 0;
	}
	uint32_t len32 = (uint32_t)len;
	memcpy(q->ring + off, &len32, sizeof len32);
	memcpy(q->ring + off + TXQ_REC_HDR, pkt, len);
	atomic_store(&q->head, head + rec);
	q->queued++;
	wake(&q->writer_asleep, q->data_efd);
	return 0;
}

static int txq_start(tern_tun *t)
{
	tun_txq *q = &t->txq;
	if ((q->data_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (q->space_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return -errno;
	if (!(q->ring = t->alloc.alloc(t->alloc.ctx, TXQ_BYTES)))
		return TERN_ENOMEM;
	/* Every signal stays with the threads that expect it (the loop's
	 * signalfd needs SIGINT/SIGTERM blocked in every thread). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&q->thread, NULL, writer_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	q->running = true;
	return 0;
}

/* Join the writer after it wrote everything queued; then free the ring. */
static void txq_stop(tern_tun *t)
{
	tun_txq *q = &t->txq;
	if (q->running) {
		atomic_store(&q->stop, true);
		efd_signal(q->data_efd);
		pthread_join(q->thread, NULL);
		q->running = false;
	}
	if (q->ring)
		t->alloc.free(t->alloc.ctx, q->ring, TXQ_BYTES);
	q->ring = NULL;
	if (q->data_efd >= 0)
		close(q->data_efd);
	if (q->space_efd >= 0)
		close(q->space_efd);
	q->data_efd = q->space_efd = -1;
}

void tern_tun_stop_writer(tern_dev *tun)
{
	txq_stop((tern_tun *)tun);
}

static int tun_transmit(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now)
{
	tern_tun *t = (tern_tun *)d;
	(void)now;
	if (t->txq.ring)
		return txq_push(t, pkt, len);
	bool gso;
	int rc = tun_write_now(t, pkt, len, &gso);
	if (rc == 0 && gso)
		t->stats.tx_gso++;
	return rc;
}

static void tun_del(tern_dev *d)
{
	tern_tun *t = (tern_tun *)d;
	txq_stop(t);
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
	atomic_init(&t->mtu, 1500);
	memset(&t->stats, 0, sizeof t->stats);
	memset(&t->txq, 0, sizeof t->txq);
	t->txq.data_efd = t->txq.space_efd = -1;
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	int rc = t->fd < 0 ? -errno : tun_attach(t->fd, name, t->vnet, t->name);
	if (rc == 0 && (flags & TERN_TUN_TX_THREAD))
		rc = txq_start(t);
	if (rc < 0) {
		txq_stop(t);
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
	atomic_store_explicit(&((tern_tun *)tun)->mtu, mtu, memory_order_relaxed);
}

bool tern_tun_threaded(const tern_dev *tun)
{
	return ((const tern_tun *)tun)->txq.running;
}

void tern_tun_stats_get(const tern_dev *tun, tern_tun_stats *out)
{
	tern_tun *t = (tern_tun *)tun;
	tun_txq *q = &t->txq;
	*out = t->stats;
	out->tx_gso += atomic_load_explicit(&q->gso, memory_order_relaxed);
	out->tx_queued = q->queued;
	out->tx_waits = q->waits;
	out->tx_drops = q->full_drops + atomic_load_explicit(&q->drops, memory_order_relaxed);
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
	bool bad_csum;
	if (!vnet_rx(pkt, n, &vh, &bad_csum)) {
		if (bad_csum)
			t->stats.rx_bad_csum++;
		else
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
