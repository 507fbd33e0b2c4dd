/*
 * wire.h - pure functions over packet bytes: header views and builders for
 * IPv4, ICMP, UDP and TCP, TCP option parsing, the Internet checksum.
 *
 * No state, no allocation, no I/O. A parser checks the bytes once and fills
 * a repr (a struct of host-order fields plus pointers into the buffer);
 * everything above wire/ works on reprs. Parsers never read past `len`.
 * Builders write network byte order and return the bytes written, or 0 when
 * `cap` is too small.
 */
#ifndef TERN_WIRE_H
#define TERN_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Parser verdicts. Each maps to a drop counter in the layer that parses. */
enum tern_wire_verdict {
	TERN_WIRE_OK = 0,
	TERN_WIRE_TRUNCATED,     /* shorter than the header (IHL / data offset
				    included) or the declared length */
	TERN_WIRE_BAD_VERSION,   /* IPv4 version field != 4 */
	TERN_WIRE_BAD_HLEN,      /* IHL < 5 or TCP data offset < 5 */
	TERN_WIRE_BAD_LENGTH,    /* length field below the header length */
	TERN_WIRE_BAD_CHECKSUM,
	TERN_WIRE_BAD_OPTION,    /* option length 0/1, past the option area, or
				    wrong for a known kind */
};
const char *tern_wire_verdict_str(int v);

/* ---- byte order helpers (unaligned-safe) ---------------------------------- */
static inline uint16_t tern_get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t tern_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* One byte swap and one store: at -O2 GCC left the byte stores below
 * unmerged in some headers' builders (several a segment). */
static inline void tern_put16(uint8_t *p, uint16_t v)
{
	v = __builtin_bswap16(v);
	memcpy(p, &v, sizeof v);
}
static inline void tern_put32(uint8_t *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	memcpy(p, &v, sizeof v);
}
#else
static inline void tern_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void tern_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
#endif

/* ---- Internet checksum (RFC 1071, RFC 1624) -------------------------------
 * tern_csum_add accumulates 16-bit big-endian words of data into a 64-bit
 * one's-complement accumulator, 8 bytes a step. Chained calls must split the
 * data at even offsets (only the last piece may be odd). */
uint64_t tern_csum_add(uint64_t acc, const void *data, size_t len);
/* Copy len bytes from src to dst and add their sum to acc, as
 * tern_csum_add(acc, src, len) would: one pass over the bytes for both. */
uint64_t tern_csum_copy(uint64_t acc, void *dst, const void *src, size_t len);
/* Fold an accumulator to 16 bits (not complemented). */
static inline uint16_t tern_csum_fold(uint64_t acc)
{
	/* inline: every header sum ends here (three or four times a segment).
	 * 64 to 32 bits with the end-around carry (RFC 1071 2(A)); then the
	 * high half of s + (s rotated by 16) is the halves' sum plus their
	 * carry, which cannot carry again. 0 stays 0, and anything else
	 * lands in 1..0xffff, as repeated folding gives. */
	uint32_t lo = (uint32_t)acc, s = lo + (uint32_t)(acc >> 32);
	s += s < lo;
	return (uint16_t)((s + (s >> 16 | s << 16)) >> 16);
}
/* The checksum field value for data: ~fold(add(0, data)). */
uint16_t tern_csum(const void *data, size_t len);
/* tern_csum_fold(tern_csum_add(0, data, len)), with less work: a header
 * verifies when this is 0xffff. */
uint16_t tern_csum_sum(const void *data, size_t len);
/* Accumulator holding the IPv4 pseudo-header (RFC 9293 3.1, RFC 768). */
static inline uint64_t tern_csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto,
					 uint16_t len)
{
	/* RFC 9293 3.1 / RFC 768: src, dst, a zero byte with the protocol,
	 * and the transport length, as 16-bit words (inline: one a segment). */
	return (uint64_t)(src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) + proto +
	       len;
}
/* RFC 1624 eqn. 3: new checksum field after a 16-bit word changes from
 * old_word to new_word; equals a full recomputation. */
uint16_t tern_csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word);
uint16_t tern_csum_update32(uint16_t csum, uint32_t old_val, uint32_t new_val);

/* ---- IPv4 (RFC 791) ------------------------------------------------------ */
#define TERN_IP4_HLEN 20
#define TERN_IPPROTO_ICMP 1
#define TERN_IPPROTO_TCP 6
#define TERN_IPPROTO_UDP 17
#define TERN_IP4_DF 0x4000
#define TERN_IP4_MF 0x2000
#define TERN_IP4_OFFMASK 0x1fff
/* The ECN field, the low two bits of the TOS byte (RFC 3168 5) */
#define TERN_IP4_ECN_MASK 0x03
#define TERN_IP4_ECT1 0x01
#define TERN_IP4_ECT0 0x02
#define TERN_IP4_CE 0x03

typedef struct tern_ip4_repr {
	uint8_t hlen;           /* header length in bytes (20..60) */
	uint8_t tos;            /* DSCP + ECN */
	uint16_t total_len;
	uint16_t id;
	bool df, mf;
	uint16_t frag_off;      /* fragment offset in bytes (field * 8) */
	uint8_t ttl;
	uint8_t proto;
	uint32_t src, dst;      /* host order */
	const uint8_t *options; /* hlen - 20 bytes */
	const uint8_t *payload; /* total_len - hlen bytes */
	size_t payload_len;
	bool l4_csum_ok;        /* the device vouched for the TCP/UDP checksum
	                           (TERN_CSUM_OFFLOAD_RX); the parser sets false */
} tern_ip4_repr;

/* Validate version, IHL, total length (<= len; trailing bytes beyond
 * total_len are ignored, as link padding) and, when verify_csum, the header
 * checksum. */
int tern_ip4_parse(const uint8_t *buf, size_t len, bool verify_csum, tern_ip4_repr *out);
/* Write a 20-byte header (no options) from r (hlen/options ignored; r->total_len
 * is written as given) with its checksum. Returns 20 or 0. */
size_t tern_ip4_build(uint8_t *buf, size_t cap, const tern_ip4_repr *r);

/* Build a header carrying `optlen` bytes of options (a multiple of 4, at
 * most 40) after the fixed 20; IHL and checksum follow. Returns 20 + optlen
 * or 0. */
size_t tern_ip4_build_opts(uint8_t *buf, size_t cap, const tern_ip4_repr *r,
			   const uint8_t *opts, size_t optlen);

/* ---- IPv4 options (RFC 791 3.1) ------------------------------------------ */
#define TERN_IP4_MAXHLEN 60
#define TERN_IPOPT_EOL 0
#define TERN_IPOPT_NOP 1
#define TERN_IPOPT_LSRR 131   /* loose source and record route */
#define TERN_IPOPT_SSRR 137   /* strict source and record route */
#define TERN_IP4_SR_MAX 9     /* addresses that fit in 40 bytes of options */

/* A source route: the hops in order, the first being where the datagram is
 * sent; the final destination is not among them. */
typedef struct tern_ip4_srcroute {
	uint8_t n;
	bool strict;
	uint32_t hop[TERN_IP4_SR_MAX];
} tern_ip4_srcroute;

/* Find a source route option in an option area (RFC 791: type, length,
 * pointer, then addresses). Returns TERN_WIRE_OK, with out->n = 0 when
 * there is none, or else the listed addresses and *pointer; or
 * TERN_WIRE_BAD_OPTION when the option area is malformed. */
int tern_ip4_opt_srcroute(const uint8_t *opts, size_t len, tern_ip4_srcroute *out,
			  uint8_t *pointer);
/* The option to send along sr to final destination dst (RFC 791 "Loose
 * Source and Record Route": the addresses after the first hop, then dst,
 * pointer at the first of them), EOL-padded to a multiple of 4. Returns its
 * length, or 0 when sr is empty or cap too small. */
size_t tern_ip4_opt_srcroute_build(uint8_t *buf, size_t cap, const tern_ip4_srcroute *sr,
				   uint32_t dst);

/* ---- ICMP (RFC 792) ------------------------------------------------------ */
#define TERN_ICMP_ECHO_REPLY 0
#define TERN_ICMP_DEST_UNREACH 3
#define TERN_ICMP_ECHO_REQUEST 8
#define TERN_ICMP_TIME_EXCEEDED 11
#define TERN_ICMP_PARAM_PROBLEM 12
/* destination unreachable codes */
#define TERN_ICMP_NET_UNREACH 0
#define TERN_ICMP_HOST_UNREACH 1
#define TERN_ICMP_PROTO_UNREACH 2
#define TERN_ICMP_PORT_UNREACH 3
#define TERN_ICMP_FRAG_NEEDED 4

typedef struct tern_icmp4_repr {
	uint8_t type, code;
	uint16_t id, seq;      /* echo: identifier, sequence */
	uint16_t mtu;          /* dest unreach code 4: next-hop MTU (RFC 1191) */
	uint32_t rest;         /* the raw 4 bytes after the checksum */
	const uint8_t *data;   /* after the 8-byte header; for errors: the quote */
	size_t data_len;
} tern_icmp4_repr;

/* Parse an ICMP message (the IP payload) and verify its checksum. */
int tern_icmp4_parse(const uint8_t *buf, size_t len, tern_icmp4_repr *out);
/* Write an 8-byte header plus r->data (data_len bytes) with checksum. For
 * echo types id/seq are written, for others `rest` (with mtu folded in for
 * FRAG_NEEDED). Returns 8 + data_len or 0. */
size_t tern_icmp4_build(uint8_t *buf, size_t cap, const tern_icmp4_repr *r);

/* ---- UDP (RFC 768) ------------------------------------------------------- */
#define TERN_UDP_HLEN 8
typedef struct tern_udp_repr {
	uint16_t sport, dport;
	uint16_t length;       /* header + payload */
	uint16_t csum;         /* 0: sender computed none */
	const uint8_t *payload;
	size_t payload_len;
} tern_udp_repr;

/* Parse a UDP datagram (the IP payload); the length field must be >= 8 and
 * <= len. When verify_csum and csum != 0, verify against the pseudo-header
 * of src/dst. */
int tern_udp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
		   bool verify_csum, tern_udp_repr *out);
/* Write header + payload. with_csum false writes 0; a computed 0 is sent as
 * 0xffff (RFC 768). Returns 8 + payload_len or 0. payload may alias buf+8. */
size_t tern_udp_build(uint8_t *buf, size_t cap, uint16_t sport, uint16_t dport,
		      const uint8_t *payload, size_t payload_len, uint32_t src,
		      uint32_t dst, bool with_csum);

/* ---- TCP header and options (RFC 9293 3.1, RFC 7323, RFC 2018) ----------- */
#define TERN_TCP_HLEN 20
enum {
	TERN_TCP_FIN = 0x01, TERN_TCP_SYN = 0x02, TERN_TCP_RST = 0x04,
	TERN_TCP_PSH = 0x08, TERN_TCP_ACK = 0x10, TERN_TCP_URG = 0x20,
	TERN_TCP_ECE = 0x40, TERN_TCP_CWR = 0x80,
};
enum { /* option kinds */
	TERN_TCPOPT_EOL = 0, TERN_TCPOPT_NOP = 1, TERN_TCPOPT_MSS = 2,
	TERN_TCPOPT_WSCALE = 3, TERN_TCPOPT_SACK_PERM = 4, TERN_TCPOPT_SACK = 5,
	TERN_TCPOPT_TIMESTAMP = 8,
};
enum { /* tern_tcp_opts.present bits */
	TERN_TCPO_MSS = 1u << 0, TERN_TCPO_WSCALE = 1u << 1,
	TERN_TCPO_SACK_PERM = 1u << 2, TERN_TCPO_SACK = 1u << 3,
	TERN_TCPO_TS = 1u << 4,
};
#define TERN_TCP_MAX_SACK 4

typedef struct tern_tcp_opts {
	unsigned present;
	uint16_t mss;
	uint8_t wscale;           /* as sent; callers clamp to 14 (RFC 7323 2.3) */
	uint8_t sack_count;
	struct { uint32_t left, right; } sack[TERN_TCP_MAX_SACK];
	uint32_t ts_val, ts_ecr;
} tern_tcp_opts;

typedef struct tern_tcp_repr {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t hlen;             /* data offset in bytes (20..60) */
	uint8_t flags;            /* TERN_TCP_* */
	uint16_t wnd, csum, urp;
	tern_tcp_opts opts;
	const uint8_t *payload;
	size_t payload_len;
} tern_tcp_repr;

/* Parse options in buf[0..len): EOL ends, NOP skips, known kinds must have
 * their exact length (else TERN_WIRE_BAD_OPTION), unknown kinds are skipped
 * by their length; a length < 2 or past the end is TERN_WIRE_BAD_OPTION. */
int tern_tcp_opts_parse(const uint8_t *buf, size_t len, tern_tcp_opts *out);
/* Write the present options, NOP-padded to a multiple of 4. Returns bytes
 * written (0..40) or 0 with nothing written if they do not fit in cap. */
size_t tern_tcp_opts_build(uint8_t *buf, size_t cap, const tern_tcp_opts *o);
/* Bytes of options tern_tcp_opts_build writes for o (a multiple of 4). */
size_t tern_tcp_opts_len(const tern_tcp_opts *o);
/* Write header and options in front of a payload already in place at
 * buf + 20 + tern_tcp_opts_len(&r->opts), whose sum the caller took while
 * placing it (tern_csum_copy from 0; the payload starts at an even offset,
 * so the sums chain), and the checksum over all of it. Returns the
 * segment's length or 0, as tern_tcp_build. */
size_t tern_tcp_build_hdr(uint8_t *buf, size_t cap, const tern_tcp_repr *r, size_t payload_len,
			  uint64_t payload_sum, uint32_t src, uint32_t dst);
/* As tern_tcp_build_hdr, for a device that completes the checksum
 * (TERN_CSUM_OFFLOAD_TCP_TX): the payload is not summed, and the checksum
 * field holds the folded pseudo-header sum. */
size_t tern_tcp_build_hdr_partial(uint8_t *buf, size_t cap, const tern_tcp_repr *r,
				  size_t payload_len, uint32_t src, uint32_t dst);

/* True when pkt is an unfragmented IPv4 TCP or UDP packet whose transport
 * checksum is wrong (a UDP checksum of 0 is none, RFC 768); false for
 * anything else, which the stack's own parsers judge. For devices that
 * verify checksums on the stack's behalf (TERN_CSUM_OFFLOAD_RX). */
bool tern_ip4_l4_csum_bad(const uint8_t *pkt, size_t len);
/* Parse a segment (the IP payload); verify the checksum with the pseudo-
 * header when verify_csum. */
int tern_tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
		   bool verify_csum, tern_tcp_repr *out);
/* Write header (with r->opts) and payload, computing the checksum. r->hlen
 * is ignored (derived from the options). Returns total bytes or 0. */
size_t tern_tcp_build(uint8_t *buf, size_t cap, const tern_tcp_repr *r,
		      const uint8_t *payload, size_t payload_len, uint32_t src,
		      uint32_t dst);

#endif
