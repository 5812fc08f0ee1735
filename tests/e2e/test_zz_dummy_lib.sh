#!/usr/bin/env bash
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_topology
tap_ok "topology up"
tap_assert "vcli has adm_pass" "" "$(ip -n $E2E_NS_CLI -j link show dev vcli | jq -r '.[0].xdp.prog.name')" = adm_pass
e2e_tcpsrv srv -l 10.77.0.1:8080 -l '[fd77::1]:8080'
e2e_tcpsrv srvh --hold -l 10.77.0.1:8081
e2e_probe $E2E_TMP/p1 -d 10.77.0.1:8080 -s 10.77.0.10 -s 10.77.0.11 -n 50 -c 10
cat $E2E_TMP/p1 | sed 's/^/# /'
tap_assert "v4 all ok" "$(cat $E2E_TMP/p1)" "$(jget $E2E_TMP/p1 .ok)" -eq 50
e2e_probe $E2E_TMP/p2 -d '[fd77::1]:8080' -s fd77::10 -s fd77::40 -n 20 -c 5
tap_assert "v6 all ok" "$(cat $E2E_TMP/p2)" "$(jget $E2E_TMP/p2 .ok)" -eq 20
tap_assert "v6 per source" "$(cat $E2E_TMP/p2)" "$(jget $E2E_TMP/p2 '.sources["fd77::40"].ok')" -eq 10
e2e_probe $E2E_TMP/p3 -d 10.77.0.1:9 -n 5 -c 5
tap_assert "closed port refused" "$(cat $E2E_TMP/p3)" "$(jget $E2E_TMP/p3 .refused)" -eq 5
e2e_probe $E2E_TMP/p4 -d 10.77.0.1:8081 -n 20 -c 20 --hold-ms 300
cat $E2E_TMP/p4 | sed 's/^/# /'
tap_assert "hold ok" "$(cat $E2E_TMP/p4)" "$(jget $E2E_TMP/p4 .ok)" -eq 20
e2e_probe $E2E_TMP/p5 -d 10.77.0.99:8080 -n 3 -c 3 -t 300
cat $E2E_TMP/p5 | sed 's/^/# /'
tap_assert "unanswered times out" "$(cat $E2E_TMP/p5)" "$(jget $E2E_TMP/p5 .timeout)" -eq 3
in_cli $TCPPROBE -d 10.77.0.1:8080 -s 10.77.0.10 -n 10 -c 3 | sed 's/^/# /'
tap_check "check passes" true
tap_check "check fails" sh -c 'echo some output; exit 3' || :
tap_skip "skip" "because"
if [ "${DUMMY_ABORT:-}" = 1 ]; then false; fi
if [ "${DUMMY_STOP:-}" = 1 ]; then tap_assert "stop here" "detail" 1 -eq 2; fi
tap_plan_done
