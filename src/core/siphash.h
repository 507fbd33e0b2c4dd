/* siphash.h - SipHash-2-4 (Aumasson and Bernstein), the keyed hash behind
 * every value an attacker must not predict: ISNs (RFC 6528), ephemeral
 * ports (RFC 6056 algorithm 3), SYN cookies, hash-table seeds. */
#ifndef TERN_CORE_SIPHASH_H
#define TERN_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of data under a 16-byte key; 64-bit output. */
uint64_t tern_siphash(const uint8_t key[16], const void *data, size_t len);
/* SipHash-1-3: half the rounds, for choosing hash-table buckets, where an
 * attacker sees only timing, never the output (as Linux's hsiphash and
 * Rust's HashMap); what goes on the wire keeps SipHash-2-4. */
uint64_t tern_siphash13(const uint8_t key[16], const void *data, size_t len);

#endif
