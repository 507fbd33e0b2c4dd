/*
 * lwip_sizes.c - the size of lwIP's per-connection records as Debian's
 * liblwip-dev configures them (its lwipopts.h: IPv4 + IPv6, window scaling,
 * SACK off), for conn-memory's documented peer (docs/BENCHMARKS.md).
 * Built and run by bench/lwip_sizes.sh; not part of the tern build.
 *
 * lwIP keeps a connection in TIME-WAIT as the whole struct tcp_pcb on its
 * tcp_tw_pcbs list, so the TIME-WAIT figure is the same structure. A
 * listener is the smaller struct tcp_pcb_listen. Every allocation comes
 * from memp (here MEMP_MEM_MALLOC: plain malloc of the element size).
 */
#include <stdio.h>

#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/api.h"
#include "lwip/init.h"

int main(void)
{
	printf("{\"lwip_version\":\"%s\",\"tcp_pcb\":%zu,\"tcp_pcb_listen\":%zu,"
	       "\"netconn\":%zu,\"tcp_seg\":%zu}\n",
	       LWIP_VERSION_STRING, sizeof(struct tcp_pcb), sizeof(struct tcp_pcb_listen),
	       sizeof(struct netconn), sizeof(struct tcp_seg));
	return 0;
}
