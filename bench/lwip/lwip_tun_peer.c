/*
 * lwip_tun_peer.c - lwIP behind a TUN device: tun-throughput's lwIP peer
 * (tools/bench_tun.c, docs/BENCHMARKS.md). Built only where Debian's
 * liblwip-dev is installed; links its shared liblwip.so as Debian built it:
 * NO_SYS=0, LWIP_TCPIP_CORE_LOCKING=1, the unix port's sys_arch (pthreads),
 * MEM_LIBC_MALLOC/MEMP_MEM_MALLOC, TCP_MSS 1460, TCP_WND = TCP_SND_BUF =
 * 0xFFFF with window scale 1, LWIP_CHECKSUM_ON_COPY, IPv4 + IPv6.
 *
 * Usage: lwip_tun_peer TUN ADDR. Opens the plain TUN device TUN (IFF_TUN,
 * no offloads: this lwIP has none), brings lwIP up on it with address ADDR/24
 * and serves, on the raw TCP API with the core lock held:
 *   - discard (port 9): every byte received is hashed (bench_hash, as the
 *     benchmark's client hashes what it sends); at the client's FIN it
 *     prints "discard BYTES HASH" (HASH as %016llx) and closes;
 *   - chargen (port 19): the RFC 864 stream as tern sends it
 *     (tools/bench_chargen.h), as fast as the send buffer takes it, until
 *     the client closes.
 * The caller configures the Linux side of the TUN. It prints one "ready"
 * line and runs until SIGTERM or SIGINT.
 *
 * The data path: the netif's output writes each IPv4 packet to the TUN fd
 * (one write(2) a packet; the stack calls it with the core lock held, from
 * the tcpip thread or from the callbacks below); a reader thread reads one
 * packet a read(2), copies it into a PBUF_RAM pbuf and hands it to
 * tcpip_input (the netif's input function), which queues it for the tcpip
 * thread; that thread runs TCP, the callbacks and the timers.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"

#include "bench.h"
#include "bench_chargen.h"

#define CG_WRITE 16384 /* largest tcp_write of the chargen stream */

static int tun_fd = -1;
static struct netif nif;
static uint8_t out_buf[65536]; /* a chained pbuf, flattened (core lock held) */
static uint8_t cg[BENCH_CG_CYCLE + CG_WRITE];
static unsigned long long rx_pkts, rx_drops, tx_pkts, tx_errs;

/* ---- the netif: IPv4 packets to and from the TUN fd ------------------------- */

static err_t tun_output(struct netif *n, struct pbuf *p, const ip4_addr_t *next_hop)
{
	const void *data = p->payload;

	(void)n;
	(void)next_hop;
	if (p->len != p->tot_len) {
		pbuf_copy_partial(p, out_buf, p->tot_len, 0);
		data = out_buf;
	}
	if (write(tun_fd, data, p->tot_len) != (ssize_t)p->tot_len)
		tx_errs++;
	else
		tx_pkts++;
	return ERR_OK;
}

/* IPv6 is compiled in but never configured here: nothing to send. */
static err_t tun_output6(struct netif *n, struct pbuf *p, const ip6_addr_t *next_hop)
{
	(void)n;
	(void)p;
	(void)next_hop;
	return ERR_OK;
}

static err_t nif_init(struct netif *n)
{
	n->name[0] = 't';
	n->name[1] = 'n';
	n->output = tun_output;
	n->output_ip6 = tun_output6;
	n->mtu = 1500;
	n->flags = 0; /* no link layer, no ARP */
	return ERR_OK;
}

static void *reader(void *arg)
{
	static uint8_t buf[65536];

	(void)arg;
	for (;;) {
		ssize_t len = read(tun_fd, buf, sizeof buf);
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			break;
		struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
		if (!p) {
			rx_drops++;
			continue;
		}
		pbuf_take(p, buf, (u16_t)len);
		if (nif.input(p, &nif) != ERR_OK) { /* tcpip_input: queued for the tcpip thread */
			pbuf_free(p);
			rx_drops++;
		} else {
			rx_pkts++;
		}
	}
	return NULL;
}

/* ---- discard and chargen on the raw TCP API (callbacks run in the tcpip thread) */

typedef struct conn {
	bench_hash h;  /* discard */
	size_t pos;    /* chargen: the cycle offset of the next byte */
} conn;

static err_t conn_close(struct tcp_pcb *pcb, conn *c)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	free(c);
	if (tcp_close(pcb) != ERR_OK) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	return ERR_OK;
}

static void conn_err(void *arg, err_t err)
{
	(void)err;
	free(arg); /* the pcb is already gone */
}

static err_t discard_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	conn *c = arg;

	(void)err;
	if (!p) { /* the client's FIN: report, then close (our FIN follows the line) */
		printf("discard %llu %016llx\n", (unsigned long long)c->h.total,
		       (unsigned long long)bench_hash_final(&c->h));
		fflush(stdout);
		return conn_close(pcb, c);
	}
	for (struct pbuf *q = p; q; q = q->next)
		bench_hash_update(&c->h, q->payload, q->len);
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

/* Queue as much of the stream as the send buffer takes, then send. */
static void chargen_push(struct tcp_pcb *pcb, conn *c)
{
	for (;;) {
		u16_t n = tcp_sndbuf(pcb) < CG_WRITE ? tcp_sndbuf(pcb) : CG_WRITE;
		if (n == 0 || tcp_write(pcb, cg + c->pos, n, TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
		c->pos = (c->pos + n) % BENCH_CG_CYCLE;
	}
	tcp_output(pcb);
}

static err_t chargen_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)len;
	chargen_push(pcb, arg);
	return ERR_OK;
}

static err_t chargen_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)err;
	if (!p)
		return conn_close(pcb, arg);
	tcp_recved(pcb, p->tot_len); /* whatever the client sends is thrown away */
	pbuf_free(p);
	return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	bool chargen = arg != NULL;
	conn *c;

	if (err != ERR_OK || !pcb || !(c = calloc(1, sizeof *c)))
		return ERR_MEM;
	tcp_arg(pcb, c);
	tcp_err(pcb, conn_err);
	if (chargen) {
		c->pos = BENCH_CG_START;
		tcp_recv(pcb, chargen_recv);
		tcp_sent(pcb, chargen_sent);
		chargen_push(pcb, c);
	} else {
		bench_hash_init(&c->h);
		tcp_recv(pcb, discard_recv);
	}
	return ERR_OK;
}

/* Port 9 (arg NULL) or 19 (arg non-NULL); call with the core lock held. */
static int listen_on(u16_t port, void *arg)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4), *l;

	if (!pcb || tcp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK)
		return -1;
	if (!(l = tcp_listen(pcb)))
		return -1;
	tcp_arg(l, arg);
	tcp_accept(l, on_accept);
	return 0;
}

/* ---- setup ---------------------------------------------------------------------- */

static int tun_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t init_cv = PTHREAD_COND_INITIALIZER;
static int init_done_flag;

static void init_done(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&init_mu);
	init_done_flag = 1;
	pthread_cond_signal(&init_cv);
	pthread_mutex_unlock(&init_mu);
}

int main(int argc, char **argv)
{
	ip4_addr_t addr, mask, gw;
	sigset_t sigs;
	pthread_t th;
	int sig;

	if (argc != 3 || !ip4addr_aton(argv[2], &addr)) {
		fprintf(stderr, "usage: lwip_tun_peer TUN ADDR\n");
		return 2;
	}
	/* Signals go to sigwait below, not to lwIP's threads. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if ((tun_fd = tun_open(argv[1])) < 0) {
		fprintf(stderr, "lwip_tun_peer: cannot open TUN %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	bench_cg_fill(cg, sizeof cg, 0);
	tcpip_init(init_done, NULL);
	pthread_mutex_lock(&init_mu);
	while (!init_done_flag)
		pthread_cond_wait(&init_cv, &init_mu);
	pthread_mutex_unlock(&init_mu);

	IP4_ADDR(&mask, 255, 255, 255, 0);
	ip4_addr_set_u32(&gw, (ip4_addr_get_u32(&addr) & ip4_addr_get_u32(&mask)) | PP_HTONL(1));
	LOCK_TCPIP_CORE();
	int rc = netif_add(&nif, &addr, &mask, &gw, NULL, nif_init, tcpip_input) ? 0 : -1;
	if (rc == 0) {
		netif_set_default(&nif);
		netif_set_up(&nif);
		netif_set_link_up(&nif);
		rc = listen_on(9, NULL) || listen_on(19, &nif);
	}
	UNLOCK_TCPIP_CORE();
	if (rc || pthread_create(&th, NULL, reader, NULL)) {
		fprintf(stderr, "lwip_tun_peer: lwIP setup failed\n");
		return 1;
	}
	printf("lwip_tun_peer: %s %s/24, lwIP %s, discard/9 chargen/19, ready\n", argv[1], argv[2],
	       LWIP_VERSION_STRING);
	fflush(stdout);
	sigwait(&sigs, &sig);
	fprintf(stderr, "lwip_tun_peer: rx %llu packets (%llu dropped), tx %llu (%llu errors)\n",
	        rx_pkts, rx_drops, tx_pkts, tx_errs);
	return 0; /* the reader is blocked in read(); exit takes the threads */
}
