/* siphash.h - SipHash-2-4 (Aumasson and Bernstein), the keyed hash behind
 * every value an attacker must not predict: ISNs (RFC 6528), ephemeral
 * ports (RFC 6056 algorithm 3), SYN cookies, hash-table seeds. */
#ifndef TERN_CORE_SIPHASH_H
#define TERN_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of data under a 16-byte key; 64-bit output. */
uint64_t tern_siphash(const uint8_t key[16], const void *data, size_t len);

#endif
