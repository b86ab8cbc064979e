# shellcheck shell=bash
# The report of bench/run (sourced by it): medians of $W/rows, ratios to
# OpenSSH (a), the targets, the scaling tables and the machine's facts, as
# Markdown and TSV under $OUT_DIR. Reads the globals bench/run set.

# summarize: raw rows -> one line per cipher, workload, param and server:
# n, median seconds, figure, unit, median server CPU s, largest RSS (MiB),
# the ratios to (a) of the figure, the CPU and the RSS, the median client
# CPU s, and the median time of the transfer alone ("-" where not
# measured).
summarize() {
  awk -F'\t' -v OFS='\t' "$MEDIAN_AWK"'
    { k = $1 FS $2 FS $3 FS $4
      if (!(k in n)) order[++keys] = k
      n[k]++; sec[k] = sec[k] " " $6; cpu[k] = cpu[k] " " $7
      ccpu[k] = ccpu[k] " " $11
      if ($12 ~ /^[0-9.]+$/) xfer[k] = xfer[k] " " $12
      if ($8 + 0 > rss[k]) rss[k] = $8 + 0
      amount[k] = $9; unit[k] = $10 }
    END {
      for (i = 1; i <= keys; i++) {
        k = order[i]; split(k, f, FS)
        s = median(sec[k]); c = median(cpu[k])
        if (unit[k] == "s") fig = s
        else if (unit[k] == "MB/s") fig = amount[k] / 1e6 / s
        else fig = amount[k] / s
        FIG[k] = fig; CPU[k] = c; SEC[k] = s
      }
      for (i = 1; i <= keys; i++) {
        k = order[i]; split(k, f, FS)
        a = f[1] FS f[2] FS f[3] FS "openssh"
        r = (a in FIG) ? FIG[k] / FIG[a] : 0
        cr = (a in CPU && CPU[a] > 0) ? CPU[k] / CPU[a] : 0
        rr = (a in rss && rss[a] > 0) ? rss[k] / rss[a] : 0
        printf "%s\t%s\t%s\t%s\t%d\t%.3f\t%.1f\t%s\t%.2f\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\n",
          f[1], f[2], f[3], f[4], n[k], SEC[k], FIG[k], unit[k], CPU[k],
          rss[k] / 1024, r, cr, rr, median(ccpu[k]),
          (k in xfer) ? sprintf("%.4f", median(xfer[k])) : "-"
      }
    }' "$W/rows"
}

machine_facts() {
  local cpu mem
  cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
  cat <<EOF
| fact | value |
|---|---|
| date | $(date -u '+%Y-%m-%d %H:%M UTC') |
| host | $(hostname) |
| CPU | $cpu, $(nproc) cores online |
| RAM | $mem |
| kernel | $(uname -sr) |
| OS | $(. /etc/os-release && echo "$PRETTY_NAME") |
| OpenSSH | $(ssh -V 2>&1) (sshd, sftp-server, internal-sftp; the clients sftp and ssh) |
| gesftpserver | $(dpkg-query -W -f '${Version}' gesftpserver 2>/dev/null || echo '?') |
| sshfs | $(dpkg-query -W -f '${Version}' sshfs 2>/dev/null || echo '?') |
| libssh | $(dpkg-query -W -f '${Version}' 'libssh-4' 2>/dev/null || echo '?') |
| sftpd | $("$SFTPD" --version 2>&1 | head -1), commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- sftpd config policy 2>/dev/null || echo ' (with local changes)'), $SFTPD |
| data | /dev/shm (tmpfs); all servers on 127.0.0.1, user $U |
| CPU accounting | cgroup $CG_KIND, one cgroup per server (listener + every session process) |
EOF
}

# tables_md SUMMARY: the main tables, the targets, the scaling tables.
tables_md() {
  local link names=''
  for link in "${LINKS[@]}"; do
    # shellcheck disable=SC2086  # "RTT LOSS"
    names+="$(link_name $link) "
  done
  awk -F'\t' -v reps="$REPS" -v sreps="$SCALE_REPS" -v SIZES="${SIZES_MIB[*]}" \
    -v PLOT="$(basename "$2")" -v LPLOT="$(basename "$3")" -v LINKNAMES="$names" \
    -v LMIB="$LINK_MIB" '
    BEGIN {
      split("openssh internal gesftp stdio daemon", S, " ")
      L["openssh"] = "(a) sshd + sftp-server"; L["internal"] = "(b) sshd + internal-sftp"
      L["gesftp"] = "(c) sshd + gesftpserver"; L["stdio"] = "(d) sshd + sftpd --stdio"
      L["daemon"] = "(e) sftpd serve"
      D["W1"] = "W1 get 1 GiB"; D["W2"] = "W2 put 1 GiB"
      D["W3"] = "W3 put 2000 x 4 KiB"; D["W4"] = "W4 get 2000 x 4 KiB"
      D["W5"] = "W5 ls -l"; D["W6"] = "W6 connect+auth+ls"
      D["W7"] = "W7 concurrent 256 MiB gets"
      D["W8r"] = "W8 sshfs read 1 GiB"; D["W8w"] = "W8 sshfs write 1 GiB"
      split("W1 W2 W3 W4 W5 W6 W7 W8r W8w", WL, " ")
      # The 1 GiB point of the sizes is W1 and W2 (the same workloads).
      NSIZES = split(SIZES " 1024", SZ, " ")
      NLINKS = split(LINKNAMES, LN, " ")
      MAIN["W1"] = 1; MAIN["W2"] = 1; MAIN["W3"] = 2000; MAIN["W4"] = 2000
      MAIN["W5"] = 20000; MAIN["W6"] = 20; MAIN["W7"] = 8; MAIN["W8r"] = 1
      MAIN["W8w"] = 1
    }
    FNR == 1 { next }  # the header
    { k = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4; have[k] = 1
      fig[k] = $7; unit[k] = $8; cpu[k] = $9; rss[k] = $10; sec[k] = $6
      ratio[k] = $11; cratio[k] = $12; n[k] = $5; ccpu[k] = $14; ciph[$1] = 1
      xs[k] = $15
      if (($2 == "W1" || $2 == "W2") && $3 == 1) {
        a = $1 SUBSEP ($2 == "W1" ? "S1" : "S2") SUBSEP 1024 SUBSEP $4; have[a] = 1
        fig[a] = $7; unit[a] = $8; cpu[a] = $9; rss[a] = $10; sec[a] = $6
        ratio[a] = $11; cratio[a] = $12; n[a] = $5; ccpu[a] = $14; xs[a] = $15
      } }
    function label(w, p) {
      if (w == "W5") return D[w] " " p " entries"
      if (w == "W6") return p " x connect+auth+ls"
      if (w == "W7") return "W7 " p " concurrent 256 MiB gets"
      return D[w]
    }
    function main_table(c,   i, j, w, p, k, s) {
      print "| workload | server | figure | vs (a) | server CPU s | CPU vs (a) | client CPU s | peak session RSS MiB | reps |"
      print "|---|---|---|---|---|---|---|---|---|"
      for (i = 1; i <= 9; i++) {
        w = WL[i]; p = MAIN[w]
        for (j = 1; j <= 5; j++) {
          s = S[j]; k = c SUBSEP w SUBSEP p SUBSEP s
          if (!(k in have)) continue
          printf "| %s | %s | %s %s | %.2f | %.2f | %.2f | %.2f | %.1f | %d |\n",
            label(w, p), L[s], fig[k], unit[k], ratio[k], cpu[k], cratio[k],
            ccpu[k], rss[k], n[k]
        }
      }
    }
    # target(label, value, op, limit): one row of the targets table.
    function target(what, v, op, lim,   ok, miss) {
      if (v == "") { printf "| %s | not measured | %s %s | - |\n", what, op, lim; return }
      ok = (op == ">=") ? v >= lim : v <= lim
      miss = ok ? "met" : sprintf("missed by %.0f%%", op == ">=" ? (1 - v / lim) * 100 : (v / lim - 1) * 100)
      printf "| %s | %.2f | %s %s | %s |\n", what, v, op, lim, miss
    }
    # The row of server s, workload w, param p with aes128-gcm; ratio_at
    # the ratio of its figure to (a), or "" without such a row.
    function key_of(s, w, p) { return "aes128-gcm@openssh.com" SUBSEP w SUBSEP p SUBSEP s }
    function ratio_at(s, w, p,   k) { k = key_of(s, w, p)
      return (k in have) ? ratio[k] : "" }
    # The same for a main workload (MAIN[w]).
    function ratio_of(s, w) { return ratio_at(s, w, MAIN[w]) }
    function cpu_ratio_of(s, w,   k) { k = key_of(s, w, MAIN[w])
      return (k in have) ? cratio[k] : "" }
    # The sizes part: S1 get, S2 put of one file of p MiB. MB/s of the
    # transfer alone, or "".
    function alone(s, w, p,   k) { k = key_of(s, w, p)
      return (k in have && xs[k] ~ /^[0-9.]+$/ && xs[k] > 0) ? p * 1048576 / 1e6 / xs[k] : "" }
    function alone_ratio(s, w, p,   a, b) { a = alone(s, w, p); b = alone("openssh", w, p)
      return (a != "" && b != "") ? a / b : "" }
    function cell(v, fmt) { return v == "" ? "-" : sprintf(fmt, v) }
    function sizes_table(   i, j, p, s, k1, k2) {
      print "| file MiB | server | get MB/s | vs (a) | get alone MB/s | vs (a) | put MB/s | vs (a) | put alone MB/s | vs (a) | server CPU s per GiB, get / put | reps |"
      print "|---|---|---|---|---|---|---|---|---|---|---|---|"
      for (i = 1; i <= NSIZES; i++) {
        p = SZ[i]
        for (j = 1; j <= 5; j++) {
          s = S[j]; k1 = key_of(s, "S1", p); k2 = key_of(s, "S2", p)
          if (!(k1 in have) && !(k2 in have)) continue
          printf "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |\n", p, L[s],
            (k1 in have) ? fig[k1] : "-", cell(ratio_at(s, "S1", p), "%.2f"),
            cell(alone(s, "S1", p), "%.1f"), cell(alone_ratio(s, "S1", p), "%.2f"),
            (k2 in have) ? fig[k2] : "-", cell(ratio_at(s, "S2", p), "%.2f"),
            cell(alone(s, "S2", p), "%.1f"), cell(alone_ratio(s, "S2", p), "%.2f"),
            (k1 in have) ? sprintf("%.2f", cpu[k1] * 1024 / p) : "-",
            (k2 in have) ? sprintf("%.2f", cpu[k2] * 1024 / p) : "-",
            (k1 in have) ? n[k1] : n[k2]
        }
      }
    }
    # The links part: L1 get, L2 put of LMIB MiB, L5 ls -l 20000 over
    # link p.
    function links_table(   i, j, p, s, k1, k2, k5) {
      print "| link | server | get MB/s | vs (a) | put MB/s | vs (a) | ls -l entries/s | vs (a) | server CPU s, get / put / ls | reps |"
      print "|---|---|---|---|---|---|---|---|---|---|"
      for (i = 1; i <= NLINKS; i++) {
        p = LN[i]
        for (j = 1; j <= 5; j++) {
          s = S[j]; k1 = key_of(s, "L1", p); k2 = key_of(s, "L2", p); k5 = key_of(s, "L5", p)
          if (!(k1 in have) && !(k2 in have) && !(k5 in have)) continue
          printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s |\n", p, L[s],
            (k1 in have) ? fig[k1] : "-", cell(ratio_at(s, "L1", p), "%.2f"),
            (k2 in have) ? fig[k2] : "-", cell(ratio_at(s, "L2", p), "%.2f"),
            (k5 in have) ? fig[k5] : "-", cell(ratio_at(s, "L5", p), "%.2f"),
            (k1 in have) ? cpu[k1] : "-", (k2 in have) ? cpu[k2] : "-",
            (k5 in have) ? cpu[k5] : "-", (k1 in have) ? n[k1] : (k2 in have) ? n[k2] : n[k5]
        }
      }
    }
    function rss_of(s, w,   k) { k = key_of(s, w, MAIN[w])
      return (k in have) ? rss[k] : "" }
    END {
      for (c in ciph) {
        if (c != "aes128-gcm@openssh.com") continue
        print "## Results, " c "\n"
        main_table(c); print ""
      }
      for (c in ciph) {
        if (c == "aes128-gcm@openssh.com") continue
        print "## Results, " c "\n"
        main_table(c); print ""
      }
      print "## Targets (aes128-gcm@openssh.com, ratios to (a) in this run)\n"
      print "| target | measured | wanted | verdict |"
      print "|---|---|---|---|"
      target("daemon W1 get speed", ratio_of("daemon", "W1"), ">=", 1.3)
      target("daemon W2 put speed", ratio_of("daemon", "W2"), ">=", 1.3)
      target("daemon W3 put files/s", ratio_of("daemon", "W3"), ">=", 1.2)
      target("daemon W4 get files/s", ratio_of("daemon", "W4"), ">=", 1.2)
      target("daemon W5 ls -l 20000 entries/s", ratio_of("daemon", "W5"), ">=", 1.5)
      target("daemon W6 time", ratio_of("daemon", "W6"), "<=", 0.7)
      target("daemon W7 8 sessions speed", ratio_of("daemon", "W7"), ">=", 1.3)
      target("daemon server CPU per GiB, W1 get", cpu_ratio_of("daemon", "W1"), "<=", 0.5)
      target("daemon server CPU per GiB, W2 put", cpu_ratio_of("daemon", "W2"), "<=", 0.5)
      target("daemon session RSS MiB, W1 get", rss_of("daemon", "W1"), "<=", 16)
      target("daemon session RSS MiB, W2 put", rss_of("daemon", "W2"), "<=", 16)
      for (i = 1; i <= 9; i++) {
        w = WL[i]
        target("--stdio " label(w, MAIN[w]) (w == "W6" ? " time" : ""),
          ratio_of("stdio", w), w == "W6" ? "<=" : ">=", w == "W5" ? 1.2 : 1.0)
      }
      for (i = 1; i <= NSIZES; i++) {
        p = SZ[i]
        target("daemon get " p " MiB (session)", ratio_at("daemon", "S1", p), ">=", p < 16 ? 1.0 : 1.2)
        target("daemon put " p " MiB (session)", ratio_at("daemon", "S2", p), ">=", p < 16 ? 1.0 : 1.2)
        target("--stdio get " p " MiB (session)", ratio_at("stdio", "S1", p), ">=", 1.0)
        target("--stdio put " p " MiB (session)", ratio_at("stdio", "S2", p), ">=", 1.0)
      }
      for (i = 1; i <= NLINKS; i++) {
        p = LN[i]
        if (p == "rtt20" || p == "rtt60") {
          target("daemon get over " p, ratio_at("daemon", "L1", p), ">=", 1.0)
          target("daemon put over " p, ratio_at("daemon", "L2", p), ">=", 1.5)
        }
        target("--stdio get over " p, ratio_at("stdio", "L1", p), ">=", 1.0)
        target("--stdio put over " p, ratio_at("stdio", "L2", p), ">=", 1.0)
        target("--stdio ls -l over " p, ratio_at("stdio", "L5", p), ">=", 1.0)
      }
      print ""
      print "## Sizes: one file, get (W1) and put (W2) by its size (aes128-gcm)\n"
      print "Each a whole session as a user runs it (connection and login"
      print "included) and, *alone*, the transfer between time stamps the client"
      print "takes before and after it (open to close). Plot: `" PLOT "`.\n"
      sizes_table()
      print ""
      if (NLINKS > 0) {
        print "## Links: over a round trip, and with losses (aes128-gcm)\n"
        print "Servers and clients in two network namespaces joined by"
        print "`tests/delay_line` (TUN devices, MTU 9000; each packet held for half the"
        print "round trip, a seeded share of them dropped): rttN is a round trip of N"
        print "ms, +lossP% drops P% of the packets each way. A get and a put of one"
        print "file of " LMIB " MiB and `ls -l` of 20000 entries, whole sessions. Plot of the"
        print "gets and puts against the round trip: `" LPLOT "`.\n"
        links_table()
        print ""
      }
      print "## Scaling: W5 ls -l by directory size (aes128-gcm)\n"
      print "| server | entries | seconds | us per entry | server CPU s | CPU us per entry | peak session RSS MiB | reps |"
      print "|---|---|---|---|---|---|---|---|"
      for (j = 1; j <= 5; j++) {
        split("2000 20000 200000", NS, " ")
        for (i = 1; i <= 3; i++) {
          k = "aes128-gcm@openssh.com" SUBSEP "W5" SUBSEP NS[i] SUBSEP S[j]
          if (!(k in have)) continue
          printf "| %s | %d | %.3f | %.1f | %.2f | %.1f | %.1f | %d |\n", L[S[j]],
            NS[i], sec[k], sec[k] / NS[i] * 1e6, cpu[k], cpu[k] / NS[i] * 1e6,
            rss[k], n[k]
        }
      }
      print ""
      print "## Scaling: W7 by sessions, each getting 64 MiB at once (aes128-gcm)\n"
      print "| server | sessions | total MB/s | seconds | server CPU s per GiB | client CPU s per GiB | peak RSS of one session MiB | reps |"
      print "|---|---|---|---|---|---|---|---|"
      for (j = 1; j <= 5; j++) {
        split("1 4 16", NS, " ")
        for (i = 1; i <= 3; i++) {
          k = "aes128-gcm@openssh.com" SUBSEP "W7s" SUBSEP NS[i] SUBSEP S[j]
          if (!(k in have)) continue
          printf "| %s | %d | %s | %.2f | %.2f | %.2f | %.1f | %d |\n", L[S[j]],
            NS[i], fig[k], sec[k], cpu[k] / (NS[i] / 16), ccpu[k] / (NS[i] / 16),
            rss[k], n[k]
        }
      }
    }' "$1"
}

# plot_sizes SUMMARY SVG: MB/s of each server's whole-session get and put
# against the file size (log scale), with gnuplot.
plot_sizes() {
  local data
  data=$(dirname "$2")/$(basename "$2" .svg).dat
  awk -F'\t' -v OFS='\t' 'FNR > 1 && $1 ~ /^aes128/ {
      if ($2 == "S1" || $2 == "S2") print $4, $2, $3, $7
      else if (($2 == "W1" || $2 == "W2") && $3 == 1) print $4, ($2 == "W1" ? "S1" : "S2"), 1024, $7 }' "$1" | sort -k1,1 -k2,2 -k3,3n >"$data"
  plot_get_put "$data" "$2" S1 S2 \
    "one file over loopback, aes128-gcm (medians, session incl. login)" \
    'set logscale x 2; set xlabel "file size (MiB)"; set key top left'
}

# plot_links SUMMARY SVG: MB/s of each server's get and put over the links
# without losses, against the round trip.
plot_links() {
  local data
  data=$(dirname "$2")/$(basename "$2" .svg).dat
  awk -F'\t' -v OFS='\t' 'FNR > 1 && ($2 == "L1" || $2 == "L2") && $1 ~ /^aes128/ &&
      $3 ~ /^rtt[0-9]+$/ { print $4, $2, substr($3, 4), $7 }' "$1" |
    sort -k1,1 -k2,2 -k3,3n >"$data"
  plot_get_put "$data" "$2" L1 L2 \
    "one file of $LINK_MIB MiB over a link, aes128-gcm (medians, session incl. login)" \
    'set xlabel "round trip (ms)"; set key top right; set yrange [0:*]'
}

# plot_get_put DATA SVG GET PUT TITLE SETTINGS: from DATA (server, workload,
# x, MB/s; tab-separated; removed after) a get panel and a put panel with a
# line per server, into SVG; SETTINGS are gnuplot commands for both.
plot_get_put() {
  if [[ -s $1 ]]; then
    gnuplot <<GNUPLOT || say "gnuplot failed; no plot"
set terminal svg size 1100,480 dynamic font "sans,11"
set output "$2"
set multiplot layout 1,2 title "sftpd bench: $5"
set ylabel "MB/s"
set grid
$6
set datafile separator "\t"
do for [op in "$3 $4"] {
  set title (op eq "$3" ? "get" : "put")
  plot for [s in "openssh stdio daemon"] "$1" using 3:((strcol(1) eq s && strcol(2) eq op) ? \$4 : 1/0) \
    with linespoints title (s eq "openssh" ? "(a) sshd + sftp-server" : s eq "stdio" ? "(d) sshd + sftpd --stdio" : "(e) sftpd serve")
}
unset multiplot
GNUPLOT
  fi
  rm -f "$1"
}

write_report() {
  mkdir -p "$OUT_DIR"
  local base
  base=$OUT_DIR/$(date -u +%Y%m%d-%H%M)-$(hostname -s)
  REPORT_MD=$base.md
  {
    printf 'cipher\tworkload\tparam\tserver\treps\tmedian_s\tfigure\tunit\tmedian_server_cpu_s\tpeak_session_rss_mib\tfigure_ratio_to_a\tcpu_ratio_to_a\trss_ratio_to_a\tmedian_client_cpu_s\tmedian_transfer_s\n'
    summarize
  } >"$base.tsv"
  {
    printf 'cipher\tworkload\tparam\tserver\trep\tseconds\tserver_cpu_s\tpeak_session_rss_kib\tamount\tunit\tclient_cpu_s\ttransfer_s\n'
    cat "$W/rows"
  } >"$base-raw.tsv"
  {
    echo "# sftpd benchmark: $(date -u +%Y-%m-%d) on $(hostname -s)"
    echo
    echo "\`bench/run\`: every server on 127.0.0.1, same user ($U), same files on"
    echo "tmpfs, OpenSSH's sftp client (defaults: 32 KiB requests, 64 in flight) and"
    echo "sshfs $(dpkg-query -W -f '${Version}' sshfs 2>/dev/null) as clients, every client with key exchange"
    echo "$BENCH_KEX; the servers interleaved rep by rep (order rotated each"
    echo "rep). Gets of one file (W1, W7) go to /dev/null, so the client's own"
    echo "writes are not in the figures. Figures are medians over the reps in each"
    echo "row's last column; the plan was $REPS reps of each main workload for (a),"
    echo "(d) and (e), $PEER_REPS for the peers (b) and (c) and for the sshfs part,"
    echo "$CHACHA_REPS with chacha20-poly1305, $SCALE_REPS per scaling point and $LINK_REPS"
    echo "per link (these three for (a), (d), (e)); no workload starts after"
    echo "${BUDGET} s. Wall time of the whole run: $((SECONDS - RUN_START)) s."
    echo
    machine_facts
    echo
    echo "Reading the tables: *figure* is MB/s (10^6 bytes/s), files/s, entries/s"
    echo "(whole sessions, connection and login included) or seconds (W6, 20"
    echo "sequential sessions). *vs (a)* is the figure divided by (a)'s: higher is"
    echo "better, but for seconds lower is better. *server CPU s* is user+system CPU"
    echo "of all the server's processes (sshd listener and sessions, or sftpd's"
    echo "listener and children) during the workload, median over reps; *client"
    echo "CPU s* the same for the clients (sftp, ssh, sshfs and its ssh): where it"
    echo "is close to the time, the client, not the server, sets the pace. *peak"
    echo "session RSS* is the largest VmHWM seen (sampled every 0.1 s, largest over"
    echo "the reps) of:"
    local s
    for s in "${SERVERS[@]}"; do echo "${LABEL[$s]}: ${RSS_WHAT[$s]};"; done
    echo "0 means no such process was seen (a session shorter than the sampling)."
    echo "sshd runs with UsePAM yes (Debian's default), as sftpd serve runs"
    echo "its PAM account and session stacks; sftpd serve writes its audit file,"
    echo "sftpd --stdio sends audit events to syslog (no syslog socket here)."
    echo
    tables_md "$base.tsv" "$base-sizes.svg" "$base-links.svg"
    echo
    echo "## Wall time of each part"
    echo
    echo "| part | cipher | reps | seconds |"
    echo "|---|---|---|---|"
    printf '%s' "$PART_TIMES" | awk -F'\t' '{printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4}'
    echo
    echo "Raw rows: \`$(basename "$base")-raw.tsv\`; medians and ratios: \`$(basename "$base").tsv\`."
  } >"$REPORT_MD"
  cp "$REPORT_MD" "$OUT_DIR/latest.md"
  plot_sizes "$base.tsv" "$base-sizes.svg"
  plot_links "$base.tsv" "$base-links.svg"
  local svg
  for svg in sizes links; do
    [[ -f $base-$svg.svg ]] && cp "$base-$svg.svg" "$OUT_DIR/latest-$svg.svg"
  done
  return 0
}
