// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * synflood: a bounded random-source TCP SYN flood for the e2e tests.
 *
 *   synflood -i IFACE --dst-mac MAC -d A.B.C.D:PORT --src-net A.B.C.D/LEN
 *            -n COUNT [--pps N] [--max-seconds N] [--seed N] [--json]
 *
 * Writes COUNT Ethernet/IPv4/TCP SYN frames out of IFACE through an
 * AF_PACKET socket (qdisc bypassed), each from a random address of
 * --src-net and a random source port, with valid IPv4 and TCP checksums and
 * the options a Linux client sends (MSS, SACK permitted, window scale).
 * The frames go to --dst-mac (the peer's MAC: nothing is resolved).
 *
 * Only for the test namespaces: destination and source network must lie
 * in 10.77.0.0/16 (TESTING.md), anything else is a usage error.
 *
 * Bounded: COUNT frames and --max-seconds (default 30); --pps paces the
 * flood (default: as fast as the socket takes them). Output: sent frames,
 * send errors, elapsed time and rate. Exit 0 when the run completed, 1 on
 * a setup failure, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define SF_BATCH		64
#define SF_MAX_COUNT		100000000L
#define SF_DEFAULT_MAX_SEC	30
#define SF_ALLOWED_NET		0x0a4d0000U	/* 10.77.0.0/16, TESTING.md */
#define SF_ALLOWED_MASK		0xffff0000U
#define SF_TTL			64
#define SF_WINDOW		64240
#define SF_MSS			1460
#define SF_WSCALE		7

/* TCP options of a Linux SYN, padded to a multiple of 4. */
static const uint8_t sf_opts[] = {
	2, 4, SF_MSS >> 8, SF_MSS & 0xff,	/* MSS */
	4, 2, 1, SF_WSCALE,			/* SACK permitted, NOP, */
	3, 3, SF_WSCALE, 0,			/* window scale, EOL */
};
#define SF_IP_LEN	20
#define SF_TCP_LEN	(20 + (int)sizeof(sf_opts))
#define SF_FRAME_LEN	(ETH_HLEN + SF_IP_LEN + SF_TCP_LEN)

static struct {
	const char *ifname;
	uint8_t dst_mac[ETH_ALEN];
	int have_mac;
	uint32_t daddr;		/* host order */
	uint16_t dport;
	uint32_t src_net, src_mask;	/* host order */
	long count;
	long pps;
	long max_seconds;
	unsigned long long seed;
	int json;
} opt = {
	.max_seconds = SF_DEFAULT_MAX_SEC,
	.seed = 1,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: synflood -i IFACE --dst-mac MAC -d A.B.C.D:PORT --src-net A.B.C.D/LEN\n"
		"                -n COUNT [--pps N] [--max-seconds N] [--seed N] [--json]\n"
		"  -i IFACE        send out of this interface (AF_PACKET)\n"
		"  --dst-mac MAC   destination MAC (the peer of IFACE)\n"
		"  -d ADDR:PORT    destination, inside 10.77.0.0/16\n"
		"  --src-net NET   random sources from this network, inside 10.77.0.0/16\n"
		"  -n COUNT        frames (1..%ld)\n"
		"  --pps N         at most N frames per second (default: no pacing)\n"
		"  --max-seconds N bound on the run (default %d)\n",
		SF_MAX_COUNT, SF_DEFAULT_MAX_SEC);
}

static int in_test_net(uint32_t addr)
{
	return (addr & SF_ALLOWED_MASK) == SF_ALLOWED_NET;
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Fill frame f (SF_FRAME_LEN bytes, Ethernet header already there). */
static void build_syn(uint8_t *f, uint32_t saddr, uint16_t sport, uint32_t seq,
		      uint16_t ip_id)
{
	uint8_t *ip = f + ETH_HLEN, *tcp = ip + SF_IP_LEN, pseudo[12];
	uint32_t sum;

	memset(ip, 0, SF_IP_LEN + SF_TCP_LEN);
	ip[0] = 0x45;
	ip[2] = (SF_IP_LEN + SF_TCP_LEN) >> 8;
	ip[3] = (SF_IP_LEN + SF_TCP_LEN) & 0xff;
	ip[4] = ip_id >> 8;
	ip[5] = ip_id & 0xff;
	ip[6] = 0x40;		/* DF */
	ip[8] = SF_TTL;
	ip[9] = IPPROTO_TCP;
	saddr = htonl(saddr);
	memcpy(ip + 12, &saddr, 4);
	{
		uint32_t d = htonl(opt.daddr);

		memcpy(ip + 16, &d, 4);
	}
	sum = csum_fold(csum_add(0, ip, SF_IP_LEN));
	ip[10] = sum >> 8;
	ip[11] = sum & 0xff;

	tcp[0] = sport >> 8;
	tcp[1] = sport & 0xff;
	tcp[2] = opt.dport >> 8;
	tcp[3] = opt.dport & 0xff;
	tcp[4] = seq >> 24;
	tcp[5] = seq >> 16;
	tcp[6] = seq >> 8;
	tcp[7] = seq;
	tcp[12] = (SF_TCP_LEN / 4) << 4;
	tcp[13] = 0x02;		/* SYN */
	tcp[14] = SF_WINDOW >> 8;
	tcp[15] = SF_WINDOW & 0xff;
	memcpy(tcp + 20, sf_opts, sizeof(sf_opts));

	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = SF_TCP_LEN >> 8;
	pseudo[11] = SF_TCP_LEN & 0xff;
	sum = csum_fold(csum_add(csum_add(0, pseudo, sizeof(pseudo)), tcp, SF_TCP_LEN));
	tcp[16] = sum >> 8;
	tcp[17] = sum & 0xff;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[ETH_ALEN];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != ETH_ALEN)
		return -1;
	for (i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "dst-mac", required_argument, NULL, 'M' },
		{ "dest", required_argument, NULL, 'd' },
		{ "src-net", required_argument, NULL, 'N' },
		{ "count", required_argument, NULL, 'n' },
		{ "pps", required_argument, NULL, 'p' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static uint8_t frames[SF_BATCH][SF_FRAME_LEN];
	struct iovec iov[SF_BATCH];
	struct mmsghdr msgs[SF_BATCH];
	struct sockaddr_ll sll = {};
	uint8_t src_mac[ETH_ALEN];
	struct ifreq ifr = {};
	long sent = 0, errors = 0, v;
	long long t0, deadline, elapsed;
	uint64_t rng;
	int fd = -1, one = 1, c, i, ifindex;
	char host[INET_ADDRSTRLEN], *slash;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	struct in_addr a;
	long len;

	while ((c = getopt_long(argc, argv, "i:d:n:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			opt.ifname = optarg;
			break;
		case 'M':
			if (parse_mac(optarg, opt.dst_mac)) {
				fprintf(stderr, "synflood: --dst-mac '%s' is not a MAC address\n", optarg);
				return 2;
			}
			opt.have_mac = 1;
			break;
		case 'd':
			if (tool_parse_addr_port(NULL, optarg, 1, &dst, &dst_len) ||
			    dst.ss_family != AF_INET) {
				fprintf(stderr, "synflood: -d '%s' is not A.B.C.D:PORT\n", optarg);
				return 2;
			}
			opt.daddr = ntohl(((struct sockaddr_in *)&dst)->sin_addr.s_addr);
			opt.dport = ntohs(((struct sockaddr_in *)&dst)->sin_port);
			break;
		case 'N':
			slash = strchr(optarg, '/');
			if (!slash || (size_t)(slash - optarg) >= sizeof(host)) {
				fprintf(stderr, "synflood: --src-net '%s' is not A.B.C.D/LEN\n", optarg);
				return 2;
			}
			memcpy(host, optarg, slash - optarg);
			host[slash - optarg] = '\0';
			if (inet_pton(AF_INET, host, &a) != 1 ||
			    tool_parse_long("synflood", "--src-net length", slash + 1, 16, 32,
					    &len))
				return 2;
			opt.src_mask = len == 32 ? ~0U : ~(~0U >> len);
			opt.src_net = ntohl(a.s_addr) & opt.src_mask;
			break;
		case 'n':
			if (tool_parse_long("synflood", "-n", optarg, 1, SF_MAX_COUNT, &opt.count))
				return 2;
			break;
		case 'p':
			if (tool_parse_long("synflood", "--pps", optarg, 1, 100000000L, &opt.pps))
				return 2;
			break;
		case 'm':
			if (tool_parse_long("synflood", "--max-seconds", optarg,
					    1, 3600, &opt.max_seconds))
				return 2;
			break;
		case 'r':
			if (tool_parse_long("synflood", "--seed", optarg, 1, 1L << 30, &v))
				return 2;
			opt.seed = (unsigned long long)v;
			break;
		case 'j':
			opt.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !opt.ifname || !opt.have_mac || !opt.daddr ||
	    !opt.src_mask || !opt.count) {
		usage(stderr);
		return 2;
	}
	if (!in_test_net(opt.daddr) || !in_test_net(opt.src_net)) {
		fprintf(stderr, "synflood: destination and --src-net must be inside 10.77.0.0/16 "
			"(the test namespaces' addresses)\n");
		return 2;
	}

	ifindex = (int)if_nametoindex(opt.ifname);
	if (!ifindex) {
		fprintf(stderr, "synflood: no interface '%s' here (run it in the client namespace)\n",
			opt.ifname);
		return 1;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "synflood: AF_PACKET socket: %s (needs CAP_NET_RAW)\n",
			strerror(errno));
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", opt.ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		fprintf(stderr, "synflood: MAC of %s: %s\n", opt.ifname, strerror(errno));
		close(fd);
		return 1;
	}
	memcpy(src_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	/* Straight to the driver: a flood must not queue behind a qdisc. */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_halen = ETH_ALEN;
	memcpy(sll.sll_addr, opt.dst_mac, ETH_ALEN);

	for (i = 0; i < SF_BATCH; i++) {
		memcpy(frames[i], opt.dst_mac, ETH_ALEN);
		memcpy(frames[i] + ETH_ALEN, src_mac, ETH_ALEN);
		frames[i][12] = ETH_P_IP >> 8;
		frames[i][13] = ETH_P_IP & 0xff;
		iov[i].iov_base = frames[i];
		iov[i].iov_len = SF_FRAME_LEN;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &sll;
		msgs[i].msg_hdr.msg_namelen = sizeof(sll);
	}
	tool_catch_stop();

	rng = opt.seed * 0x9e3779b97f4a7c15ULL | 1;
	t0 = tool_now_ns();
	deadline = t0 + opt.max_seconds * 1000000000LL;
	while (sent + errors < opt.count && !tool_stop) {
		long long now = tool_now_ns();
		int batch = SF_BATCH, n;

		if (now >= deadline)
			break;
		if (opt.pps) {
			long long due = t0 + (long long)((sent + errors) * (1e9 / opt.pps));

			if (due > now) {
				struct timespec ts = { .tv_sec = 0,
						       .tv_nsec = due - now > 1000000 ? 1000000 : due - now };

				nanosleep(&ts, NULL);
				continue;
			}
		}
		if (opt.count - sent - errors < batch)
			batch = (int)(opt.count - sent - errors);
		for (i = 0; i < batch; i++) {
			uint64_t r = xorshift64(&rng);
			uint32_t host_part = (uint32_t)r & ~opt.src_mask;
			uint16_t sport = 1024 + (uint16_t)((r >> 32) % 64512);

			build_syn(frames[i], opt.src_net | host_part, sport,
				  (uint32_t)(r >> 16), (uint16_t)(r >> 48));
		}
		n = sendmmsg(fd, msgs, batch, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS && errno != EAGAIN) {
				fprintf(stderr, "synflood: sendmmsg: %s\n", strerror(errno));
				break;
			}
			errors += batch;
			continue;
		}
		sent += n;
		if (n < batch)
			errors += batch - n;
	}
	elapsed = tool_now_ns() - t0;
	if (opt.json)
		printf("{\"sent\":%ld,\"errors\":%ld,\"elapsed_ms\":%.3f,\"pps\":%.0f}\n",
		       sent, errors, elapsed / 1e6, elapsed ? sent * 1e9 / elapsed : 0);
	else
		printf("sent=%ld errors=%ld elapsed_ms=%.3f pps=%.0f\n", sent, errors,
		       elapsed / 1e6, elapsed ? sent * 1e9 / elapsed : 0);
	close(fd);
	return 0;
}
