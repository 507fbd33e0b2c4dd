/* test_pcap_tap.c - the pcap tap: file header bytes, record layout in both
 * directions, chain surgery; and, where tshark or tcpdump is installed, that
 * a real reader accepts the capture. */
#include <stdint.h>
#include <unistd.h>

#include "tern/dev.h"
#include "tt.h"

struct mem {
	uint8_t buf[4096];
	size_t len;
	int fail; /* writes return TERN_ENOSPC when set */
};

static int mem_write(void *ctx, const void *buf, size_t len)
{
	struct mem *m = ctx;

	if (m->fail || len > sizeof(m->buf) - m->len)
		return TERN_ENOSPC;
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return 0;
}

static void *m_alloc(void *ctx, size_t size)
{
	(*(size_t *)ctx) += size;
	return malloc(size);
}

static void m_free(void *ctx, void *p, size_t size)
{
	if (p)
		(*(size_t *)ctx) -= size;
	free(p);
}

struct lower {
	tern_dev dev;
	int sent;
	size_t sent_len;
	tern_time deadline;
};

static int lower_transmit(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now)
{
	struct lower *l = (struct lower *)d;

	(void)pkt;
	(void)now;
	l->sent++;
	l->sent_len = len;
	return 0;
}

static tern_time lower_poll(tern_dev *d, tern_time now)
{
	(void)now;
	return ((struct lower *)d)->deadline;
}

static const tern_dev_ops lower_ops = {"lower", lower_transmit, lower_poll, NULL};

static void up_rx(void *ctx, const uint8_t *pkt, size_t len, tern_time now)
{
	(void)pkt;
	(void)now;
	(void)len;
	(*(int *)ctx)++;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static const uint8_t HEADER[24] = {
    0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 101, 0, 0, 0,
};

TT_TEST(pcap_tap_writes_little_endian_header_on_creation)
{
	size_t used = 0;
	tern_allocator a = {m_alloc, m_free, &used};
	struct lower low = {.dev = {.ops = &lower_ops}};
	struct mem m = {0};
	tern_dev *tap;

	TT_EQ(tern_pcap_tap_new(&a, &low.dev, mem_write, &m, 0, &tap), 0);
	TT_EQ(m.len, 24);
	TT_CHECK(memcmp(m.buf, HEADER, 24) == 0);
	tern_dev_del(tap);
	TT_EQ(used, 0);
}

TT_TEST(pcap_tap_records_a_sent_packet_then_passes_it_down)
{
	size_t used = 0;
	tern_allocator a = {m_alloc, m_free, &used};
	struct lower low = {.dev = {.ops = &lower_ops}};
	struct mem m = {0};
	tern_dev *tap;
	uint8_t pkt[5] = {0x45, 1, 2, 3, 4};

	TT_EQ(tern_pcap_tap_new(&a, &low.dev, mem_write, &m, 0, &tap), 0);
	TT_EQ(tern_dev_transmit(tap, pkt, 5, 1234567), 0);
	TT_EQ(low.sent, 1);
	TT_EQ(low.sent_len, 5);
	TT_EQ(m.len, 24 + 16 + 5);
	TT_EQ(le32(m.buf + 24), 1);
	TT_EQ(le32(m.buf + 28), 234567);
	TT_EQ(le32(m.buf + 32), 5);
	TT_EQ(le32(m.buf + 36), 5);
	TT_CHECK(memcmp(m.buf + 40, pkt, 5) == 0);
	tern_dev_del(tap);
}

TT_TEST(pcap_tap_records_a_received_packet_then_passes_it_up)
{
	size_t used = 0;
	tern_allocator a = {m_alloc, m_free, &used};
	struct lower low = {.dev = {.ops = &lower_ops}};
	struct mem m = {0};
	tern_dev *tap;
	uint8_t pkt[3] = {0x45, 9, 9};
	int got = 0;

	TT_EQ(tern_pcap_tap_new(&a, &low.dev, mem_write, &m, 0, &tap), 0);
	tap->up = up_rx;
	tap->up_ctx = &got;
	tern_dev_deliver(&low.dev, pkt, 3, 42);
	TT_EQ(got, 1);
	TT_EQ(m.len, 24 + 16 + 3);
	TT_EQ(le32(m.buf + 24), 0);
	TT_EQ(le32(m.buf + 28), 42);
	TT_CHECK(memcmp(m.buf + 40, pkt, 3) == 0);
	TT_EQ(low.sent, 0);
	tern_dev_del(tap);
}

TT_TEST(pcap_tap_adds_base_time_to_timestamps)
{
	size_t used = 0;
	tern_allocator a = {m_alloc, m_free, &used};
	struct lower low = {.dev = {.ops = &lower_ops}};
	struct mem m = {0};
	tern_dev *tap;
	uint8_t pkt[1] = {0x45};

	TT_EQ(tern_pcap_tap_new(&a, &low.dev, mem_write, &m, TERN_SEC(1700000000), &tap), 0);
	TT_EQ(tern_dev_transmit(tap, pkt, 1, TERN_MS(1500)), 0);
	TT_EQ(le32(m.buf + 24), 1700000001);
	TT_EQ(le32(m.buf + 28), 500000);
	tern_dev_del(tap);
}

TT_TEST(pcap_tap_header_write_failure_fails_creation_untouched)
{
	size_t used = 0;
	tern_allocator a = {m_alloc, m_free, &used};
	struct lower low = {.dev = {.ops = &lower_ops}};
	struct mem m = {.fail = 1};
	tern_dev *tap = NULL;
	int got = 0;

	low.dev.up = up_rx;
	low.dev.up_ctx = &got;
	TT_EQ(tern_pcap_tap_new(&a, &low.dev, mem_write, &m, 0, &tap), TERN_ENOSPC);
	TT_CHECK(tap == NULL);
	TT_CHECK(low.dev.up == up_rx && low.dev.up_ctx == &got);
	TT_EQ(used, 0);
	TT_EQ(tern_pcap_tap_new(&a, NULL, mem_write, &m, 0, &tap), TERN_EINVAL);
	TT_EQ(tern_pcap_tap_new(&a, &low.dev, NULL, &m, 0, &tap), TERN_EINVAL);
}

TT_TEST(pcap_tap_write_errors_never_block_traffic)
{
	size_t used = 0;
	tern_allocator a = {m_alloc, m_free, &used};
	struct lower low = {.dev = {.ops = &lower_ops}};
	struct mem m = {0};
	tern_dev *tap;
	uint8_t pkt[1] = {0x45};

	TT_EQ(tern_pcap_tap_new(&a, &low.dev, mem_write, &m, 0, &tap), 0);
	m.fail = 1;
	TT_EQ(tern_dev_transmit(tap, pkt, 1, 0), 0);
	TT_EQ(low.sent, 1);
	tern_dev_del(tap);
}

TT_TEST(pcap_tap_poll_forwards_to_lower)
{
	size_t used = 0;
	tern_allocator a = {m_alloc, m_free, &used};
	struct lower low = {.dev = {.ops = &lower_ops}, .deadline = 777};
	struct mem m = {0};
	tern_dev *tap;

	TT_EQ(tern_pcap_tap_new(&a, &low.dev, mem_write, &m, 0, &tap), 0);
	TT_EQ(tern_dev_poll(tap, 5), 777);
	tern_dev_del(tap);
}

TT_TEST(pcap_tap_slid_under_a_sink_feeds_it_and_del_hands_it_back)
{
	size_t used = 0;
	tern_allocator a = {m_alloc, m_free, &used};
	struct lower low = {.dev = {.ops = &lower_ops}};
	struct mem m = {0};
	tern_dev *tap;
	uint8_t pkt[1] = {0x45};
	int got = 0;

	low.dev.up = up_rx;
	low.dev.up_ctx = &got;
	TT_EQ(tern_pcap_tap_new(&a, &low.dev, mem_write, &m, 0, &tap), 0);
	tern_dev_deliver(&low.dev, pkt, 1, 0);
	TT_EQ(got, 1);
	TT_EQ(m.len, 24 + 16 + 1);
	tern_dev_del(tap);
	TT_EQ(used, 0);
	TT_CHECK(low.dev.up == up_rx && low.dev.up_ctx == &got);
	tern_dev_deliver(&low.dev, pkt, 1, 0);
	TT_EQ(got, 2);
}

/* ---- an external reader ------------------------------------------------- */

static uint16_t csum(const uint8_t *p, size_t n, uint32_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* 10.0.0.1:4000 -> 10.0.0.2:7, "hello", both checksums right. */
static size_t udp_packet(uint8_t *p)
{
	static const uint8_t ip[20] = {0x45, 0, 0,  33, 0, 1, 0,  0, 64, 17,
	                               0,    0, 10, 0,  0, 1, 10, 0, 0,  2};
	uint32_t pseudo = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + 13;
	uint16_t c;

	memcpy(p, ip, 20);
	c = csum(p, 20, 0);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	memcpy(p + 20, "\x0f\xa0\x00\x07\x00\x0d\x00\x00hello", 13);
	c = csum(p + 20, 13, pseudo);
	p[26] = (uint8_t)(c >> 8);
	p[27] = (uint8_t)c;
	return 33;
}

static int file_write(void *ctx, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, ctx) == len ? 0 : TERN_ENOSPC;
}

static int have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

static int read_back(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	if (!p)
		return -1;
	n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	return pclose(p);
}

TT_TEST(pcap_tap_capture_is_read_by_tshark_or_tcpdump_when_present)
{
	size_t used = 0;
	tern_allocator a = {m_alloc, m_free, &used};
	struct lower low = {.dev = {.ops = &lower_ops}};
	char path[] = "/tmp/tern_pcap_XXXXXX", cmd[256], out[1024];
	uint8_t pkt[64];
	size_t n = udp_packet(pkt);
	int fd = mkstemp(path);
	FILE *f;
	tern_dev *tap;

	TT_CHECK(fd >= 0);
	f = fdopen(fd, "wb");
	TT_CHECK(f != NULL);
	TT_EQ(tern_pcap_tap_new(&a, &low.dev, file_write, f, TERN_SEC(1000), &tap), 0);
	TT_EQ(tern_dev_transmit(tap, pkt, n, 10), 0);
	tern_dev_deliver(&low.dev, pkt, n, 20);
	tern_dev_del(tap);
	fclose(f);
	if (have("tshark")) {
		snprintf(cmd, sizeof(cmd),
		         "tshark -r %s -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE "
		         "-T fields -e ip.src -e udp.dstport -e _ws.expert 2>/dev/null",
		         path);
		TT_EQ(read_back(cmd, out, sizeof(out)), 0);
		TT_CHECK(strcmp(out, "10.0.0.1\t7\t\n10.0.0.1\t7\t\n") == 0);
	} else if (have("tcpdump")) {
		snprintf(
		    cmd, sizeof(cmd),
		    "tcpdump -nn -r %s 2>/dev/null | grep -c '10.0.0.1.4000 > 10.0.0.2.7: UDP'",
		    path);
		TT_EQ(read_back(cmd, out, sizeof(out)), 0);
		TT_CHECK(strcmp(out, "2\n") == 0);
	} else {
		printf("     (no tshark or tcpdump: reader check skipped)\n");
	}
	unlink(path);
}

TT_MAIN(pcap_tap_writes_little_endian_header_on_creation,
        pcap_tap_records_a_sent_packet_then_passes_it_down,
        pcap_tap_records_a_received_packet_then_passes_it_up, pcap_tap_adds_base_time_to_timestamps,
        pcap_tap_header_write_failure_fails_creation_untouched,
        pcap_tap_write_errors_never_block_traffic, pcap_tap_poll_forwards_to_lower,
        pcap_tap_slid_under_a_sink_feeds_it_and_del_hands_it_back,
        pcap_tap_capture_is_read_by_tshark_or_tcpdump_when_present)
