#!/usr/bin/env bash
# `sftpd audit` on a generated trail of EVENTS events (default 1 000 000)
# over four users, rotated as logrotate leaves it (LOG.3.gz LOG.2.gz LOG.1
# LOG) with corrupt lines planted in it: the answer to "what did alice
# change in /shared last week?", the filters combined, --json, --summary
# and --summary --json agree with what the generator counted while writing; each corrupt line is
# reported by file and line and skipped; memory stays flat (the peak RSS of
# a query over all events is within 2 MiB of one over a hundredth); usage
# errors and a missing log exit 2 and 1. Prints each query's time and peak
# memory.
# Usage: audit_cli_test.sh /path/to/sftpd
#   SFTPD_AUDIT_EVENTS overrides the count.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

EVENTS=${SFTPD_AUDIT_EVENTS:-1000000}
LOGDIR=$TMP/log
LOG=$LOGDIR/audit.jsonl
CFG=$TMP/etc/sftpd.toml
mkdir -p "$LOGDIR" "$TMP/srv"
install_config "$CFG" <<CONFIG
[audit]
log = "$LOG"

[exports.home]
path = "$TMP/srv"
CONFIG

log "generating $EVENTS events"
# The generator writes the trail (two events a second from 2026-11-01, in
# four files) and, in expect.json, the answers it counted as it wrote.
cat >"$TMP/gen.py" <<'PYTHON'
import gzip, json, sys
n, logdir, expect_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
users = ["alice", "bob", "carol", "dave"]
t0 = 1793491200  # 2026-11-01T00:00:00Z
week = (1795046400, 1795651200)  # 2026-11-19 .. 2026-11-26
parts = [logdir + "/audit.jsonl.3.gz", logdir + "/audit.jsonl.2.gz",
         logdir + "/audit.jsonl.1", logdir + "/audit.jsonl"]
# Corrupt lines, planted after these event numbers, in the part they fall in.
corrupt_after = {n // 8: "{\"time\":\"2026-11-01T00:00:00Z\",\"op\":",
                 n // 3: "garbage, not JSON",
                 (2 * n) // 3: "",
                 n - 2: "{\"time\":\"yesterday\",\"op\":\"open\"}"}
expect = {"change_alice_shared_week": 0, "bob_refused_from": 0,
          "json_close_carol_day": 0, "corrupt": [],
          "summary": {u: [0, 0, 0, 0, 0, 0] for u in users}}
files = [gzip.open(p, "wt") if p.endswith(".gz") else open(p, "w")
         for p in parts]
lines_in = [0] * 4
import time
for i in range(n):
    part = min(3, i * 4 // n)
    f = files[part]
    ts = t0 + i * 2
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".%06dZ" % (i % 1000000)
    u = users[(i // 10) % 4]  # a session of ten events, one user's
    addr = "192.168.%d.%d" % (i % 2, i % 200 + 1)
    head = ('{"time":"%s","session":"%016x","user":"%s","uid":%d,"addr":"%s",'
            '"port":%d,' % (stamp, i // 10, u, 1000 + users.index(u), addr, 40000 + i % 1000))
    k = i % 10
    s = expect["summary"][u]
    change = False
    if k == 0:
        body = '"op":"login","result":"ok"'
        s[0] += 1
    elif k == 9:
        body = '"op":"logout","result":"ok"'
    elif k in (1, 2):
        body = '"op":"open","path":"/shared/d%d/f%d","result":"ok","detail":"wct"' % (i % 50, i)
        change = True
    elif k in (3, 4):
        w = 4096 + i % 1000
        body = ('"op":"close","path":"/shared/d%d/f%d","result":"ok",'
                '"bytes_read":0,"bytes_written":%d' % (i % 50, i, w))
        s[2] += 1
        s[4] += w
        change = True
    elif k == 5:
        body = ('"op":"close","path":"/home/doc%d","result":"ok",'
                '"bytes_read":8192,"bytes_written":0' % i)
        s[1] += 1
        s[3] += 8192
        if u == "carol" and t0 + 86400 <= ts < t0 + 2 * 86400:
            expect["json_close_carol_day"] += 1
    elif k == 6:
        body = '"op":"rename","path":"/home/a%d","target":"/shared/b%d","result":"ok"' % (i, i)
        change = True
    elif k == 7:
        body = ('"op":"remove","path":"/archive/x%d","result":"Permission denied",'
                '"rule":"read-only export"' % i)
        s[5] += 1
        if u == "bob" and addr.startswith("192.168.1."):
            expect["bob_refused_from"] += 1
    else:
        body = '"op":"mkdir","path":"/home/d%d","result":"ok"' % i
    if change and u == "alice" and week[0] <= ts < week[1]:
        expect["change_alice_shared_week"] += 1
    f.write(head + body + "}\n")
    lines_in[part] += 1
    if i in corrupt_after:
        f.write(corrupt_after[i] + "\n")
        lines_in[part] += 1
        expect["corrupt"].append("%s:%d" % (parts[part], lines_in[part]))
for f in files:
    f.close()
json.dump(expect, open(expect_file, "w"))
PYTHON
start=$SECONDS
timeout 600 /usr/bin/python3 "$TMP/gen.py" "$EVENTS" "$LOGDIR" "$TMP/expect.json"
log "  ... in $((SECONDS - start)) s: $(du -sh "$LOGDIR" | cut -f1) in $(ls "$LOGDIR" | wc -l) files"
expect() { /usr/bin/python3 -c "import json,sys; print(eval(sys.argv[1], {'e': json.load(open('$TMP/expect.json'))}))" "$1"; }

# query NAME ARGS...: runs `sftpd audit ARGS` with the test config, output
# in $TMP/NAME.out and .err; logs its time and peak RSS; returns its status.
query() {
  local name=$1 rc=0; shift
  /usr/bin/time -f '%e %M' -o "$TMP/$name.time" \
    timeout 300 "$SFTPD" audit --config "$CFG" "$@" \
    >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
  # The last line: time(1) puts a line of its own first when rc != 0.
  read -r secs kib < <(tail -n 1 "$TMP/$name.time") || true
  log "  $name: $secs s, peak RSS $kib KiB (exit $rc)"
  return $rc
}
rss_of() { tail -n 1 "$TMP/$1.time" | cut -d' ' -f2; }
# rows NAME: the table's rows without its header.
rows() { tail -n +2 "$TMP/$1.out" | wc -l; }

log "queries over $EVENTS events"
check "what did alice change in /shared last week?" \
  query week --user alice --path '/shared/*' --op change \
  --since 2026-11-19 --until 2026-11-26
check_eq "  ... as many rows as the generator wrote" \
  "$(expect "e['change_alice_shared_week']")" "$(rows week)"
check "  ... which is some" test "$(rows week)" -gt 0
check "  ... each an alice change in /shared in that week" awk '
  NR > 1 && !($1 >= "2026-11-19" && $1 < "2026-11-26" && $4 == "alice" &&
              $3 ~ /^[0-9a-f]+$/ && $6 ~ /^(open|close|rename)$/ &&
              $0 ~ / \/shared\//) {bad++}
  END {exit bad > 0}' "$TMP/week.out"
log "$(sed -n '1,3p' "$TMP/week.out")"

check "bob's refusals from 192.168.1.0/24 (--op refused --from)" \
  query refused --user bob --op refused --from 192.168.1.0/24
check_eq "  ... counted right" "$(expect "e['bob_refused_from']")" "$(rows refused)"
check "  ... which is some" test "$(rows refused)" -gt 0

check "carol's reads on 2026-11-02 as JSON lines" \
  query json --user carol --op read --since 2026-11-02 --until 2026-11-03 --json
check_eq "  ... counted right" "$(expect "e['json_close_carol_day']")" "$(wc -l <"$TMP/json.out")"
check "  ... which is some" test "$(wc -l <"$TMP/json.out")" -gt 0
check "  ... each line JSON, carol's, a close that read" /usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert e["user"] == "carol" and e["op"] == "close" and e["bytes_read"] > 0
' "$TMP/json.out"

check "--summary over everything" query summary --summary
for u in alice bob carol dave; do
  check_eq "  ... $u: sessions, files read and written, bytes, refusals" \
    "$u $(expect "' '.join(map(str, e['summary']['$u']))")" \
    "$(awk -v u="$u" '$1 == u {print $1, $2, $3, $4, $5, $6, $7}' "$TMP/summary.out")"
done
check "--summary --json over everything" query summary_json --summary --json
check "  ... a JSON object per user, one a line, with the same sums" /usr/bin/python3 -c '
import json, sys
expect = json.load(open(sys.argv[2]))["summary"]
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = ["sessions", "files_read", "files_written", "bytes_read",
        "bytes_written", "refusals"]
got = {r["user"]: [r[k] for k in keys] for r in rows}
assert got == expect, (got, expect)
' "$TMP/summary_json.out" "$TMP/expect.json"
check_eq "the corrupt lines are reported by file and line" \
  "$(expect "'\n'.join(e['corrupt'])")" \
  "$(grep -o '^sftpd audit: [^ ]*:[0-9]*: not an audit event' "$TMP/summary.err" |
     sed 's/^sftpd audit: //; s/: not an audit event$//')"
check "  ... and counted" grep -q '^sftpd audit: 4 corrupt lines skipped$' "$TMP/summary.err"

log "memory stays flat"
# A trail of the same shape with a hundredth of the events.
mkdir "$TMP/small"
/usr/bin/python3 "$TMP/gen.py" $((EVENTS / 100)) "$TMP/small" "$TMP/small.json"
check "a query over a hundredth of the events" \
  query small --summary $(for f in "$TMP"/small/audit.jsonl.{3.gz,2.gz,1} "$TMP/small/audit.jsonl"; do echo --file "$f"; done)
# Keeping even 2 bytes of each event would add 2 MiB over a million; the
# allocator's own noise between runs is a few hundred KiB.
check "  ... peaks as high as one over all of them, within 2 MiB ($(rss_of small) and $(rss_of summary) KiB)" \
  test "$(rss_of summary)" -le $(($(rss_of small) + 2048))

log "errors"
rc=0
query usage --op writes || rc=$?
check_eq "an unknown op is a usage error (exit 2)" "2" "$rc"
check "  ... saying why" grep -q "unknown op 'writes'" "$TMP/usage.err"
rc=0
query missing --file "$TMP/none.jsonl" || rc=$?
check_eq "a missing log exits 1" "1" "$rc"
check "  ... saying which" grep -q "$TMP/none.jsonl" "$TMP/missing.err"
check "sftpd audit --help lists the op classes" \
  bash -c "'$SFTPD' audit --help | grep -q '^ *refused '"

finish
