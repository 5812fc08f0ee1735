// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The cluster sync's round script, its arguments and its reply (see
 * rs_proto.h for the keys). The share rule lives in the script, because
 * it must run atomically against the other nodes' reservations; share.c
 * states it again in C for the local fallback and the unit tests, which
 * check both against each other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include "rs_proto.h"
#include "util.h"

#define RS_STR(x)	#x
#define RS_XSTR(x)	RS_STR(x)

/*
 * KEYS[1] = "adm:{CLUSTER}:"; ARGV = node, ttl_ms, last_op ("" = stored),
 * last_blk, n_svcs, then per service: name, limit, live, demand, need
 * (SYNs the gate refused last interval), rate, window_ms, n_src, and n_src
 * pairs (source, delta).
 * Returns {now_ms, live_nodes, {reserved, cluster_live, others, gate} x n_svcs,
 * {member, seq, ...} of blocks after last_blk, {id, op, ...}, last_op}.
 *
 * Share rule (share.h states it, share_reserve and share_gate compute it
 * in C): a node that needs more (its gate refused a SYN) is given its
 * fair share L x (demand + 1) / W; the free capacity (L - live connections
 * of the live nodes) that such nodes are not owed is lent, in proportion
 * to demand + 1 to those nodes, one part each to the others; a node never
 * reserves what the others hold; while others are owed more than is free,
 * a node over its fair share gates at that share (below what it holds)
 * so its closures go to the nodes owed them.
 * "live" here is what the node's gate counts: established + pending.
 * Every reservation is made here, atomically, from the others' current
 * ones, so the reservations of live nodes never sum to more than L.
 */
const char rs_script[] =
"local p, node = KEYS[1], ARGV[1]\n"
"local ttl, last_op, last_blk = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])\n"
"local nsvc = tonumber(ARGV[5])\n"
"local t = redis.call('TIME')\n"
"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
"local nodes = p .. 'nodes'\n"
"redis.call('ZADD', nodes, now + ttl, node)\n"
"for _, d in ipairs(redis.call('ZRANGEBYSCORE', nodes, '-inf', now)) do\n"
"  redis.call('ZREM', nodes, d)\n"
"end\n"
"redis.call('PEXPIRE', nodes, ttl * 2)\n"
"local alive, nlive = {}, 0\n"
"for _, n in ipairs(redis.call('ZRANGE', nodes, 0, -1)) do\n"
"  alive[n] = true\n"
"  nlive = nlive + 1\n"
"end\n"
"local svc_out, i = {}, 6\n"
"local bseq_key, blk_key = p .. 'blkseq', p .. 'blk'\n"
"for s = 1, nsvc do\n"
"  local name, limit, live = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])\n"
"  local demand, need = tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]) > 0\n"
"  local rate, win = tonumber(ARGV[i + 5]), tonumber(ARGV[i + 6])\n"
"  local nsrc = tonumber(ARGV[i + 7])\n"
"  i = i + 8\n"
"  local reserved, total, others, gate = live, live, 0, live\n"
"  if limit > 0 then\n"
"    local ck, nk = p .. 'conc:' .. name, p .. 'need:' .. name\n"
"    local h, needs, nl, nd = redis.call('HGETALL', ck), {}, {}, {}\n"
"    local hn = redis.call('HGETALL', nk)\n"
"    for j = 1, #hn, 2 do needs[hn[j]] = true end\n"
"    local wsum, w = demand + 1, 1\n"
"    if need then w = demand + 1 end\n"
"    local wlend = w\n"
"    for j = 1, #h, 2 do\n"
"      local f = h[j]\n"
"      if f ~= node then\n"
"        local r, l, d = string.match(h[j + 1], '^(%d+) (%d+) (%d+)$')\n"
"        if alive[f] and r then\n"
"          l, d = tonumber(l), tonumber(d)\n"
"          others = others + tonumber(r)\n"
"          total = total + l\n"
"          wsum = wsum + d + 1\n"
"          if needs[f] then\n"
"            wlend = wlend + d + 1\n"
"            nl[#nl + 1], nd[#nd + 1] = l, d\n"
"          else\n"
"            wlend = wlend + 1\n"
"          end\n"
"        else\n"
"          redis.call('HDEL', ck, f)\n"
"          redis.call('HDEL', nk, f)\n"
"        end\n"
"      end\n"
"    end\n"
"    local fair, owed = math.floor(limit * (demand + 1) / wsum), 0\n"
"    for j = 1, #nl do\n"
"      local fx = math.floor(limit * (nd[j] + 1) / wsum)\n"
"      if fx > nl[j] then owed = owed + fx - nl[j] end\n"
"    end\n"
"    if need and fair > live then owed = owed + fair - live end\n"
"    local free = limit - total\n"
"    if free < 0 then free = 0 end\n"
"    local spare = free - owed\n"
"    if spare < 0 then spare = 0 end\n"
"    reserved = live\n"
"    if need and fair > live then reserved = fair end\n"
"    reserved = reserved + math.floor(spare * w / wlend)\n"
"    if reserved > limit - others then reserved = limit - others end\n"
"    if reserved < live then reserved = live end\n"
"    if live > fair and owed > free then gate = fair else gate = reserved end\n"
"    redis.call('HSET', ck, node, reserved .. ' ' .. live .. ' ' .. demand)\n"
"    redis.call('PEXPIRE', ck, ttl * 2)\n"
"    if need then\n"
"      if not needs[node] then redis.call('HSET', nk, node, '1') end\n"
"      redis.call('PEXPIRE', nk, ttl * 2)\n"
"    elseif needs[node] then\n"
"      redis.call('HDEL', nk, node)\n"
"    end\n"
"  end\n"
"  svc_out[#svc_out + 1] = reserved\n"
"  svc_out[#svc_out + 1] = total\n"
"  svc_out[#svc_out + 1] = others\n"
"  svc_out[#svc_out + 1] = gate\n"
"  if nsrc > 0 then\n"
"    local wid = math.floor(now / win)\n"
"    local hk = p .. 'hits:' .. name .. ':' .. wid\n"
"    local upto = (wid + 1) * win\n"
"    for k = 1, nsrc do\n"
"      local src, d = ARGV[i], tonumber(ARGV[i + 1])\n"
"      i = i + 2\n"
"      local c = redis.call('HINCRBY', hk, src, d)\n"
"      if rate > 0 and c > rate and c - d <= rate then\n"
"        local seq = redis.call('INCR', bseq_key)\n"
"        redis.call('ZADD', blk_key, seq, name .. '|' .. src .. '|' .. upto)\n"
"      end\n"
"    end\n"
"    redis.call('PEXPIRE', hk, 2 * win)\n"
"  end\n"
"end\n"
"local seq = tonumber(redis.call('GET', bseq_key) or '0')\n"
"if last_blk > seq then last_blk = 0 end\n"
"if seq > " RS_XSTR(RS_BLK_KEEP) " then\n"
"  redis.call('ZREMRANGEBYSCORE', blk_key, '-inf', seq - " RS_XSTR(RS_BLK_KEEP) ")\n"
"end\n"
"local blks = redis.call('ZRANGEBYSCORE', blk_key, '(' .. last_blk, '+inf', 'WITHSCORES', 'LIMIT', 0, " RS_XSTR(RS_BLK_MAX) ")\n"
"local seen_key = p .. 'opseen'\n"
"if last_op == '' then last_op = redis.call('HGET', seen_key, node) or '0-0' end\n"
"local ops, out_ops = redis.call('XRANGE', p .. 'ops', '(' .. last_op, '+', 'COUNT', " RS_XSTR(RS_OPS_MAX) "), {}\n"
"for _, e in ipairs(ops) do\n"
"  local op = ''\n"
"  for j = 1, #e[2], 2 do\n"
"    if e[2][j] == 'op' then op = e[2][j + 1] end\n"
"  end\n"
"  out_ops[#out_ops + 1] = e[1]\n"
"  out_ops[#out_ops + 1] = op\n"
"  last_op = e[1]\n"
"end\n"
"if #ops > 0 then redis.call('HSET', seen_key, node, last_op) end\n"
"return {now, nlive, svc_out, blks, out_ops, last_op}\n";

int rs_key(char *buf, size_t len, const char *cluster, const char *suffix)
{
	int n = snprintf(buf, len, "adm:{%s}:%s", cluster, suffix);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void args_reset(struct rs_args *a)
{
	a->argc = 0;
	a->text_len = 0;
	a->oom = 0;
}

void rs_args_free(struct rs_args *a)
{
	free(a->argv);
	free(a->argvlen);
	free(a->text);
	memset(a, 0, sizeof(*a));
}

/*
 * Arguments point into a->text, which may move while it grows: they are
 * stored as offsets (in argv) and turned into pointers at the end.
 */
static void args_put(struct rs_args *a, const char *s, size_t len)
{
	if (a->oom)
		return;
	if (a->argc == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 256;
		const char **argv = realloc(a->argv, cap * sizeof(*argv));
		size_t *lens;

		if (!argv) {
			a->oom = 1;
			return;
		}
		a->argv = argv;
		lens = realloc(a->argvlen, cap * sizeof(*lens));
		if (!lens) {
			a->oom = 1;
			return;
		}
		a->argvlen = lens;
		a->cap = cap;
	}
	if (a->text_len + len + 1 > a->text_cap) {
		size_t cap = (a->text_cap + len + 1) * 2;
		char *t = realloc(a->text, cap);

		if (!t) {
			a->oom = 1;
			return;
		}
		a->text = t;
		a->text_cap = cap;
	}
	memcpy(a->text + a->text_len, s, len);
	a->text[a->text_len + len] = '\0';
	a->argv[a->argc] = (const char *)(uintptr_t)a->text_len;
	a->argvlen[a->argc++] = len;
	a->text_len += len + 1;
}

static void args_str(struct rs_args *a, const char *s)
{
	args_put(a, s, strlen(s));
}

static void args_u64(struct rs_args *a, __u64 v)
{
	char buf[24];

	args_put(a, buf, snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v));
}

int rs_args_round(struct rs_args *a, const char *cluster, const char *node,
		  __u64 ttl_ms, const char *last_op, __u64 last_blk,
		  const struct rs_svc_in *svcs, size_t n_svcs)
{
	char prefix[RS_KEY_PREFIX_MAX], src[RS_SRC_TEXT_MAX];
	size_t i, j;

	args_reset(a);
	if (rs_key(prefix, sizeof(prefix), cluster, ""))
		return -ENAMETOOLONG;
	args_str(a, "EVALSHA");
	args_str(a, "");		/* the SHA, set by the caller */
	args_str(a, "1");
	args_str(a, prefix);
	args_str(a, node);
	args_u64(a, ttl_ms);
	args_str(a, last_op);
	args_u64(a, last_blk);
	args_u64(a, n_svcs);
	for (i = 0; i < n_svcs; i++) {
		const struct rs_svc_in *s = &svcs[i];

		args_str(a, s->name);
		args_u64(a, s->limit);
		args_u64(a, s->live);
		args_u64(a, s->demand);
		args_u64(a, s->need);
		args_u64(a, s->rate);
		args_u64(a, s->window_ms ? s->window_ms : 1000);
		args_u64(a, s->n_src);
		for (j = 0; j < s->n_src; j++) {
			adm_format_addr(s->src[j].addr, src, sizeof(src));
			args_str(a, src);
			args_u64(a, s->src[j].delta);
		}
	}
	if (a->oom)
		return -ENOMEM;
	for (i = 0; i < a->argc; i++)
		a->argv[i] = a->text + (uintptr_t)a->argv[i];
	return 0;
}

const char *rs_reply_type(int type)
{
	switch (type) {
	case REDIS_REPLY_STRING:
		return "a string";
	case REDIS_REPLY_ARRAY:
		return "an array";
	case REDIS_REPLY_INTEGER:
		return "an integer";
	case REDIS_REPLY_NIL:
		return "nil";
	case REDIS_REPLY_STATUS:
		return "a status";
	case REDIS_REPLY_ERROR:
		return "an error";
	default:
		return "an unknown type";
	}
}

#define PFAIL(...)	do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

/* A decimal integer in a bulk string (WITHSCORES, block members). */
static int str_u64(const char *s, size_t len, __u64 *v)
{
	char buf[24];

	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return adm_parse_u64(buf, 0, ~0ULL, v);
}

/* "SVC|SOURCE|UNTIL_MS" -> block. 0 or -1. */
static int parse_block(const char *s, size_t len, struct rs_block *b)
{
	const char *bar1 = memchr(s, '|', len), *bar2;
	char addr[RS_SRC_TEXT_MAX];
	struct adm_lpm_key key;
	__u64 until;

	if (!bar1 || (size_t)(bar1 - s) >= sizeof(b->svc) || bar1 == s)
		return -1;
	bar2 = memchr(bar1 + 1, '|', len - (bar1 + 1 - s));
	if (!bar2 || (size_t)(bar2 - bar1 - 1) >= sizeof(addr))
		return -1;
	memcpy(b->svc, s, bar1 - s);
	b->svc[bar1 - s] = '\0';
	memcpy(addr, bar1 + 1, bar2 - bar1 - 1);
	addr[bar2 - bar1 - 1] = '\0';
	if (adm_parse_cidr(addr, &key) || key.prefixlen != 128)
		return -1;
	memcpy(b->addr, key.addr, sizeof(b->addr));
	if (str_u64(bar2 + 1, len - (bar2 + 1 - s), &until) || until > (1ULL << 62))
		return -1;
	b->until_ms = until;
	return 0;
}

int rs_round_parse(const struct redisReply *r, size_t n_svcs, __u64 last_blk,
		   struct rs_round_out *out, char *err, size_t errlen)
{
	const struct redisReply *e;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->blk_seq = last_blk;
	if (n_svcs > ADM_MAX_SERVICES)
		PFAIL("%zu services in a round; at most %d", n_svcs, ADM_MAX_SERVICES);
	if (!r)
		PFAIL("no reply");
	if (r->type == REDIS_REPLY_ERROR)
		PFAIL("script error: %.*s", (int)(r->len > 200 ? 200 : r->len), r->str);
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 6)
		PFAIL("expected an array of 6 elements, got %s%s", rs_reply_type(r->type),
		      r->type == REDIS_REPLY_ARRAY ? " of another length" : "");
	if (r->element[0]->type != REDIS_REPLY_INTEGER || r->element[0]->integer <= 0)
		PFAIL("reply element 1 (time): expected a positive integer, got %s",
		      rs_reply_type(r->element[0]->type));
	out->now_ms = r->element[0]->integer;
	if (r->element[1]->type != REDIS_REPLY_INTEGER || r->element[1]->integer < 1)
		PFAIL("reply element 2 (live nodes): expected an integer >= 1, got %s",
		      rs_reply_type(r->element[1]->type));
	out->live_nodes = r->element[1]->integer;

	e = r->element[2];
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 4 * n_svcs)
		PFAIL("reply element 3 (services): expected an array of %zu integers, got %s",
		      4 * n_svcs, rs_reply_type(e->type));
	out->n_svcs = n_svcs;
	for (i = 0; i < 4 * n_svcs; i++) {
		__u64 *f[4] = { &out->svc[i / 4].reserved, &out->svc[i / 4].cluster_live,
				&out->svc[i / 4].others, &out->svc[i / 4].gate };

		if (e->element[i]->type != REDIS_REPLY_INTEGER || e->element[i]->integer < 0)
			PFAIL("reply element 3 (services), item %zu: expected an integer >= 0, got %s",
			      i + 1, rs_reply_type(e->element[i]->type));
		*f[i % 4] = e->element[i]->integer;
	}

	e = r->element[3];
	if (e->type != REDIS_REPLY_ARRAY || e->elements % 2 || e->elements > 2 * RS_BLK_MAX)
		PFAIL("reply element 4 (blocks): expected an array of member/score pairs, got %s",
		      rs_reply_type(e->type));
	if (e->elements) {
		out->blocks = calloc(e->elements / 2, sizeof(*out->blocks));
		if (!out->blocks)
			PFAIL("reply element 4 (blocks): out of memory");
	}
	for (i = 0; i < e->elements; i += 2) {
		const struct redisReply *m = e->element[i], *sc = e->element[i + 1];
		__u64 seq;

		if (m->type != REDIS_REPLY_STRING || sc->type != REDIS_REPLY_STRING ||
		    str_u64(sc->str, sc->len, &seq) ||
		    parse_block(m->str, m->len, &out->blocks[out->n_blocks]))
			PFAIL("reply element 4 (blocks), item %zu: expected \"SERVICE|ADDRESS|UNTIL_MS\" and a sequence number",
			      i / 2 + 1);
		out->n_blocks++;
		if (seq > out->blk_seq)
			out->blk_seq = seq;
	}

	e = r->element[4];
	if (e->type != REDIS_REPLY_ARRAY || e->elements % 2 || e->elements > 2 * RS_OPS_MAX)
		PFAIL("reply element 5 (actions): expected an array of id/action pairs, got %s",
		      rs_reply_type(e->type));
	for (i = 0; i < e->elements; i += 2) {
		const struct redisReply *id = e->element[i], *op = e->element[i + 1];
		struct rs_op *o = &out->ops[out->n_ops];

		if (id->type != REDIS_REPLY_STRING || op->type != REDIS_REPLY_STRING ||
		    !id->len || id->len >= sizeof(o->id))
			PFAIL("reply element 5 (actions), item %zu: expected an id and a string",
			      i / 2 + 1);
		memcpy(o->id, id->str, id->len);
		o->id[id->len] = '\0';
		o->json = strndup(op->str, op->len);
		if (!o->json)
			PFAIL("reply element 5 (actions): out of memory");
		out->n_ops++;
	}

	e = r->element[5];
	if (e->type != REDIS_REPLY_STRING || !e->len || e->len >= sizeof(out->last_op))
		PFAIL("reply element 6 (last action id): expected a string, got %s",
		      rs_reply_type(e->type));
	memcpy(out->last_op, e->str, e->len);
	out->last_op[e->len] = '\0';
	return 0;
fail:
	rs_round_free(out);
	return -1;
}

void rs_round_free(struct rs_round_out *out)
{
	size_t i;

	for (i = 0; i < out->n_ops; i++)
		free(out->ops[i].json);
	free(out->blocks);
	out->blocks = NULL;
	out->n_blocks = out->n_ops = 0;
}
