/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * admd configuration: an INI file (inih), validated in full before anything
 * is touched. Every error names the file, the line, the key, the value and
 * what is allowed, in one sentence.
 */
#ifndef ADM_CONFIG_H
#define ADM_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <linux/types.h>
#include "adm/adm.h"

#define ADM_DEFAULT_PIN_ROOT	"/sys/fs/bpf/adm"
#define ADM_MAX_IFACES		16
#define ADM_MAX_SVC_PORTS	64
#define ADM_SVC_NAME_MAX	32
#define ADM_ERR_MAX		1024	/* the longest: an unknown key with its section's key list */
#define ADM_DEFAULT_METRICS	"127.0.0.1:9110"
#define ADM_CTL_PATH_MAX	108	/* sizeof(sun_path), NUL included */
#define ADM_GROUP_NAME_MAX	33	/* 32 characters, NUL */

#define ADM_DB_NAME_MAX		65	/* MariaDB user, database: 64 characters, NUL */
#define ADM_DB_HOST_MAX		256
#define ADM_SPOOL_DIR_BASE	"/var/lib/adm/spool"

/*
 * [mariadb]: the log pipeline (userspace/admd/spool.c, mariadb.c). The
 * spool always runs; with `socket` or `host` set (`enabled`) a writer
 * drains it into MariaDB. Line numbers are kept for errors found at start
 * (a password file readable by others).
 */
/* Shortest prefixes [mariadb] aggregate_prefix4/6 accept (admctl logs uses them). */
#define ADM_AGG_PREFIX4_MIN	8
#define ADM_AGG_PREFIX6_MIN	16

struct adm_mariadb_config {
	int enabled;			/* socket or host given */
	char socket[PATH_MAX];
	char host[ADM_DB_HOST_MAX];
	__u16 port;			/* default 3306 */
	char user[ADM_DB_NAME_MAX];
	char password_file[PATH_MAX];	/* "" = no password */
	int password_file_line;
	char database[ADM_DB_NAME_MAX];
	__u32 batch_rows;		/* rows per INSERT, default 1000 */
	__u32 batch_ms;			/* group commit and send period, default 200 */
	char spool_dir[PATH_MAX];	/* default ADM_SPOOL_DIR_BASE/<basename of pin_root> */
	__u32 spool_max_mb;		/* default 1024 */
	__u32 connect_timeout_ms;	/* default 5000 */
	__u32 io_timeout_ms;		/* default 10000 */
	__u32 aggregate_ms;		/* decision aggregation window, default 1000, 0 off */
	__u32 aggregate_prefix4;	/* IPv4 sources merged per /N, default 32 */
	__u32 aggregate_prefix6;	/* IPv6 sources merged per /N, default 128 */
	int line;			/* of the section header, 0: absent */
};

/* "N/s" or "N/m": count events per period. count == 0: no limit. */
struct adm_rate {
	__u64 count;
	__u64 period_ns;
};

/* What a service does while the cluster store (Redis) is unreachable. */
enum adm_store_failure {
	ADM_SF_UNSET = 0,	/* per service: [redis] on_store_failure */
	ADM_SF_LOCAL_SHARE,	/* keep the last known share of the global limit */
	ADM_SF_OPEN,		/* local limits only (conn_limit on this node) */
	ADM_SF_CLOSED,		/* refuse the service's new connections */
	ADM_SF__MAX,
};

#define ADM_RS_MAX_SENTINELS	8
#define ADM_RS_NAME_MAX		64	/* cluster, node, master_name, user: 63 characters */
#define ADM_RS_HOST_MAX		256

/* [redis]: cluster-wide limits (userspace/admd/cluster.c). */
struct adm_redis_config {
	int enabled;			/* the section is present */
	char socket[ADM_CTL_PATH_MAX];	/* unix socket, or */
	char host[ADM_RS_HOST_MAX];	/* host/port, or */
	__u16 port;			/* default 6379 */
	int n_sentinels;		/* sentinels + master_name */
	char sentinels[ADM_RS_MAX_SENTINELS][ADM_RS_HOST_MAX];
	__u16 sentinel_ports[ADM_RS_MAX_SENTINELS];
	char master_name[ADM_RS_NAME_MAX];
	char cluster[ADM_RS_NAME_MAX];	/* default "adm" */
	char node[ADM_RS_NAME_MAX];	/* default: the hostname */
	char password_file[PATH_MAX];	/* root-only; "" = no AUTH */
	char user[ADM_RS_NAME_MAX];	/* ACL user, "" = default */
	__u32 sync_interval_ms;		/* default 100 */
	__u32 timeout_ms;		/* every Redis call, default 50 */
	__u32 node_ttl_ms;		/* heartbeat TTL, default 10 intervals (>= 1000) */
	__u8 on_store_failure;		/* enum adm_store_failure, default local-share */
};

enum adm_xdp_mode {
	ADM_XDP_AUTO = 0,	/* native, falling back to generic with a warning */
	ADM_XDP_NATIVE,
	ADM_XDP_GENERIC,
};

/* breaker_probe = tcp:ADDR:PORT or http://ADDR:PORT/PATH */
enum adm_probe_kind {
	ADM_PROBE_NONE = 0,
	ADM_PROBE_TCP,
	ADM_PROBE_HTTP,
};

#define ADM_PROBE_ADDR_MAX	64	/* "[ADDR6]:PORT" */
#define ADM_PROBE_PATH_MAX	128

/*
 * A service's automatic breaker, adaptive limit and dependency (the
 * breaker module, userspace/admd/breaker.c). A signal is on when its
 * threshold is set; the breaker is automatic when any signal is on.
 */
struct adm_brk_config {
	int conn_limit_auto;		/* conn_limit = auto */
	__u64 conn_limit_min;		/* default 2 */
	__u64 conn_limit_max;		/* default 1000 */
	__u64 latency_ns;		/* breaker_latency: p90 over a tick above it is bad; 0 off */
	__u64 accept_queue;		/* breaker_accept_queue: listen queue depth; 0 off */
	__u32 pressure;			/* breaker_pressure: app level >= it is bad; 0 off */
	__u8 probe_kind;		/* enum adm_probe_kind */
	char probe_addr[ADM_PROBE_ADDR_MAX];
	char probe_path[ADM_PROBE_PATH_MAX];	/* http: "/..." */
	__u64 probe_interval_ns;	/* default 1 s */
	__u64 probe_timeout_ns;		/* default 500 ms, below the interval */
	__u64 window_ns;		/* breaker_window, default 5 s */
	__u64 cooldown_ns;		/* breaker_cooldown, default 10 s */
	__u32 half_open_permille;	/* default 100 */
	char depends_on[ADM_SVC_NAME_MAX];	/* "" = none */
	__u32 depends_idx;		/* 1 + its index in svcs[] (not its id: policy assigns ids) */
	int depends_line;
};

struct adm_svc_config {
	char name[ADM_SVC_NAME_MAX];	/* from [service NAME] */
	__u32 id;			/* 1.., in file order */
	int line;			/* line of the section header */
	int n_ports;
	__u8 port_proto[ADM_MAX_SVC_PORTS];	/* IPPROTO_TCP or IPPROTO_UDP */
	__u16 ports[ADM_MAX_SVC_PORTS];
	__u64 conn_limit;		/* 0 = unlimited */
	__u32 fp_conn_limit;		/* 0 = off */
	struct adm_rate new_conn_rate;
	__u32 new_conn_burst;		/* 0 = default (the rate's count) */
	struct adm_rate pkt_rate;
	__u32 pkt_burst;
	__u8 on_rate;			/* enum adm_action */
	__u8 on_conn_full;		/* enum adm_action */
	__u8 priority;			/* enum adm_priority */
	__u8 fp_mode;			/* enum adm_fp_mode */
	__u8 ipv4_prefix;
	__u8 ipv6_prefix;
	__u32 rate_sources;		/* adm_rate partition entries, 0 = default */
	__u32 pkt_sources;		/* adm_pkt_rate partition entries, 0 = default */
	/* socket layer */
	int verify;			/* unverified sources use shared budgets */
	__u8 unv_ipv4_prefix;		/* default 24 */
	__u8 unv_ipv6_prefix;		/* default 48 */
	struct adm_rate unverified_rate;	/* per unverified prefix */
	__u32 unverified_burst;
	struct adm_rate new_source_rate;	/* all unverified sources together */
	__u32 new_source_burst;
	__u8 on_unverified;		/* enum adm_action for refusals by the two budgets above */
	__u8 on_breaker;		/* enum adm_action: breaker open, degraded (default reject) */
	__u8 tls;			/* enum adm_tls: reply is sent as reject on a TLS service */
	__u64 idle_timeout_ns;		/* 0 = off */
	__u64 max_lifetime_ns;		/* 0 = off */
	struct adm_brk_config brk;
	/* cluster ([redis]): conn_limit is then cluster-wide */
	struct adm_rate cluster_conn_rate;	/* per source, across the nodes */
	__u64 cluster_conn_limit;	/* with conn_limit = auto: cluster-wide cap, 0 = none */
	__u8 on_store_failure;		/* enum adm_store_failure, UNSET = [redis]'s */
};

/* [service] tls: auto = yes when one of the service's TCP ports is 443. */
enum adm_tls {
	ADM_TLS_AUTO = 0,
	ADM_TLS_NO,
	ADM_TLS_YES,
};

#define ADM_REPLY_MAX_LIMIT	65536	/* [reply] reply_max at most */

/* [reply]: admd's HTTP 503 responder (on_rate/on_conn_full/on_breaker = reply). */
struct adm_reply_config {
	__u32 retry_after;		/* Retry-After seconds, default 5 */
	__u32 retry_after_jitter;	/* + uniform 0..this, default 5 */
	__u32 reply_max;		/* open responder connections, default 256 */
	__u64 reply_timeout_ns;		/* a responder connection's lifetime, default 2 s */
};

/* Whether reply is sent as reject for sc (tls = yes, or auto and port 443). */
int adm_svc_tls(const struct adm_svc_config *sc);
struct adm_config;
/* Whether some service of cfg refuses with reply (not counting TLS ones). */
int adm_config_uses_reply(const struct adm_config *cfg);

struct adm_config {
	char path[PATH_MAX];
	int n_ifaces;
	char ifaces[ADM_MAX_IFACES][IF_NAMESIZE];
	int shadow;			/* [adm] mode = shadow */
	int xdp_mode;			/* enum adm_xdp_mode */
	char pin_root[PATH_MAX];
	char cgroup[PATH_MAX];		/* "" = the cgroup v2 mount in /proc/mounts */
	__u32 reconcile_ms;		/* socket table recount period, default 1000 */
	__u32 src_filter_rebuild_s;	/* adm_src_filter rebuild period, default 60 */
	char metrics_listen[64];	/* [metrics] listen, "" = off */
	char control_socket[ADM_CTL_PATH_MAX];	/* "" = /run/adm/<basename of pin_root>.sock */
	char pin_group[ADM_GROUP_NAME_MAX];	/* "" = pins root-only (0600) */
	char pressure_socket[ADM_CTL_PATH_MAX];	/* "" = no pressure socket */
	char pressure_group[ADM_GROUP_NAME_MAX];	/* who may use it (mode 0660) */
	struct adm_mariadb_config mariadb;
	int force;			/* not a key: admd --force, replace foreign XDP programs */
	struct adm_redis_config redis;
	struct adm_reply_config reply;
	int n_svcs;
	struct adm_svc_config svcs[ADM_MAX_SERVICES - 1];
};

/* "local-share", "open", "closed"; "?" otherwise. */
const char *adm_store_failure_name(unsigned int v);

/* Fill *cfg with defaults (no interfaces, no services, enforce, default pin root). */
void adm_config_defaults(struct adm_config *cfg);

/*
 * Parse and validate the INI file at path into *cfg (defaults first).
 * Returns 0, or -1 with one sentence in err: "FILE:LINE: key 'K' = 'V': why;
 * allowed: RANGE". On error *cfg is unspecified and nothing else changed.
 */
int adm_config_load(const char *path, struct adm_config *cfg, char *err,
		    size_t errlen);

/* Same, from a string; `name` stands for the file name in messages. */
int adm_config_parse_string(const char *text, const char *name,
			    struct adm_config *cfg, char *err, size_t errlen);

/* Find a service by name; NULL if none. */
const struct adm_svc_config *adm_config_service(const struct adm_config *cfg,
						const char *name);

#endif /* ADM_CONFIG_H */
