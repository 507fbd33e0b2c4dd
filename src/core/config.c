/* config.c - configuration defaults, error names, counter names, and
 * address text conversion. */
#include <string.h>

#include "core/stack.h"

void tern_config_init(tern_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->pkt_pool_count = 256;
	cfg->pkt_buf_size = 2048;
	cfg->max_sockets = 1024;
	cfg->reasm_max_bytes = 256 * 1024;
	cfg->reasm_max_datagrams = 64;
	/* RFC 1122 3.3.2 recommends 60..120 s; Linux uses 30 s. A shorter hold
	 * bounds what a fragment flood can pin; 30 s is long enough for any
	 * honest reordering. */
	cfg->reasm_timeout = TERN_SEC(30);
	cfg->udp_rcvq_max = 65536;
	cfg->icmp_err_rate = 100;
	cfg->icmp_err_burst = 20;
	cfg->ip_ttl = 64;
	cfg->tcp_max_conns = 4096;
	cfg->tcp_max_time_wait = 4096;
	cfg->tcp_sndbuf = 65536;
	cfg->tcp_rcvbuf = 65535;
	/* Auto-tuning's ceiling: twice the BDP of 160 Mbit/s at 100 ms */
	cfg->tcp_rcvbuf_max = 4u << 20;
	/* The same for sending: twice the flight of that path */
	cfg->tcp_sndbuf_max = 4u << 20;
	/* 512 connections with full 64 KiB send and receive buffers at once;
	 * out-of-order queues are pruned before anyone is refused */
	cfg->tcp_mem_max = 64u << 20;
	/* RFC 9293 3.4.2 suggests MSL = 2 min; 30 s is the common practice
	 * (Linux's TIME-WAIT is 60 s) and the default. */
	cfg->tcp_msl = TERN_SEC(30);
	/* RFC 6298 2.4 says 1 s; 200 ms is what Linux and FreeBSD use, safe
	 * with delayed ACKs capped well below it (tcp_delack). */
	cfg->tcp_rto_min = TERN_MS(200);
	cfg->tcp_rto_max = TERN_SEC(60);
	cfg->tcp_delack = TERN_MS(40);
	cfg->tcp_fin_wait2 = TERN_SEC(60);
	/* RFC 9293 3.8.3 (MUST-23): a SYN is retransmitted for at least 3
	 * minutes. With a 1 s initial RTO doubling up to the 60 s cap, 7
	 * retransmissions give up after 183 s (Linux's 6 give 127 s). */
	cfg->tcp_syn_retries = 7;
	/* RFC 1122 4.2.3.5: R2 must cover at least 100 s; 15 backed-off RTOs
	 * is about 15 minutes, Linux's tcp_retries2 default. */
	cfg->tcp_retries2 = 15;
	/* RFC 1122 4.2.3.5: R1 at least 3 retransmissions */
	cfg->tcp_retries1 = 3;
	cfg->tcp_challenge_ack_limit = 1000;
}

static const struct { int code; const char *text; } errors[] = {
	{TERN_OK, "OK: success"},
	{TERN_EPERM, "EPERM: operation not permitted"},
	{TERN_ENOENT, "ENOENT: no such entry"},
	{TERN_EBADF, "EBADF: bad socket"},
	{TERN_EAGAIN, "EAGAIN: try again"},
	{TERN_ENOMEM, "ENOMEM: out of memory"},
	{TERN_EFAULT, "EFAULT: bad address"},
	{TERN_EEXIST, "EEXIST: already exists"},
	{TERN_EINVAL, "EINVAL: invalid argument"},
	{TERN_ENOSPC, "ENOSPC: no space left"},
	{TERN_EPIPE, "EPIPE: broken pipe"},
	{TERN_ENOSYS, "ENOSYS: not implemented"},
	{TERN_EPROTO, "EPROTO: protocol error"},
	{TERN_EDESTADDRREQ, "EDESTADDRREQ: destination address required"},
	{TERN_EMSGSIZE, "EMSGSIZE: message too long"},
	{TERN_EPROTONOSUPPORT, "EPROTONOSUPPORT: protocol not supported"},
	{TERN_EOPNOTSUPP, "EOPNOTSUPP: operation not supported"},
	{TERN_EADDRINUSE, "EADDRINUSE: address already in use"},
	{TERN_EADDRNOTAVAIL, "EADDRNOTAVAIL: address not available"},
	{TERN_ENETUNREACH, "ENETUNREACH: network unreachable"},
	{TERN_ECONNABORTED, "ECONNABORTED: connection aborted"},
	{TERN_ECONNRESET, "ECONNRESET: connection reset by peer"},
	{TERN_ENOBUFS, "ENOBUFS: no buffer space available"},
	{TERN_EISCONN, "EISCONN: already connected"},
	{TERN_ENOTCONN, "ENOTCONN: not connected"},
	{TERN_ETIMEDOUT, "ETIMEDOUT: connection timed out"},
	{TERN_ECONNREFUSED, "ECONNREFUSED: connection refused"},
	{TERN_EHOSTUNREACH, "EHOSTUNREACH: host unreachable"},
	{TERN_EALREADY, "EALREADY: operation already in progress"},
	{TERN_EINPROGRESS, "EINPROGRESS: operation in progress"},
};

const char *tern_strerror(int err)
{
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
		if (errors[i].code == err)
			return errors[i].text;
	return "unknown error";
}

static const char *const counter_names[] = {
#define TERN_X_NAME(name, desc) #name,
	TERN_COUNTERS(TERN_X_NAME)
#undef TERN_X_NAME
};
static const char *const counter_descs[] = {
#define TERN_X_DESC(name, desc) desc,
	TERN_COUNTERS(TERN_X_DESC)
#undef TERN_X_DESC
};

size_t tern_counter_count(void) { return sizeof counter_names / sizeof counter_names[0]; }
const char *tern_counter_name(size_t i) { return i < tern_counter_count() ? counter_names[i] : NULL; }
const char *tern_counter_desc(size_t i) { return i < tern_counter_count() ? counter_descs[i] : NULL; }

int tern_ip4_from_str(const char *s, uint32_t *addr, uint8_t *prefix)
{
	uint32_t a = 0;
	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (!digits || digits > 3 || v > 255)
			return TERN_EINVAL;
		a = (a << 8) | v;
		if (part < 3 && *s++ != '.')
			return TERN_EINVAL;
	}
	unsigned p = 32;
	if (*s == '/' && prefix) {
		s++;
		unsigned digits = 0;
		p = 0;
		while (*s >= '0' && *s <= '9' && digits < 3) {
			p = p * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (!digits || p > 32)
			return TERN_EINVAL;
	}
	if (*s)
		return TERN_EINVAL;
	*addr = a;
	if (prefix)
		*prefix = (uint8_t)p;
	return 0;
}

char *tern_ip4_to_str(uint32_t addr, char *buf)
{
	char *p = buf;
	for (int shift = 24; shift >= 0; shift -= 8) {
		unsigned v = (addr >> shift) & 0xff;
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		if (shift)
			*p++ = '.';
	}
	*p = '\0';
	return buf;
}
