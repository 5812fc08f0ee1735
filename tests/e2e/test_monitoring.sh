#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The monitoring that ships in deploy/: Prometheus rules and a Grafana
# dashboard, checked against a live admd.
#   (a) promtool check rules, and promtool test rules (every alert firing
#       and not firing, the recording rules' values); promtool missing is
#       a skip, and a failure under CI=true (scripts/deps.sh installs it);
#   (b) the dashboard: valid JSON, the ${DS_PROMETHEUS} datasource on every
#       panel and target, every panel with a target and an expression,
#       unique panel ids, the service and instance variables, every
#       expression valid PromQL (promtool, Grafana's variables replaced);
#   (c) the name extractor (promql_names.pl) on an expression with every
#       construct it must see through, so (d) cannot pass by finding nothing;
#   (d) admd with every module whose metrics they read (breaker with
#       latency and a probe, conn_limit = auto, [mariadb] and [redis] with
#       servers started here, a cluster conn_limit), some traffic, one
#       scrape of /metrics: every metric name in every rule expression and
#       every dashboard expression is a family of that scrape (recording
#       rules of the file count as known; NAME_bucket/_sum/_count as their
#       histogram or summary); every label a matcher names on an admd
#       family is one of its labels there, and every literal value of an
#       equality matcher one it has. Each miss is printed with its rule or
#       panel. `up`, the scrape health Prometheus adds itself, is the one
#       name allowed (AdmdDown); job and instance are the labels allowed;
#   (e) adm_xdp_attached, added for AdmXdpDetached: 1 while adm's program
#       is on the interface, 0 after `admctl detach`, 1 after `attach`.
set -o errexit -o nounset -o pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/mariadb.sh
. "$(dirname "$0")/mariadb.sh"

RULES=deploy/prometheus/adm.rules.yml
RULES_TEST=deploy/prometheus/adm.rules.test.yml
DASH=deploy/grafana/adm.json
NAMES="perl $E2E_REPO/tests/e2e/promql_names.pl"
METRICS_ADDR=127.0.0.1:9120
P_WEB=9401	# breaker_latency, conn_limit = auto
P_API=9402	# breaker_probe (tcp), depends_on = web
P_SHOP=9403	# conn_limit shared through Redis
DB_PASS="mon-$E2E_ID"
CI=${CI:-false}

for t in redis-server redis-cli mariadbd perl curl; do
	command -v "$t" >/dev/null 2>&1 || e2e_skip_all "'$t' is not installed (scripts/deps.sh)"
done
e2e_init "$ADMD" "$ADMCTL"
# The MariaDB data directory is made while (a)-(c) run (seconds on a busy
# machine); db_init's variables are set here, its subshell loses them.
db_init "$E2E_TMP/db" &
DB_INIT_PID=$!
E2E_PIDS+=("$DB_INIT_PID")
DB_DIR="$E2E_TMP/db"
DB_SOCK="$DB_DIR/mysqld.sock"

# ---------------------------------------------------------------- (a) rules

scenario_promtool() {
	local v
	if ! command -v promtool >/dev/null 2>&1; then
		if [ "$CI" = true ]; then
			tap_fail "(a) promtool is installed" "scripts/deps.sh installs it (Debian package prometheus)"
		else
			tap_skip "(a) promtool check rules" "promtool is not installed (scripts/deps.sh: package prometheus)"
			tap_skip "(a) promtool test rules" "promtool is not installed"
		fi
		return 0
	fi
	v=$(promtool --version 2>&1 | head -n 1)
	e2e_note "$v"
	tap_check "(a) promtool check rules $RULES" promtool check rules "$RULES" || :
	tap_check "(a) promtool test rules $RULES_TEST (every alert firing and not, recorded values)" \
		promtool test rules "$RULES_TEST" || :
}
scenario_promtool

# ---------------------------------------------------------------- (b) dashboard

scenario_dashboard() {
	local bad
	tap_check "(b) $DASH is valid JSON" jq -e 'type == "object"' "$DASH" || return 0
	# every panel, rows' nested panels included
	bad=$(jq -r '[.panels[], (.panels[] | .panels? // [] | .[])] | map(select(.type != "row")) |
		map(select((.targets // []) | length == 0 or any(.[]; (.expr // "") == "")) |
		    "\(.id) \(.title)") | .[]' "$DASH")
	tap_assert "(b) every panel has targets, each with an expression" "$bad" -z "$bad" || :
	bad=$(jq -r '[.panels[], (.panels[] | .panels? // [] | .[])] | map(select(.type != "row")) |
		map(select(.datasource.uid != "${DS_PROMETHEUS}" or
			   any(.targets[]; .datasource.uid != "${DS_PROMETHEUS}")) | "\(.id) \(.title)") | .[]' "$DASH")
	tap_assert "(b) every panel and target uses the \${DS_PROMETHEUS} datasource" "$bad" -z "$bad" || :
	bad=$(jq -r '[.panels[], (.panels[] | .panels? // [] | .[])] | group_by(.id) |
		map(select(length > 1 or .[0].id == null) | "id \(.[0].id): \(length) panels") | .[]' "$DASH")
	tap_assert "(b) panel ids are unique" "$bad" -z "$bad" || :
	tap_assert "(b) an input DS_PROMETHEUS, variables datasource, instance and service" \
		"$(jq -c '{inputs: [.__inputs[]?.name], vars: [.templating.list[].name]}' "$DASH")" \
		"$(jq -r '([.__inputs[]? | select(.name == "DS_PROMETHEUS" and .pluginId == "prometheus")] | length == 1) and
			  ([.templating.list[].name] | contains(["instance", "service"])) and
			  ([.templating.list[] | select(.name == "instance" or .name == "service") |
			    .datasource.uid == "${DS_PROMETHEUS}"] | all)' "$DASH")" = true || :
	# Every expression parses as PromQL: as recording rules for promtool,
	# Grafana's variables replaced by what Grafana would put there.
	jq -r '"groups:", "  - name: dashboard", "    rules:",
		([.panels[], (.panels[] | .panels? // [] | .[])] | .[] | select(.targets) |
		 .id as $id | .targets[] |
		 "      - record: dashboard:panel\($id):\(.refId)",
		 "        expr: \(.expr | gsub("\\$__(rate_)?interval"; "5m") | gsub("\\$__range"; "1h") |
				       gsub("\\$\\{?[A-Za-z_]+\\}?"; ".*") | tojson)")' \
		"$DASH" >"$E2E_TMP/dash.rules.yml"
	if command -v promtool >/dev/null 2>&1; then
		tap_check "(b) every panel's expression parses as PromQL (promtool)" \
			promtool check rules "$E2E_TMP/dash.rules.yml" || :
	elif [ "$CI" = true ]; then
		tap_fail "(b) every panel's expression parses as PromQL" "promtool is not installed"
	else
		tap_skip "(b) every panel's expression parses as PromQL" "promtool is not installed"
	fi
}
scenario_dashboard

# ---------------------------------------------------------------- (c) extractor

scenario_extractor() {
	local e got
	# shellcheck disable=SC2016 # Grafana variables, not the shell's
	e='sum by (service, reason) (rate(adm_a_total{verdict=~"drop|x",service="$service"}[$__rate_interval] offset 5m))'
	e+=' / on(instance) group_left(node) adm:b:rate1m > bool 0.5 and histogram_quantile(0.99,'
	e+=' sum without(le) (rate(adm_c_bucket[5m:1m]))) unless label_values(adm_d{job="x"}, service)'
	e+=' or max_over_time(adm_e[1h]) * 1e3 > 2 or absent(nonexistent_metric offset -1h)'
	got=$(printf 'x\t%s\n' "$e" | $NAMES exprs | awk -F'\t' '$1 == "ref" { print $2 }' | tr '\n' ' ')
	tap_assert "(c) the extractor finds exactly the names of a hard expression" "got: $got" \
		"$got" = "adm:b:rate1m adm_a_total adm_c_bucket adm_d adm_e nonexistent_metric "
}
scenario_extractor

# ---------------------------------------------------------------- (d) live admd

e2e_topology
wait "$DB_INIT_PID" || { sed 's/^/#   /' "$DB_DIR/install.log"; exit 1; }
db_start
mariadb --no-defaults -S "$DB_SOCK" -uroot -e "
	CREATE DATABASE adm;
	CREATE USER 'adm'@'localhost' IDENTIFIED BY '$DB_PASS';
	GRANT ALL ON adm.* TO 'adm'@'localhost';"
printf '%s\n' "$DB_PASS" >"$E2E_TMP/db.pass"
chmod 600 "$E2E_TMP/db.pass"
e2e_redis_start redis

CONF="$E2E_TMP/adm.conf"
cat >"$CONF" <<EOF
[adm]
interfaces = $E2E_SRV_IF
pin_root = $E2E_PIN
cgroup = $E2E_CGROUP

[metrics]
listen = $METRICS_ADDR

[mariadb]
socket = $DB_SOCK
user = adm
password_file = $E2E_TMP/db.pass
database = adm
spool_dir = $E2E_TMP/spool

[redis]
socket = $E2E_TMP/redis.sock
cluster = mon$E2E_ID
node = n1
sync_interval_ms = 100

[service web]
ports = $P_WEB
priority = critical
breaker_latency = 200ms
breaker_window = 2s
breaker_cooldown = 2s
conn_limit = auto
conn_limit_min = 2
conn_limit_max = 100
on_conn_full = reject

[service api]
ports = $P_API
priority = normal
depends_on = web
breaker_probe = tcp:$E2E_SRV4:$P_WEB
probe_interval = 250ms
probe_timeout = 200ms

[service shop]
ports = $P_SHOP
priority = sheddable
conn_limit = 50
new_conn_rate = 100/s
new_conn_burst = 100
on_rate = reject
on_conn_full = reject
EOF

# scrape FILE: admd's /metrics, as Prometheus would read it
scrape() { in_srv curl -sf --max-time 5 "http://$METRICS_ADDR/metrics" >"$1"; }

# check_refs WHAT REFS_FILE: two test points. Every name the expressions
# read is known: a family of the scrape, a histogram's or summary's
# _bucket/_sum/_count, a recording rule of the rules file, or up. Every
# label a matcher names on an admd family is one of its labels in the
# scrape (or job/instance, which Prometheus adds), and every literal value
# of an equality matcher is one the scrape has. Each miss is listed with
# the rule or panel it is in.
check_refs() {
	local what=$1 refs=$2 out nnames nlabels
	out=$(awk -F'\t' -v T="$E2E_TMP" '
		BEGIN {
			while ((getline l <(T "/types")) > 0) { split(l, a, " "); fam[a[1]] = 1; type[a[1]] = a[2] }
			while ((getline l <(T "/recorded")) > 0) rec[l] = 1
			while ((getline l <(T "/labelvals")) > 0) { split(l, a, "\t"); lv[a[1] SUBSEP a[2] SUBSEP a[3]] = 1; lab[a[1] SUBSEP a[2]] = 1 }
		}
		function known(n, b) {
			if (n in fam || n in rec || n == "up") return 1
			if (match(n, /_(bucket|sum|count)$/)) {
				b = substr(n, 1, RSTART - 1)
				return type[b] == "histogram" || type[b] == "summary"
			}
			return 0
		}
		$1 == "ref" { names[$2] = 1; if (!known($2)) print "name\t" $2 " (in " $3 ")" }
		$1 == "label" || $1 == "value" {
			nl++
			if (!($2 in fam) || $3 == "job" || $3 == "instance") next
			if ($1 == "label" && !(($2 SUBSEP $3) in lab))
				print "label\t" $2 " has no label " $3 " (in " $4 ")"
			if ($1 == "value" && !(($2 SUBSEP $3 SUBSEP $4) in lv))
				print "label\t" $2 " has no sample with " $3 "=\"" $4 "\" (in " $5 ")"
		}
		END { n = 0; for (k in names) n++; print "count\t" n "\t" nl + 0 }' "$refs")
	nnames=$(awk -F'\t' '$1 == "count" { print $2 }' <<<"$out")
	nlabels=$(awk -F'\t' '$1 == "count" { print $3 }' <<<"$out")
	if ! grep -q '^name' <<<"$out" && [ "$nnames" -gt 0 ]; then
		tap_ok "(d) every metric name in $what is a family of the live /metrics ($nnames names)"
	else
		tap_fail "(d) every metric name in $what is a family of the live /metrics ($nnames names)" \
			"not in the scrape:"$'\n'"$(grep '^name' <<<"$out" | cut -f2)"
	fi
	if ! grep -q '^label' <<<"$out" && [ "$nlabels" -gt 0 ]; then
		tap_ok "(d) every label matcher in $what names a label and value of the live /metrics ($nlabels matchers)"
	else
		tap_fail "(d) every label matcher in $what names a label and value of the live /metrics ($nlabels matchers)" \
			"$(grep '^label' <<<"$out" | cut -f2)"
	fi
}

scenario_live() {
	local nexpr nrules
	e2e_tcpsrv srv -l "$E2E_SRV4:$P_WEB" -l "$E2E_SRV4:$P_API" -l "$E2E_SRV4:$P_SHOP"
	tap_check "(d) admd starts with breaker, adaptive limit, MariaDB and Redis" \
		e2e_admd_start "$CONF" || return 0
	e2e_wait_for 5 "a cluster round" sh -c \
		"nsenter --net=/run/netns/$E2E_NS_SRV curl -sf http://$METRICS_ADDR/metrics | grep -qx 'adm_cluster_up 1'" || :
	# some connections on each service, so samples exist too
	for p in "$P_WEB" "$P_API" "$P_SHOP"; do
		e2e_probe "$E2E_TMP/probe$p.json" -d "$E2E_SRV4:$p" -n 5 -t 1000 || :
	done
	tap_check "(d) GET /metrics" scrape "$E2E_TMP/metrics.txt" || return 0
	awk '$1 == "#" && $2 == "TYPE" { print $3 " " $4 }' "$E2E_TMP/metrics.txt" | sort -u >"$E2E_TMP/types"
	cut -d' ' -f1 "$E2E_TMP/types" >"$E2E_TMP/families"
	# NAME<TAB>LABEL<TAB>VALUE of every label of every sample
	perl -ne 'next if /^#/; next unless /^([\w:]+)\{(.*)\}\s/; my $n = $1; my $l = $2;
		print "$n\t$1\t$2\n" while $l =~ /(\w+)="((?:[^"\\]|\\.)*)"/g' \
		"$E2E_TMP/metrics.txt" | sort -u >"$E2E_TMP/labelvals"
	e2e_note "$(wc -l <"$E2E_TMP/families") families in the scrape"
	tap_assert "(d) the scrape has the families of every module (breaker, adaptive limit, cluster, MariaDB, spool, XDP)" \
		"$(cat "$E2E_TMP/families")" \
		"$(grep -cxE 'adm_breaker_state|adm_conn_limit_adaptive|adm_cluster_mode|adm_mariadb_up|adm_spool_up|adm_xdp_attached|adm_probe_up' "$E2E_TMP/families")" -eq 7 || :

	$NAMES rules "$RULES" >"$E2E_TMP/rules.refs"
	awk -F'\t' '$1 == "def" { print $2 }' "$E2E_TMP/rules.refs" | sort -u >"$E2E_TMP/recorded"
	nexpr=$(grep -c '^expr' "$E2E_TMP/rules.refs" || :)
	nrules=$(grep -cE '^\s*-\s*(alert|record):' "$RULES" || :)
	tap_assert "(d) an expression for every rule of $RULES ($nrules rules)" "expressions: $nexpr" \
		"$nexpr" -eq "$nrules" -a "$nrules" -gt 0 || :
	check_refs "the rules" "$E2E_TMP/rules.refs"

	jq -r '[.panels[], (.panels[] | .panels? // [] | .[])] | .[] | select(.targets) |
		.title as $t | .targets[] | "panel \($t)\t\(.expr | gsub("\n"; " "))"' "$DASH" |
		$NAMES exprs >"$E2E_TMP/dash.refs"
	jq -r '.templating.list[] | select(.type == "query") |
		"variable \(.name)\t\(.query | if type == "object" then .query else . end)"' "$DASH" |
		$NAMES exprs >>"$E2E_TMP/dash.refs"
	check_refs "the dashboard" "$E2E_TMP/dash.refs"
}
scenario_live

# xdp_attached: adm_xdp_attached of the server interface in a new scrape.
xdp_attached() {
	scrape "$E2E_TMP/xdp.txt" || return 0
	awk -v m="adm_xdp_attached{interface=\"$E2E_SRV_IF\"}" '$1 == m { print $2 }' "$E2E_TMP/xdp.txt"
}

# What AdmXdpDetached reads: 1 while attached, 0 once detached, 1 again.
scenario_xdp_metric() {
	tap_assert "(e) adm_xdp_attached{interface=\"$E2E_SRV_IF\"} 1 while attached" "got '$(xdp_attached)'" \
		"$(xdp_attached)" = 1 || return 0
	tap_check "(e) admctl detach $E2E_SRV_IF" admctl detach "$E2E_SRV_IF" || return 0
	tap_assert "(e) adm_xdp_attached 0 once detached" "got '$(xdp_attached)'" "$(xdp_attached)" = 0 || :
	tap_check "(e) admctl attach $E2E_SRV_IF" admctl attach "$E2E_SRV_IF" || return 0
	tap_assert "(e) adm_xdp_attached 1 again" "got '$(xdp_attached)'" "$(xdp_attached)" = 1 || :
}
scenario_xdp_metric

tap_plan_done
