#!/usr/bin/env bash
# Real lockdep traces from a tiny Linux 6.1 guest under QEMU (TCG, no KVM): builds the kernel once
# (outside the repository, cached), boots one capture per boot and collects the trace, dmesg and
# /proc/lockdep*; see docs/kernel.md.
#
#   test/kernel/run.sh list                      the captures (test/kernel/captures.txt)
#   test/kernel/run.sh build                     packages, kernel source, driver, bzImage, initramfs
#   test/kernel/run.sh capture NAME... | all     build if needed, boot each capture, check its dmesg
#   test/kernel/run.sh fixtures NAME... | all    copy captures into test/fixtures/kernel/NAME
#   test/kernel/run.sh recapture-if-cached       CI hook: boot `abba` when the kernel is cached, else skip;
#                                                then `record --kernel` of `freeheld` when that variant is cached
#
# Environment: LOCKTRACE_KERNEL_WORK (default /opt/locktrace-kernel) holds the extracted source
# (linux-source-6.1/), the build directory (build/), the cached images (images/<key>/bzImage), the
# initramfs and the captures (captures/<name>/, or LOCKTRACE_KERNEL_OUT). JOBS (make -j, default:
# nproc), TSC_KHZ (skip measuring the host TSC), BOOT_RETRIES (default 1), QEMU_TIMEOUT (s, 600).
# Run as root on Debian 12 (apt-get for missing packages, mknod for the initramfs).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=${LOCKTRACE_KERNEL_WORK:-/opt/locktrace-kernel}
OUTROOT=${LOCKTRACE_KERNEL_OUT:-$WORK/captures}
JOBS=${JOBS:-$(nproc)}
BOOT_RETRIES=${BOOT_RETRIES:-1}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-600}
SRC=$WORK/linux-source-6.1
BUILD=$WORK/build
FIXTURES=$REPO/test/fixtures/kernel
# Bump when the configure/build steps below change in a way that changes the image.
RECIPE_VERSION=1

PKGS=(linux-source-6.1 qemu-system-x86 gcc make bc flex bison libelf-dev libssl-dev cpio gzip xz-utils
	busybox-static e2fsprogs trace-cmd linux-perf)

log() { echo "[kernel $(date +%T)] $*" >&2; }
# shellcheck source=lib.sh
. "$HERE/lib.sh"
die() { log "ERROR: $*"; exit 2; }

# ------------------------------------------------------------------ captures.txt
# capture_field NAME N -> field N (1 = pointers .. 6 = command) of NAME's line, trimmed
capture_line() { grep -v '^#' "$HERE/captures.txt" | awk -F'|' -v n="$1" '{ k=$1; gsub(/^ +| +$/, "", k); if (k == n) { print; exit } }'; }
capture_field() { capture_line "$1" | awk -F'|' -v i="$(($2 + 1))" '{ v=$i; gsub(/^ +| +$/, "", v); print v }'; }
capture_names() { grep -v '^#' "$HERE/captures.txt" | awk -F'|' 'NF >= 7 { k=$1; gsub(/^ +| +$/, "", k); print k }'; }

cmd_list() {
	printf '%-18s %-9s %-6s %-7s %s\n' NAME RECORDER FILTER PTRS 'EXPECTED REPORT'
	for n in $(capture_names); do
		printf '%-18s %-9s %-6s %-7s %s\n' "$n" "$(capture_field "$n" 4)" "$(capture_field "$n" 2)" \
			"$(capture_field "$n" 1)" "$(capture_field "$n" 5)"
	done
}

# ------------------------------------------------------------------ build steps
ensure_packages() {
	local missing=() p
	for p in "${PKGS[@]}"; do
		dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing Debian packages (${missing[*]}) and not root"
	log "apt: installing ${missing[*]}"
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

source_version() { dpkg-query -W -f='${Version}' linux-source-6.1; }

ensure_source() {
	mkdir -p "$WORK"
	local want; want=$(source_version)
	if [ -d "$SRC" ] && [ -f "$SRC/.locktrace-source-version" ] && [ "$(cat "$SRC/.locktrace-source-version")" != "$want" ]; then
		log "linux-source-6.1 changed ($(cat "$SRC/.locktrace-source-version") -> $want): re-extracting"
		rm -rf "$SRC" "$BUILD"
	fi
	if [ ! -d "$SRC" ]; then
		log "extracting /usr/src/linux-source-6.1.tar.xz into $WORK"
		tar -xf /usr/src/linux-source-6.1.tar.xz -C "$WORK"
	fi
	# a tree extracted by the shared recipe has no marker; it came from the same package
	[ -f "$SRC/.locktrace-source-version" ] || echo "$want" > "$SRC/.locktrace-source-version"
}

# Copy the driver into the tree (only when it differs, so make sees no change otherwise) and hook it
# into drivers/misc/Kconfig and Makefile once.
ensure_driver() {
	cmp -s "$HERE/driver/lockseed.c" "$SRC/drivers/misc/lockseed.c" || cp "$HERE/driver/lockseed.c" "$SRC/drivers/misc/lockseed.c"
	if ! grep -q '^config LOCKSEED$' "$SRC/drivers/misc/Kconfig"; then
		local last; last=$(grep -n '^endmenu' "$SRC/drivers/misc/Kconfig" | tail -1 | cut -d: -f1)
		sed -i "$((last - 1))r $HERE/driver/Kconfig" "$SRC/drivers/misc/Kconfig"
	fi
	grep -q 'CONFIG_LOCKSEED' "$SRC/drivers/misc/Makefile" || cat "$HERE/driver/Makefile.line" >> "$SRC/drivers/misc/Makefile"
}

# The image key: everything that decides what the bzImage contains.
image_key() {
	{ echo "recipe $RECIPE_VERSION"; echo "source $(source_version)"; cat "$HERE/lockdep.fragment" "$HERE/driver/lockseed.c" "$HERE/driver/Kconfig"; } |
		sha256sum | cut -c1-16
}
image_dir() { echo "$WORK/images/$(image_key)"; }

ensure_kernel() {
	local img; img=$(image_dir)
	if [ -f "$img/bzImage" ]; then log "kernel image cached: $img/bzImage"; return 0; fi
	ensure_driver
	mkdir -p "$BUILD" "$WORK/logs"
	log "configuring the kernel in $BUILD (tinyconfig + test/kernel/lockdep.fragment)"
	make -C "$SRC" O="$BUILD" tinyconfig > "$WORK/logs/tinyconfig.log" 2>&1
	local sc="$SRC/scripts/config --file $BUILD/.config" k v n got bad=0
	while IFS== read -r k v; do
		n=${k#CONFIG_}
		if [ "$v" = y ]; then $sc --enable "$n"; else $sc --set-val "$n" "$v"; fi
	done < <(grep -E '^CONFIG_' "$HERE/lockdep.fragment")
	$sc --disable SLOB --disable SLUB_TINY --disable KERNEL_XZ --enable KERNEL_GZIP
	make -C "$SRC" O="$BUILD" olddefconfig > "$WORK/logs/olddefconfig.log" 2>&1
	while IFS== read -r k v; do
		got=$(grep -E "^$k=|^# $k is not set" "$BUILD/.config" || true)
		[ "$got" = "$k=$v" ] || { log "CONFIG MISMATCH: want $k=$v got '$got'"; bad=1; }
	done < <(grep -E '^CONFIG_' "$HERE/lockdep.fragment")
	[ $bad = 0 ] || die "the kernel config does not have what lockdep.fragment asks for"
	log "building bzImage (make -j$JOBS; about 10 min on 2 cores the first time, under a minute after a driver change)"
	local t0 t1; t0=$(date +%s)
	make -C "$SRC" O="$BUILD" -j"$JOBS" bzImage > "$WORK/logs/build.log" 2>&1 || { tail -30 "$WORK/logs/build.log" >&2; die "kernel build failed (log: $WORK/logs/build.log)"; }
	t1=$(date +%s)
	log "bzImage built in $((t1 - t0)) s"
	mkdir -p "$img.tmp"
	cp "$BUILD/arch/x86/boot/bzImage" "$img.tmp/bzImage"
	cp "$BUILD/.config" "$img.tmp/kernel.config"
	echo "bzImage build: $((t1 - t0)) s (make -j$JOBS)" > "$img.tmp/build-time.txt"
	rm -rf "$img"; mv "$img.tmp" "$img"
}

# Base initramfs: busybox, /init, captures.txt, the static workloads and a 64 MiB ext4 image.
# Tools initramfs (appended for trace-cmd/perf captures; the kernel unpacks concatenated archives):
# the host's trace-cmd and perf binaries with the shared libraries ldd lists.
initramfs_key() {
	cat "$HERE/init" "$HERE/captures.txt" "$HERE"/workloads/* /bin/busybox | sha256sum | cut -c1-16
}

ensure_initramfs() {
	local dir=$WORK/initramfs key; key=$(initramfs_key)
	mkdir -p "$dir"
	if [ ! -f "$dir/base-$key.cpio.gz" ]; then
		log "building the initramfs"
		local ir=$dir/root f
		rm -rf "$ir"; mkdir -p "$ir"/{bin,dev,proc,sys,tmp,mnt}
		for f in "$HERE"/workloads/ls_*.c; do
			gcc -O2 -Wall -static -o "$ir/bin/$(basename "${f%.c}")" "$f"
		done
		cp /bin/busybox "$ir/bin/busybox"
		cp "$HERE/init" "$ir/init"; chmod +x "$ir/init"
		cp "$HERE/captures.txt" "$ir/captures.txt"
		mknod -m 600 "$ir/dev/console" c 5 1
		mknod -m 666 "$ir/dev/null" c 1 3
		truncate -s 64M "$ir/fs.img"
		mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 -L lockfs "$ir/fs.img"
		rm -f "$dir"/base-*.cpio.gz
		pack_initramfs "$ir" "$dir/base-$key.cpio.gz"
	fi
	echo "$dir/base-$key.cpio.gz"
}

ensure_tools_initramfs() {
	local dir=$WORK/initramfs bins=(/usr/bin/trace-cmd /usr/bin/perf) key
	key=$(sha256sum "${bins[@]}" | sha256sum | cut -c1-16)
	if [ ! -f "$dir/tools-$key.cpio.gz" ]; then
		log "building the trace-cmd/perf initramfs"
		local ir=$dir/tools b l
		rm -rf "$ir"; mkdir -p "$ir/usr/bin"
		for b in "${bins[@]}"; do
			cp "$b" "$ir/usr/bin/"
			for l in $(ldd "$b" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'); do
				mkdir -p "$ir$(dirname "$l")"; cp -L "$l" "$ir$l"
			done
		done
		# libtraceevent's plugins (event formatting for trace-cmd report)
		if [ -d /usr/lib/x86_64-linux-gnu/traceevent ]; then
			mkdir -p "$ir/usr/lib/x86_64-linux-gnu"; cp -a /usr/lib/x86_64-linux-gnu/traceevent "$ir/usr/lib/x86_64-linux-gnu/"
		fi
		# the merged-/usr layout: /lib and /lib64 are the host's symlinks, keep the guest's the same
		[ -d "$ir/lib" ] && { mkdir -p "$ir/usr"; cp -a "$ir/lib" "$ir/usr/"; rm -rf "$ir/lib"; ln -s usr/lib "$ir/lib"; }
		[ -d "$ir/lib64" ] && { cp -a "$ir/lib64" "$ir/usr/"; rm -rf "$ir/lib64"; ln -s usr/lib64 "$ir/lib64"; }
		rm -f "$dir"/tools-*.cpio.gz
		pack_initramfs "$ir" "$dir/tools-$key.cpio.gz"
	fi
	echo "$dir/tools-$key.cpio.gz"
}


# ------------------------------------------------------------------ boot one capture
# QEMU flags (docs/kernel.md explains each): TCG on 2 host threads, RDRAND for random.trust_cpu (else
# every %p in the trace prints as (____ptrval____)), 2 sockets x 1 core because without ACPI the CPUs
# come from SeaBIOS' MP table (one CPU per socket), tsc=reliable and tsc_early_khz because under TCG
# the TSC sync check and PIT calibration fail and the kernel falls back to 4 ms jiffies timestamps.
boot_capture() {
	local name=$1 initrd=$2 out=$OUTROOT/$1 ptrs rec extra="" img t0 t1 try ok=0 khz
	ptrs=$(capture_field "$name" 1); rec=$(capture_field "$name" 4)
	[ "$ptrs" = raw ] && extra=" no_hash_pointers"
	khz=$(tsc_khz "$HERE/tools/tsc_khz.c")
	mkdir -p "$WORK/tmp"; img=$WORK/tmp/$name.img
	for try in $(seq 0 "$BOOT_RETRIES"); do
		rm -rf "$out"; mkdir -p "$out"
		rm -f "$img"; truncate -s 1G "$img"
		log "booting $name (recorder $rec, attempt $((try + 1)))"
		t0=$(date +%s.%N)
		timeout "$QEMU_TIMEOUT" qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64,+rdrand -smp 2,sockets=2,cores=1 -m 2048 \
			-kernel "$(image_dir)/bzImage" -initrd "$initrd" \
			-append "console=ttyS0 panic=-1 random.trust_cpu=on tsc=reliable tsc_early_khz=$khz locktrace.capture=$name$extra" \
			-drive file="$img",format=raw,if=virtio \
			-display none -monitor none -serial stdio -no-reboot < /dev/null > "$out/console.log" 2>&1 || log "qemu rc=$?"
		t1=$(date +%s.%N)
		tar -xf "$img" -C "$out" 2>/dev/null || log "no results on the disk image"
		awk -v a="$t0" -v b="$t1" -v k="$(image_key)" -v t="$try" 'BEGIN { printf "boot wall: %.1f s (attempt %d)\nkernel image key: %s\n", b - a, t + 1, k }' > "$out/boot.txt"
		log "$name: boot took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
		grep -q 'Marking TSC unstable' "$out/console.log" && log "WARNING: $name lost the TSC (trace timestamps have jiffies granularity)"
		if grep -q '=== init: results written' "$out/console.log"; then ok=1; break; fi
		# under multi-threaded TCG a boot occasionally dies with "int3: 0000 [#1]" while init enables
		# the events (a tracepoint call site is being live-patched): boot again
		log "WARNING: $name did not finish cleanly (attempt $((try + 1)))"
		cp "$out/console.log" "$WORK/tmp/$name.console.failed$((try + 1)).log"
	done
	rm -f "$img"
	[ $ok = 1 ]
}

# lockdep reports in a dmesg: the title line right after a line of '=' (timestamps stripped)
dmesg_reports() {
	sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' "$1" | awk 'prev ~ /^=+$/ && /^(WARNING|BUG|INFO): / { print } { prev = $0 }'
}

# Checks a capture's dmesg against captures.txt's expectation; prints a verdict, returns 1 on mismatch.
verify_capture() {
	local name=$1 out=$OUTROOT/$1 expect reports n problems=()
	expect=$(capture_field "$name" 5)
	[ -f "$out/dmesg.txt" ] || { echo "$name: FAIL: no dmesg.txt" | tee "$out/verdict.txt"; return 1; }
	reports=$(dmesg_reports "$out/dmesg.txt")
	n=$(printf '%s' "$reports" | grep -c . || true)
	if [ "$expect" = none ]; then
		[ "$n" = 0 ] || problems+=("expected no lockdep report, got $n: $(echo "$reports" | tr '\n' ';')")
		grep -q '^ *debug_locks: *1' "$out/lockdep_stats.txt" 2>/dev/null || problems+=("lockdep_stats: debug_locks is not 1")
	else
		[ "$n" = 1 ] || problems+=("expected exactly one lockdep report, got $n: $(echo "$reports" | tr '\n' ';')")
		printf '%s\n' "$reports" | head -1 | grep -qF -- "$expect" || problems+=("expected '$expect', got '$(echo "$reports" | head -1)'")
	fi
	grep -q 'cut here' "$out/dmesg.txt" && problems+=("dmesg has a WARN/BUG splat (cut here)")
	grep -q 'Oops' "$out/dmesg.txt" && problems+=("dmesg has an Oops")
	[ -f "$out/WATCHDOG" ] && problems+=("the guest watchdog fired")
	[ -f "$out/ERROR" ] && problems+=("init: $(cat "$out/ERROR")")
	grep -Eq '^(overrun|dropped events): [1-9]' "$out/bufstats.txt" 2>/dev/null && problems+=("the trace buffer lost events (bufstats.txt)")
	if [ ${#problems[@]} = 0 ]; then
		echo "$name: OK: ${reports:-no lockdep report}" | tee "$out/verdict.txt"
	else
		{ echo "$name: FAIL"; printf '  %s\n' "${problems[@]}"; } | tee "$out/verdict.txt"
		return 1
	fi
}

# ------------------------------------------------------------------ commands
expand_names() {
	local n
	if [ "$#" = 0 ]; then die "name a capture (run.sh list) or 'all'"; fi
	if [ "$1" = all ]; then capture_names; return; fi
	for n in "$@"; do
		[ -n "$(capture_line "$n")" ] || die "no capture named '$n' (run.sh list)"
		echo "$n"
	done
}

lock_work() {
	mkdir -p "$WORK"
	exec 9>"$WORK/.lock"
	flock -n 9 || { log "waiting for another run.sh using $WORK"; flock 9; }
}

cmd_build() {
	lock_work
	ensure_packages
	ensure_source
	ensure_kernel
	ensure_initramfs > /dev/null
}

cmd_capture() {
	local names n base tools initrd fails=0
	names=$(expand_names "$@")
	cmd_build
	base=$(ensure_initramfs)
	for n in $names; do
		initrd=$base
		case $(capture_field "$n" 4) in
		trace-cmd | perf)
			tools=$(ensure_tools_initramfs)
			initrd=$WORK/initramfs/with-tools.cpio.gz
			cat "$base" "$tools" > "$initrd"
			;;
		esac
		if boot_capture "$n" "$initrd"; then
			verify_capture "$n" || fails=$((fails + 1))
		else
			log "$n: FAIL: the guest did not write its results"; fails=$((fails + 1))
		fi
	done
	log "captures in $OUTROOT"
	[ $fails = 0 ] || { log "$fails capture(s) failed"; return 1; }
}

# gzip when over ~300 KB (reproducible: no name, no timestamp)
put() {
	local src=$1 dst=$2
	rm -f "$dst" "$dst.gz"
	if [ "$(stat -c %s "$src")" -gt 300000 ]; then gzip -9n < "$src" > "$dst.gz"; else cp "$src" "$dst"; fi
}

cmd_fixtures() {
	local names n out dst f
	names=$(expand_names "$@")
	for n in $names; do
		out=$OUTROOT/$n; dst=$FIXTURES/$n
		[ -f "$out/verdict.txt" ] || die "$n: not captured yet (run.sh capture $n)"
		grep -q ': OK' "$out/verdict.txt" || die "$n: the capture failed its check: $(cat "$out/verdict.txt")"
		mkdir -p "$dst"
		for f in trace.txt trace-cmd-report.txt trace-cmd-report-l.txt perf-script.txt; do
			[ -f "$out/$f" ] && put "$out/$f" "$dst/$f"
		done
		# the recorders' binary files, to re-run `trace-cmd report` / `perf script` with other options;
		# gzipped unless that gains little (trace-cmd 3.1 compresses trace.dat itself)
		for f in trace.dat perf.data; do
			[ -f "$out/$f" ] || continue
			rm -f "$dst/$f" "$dst/$f.gz"
			gzip -9n < "$out/$f" > "$dst/$f.gz"
			if [ $(($(stat -c %s "$dst/$f.gz") * 10)) -gt $(($(stat -c %s "$out/$f") * 9)) ]; then
				rm "$dst/$f.gz"; cp "$out/$f" "$dst/$f"; chmod 644 "$dst/$f"
			fi
		done
		cp "$out/dmesg.txt" "$out/lockdep_stats.txt" "$out/events.txt" "$out/stdout.txt" "$out/cmdline.txt" "$out/clocks.txt" "$dst/"
		[ -f "$out/bufstats.txt" ] && cp "$out/bufstats.txt" "$dst/"
		gzip -9n < "$out/lockdep.txt" > "$dst/lockdep.txt.gz"
		gzip -9n < "$out/lockdep_chains.txt" > "$dst/lockdep_chains.txt.gz"
		node "$HERE/expect-draft.mjs" "$dst" "$(capture_field "$n" 6)" > "$dst/expect.draft.json"
		if [ -f "$dst/expect.json" ]; then
			# the hand-written notes are not part of the draft
			if ! node -e 'const [a, b] = process.argv.slice(1).map((f) => { const j = JSON.parse(require("fs").readFileSync(f, "utf8")); delete j.notes; return JSON.stringify(j); }); process.exit(a === b ? 0 : 1)' \
				"$dst/expect.json" "$dst/expect.draft.json"; then
				log "$n: expect.json differs from the new draft; check by hand: diff -u $dst/expect.json $dst/expect.draft.json"
				continue
			fi
			rm -f "$dst/expect.draft.json"
		else
			log "$n: wrote $dst/expect.draft.json: check it against dmesg.txt and the trace, then rename it to expect.json"
		fi
	done
	cp "$(image_dir)/kernel.config" "$FIXTURES/kernel.config"
}

# CI hook: re-capture `abba` when the kernel image for the current sources is cached; check that the
# guest's dmesg has the expected report and that locktrace reads the fresh trace without crashing.
cmd_recapture_if_cached() {
	local name=abba rc
	if ! command -v qemu-system-x86_64 > /dev/null; then
		echo "test:kernel: skipped: qemu-system-x86_64 is not installed (run test/kernel/run.sh build as root once)"; return 0
	fi
	if [ ! -f "$(image_dir)/bzImage" ]; then
		echo "test:kernel: skipped: no cached kernel image for the current sources in $(image_dir)" \
			"(build it once, about 10 minutes on 2 cores: test/kernel/run.sh build; LOCKTRACE_KERNEL_WORK=$WORK)"
		return 0
	fi
	if [ "$(id -u)" != 0 ] && [ ! -f "$WORK/initramfs/base-$(initramfs_key).cpio.gz" ]; then
		echo "test:kernel: skipped: the initramfs must be rebuilt, which needs root (mknod)"; return 0
	fi
	[ -f "$REPO/out/cli.js" ] || die "out/cli.js is missing: run node esbuild.js first"
	lock_work
	OUTROOT=$WORK/recapture
	boot_capture "$name" "$(ensure_initramfs)" || die "$name: the guest did not write its results"
	verify_capture "$name" || die "$name: dmesg does not have the expected report"
	# the fresh report must be the committed fixture's (kind, title, classes, comm), found in the trace
	node "$HERE/expect-draft.mjs" "$OUTROOT/$name" "$(capture_field "$name" 6)" > "$OUTROOT/$name/expect.draft.json"
	node -e 'const fs = require("fs"); const pick = (f) => JSON.parse(fs.readFileSync(f, "utf8")).lockdepReports.map((r) => ({ kind: r.kind, title: r.title, comm: r.task && r.task.comm, locks: r.locks, inTraceWindow: r.inTraceWindow, triggerFound: r.trigger.every((t) => t.line !== null) }));
		const [a, b] = process.argv.slice(1).map((f) => JSON.stringify(pick(f))); if (a !== b) { console.error("fresh: " + a + "\nfixture: " + b); process.exit(1); }' \
		"$OUTROOT/$name/expect.draft.json" "$FIXTURES/$name/expect.json" || die "$name: the fresh report differs from test/fixtures/kernel/$name/expect.json"
	set +e
	node "$REPO/out/cli.js" check --json "$OUTROOT/$name/trace.txt" > "$OUTROOT/$name/check.json"
	rc=$?
	set -e
	[ $rc = 0 ] || [ $rc = 1 ] || die "locktrace check --json on the fresh $name trace exited $rc (log: $OUTROOT/$name/check.json)"
	echo "test:kernel: OK: $name re-captured ($(wc -l < "$OUTROOT/$name/trace.txt") trace lines), dmesg has the expected report (same as the fixture's), locktrace check exited $rc"
	# `locktrace record --kernel` in the guest (its kernel variant can run node): the freed held lock
	# needs the allocation events the recorder adds when pointers are raw; the verdict fails when
	# lockdep's report is not a finding of the same kind
	RECORD_IF_CACHED=1 LOCKTRACE_KERNEL_WORK=$WORK "$HERE/record-guest.sh" freeheld ||
		die "locktrace record --kernel in the guest: see $WORK/record/freeheld/verdict.txt"
}

case ${1:-help} in
list) cmd_list ;;
build) cmd_build ;;
capture) shift; cmd_capture "$@" ;;
fixtures) shift; cmd_fixtures "$@" ;;
recapture-if-cached) cmd_recapture_if_cached ;;
*) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; [ "${1:-help}" = help ] || exit 2 ;;
esac
