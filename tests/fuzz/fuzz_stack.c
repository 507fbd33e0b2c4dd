/* fuzz_stack.c - the whole input path: raw packets into a stack that has a
 * UDP socket, a TCP listener and two established TCP connections
 * (stack_env.h), interleaved with time passing and application calls.
 *
 * Input: records, each an op byte b and its arguments; kind = b & 7:
 *   0      raw packet: 2-byte length (big-endian), then that many bytes,
 *          handed to tern_stack_input exactly as given
 *   1, 6   the same, then the IPv4 header checksum and (for an unfragmented
 *          packet) the TCP/UDP/ICMP checksum are made right
 *   4, 7   the same as 1, and the addresses are set to peer -> tern first,
 *          so that the packet gets past the address checks
 *   2      time: one byte t; t & 0x80: run to the stack's next deadline,
 *          else advance 2^(t & 31) us; then tern_stack_poll
 *   3      an application call (one byte, and maybe one more: env_app)
 *   5      hand the previous packet in again (duplicates)
 * The stack's output is checked and tracked (stack_env.h); at the end every
 * socket is closed, the clock runs until the stack is idle, and the memory
 * must come back to the empty stack's. */
#include "stack_env.h"

#define MAX_RECORDS 1024
#define MAX_PKT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static env e;
	static uint8_t pkt[MAX_PKT];
	size_t plen = 0;
	fz_in in = {data, size};

	env_init(&e);
	for (int r = 0; r < MAX_RECORDS && fz_more(&in); r++) {
		uint8_t b = fz_u8(&in);
		switch (b & 7) {
		case 0: case 1: case 4: case 6: case 7: {
			size_t want = fz_u16(&in) % (MAX_PKT + 1);
			plen = fz_take(&in, pkt, want);
			if ((b & 7) == 4 || (b & 7) == 7) {
				if (plen >= TERN_IP4_HLEN) {
					tern_put32(pkt + 12, ENV_PEER);
					tern_put32(pkt + 16, ENV_US);
				}
			}
			if (b & 7)
				fz_fix_ip4(pkt, plen);
			env_input(&e, pkt, plen);
			break;
		}
		case 2: {
			uint8_t t = fz_u8(&in);
			if (t & 0x80)
				env_next_deadline(&e);
			else
				env_advance(&e, (tern_time)1 << (t & 31));
			break;
		}
		case 3:
			env_app(&e, fz_u8(&in), &in);
			break;
		case 5:
			env_input(&e, pkt, plen);
			break;
		}
	}
	env_fini(&e);
	return 0;
}
