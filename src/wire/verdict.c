/*
 * verdict.c - names for parser verdicts, for logs and counters' tooling.
 */
#include "wire/wire.h"

const char *tern_wire_verdict_str(int v)
{
	switch (v) {
	case TERN_WIRE_OK:
		return "ok";
	case TERN_WIRE_TRUNCATED:
		return "truncated";
	case TERN_WIRE_BAD_VERSION:
		return "bad version";
	case TERN_WIRE_BAD_HLEN:
		return "bad header length";
	case TERN_WIRE_BAD_LENGTH:
		return "bad length";
	case TERN_WIRE_BAD_CHECKSUM:
		return "bad checksum";
	case TERN_WIRE_BAD_OPTION:
		return "bad option";
	}
	return "unknown verdict";
}
