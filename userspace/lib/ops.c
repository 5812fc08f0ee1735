// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Operator writes to the policy maps, one function whoever calls it (admd
 * while it runs, admctl when admd is down); their control-socket form and
 * audit texts. See ops.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cidr.h"
#include "live.h"
#include "mapstatus.h"
#include "clock.h"
#include "ops.h"
#include "part.h"
#include "pins.h"
#include "util.h"

#define NS_PER_SEC	1000000000ULL
#define SEC_PER_DAY	86400ULL
#define TTL_MAX_NS	(ADM_OP_TTL_MAX_DAYS * SEC_PER_DAY * NS_PER_SEC)
#define PERMILLE_MIN	1
#define PERMILLE_MAX	(ADM_OP_PERMILLE - 1)	/* 0 is "open", 1000 "closed" */
#define VALUE_TEXT_MAX	64
#define NAMES_TEXT_MAX	2048
#define EVERY_SERVICE	"every service"

static const char *const cmd_names[ADM_OP__MAX] = {
	[ADM_OP_LIMITS_SET] = "limits_set",
	[ADM_OP_BREAKER] = "breaker",
	[ADM_OP_MODE] = "mode",
	[ADM_OP_DEGRADE] = "degrade",
	[ADM_OP_BLOCK_ADD] = "block_add",
	[ADM_OP_BLOCK_DEL] = "block_del",
	[ADM_OP_ALLOW_ADD] = "allow_add",
	[ADM_OP_ALLOW_DEL] = "allow_del",
};

const char *adm_op_cmd(enum adm_op_kind kind)
{
	return (unsigned int)kind < ADM_OP__MAX ? cmd_names[kind] : "?";
}

const char *adm_op_note(enum adm_op_kind kind)
{
	switch (kind) {
	case ADM_OP_LIMITS_SET:
		return "in effect now, until the config file is applied again ('admctl reload' or SIGHUP)";
	case ADM_OP_MODE:
		return "until the config file is applied again ([adm] mode, on reload or SIGHUP)";
	default:
		return NULL;
	}
}

static int is_cidr_op(enum adm_op_kind k)
{
	return k == ADM_OP_BLOCK_ADD || k == ADM_OP_BLOCK_DEL ||
	       k == ADM_OP_ALLOW_ADD || k == ADM_OP_ALLOW_DEL;
}

static int is_allow(enum adm_op_kind k)
{
	return k == ADM_OP_ALLOW_ADD || k == ADM_OP_ALLOW_DEL;
}

static int is_add(enum adm_op_kind k)
{
	return k == ADM_OP_BLOCK_ADD || k == ADM_OP_ALLOW_ADD;
}

static const char *breaker_verb(__u32 b)
{
	return b == ADM_BRK_OPEN ? "open" : b == ADM_BRK_HALF_OPEN ? "half-open" : "close";
}

/* A CIDR op's key and expiry (monotonic ns, 0 = never). 0 or -EINVAL. */
static int cidr_parse(const struct adm_op *op, struct adm_lpm_key *key,
		      __u64 *ttl_ns, char *err, size_t errlen)
{
	*ttl_ns = 0;
	if (adm_parse_cidr(op->value, key)) {
		snprintf(err, errlen,
			 "'%s' is not a CIDR (e.g. 10.0.0.0/8, 2001:db8::/32, with zero host bits)",
			 op->value);
		return -EINVAL;
	}
	if (!op->ttl[0])
		return 0;
	if (!is_add(op->kind)) {
		snprintf(err, errlen, "--ttl only goes with add");
		return -EINVAL;
	}
	if (adm_parse_duration(op->ttl, ttl_ns)) {
		snprintf(err, errlen, "--ttl '%s' is not a duration (e.g. 30s, 10m, 2h, 1d)",
			 op->ttl);
		return -EINVAL;
	}
	if (*ttl_ns > TTL_MAX_NS) {
		snprintf(err, errlen,
			 "--ttl '%s' is longer than %d days; leave --ttl out for a permanent entry",
			 op->ttl, ADM_OP_TTL_MAX_DAYS);
		return -EINVAL;
	}
	return 0;
}

int adm_op_check(const struct adm_op *op, char *err, size_t errlen)
{
	struct adm_live_value v;
	struct adm_lpm_key key;
	__u64 ttl_ns;
	int k;

	switch (op->kind) {
	case ADM_OP_LIMITS_SET:
		if (!op->service[0]) {
			snprintf(err, errlen, "limits set needs a service");
			return -EINVAL;
		}
		k = adm_live_key_lookup(op->key, err, errlen);
		if (k < 0 || adm_live_parse(op->service, k, op->value, &v, err, errlen))
			return -EINVAL;
		return 0;
	case ADM_OP_BREAKER:
		if (op->breaker >= ADM_BRK__MAX) {
			snprintf(err, errlen, "unknown breaker state %u (open, half-open, close)",
				 op->breaker);
			return -EINVAL;
		}
		if (op->all && op->service[0]) {
			snprintf(err, errlen, "name a service or give --all, not both");
			return -EINVAL;
		}
		if (op->breaker != ADM_BRK_CLOSED && !op->all && !op->service[0]) {
			snprintf(err, errlen,
				 "name the service (or --all): an open breaker refuses every new connection");
			return -EINVAL;
		}
		if (op->breaker == ADM_BRK_HALF_OPEN &&
		    (op->permille < PERMILLE_MIN || op->permille > PERMILLE_MAX)) {
			snprintf(err, errlen,
				 "--permille %u is out of range; allowed: %d..%d ('breaker open' is 0, 'breaker close' is %d)",
				 op->permille, PERMILLE_MIN, PERMILLE_MAX, ADM_OP_PERMILLE);
			return -EINVAL;
		}
		if (op->breaker != ADM_BRK_HALF_OPEN && op->permille) {
			snprintf(err, errlen, "--permille goes with half-open only");
			return -EINVAL;
		}
		return 0;
	case ADM_OP_MODE:
		if (op->shadow > 1) {
			snprintf(err, errlen, "unknown mode %u (enforce, shadow)", op->shadow);
			return -EINVAL;
		}
		return 0;
	case ADM_OP_DEGRADE:
		if (op->level > ADM_DEGRADE_MAX) {
			snprintf(err, errlen, "level %u is out of range; allowed: 0..%d",
				 op->level, ADM_DEGRADE_MAX);
			return -EINVAL;
		}
		return 0;
	case ADM_OP_BLOCK_ADD:
	case ADM_OP_BLOCK_DEL:
	case ADM_OP_ALLOW_ADD:
	case ADM_OP_ALLOW_DEL:
		return cidr_parse(op, &key, &ttl_ns, err, errlen);
	default:
		snprintf(err, errlen, "unknown operation %d", (int)op->kind);
		return -EINVAL;
	}
}

static void what_text(const struct adm_op *op, char *buf, size_t len)
{
	struct adm_lpm_key key;
	char cidr[VALUE_TEXT_MAX];
	const char *svc = op->service[0] ? op->service : EVERY_SERVICE;

	switch (op->kind) {
	case ADM_OP_LIMITS_SET:
		snprintf(buf, len, "limits set %s %s %s", op->service, op->key, op->value);
		break;
	case ADM_OP_BREAKER:
		if (op->breaker == ADM_BRK_HALF_OPEN)
			snprintf(buf, len, "breaker half-open %s --permille %u", svc,
				 op->permille);
		else
			snprintf(buf, len, "breaker %s %s", breaker_verb(op->breaker), svc);
		break;
	case ADM_OP_MODE:
		snprintf(buf, len, "mode %s %s", op->shadow ? "shadow" : "enforce",
			 op->service[0] ? op->service : "(" EVERY_SERVICE ")");
		break;
	case ADM_OP_DEGRADE:
		snprintf(buf, len, "degrade %u", op->level);
		break;
	default:
		/* The CIDR as adm reads it ("10.0.0.1" -> "10.0.0.1/32"). */
		if (adm_parse_cidr(op->value, &key))
			snprintf(cidr, sizeof(cidr), "%s", op->value);
		else
			adm_format_cidr(&key, cidr, sizeof(cidr));
		snprintf(buf, len, "%s %s %s%s%s", is_allow(op->kind) ? "allow" : "block",
			 is_add(op->kind) ? "add" : "del", cidr,
			 op->ttl[0] ? " --ttl " : "", op->ttl);
		break;
	}
}

/* Service names; -ENOENT etc. with the sentence an operator can act on. */
static int names_read(const char *pin_root, struct adm_ms_names *names,
		      char *err, size_t errlen)
{
	int rc = adm_ms_names_read(pin_root, names);

	if (rc == -ENOENT)
		snprintf(err, errlen,
			 "no adm maps under %s (%s missing); is admd running with this pin_root? Use -c FILE or --pin-root DIR",
			 pin_root, ADM_MAP_META);
	else if (rc)
		snprintf(err, errlen, "cannot read %s/%s: %s", pin_root, ADM_MAP_META,
			 strerror(-rc));
	return rc;
}

static int service_id(const struct adm_ms_names *names, const char *name,
		      __u32 *id, char *err, size_t errlen)
{
	char list[NAMES_TEXT_MAX];

	*id = adm_ms_service_id(names, name);
	if (*id)
		return 0;
	adm_ms_service_list(names, list, sizeof(list));
	snprintf(err, errlen, "unknown service '%s'; services: %s", name, list);
	return -EINVAL;
}

static int map_open(const char *pin_root, const char *map, int rdonly,
		    char *err, size_t errlen)
{
	int fd = adm_map_open(pin_root, map, rdonly);

	if (fd < 0)
		snprintf(err, errlen, "cannot open %s/%s: %s", pin_root, map,
			 strerror(-fd));
	return fd;
}

/* ---------------------------------------------------------------- limits */

static int op_limits(const char *pin_root, const struct adm_op *op,
		     struct adm_op_result *res, char *err, size_t errlen)
{
	struct adm_ms_names names;
	struct adm_live_value v;
	struct adm_service svc, next;
	struct adm_conc cur = {}, *conc = NULL;
	char text[VALUE_TEXT_MAX];
	int services = -1, concfd = -1, ratefd = -1, pktfd = -1, key, ret;
	__u64 limit;
	__u32 id;

	ret = names_read(pin_root, &names, err, errlen);
	if (ret)
		return ret;
	ret = service_id(&names, op->service, &id, err, errlen);
	if (ret)
		return ret;
	key = adm_live_key_lookup(op->key, err, errlen);
	if (key < 0 || adm_live_parse(op->service, key, op->value, &v, err, errlen))
		return -EINVAL;
	services = map_open(pin_root, ADM_MAP_SERVICES, 0, err, errlen);
	if (services < 0) {
		ret = services;
		goto out;
	}
	concfd = map_open(pin_root, ADM_MAP_CONC, 0, err, errlen);
	if (concfd < 0) {
		ret = concfd;
		goto out;
	}
	if (bpf_map_lookup_elem(services, &id, &svc) ||
	    bpf_map_lookup_elem(concfd, &id, &cur)) {
		ret = -errno;
		snprintf(err, errlen, "cannot read service %s: %s", op->service,
			 strerror(errno));
		goto out;
	}
	adm_live_format(key, &svc, cur.limit, text, sizeof(text));
	snprintf(res->before, sizeof(res->before), "%s %s=%s", op->service, op->key, text);
	snprintf(res->after, sizeof(res->after), "%s", res->before);
	next = svc;
	limit = cur.limit;
	if (adm_live_apply(&v, &next, &limit, err, errlen)) {
		ret = -EINVAL;
		goto out;
	}
	if (key == ADM_LIVE_CONN_LIMIT) {
		conc = adm_conc_mmap(concfd);
		if (!conc) {
			ret = -errno;
			snprintf(err, errlen, "cannot map %s: %s", ADM_MAP_CONC,
				 strerror(errno));
			goto out;
		}
		/* One aligned store of `limit`: `live` is never touched. */
		__atomic_store_n(&conc[id].limit, limit, __ATOMIC_RELAXED);
	} else {
		/* A rate turned on gets its partition first (the size it had, or the default). */
		ratefd = map_open(pin_root, ADM_MAP_RATE, 0, err, errlen);
		pktfd = map_open(pin_root, ADM_MAP_PKT_RATE, 0, err, errlen);
		if (ratefd < 0 || pktfd < 0) {
			ret = ratefd < 0 ? ratefd : pktfd;
			goto out;
		}
		if (adm_part_prepare(ratefd, pktfd, id, &next, 0, 0, err, errlen)) {
			ret = -EIO;
			goto out;
		}
		if (bpf_map_update_elem(services, &id, &next, BPF_EXIST)) {
			ret = -errno;
			snprintf(err, errlen, "cannot write service %s: %s", op->service,
				 strerror(errno));
			goto out;
		}
		adm_part_retire(ratefd, pktfd, id, &next);
	}
	adm_live_format(key, &next, limit, text, sizeof(text));
	snprintf(res->after, sizeof(res->after), "%s %s=%s", op->service, op->key, text);
	ret = 0;
out:
	adm_conc_munmap(conc);
	if (services >= 0)
		close(services);
	if (concfd >= 0)
		close(concfd);
	if (ratefd >= 0)
		close(ratefd);
	if (pktfd >= 0)
		close(pktfd);
	return ret;
}

/* ---------------------------------------------------------------- adm_state */

static void show_breaker(const struct adm_state *st, char *buf, size_t len)
{
	if (st->breaker == ADM_BRK_HALF_OPEN)
		snprintf(buf, len, "half-open %u/%d", st->half_open_permille,
			 ADM_OP_PERMILLE);
	else
		snprintf(buf, len, "%s", adm_breaker_name(st->breaker));
}

static void show_mode(const struct adm_state *st, char *buf, size_t len)
{
	snprintf(buf, len, "%s", st->shadow ? "shadow" : "enforce");
}

static void show_degrade(const struct adm_state *st, char *buf, size_t len)
{
	snprintf(buf, len, "degrade=%u", st->degrade);
}

/* "web open, api closed" or "every service closed" of the picked services. */
static void state_text(const struct adm_ms_names *names, const char *pick,
		       const struct adm_state *st,
		       void (*show)(const struct adm_state *, char *, size_t),
		       char *buf, size_t len)
{
	char first[VALUE_TEXT_MAX] = "", one[VALUE_TEXT_MAX];
	size_t used = 0;
	int n = 0, same = 1;
	__u32 id;

	buf[0] = '\0';
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		if (!pick[id] || !names->name[id][0])
			continue;
		show(&st[id], one, sizeof(one));
		if (!n++)
			snprintf(first, sizeof(first), "%s", one);
		else if (strcmp(first, one))
			same = 0;
		if (used < len)
			used += snprintf(buf + used, len - used, "%s%s %s",
					 used ? ", " : "", names->name[id], one);
	}
	if (n > 1 && same)
		snprintf(buf, len, EVERY_SERVICE " %s", first);
	else if (!n)
		snprintf(buf, len, "(no services)");
}

static void state_set(const struct adm_op *op, struct adm_state *st)
{
	switch (op->kind) {
	case ADM_OP_BREAKER:
		st->breaker = (__u8)op->breaker;
		st->half_open_permille = op->breaker == ADM_BRK_HALF_OPEN ? op->permille : 0;
		break;
	case ADM_OP_MODE:
		st->shadow = (__u8)op->shadow;
		break;
	case ADM_OP_DEGRADE:
		st->degrade = (__u8)op->level;
		break;
	default:
		break;
	}
}

/*
 * Read-modify-write adm_state of the picked services: one service, or
 * every configured one; degrade writes every id, configured or not, so
 * services a reload adds get the level too.
 */
static int op_state(const char *pin_root, const struct adm_op *op,
		    struct adm_op_result *res, char *err, size_t errlen)
{
	void (*show)(const struct adm_state *, char *, size_t) =
		op->kind == ADM_OP_BREAKER ? show_breaker :
		op->kind == ADM_OP_MODE ? show_mode : show_degrade;
	struct adm_state st[ADM_MAX_SERVICES] = {};
	struct adm_ms_names names;
	char pick[ADM_MAX_SERVICES] = {};
	int fd, ret, every_id = op->kind == ADM_OP_DEGRADE;
	__u32 id;

	ret = names_read(pin_root, &names, err, errlen);
	if (ret)
		return ret;
	if (op->service[0]) {
		ret = service_id(&names, op->service, &id, err, errlen);
		if (ret)
			return ret;
		pick[id] = 1;
	} else {
		for (id = 1; id < ADM_MAX_SERVICES; id++)
			pick[id] = names.name[id][0] != '\0';
	}
	fd = map_open(pin_root, ADM_MAP_STATE, 0, err, errlen);
	if (fd < 0)
		return fd;
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		bpf_map_lookup_elem(fd, &id, &st[id]);
	state_text(&names, pick, st, show, res->before, sizeof(res->before));
	snprintf(res->after, sizeof(res->after), "%s", res->before);
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		if (!pick[id] && !every_id)
			continue;
		bpf_map_lookup_elem(fd, &id, &st[id]);
		state_set(op, &st[id]);
		if (bpf_map_update_elem(fd, &id, &st[id], BPF_EXIST)) {
			ret = -errno;
			snprintf(err, errlen, "cannot write %s[%u]: %s", ADM_MAP_STATE,
				 id, strerror(errno));
			goto out;
		}
	}
	state_text(&names, pick, st, show, res->after, sizeof(res->after));
out:
	close(fd);
	return ret;
}

/* ---------------------------------------------------------------- block, allow */

/*
 * The entry of exactly `key` (an LPM lookup also answers for a broader
 * entry covering it): 0 with *v, or -ENOENT. Walks the list (at most
 * ADM_MAX_CIDRS keys) only when the lookup found something.
 */
static int exact_lookup(int fd, const struct adm_lpm_key *key,
			struct adm_cidr_val *v)
{
	struct adm_lpm_key cur, next, *prev = NULL;
	unsigned int n;

	if (bpf_map_lookup_elem(fd, key, v))
		return -ENOENT;
	for (n = 0; n <= ADM_MAX_CIDRS && !bpf_map_get_next_key(fd, prev, &next); n++) {
		if (next.prefixlen == key->prefixlen &&
		    !memcmp(next.addr, key->addr, sizeof(next.addr)))
			return bpf_map_lookup_elem(fd, &next, v) ? -ENOENT : 0;
		cur = next;
		prev = &cur;
	}
	return -ENOENT;
}

/* An entry's state in words: "absent", "present, never expires", ... */
static void entry_text(int fd, const struct adm_lpm_key *key, char *buf, size_t len)
{
	struct adm_cidr_val v;
	__u64 now = adm_mono_ns();

	if (exact_lookup(fd, key, &v))
		snprintf(buf, len, "absent");
	else if (!v.expires_ns)
		snprintf(buf, len, "present, never expires");
	else if (v.expires_ns <= now)
		snprintf(buf, len, "present, expired");
	else
		snprintf(buf, len, "present, expires in %llus",
			 (unsigned long long)((v.expires_ns - now + NS_PER_SEC - 1) / NS_PER_SEC));
}

static int op_cidr(const char *pin_root, const struct adm_op *op,
		   struct adm_op_result *res, char *err, size_t errlen)
{
	const char *map = is_allow(op->kind) ? ADM_MAP_ALLOW : ADM_MAP_DENY;
	const char *list = is_allow(op->kind) ? "allow" : "block";
	struct adm_lpm_key key;
	char text[VALUE_TEXT_MAX];
	__u64 ttl_ns;
	int fd, ret;

	ret = cidr_parse(op, &key, &ttl_ns, err, errlen);
	if (ret)
		return ret;
	fd = adm_map_open(pin_root, map, 0);
	if (fd == -ENOENT) {
		snprintf(err, errlen,
			 "no adm maps under %s (%s missing); is admd running with this pin_root? Use -c FILE or --pin-root DIR",
			 pin_root, map);
		return fd;
	}
	if (fd < 0)
		return map_open(pin_root, map, 0, err, errlen);
	adm_format_cidr(&key, text, sizeof(text));
	entry_text(fd, &key, res->before, sizeof(res->before));
	if (is_add(op->kind)) {
		ret = adm_cidr_add(pin_root, is_allow(op->kind), &key,
				   ttl_ns ? adm_mono_ns() + ttl_ns : 0);
		if (ret)
			snprintf(err, errlen, "%s: %s%s", text, strerror(-ret),
				 ret == -ENOSPC ? " (the list is full)" : "");
	} else {
		ret = adm_cidr_del(pin_root, is_allow(op->kind), &key);
		if (ret == -ENOENT)
			snprintf(err, errlen, "%s: no such entry ('admctl %s list' shows them)",
				 text, list);
		else if (ret)
			snprintf(err, errlen, "%s: %s", text, strerror(-ret));
	}
	entry_text(fd, &key, res->after, sizeof(res->after));
	close(fd);
	return ret;
}

int adm_op_apply(const char *pin_root, const struct adm_op *op,
		 struct adm_op_result *res, char *err, size_t errlen)
{
	int ret;

	memset(res, 0, sizeof(*res));
	what_text(op, res->what, sizeof(res->what));
	ret = adm_op_check(op, err, errlen);
	if (ret)
		return ret;
	if (op->kind == ADM_OP_LIMITS_SET)
		return op_limits(pin_root, op, res, err, errlen);
	if (is_cidr_op(op->kind))
		return op_cidr(pin_root, op, res, err, errlen);
	return op_state(pin_root, op, res, err, errlen);
}

/* ---------------------------------------------------------------- JSON */

json_t *adm_op_to_json(const struct adm_op *op)
{
	json_t *o = json_pack("{s:s}", "cmd", adm_op_cmd(op->kind));

	if (!o)
		return NULL;
	if (op->service[0])
		json_object_set_new(o, "service", json_string(op->service));
	switch (op->kind) {
	case ADM_OP_LIMITS_SET:
		json_object_set_new(o, "key", json_string(op->key));
		json_object_set_new(o, "value", json_string(op->value));
		break;
	case ADM_OP_BREAKER:
		json_object_set_new(o, "state", json_string(breaker_verb(op->breaker)));
		if (op->all)
			json_object_set_new(o, "all", json_true());
		if (op->breaker == ADM_BRK_HALF_OPEN)
			json_object_set_new(o, "permille", json_integer(op->permille));
		break;
	case ADM_OP_MODE:
		json_object_set_new(o, "mode", json_string(op->shadow ? "shadow" : "enforce"));
		break;
	case ADM_OP_DEGRADE:
		json_object_set_new(o, "level", json_integer(op->level));
		break;
	default:
		json_object_set_new(o, "cidr", json_string(op->value));
		if (op->ttl[0])
			json_object_set_new(o, "ttl", json_string(op->ttl));
		break;
	}
	return o;
}

/* String field `name` into buf: 0, 1 when absent, -EINVAL (err) otherwise. */
static int get_str(json_t *req, const char *name, char *buf, size_t len,
		   char *err, size_t errlen)
{
	json_t *v = json_object_get(req, name);
	const char *s;

	if (!v || json_is_null(v))
		return 1;
	s = json_string_value(v);
	if (!s || strlen(s) >= len) {
		snprintf(err, errlen, "\"%s\" must be a string of at most %zu bytes",
			 name, len - 1);
		return -EINVAL;
	}
	snprintf(buf, len, "%s", s);
	return 0;
}

static int need_str(json_t *req, const char *name, char *buf, size_t len,
		    char *err, size_t errlen)
{
	int rc = get_str(req, name, buf, len, err, errlen);

	if (rc == 1) {
		snprintf(err, errlen, "the request needs \"%s\"", name);
		return -EINVAL;
	}
	return rc;
}

static int get_u32(json_t *req, const char *name, __u32 max, __u32 *out,
		   char *err, size_t errlen)
{
	json_t *v = json_object_get(req, name);

	if (!v)
		return 1;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max) {
		snprintf(err, errlen, "\"%s\" must be an integer 0..%u", name, max);
		return -EINVAL;
	}
	*out = (__u32)json_integer_value(v);
	return 0;
}

int adm_op_from_json(const char *cmd, json_t *req, struct adm_op *op,
		     char *err, size_t errlen)
{
	char word[ADM_OP_KEY_MAX] = "";
	int k, rc;

	memset(op, 0, sizeof(*op));
	for (k = 0; k < ADM_OP__MAX; k++)
		if (!strcmp(cmd, cmd_names[k]))
			break;
	if (k == ADM_OP__MAX)
		return 1;
	op->kind = k;
	rc = get_str(req, "service", op->service, sizeof(op->service), err, errlen);
	if (rc < 0)
		return rc;
	switch (op->kind) {
	case ADM_OP_LIMITS_SET:
		if ((rc = need_str(req, "key", op->key, sizeof(op->key), err, errlen)) ||
		    (rc = need_str(req, "value", op->value, sizeof(op->value), err, errlen)))
			return rc;
		return 0;
	case ADM_OP_BREAKER:
		if ((rc = need_str(req, "state", word, sizeof(word), err, errlen)))
			return rc;
		if (!strcmp(word, "open"))
			op->breaker = ADM_BRK_OPEN;
		else if (!strcmp(word, "half-open"))
			op->breaker = ADM_BRK_HALF_OPEN;
		else if (!strcmp(word, "close"))
			op->breaker = ADM_BRK_CLOSED;
		else {
			snprintf(err, errlen, "\"state\" must be open, half-open or close");
			return -EINVAL;
		}
		op->all = json_is_true(json_object_get(req, "all"));
		rc = get_u32(req, "permille", ADM_OP_PERMILLE, &op->permille, err, errlen);
		return rc < 0 ? rc : 0;
	case ADM_OP_MODE:
		if ((rc = need_str(req, "mode", word, sizeof(word), err, errlen)))
			return rc;
		if (strcmp(word, "enforce") && strcmp(word, "shadow")) {
			snprintf(err, errlen, "\"mode\" must be enforce or shadow");
			return -EINVAL;
		}
		op->shadow = !strcmp(word, "shadow");
		return 0;
	case ADM_OP_DEGRADE:
		rc = get_u32(req, "level", ADM_DEGRADE_MAX, &op->level, err, errlen);
		if (rc == 1)
			snprintf(err, errlen, "the request needs \"level\"");
		return rc ? -EINVAL : 0;
	default:
		if ((rc = need_str(req, "cidr", op->value, sizeof(op->value), err, errlen)))
			return rc;
		rc = get_str(req, "ttl", op->ttl, sizeof(op->ttl), err, errlen);
		return rc < 0 ? rc : 0;
	}
}
