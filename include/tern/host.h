/*
 * host.h - the Linux runtime around the sans-I/O core: a configuration with
 * real memory and entropy, a TUN device, a pcap file writer, clocks, and an
 * event loop (epoll + timerfd + signalfd) that drives one stack.
 *
 * Errors are negative errno values; every TERN_E* code is one of them, so
 * strerror(-rc) names any code these functions return.
 */
#ifndef TERN_HOST_H
#define TERN_HOST_H

#include <stdio.h>

#include "dev.h"
#include "tern.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration and clocks --------------------------------------------- */

/* tern_config_init() plus a malloc allocator, a getrandom(2) random source
 * and a getrandom(2) secret. Returns 0, or a negative errno when the kernel
 * gives no entropy for the secret. */
int tern_host_config_init(tern_config *cfg);

/* CLOCK_MONOTONIC in microseconds: the `now` the runtime passes the core. */
tern_time tern_host_now(void);

/* CLOCK_REALTIME minus CLOCK_MONOTONIC in microseconds: add it to a
 * tern_host_now() value to get wall-clock time (the pcap tap's base_time). */
tern_time tern_host_wall_base(void);

/* ---- TUN device ----------------------------------------------------------- */

/* Open a non-persistent layer-3 TUN device (IFF_TUN | IFF_NO_PI, non-blocking)
 * called `name` (NULL or "" lets the kernel pick "tunN"). The device is
 * removed when the tern_dev is deleted (tern_dev_del closes the fd).
 * Errors: -ENOENT (no /dev/net/tun), -EPERM (needs CAP_NET_ADMIN), -EBUSY
 * (name in use), -EINVAL (name too long), -ENOMEM. */
int tern_tun_open(const char *name, const tern_allocator *a, tern_dev **out);

/* The same with flags. TERN_TUN_OFFLOAD: a virtio-net header on every
 * packet (IFF_VNET_HDR) and the kernel's offloads (TUNSETOFFLOAD: partial
 * checksums, TCP segments of up to 64 KiB each way). The device completes
 * partial checksums on the way in and checks the TCP and UDP checksums
 * the kernel has not (dropping bad ones, counted in rx_bad_csum); it has
 * the kernel complete the checksum of every TCP segment the stack left
 * partial (a finished one goes as it is), and sends IPv4 TCP segments
 * larger than its MTU (tern_tun_set_mtu) as one
 * GSO packet. Give the interface tso_max 65535 so TCP makes them, and
 * csum_offload TERN_CSUM_OFFLOAD_TCP_TX | TERN_CSUM_OFFLOAD_RX so the stack
 * does not do the device's checksum work again. Errors as tern_tun_open, and those of
 * the offload ioctls (a kernel without them: open without the flag).
 *
 * TERN_TUN_TX_THREAD: the device's writes are made by a thread of its own.
 * Transmitting copies the packet into a 1 MiB lock-free ring (one producer:
 * the single thread that drives the stack) and that thread writes it, so
 * the kernel's receive path for the packet (which runs inside the write)
 * runs beside the stack's thread. A full ring makes the transmit wait up to
 * 100 ms for room, then drop the packet (TERN_ENOBUFS, counted in
 * tx_drops). Errors also those of eventfd and pthread_create. */
enum { TERN_TUN_OFFLOAD = 1u << 0, TERN_TUN_TX_THREAD = 1u << 1 };
int tern_tun_open_flags(const char *name, const tern_allocator *a, unsigned flags,
                        tern_dev **out);

/* The interface name the kernel gave the device, and its file descriptor. */
const char *tern_tun_name(const tern_dev *tun);
int tern_tun_fd(const tern_dev *tun);
/* Opened with offloads? With a writer thread (still running)? */
bool tern_tun_offloading(const tern_dev *tun);
bool tern_tun_threaded(const tern_dev *tun);

/* Stop the writer thread (TERN_TUN_TX_THREAD) after it has written every
 * packet queued, and join it; later packets are written inline by the
 * caller. tern_dev_del does this too; call it first to read final
 * statistics. No-op without a writer thread. */
void tern_tun_stop_writer(tern_dev *tun);
/* The link MTU (default 1500): with offloads, the size above which a TCP
 * segment leaves as a GSO packet cut to it. */
void tern_tun_set_mtu(tern_dev *tun, uint32_t mtu);

typedef struct tern_tun_stats {
	uint64_t tx_gso;  /* segments sent as one GSO packet (offloads) */
	uint64_t rx_gso;  /* GSO packets the kernel handed over */
	uint64_t rx_bad;  /* dropped: a virtio-net header pointing outside */
	uint64_t rx_bad_csum; /* dropped: a TCP or UDP checksum the device
	                         checked for the stack was wrong (offloads) */
	uint64_t tx_queued; /* writer thread: packets put in its ring */
	uint64_t tx_waits;  /* transmits that waited for room in the ring */
	uint64_t tx_drops;  /* writer thread: lost (ring full past the wait, or a
	                       write error); none are lost otherwise */
} tern_tun_stats;
void tern_tun_stats_get(const tern_dev *tun, tern_tun_stats *out);

/* Give the Linux side of interface `name` the address linux_addr/prefix and
 * the MTU, and bring the link up (which installs the connected route).
 * Errors: -EINVAL (prefix > 32, mtu outside 68..65535), -ENODEV, -EPERM,
 * -EADDRINUSE. */
int tern_tun_configure(const char *name, uint32_t linux_addr, uint8_t prefix, uint32_t mtu);

/* Read the packets waiting on the device (at most a bounded batch, so timers
 * are not starved) and deliver each up with tern_dev_deliver(). Returns the
 * number of packets read, or a negative errno on a read error. */
int tern_tun_read(tern_dev *tun, tern_time now);

/* ---- pcap file ------------------------------------------------------------ */

/* Create (truncate) a capture file. Errors: negative errno from fopen. */
int tern_pcap_file_open(const char *path, FILE **out);

/* A tern_pcap_write_fn: ctx is the FILE * from tern_pcap_file_open. */
int tern_pcap_file_write(void *ctx, const void *buf, size_t len);

/* Flush and close. Returns 0, or a negative errno if any data was lost. */
int tern_pcap_file_close(FILE *f);

/* ---- event trace file (docs/TRACE.md) ------------------------------------ */

typedef struct tern_trace_file tern_trace_file;

/* Create (truncate) path for the event trace, one JSON line per event;
 * host (letters, digits, '-', '_', '.') names the stack in every line, "tern"
 * when NULL. Errors: negative errno from fopen, -ENOMEM. */
int tern_trace_file_open(const char *path, const char *host, tern_trace_file **out);

/* A tern_trace_fn: ctx is the tern_trace_file. Lines longer than the
 * writer's buffer are written whole (it formats twice). */
void tern_trace_file_event(void *ctx, const tern_trace_event *ev);

/* Flush and close. Returns 0, or a negative errno if any line was lost. */
int tern_trace_file_close(tern_trace_file *tf);

/* ---- event loop ----------------------------------------------------------- */

typedef struct tern_loop tern_loop;

/* Called when fd is readable. A negative return stops tern_loop_run(),
 * which returns that value. */
typedef int (*tern_loop_fd_fn)(void *ctx, tern_time now);

/* Extra work each iteration, after the stack and device were polled.
 * Returns the next time it wants to run (TERN_TIME_NEVER when idle). */
typedef tern_time (*tern_loop_hook_fn)(void *ctx, tern_time now);

/* Create a loop driving stack `st` whose interface sits on device `top`
 * (the top of its middleware chain; polled each iteration). Blocks SIGINT
 * and SIGTERM for the thread so they arrive through a signalfd instead;
 * tern_loop_del restores the previous mask. Errors: -ENOMEM, or the
 * negative errno of epoll_create1, timerfd_create or signalfd. */
int tern_loop_new(tern_stack *st, tern_dev *top, tern_loop **out);
void tern_loop_del(tern_loop *l);

/* Watch fd for readability (at most 8 fds). Errors: -ENOSPC, or epoll_ctl's. */
int tern_loop_add_fd(tern_loop *l, int fd, tern_loop_fd_fn fn, void *ctx);

/* Watch a TUN device: tern_tun_read() it whenever its fd is readable. The
 * packets travel up through whatever middleware sits above it. */
int tern_loop_add_tun(tern_loop *l, tern_dev *tun);

/* Install the per-iteration hook (NULL removes it). */
void tern_loop_set_hook(tern_loop *l, tern_loop_hook_fn fn, void *ctx);

/* Make tern_loop_run() return 0 at the end of the current iteration; safe
 * from inside callbacks (a fd callback, a hook, a socket callback). */
void tern_loop_stop(tern_loop *l);

/* Run until SIGINT or SIGTERM (returns the signal number), tern_loop_stop()
 * (returns 0), or an error (returns a negative errno). */
int tern_loop_run(tern_loop *l);

/* ---- connection table as text (`tern ss`) --------------------------------- */

enum {
	TERN_SS_ALL = 1u << 0,  /* also listeners and TIME-WAIT records (ss -a) */
	TERN_SS_INFO = 1u << 1, /* a second, indented line of tern_tcp_info (ss -i) */
	TERN_SS_SUMMARY = 1u << 2, /* the stack-wide counters instead (ss -s) */
};

/* Write the stack's TCP connection table to f in the columns of `ss -tan`:
 * State, Recv-Q, Send-Q, Local Address:Port, Peer Address:Port (states are
 * RFC 9293's names). Returns 0, or -EIO when writing to f failed. */
int tern_ss_print(tern_stack *st, unsigned flags, FILE *f);

/* Write the stack-wide counters to f grouped as `netstat -s` groups them:
 * Ip, Icmp, Tcp (the RFC 4022 MIB's, with the connections now established),
 * TcpExt, Udp and Memory; each as "    <count> <what>". The MIB groups show
 * every counter, the others only those not zero. Returns 0 or -EIO. */
int tern_ss_print_summary(tern_stack *st, FILE *f);

/* ---- control socket ------------------------------------------------------- */

/* A Unix stream socket, served by the loop, that answers one request line
 * per connection ("ss", "ss -a", "ss -i", "ss -a -i", "ss -s") with
 * tern_ss_print's text and then closes. Unknown requests get one line "error: ...". */
typedef struct tern_ctl tern_ctl;

/* The default directories for control sockets, most preferred first
 * ("/run/tern", then "/tmp/tern"); NULL past the last. */
const char *tern_ctl_dir(unsigned i);

/* The default path of the control socket for TUN device `tun` in directory
 * `dir`: "<dir>/<tun>.net<inode>.ctl", where the inode names this process's
 * network namespace, since TUN names are only unique within one. With
 * dir == NULL the first directory that exists (or can be made) and is
 * writable is chosen. Errors: -ENAMETOOLONG, -EACCES (no usable directory). */
int tern_ctl_default_path(const char *dir, const char *tun, char *buf, size_t cap);

/* The file name suffix of this network namespace's control sockets
 * (".net<inode>.ctl"), for finding them. Errors: -ENAMETOOLONG. */
int tern_ctl_suffix(char *buf, size_t cap);

/* Listen on `path` and serve it from loop `l` (one of its fd slots). A stale
 * socket file (nobody accepting) is replaced. Errors: -EADDRINUSE (a live
 * stack answers there), -ENAMETOOLONG, -ENOMEM, or socket/bind's errno. */
int tern_ctl_open(tern_loop *l, tern_stack *st, const char *path, tern_ctl **out);

/* The application's part of the control socket (`tern up`'s SMPP binds and
 * fault commands): called with the request line after the table of every
 * "ss" request, which it may extend, and with every other request, which it
 * answers on `out` (returning 0) or refuses (a negative errno: the
 * "error: unknown request" line follows). Runs inside the loop, never
 * inside a stack call. NULL removes it. */
typedef int (*tern_ctl_handler_fn)(void *ctx, const char *req, FILE *out);
void tern_ctl_set_handler(tern_ctl *c, tern_ctl_handler_fn fn, void *ctx);

/* Close every connection and the socket, and remove the socket file. */
void tern_ctl_del(tern_ctl *c);

#ifdef __cplusplus
}
#endif
#endif
