#!/usr/bin/env bash
# `locktrace record --kernel` inside the lockdep guest: boots the kernel lab's 6.1 lockdep kernel
# (test/kernel/run.sh builds it) with the lab's initramfs plus a second archive holding this
# machine's node binary, its shared libraries, out/cli.js and test/kernel/record-init (booted with
# rdinit=, so the lab's /init is untouched); records one workload of the lab's captures.txt per boot
# and brings the recording back, then runs `locktrace check` on it here and compares its findings
# with the lockdep report the guest's kernel printed.
#
#   test/kernel/record-guest.sh NAME...     e.g. abba flock fileio (names from captures.txt)
#
# Results in $LOCKTRACE_KERNEL_WORK/record/NAME/: NAME.trace (the recording), NAME.trace.lockdep,
# NAME.trace.dmesg.txt, stderr.txt (the recorder's messages), check.txt, check.json, verdict.txt.
# The lab's kernel cannot run node (tinyconfig: no madvise, no AF_UNIX sockets): this script builds
# a variant with record.fragment added, once, in $WORK/build-record (cached in $WORK/images-record).
# Environment: LOCKTRACE_KERNEL_WORK (default /opt/locktrace-kernel, as run.sh), LOCKTRACE_KERNEL_IMAGE
# (a bzImage to use instead of building the variant), LOCKTRACE_KERNEL_INITRAMFS
# (default: the newest $WORK/initramfs/base-*.cpio.gz), LOCKTRACE_KERNEL_LAB (the folder with run.sh
# and captures.txt; default: this folder), NODE (default: `node` on PATH),
# RECORD_MODE (kernel or auto: `locktrace record --kernel` or `--auto` in the guest; default kernel),
# RECORD_IF_CACHED (set: exit 0 with a "skipped" line instead of building the kernel variant),
# TSC_KHZ, QEMU_TIMEOUT (s, default 900). Run as root (the kernel build, qemu).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
LAB=${LOCKTRACE_KERNEL_LAB:-$HERE}
WORK=${LOCKTRACE_KERNEL_WORK:-/opt/locktrace-kernel}
OUTROOT=$WORK/record
QEMU_TIMEOUT=${QEMU_TIMEOUT:-900}
NODE_BIN=$(readlink -f "${NODE:-$(command -v node)}")

log() { echo "[record-guest $(date +%T)] $*" >&2; }
# shellcheck source=lib.sh
. "$HERE/lib.sh"
die() { log "ERROR: $*"; exit 2; }

[ "$#" -gt 0 ] || die "name one or more workloads of $LAB/captures.txt (abba, flock, fileio, …)"
[ -f "$LAB/captures.txt" ] || die "no kernel lab in $LAB (test/kernel/run.sh and captures.txt); set LOCKTRACE_KERNEL_LAB"
[ -f "$REPO/out/cli.js" ] || die "out/cli.js is missing: run node esbuild.js first"

SRC=$WORK/linux-source-6.1
base=${LOCKTRACE_KERNEL_INITRAMFS:-$(ls -t "$WORK"/initramfs/base-*.cpio.gz 2> /dev/null | head -1 || true)}
if [ -z "$base" ] || [ ! -f "$SRC/drivers/misc/lockseed.c" ]; then
	log "no lab initramfs or kernel source in $WORK yet: preparing them with $LAB/run.sh build"
	LOCKTRACE_KERNEL_WORK=$WORK "$LAB/run.sh" build
	base=$(ls -t "$WORK"/initramfs/base-*.cpio.gz | head -1)
fi

# The lab's lockdep kernel plus record.fragment (what node needs), built once in its own directory
# (about 8 minutes on 2 cores) and cached by everything that decides the image.
record_kernel() {
	local key img build=$WORK/build-record sc k v n got bad=0
	key=$({ cat "$LAB/lockdep.fragment" "$HERE/record.fragment" "$SRC/drivers/misc/lockseed.c"; cat "$SRC/.locktrace-source-version" 2> /dev/null; } | sha256sum | cut -c1-16)
	img=$WORK/images-record/$key
	if [ -f "$img/bzImage" ]; then echo "$img/bzImage"; return; fi
	if [ -n "${RECORD_IF_CACHED:-}" ]; then
		log "skipped: no cached kernel with record.fragment in $img (build it once: test/kernel/record-guest.sh abba, about 8 minutes)"
		exit 0
	fi
	log "building the lockdep kernel with record.fragment in $build (once; about 8 minutes on 2 cores)"
	mkdir -p "$build" "$WORK/logs"
	make -C "$SRC" O="$build" tinyconfig > "$WORK/logs/record-tinyconfig.log" 2>&1
	sc="$SRC/scripts/config --file $build/.config"
	while IFS== read -r k v; do
		n=${k#CONFIG_}
		if [ "$v" = y ]; then $sc --enable "$n"; else $sc --set-val "$n" "$v"; fi
	done < <(grep -hE '^CONFIG_' "$LAB/lockdep.fragment" "$HERE/record.fragment")
	$sc --disable SLOB --disable SLUB_TINY --disable KERNEL_XZ --enable KERNEL_GZIP
	make -C "$SRC" O="$build" olddefconfig > "$WORK/logs/record-olddefconfig.log" 2>&1
	while IFS== read -r k v; do
		got=$(grep -E "^$k=|^# $k is not set" "$build/.config" || true)
		[ "$got" = "$k=$v" ] || { log "CONFIG MISMATCH: want $k=$v got '$got'"; bad=1; }
	done < <(grep -hE '^CONFIG_' "$LAB/lockdep.fragment" "$HERE/record.fragment")
	[ $bad = 0 ] || die "the kernel config does not have what the fragments ask for"
	make -C "$SRC" O="$build" -j"${JOBS:-$(nproc)}" bzImage > "$WORK/logs/record-build.log" 2>&1 ||
		{ tail -30 "$WORK/logs/record-build.log" >&2; die "kernel build failed (log: $WORK/logs/record-build.log)"; }
	mkdir -p "$img"
	cp "$build/arch/x86/boot/bzImage" "$build/.config" "$img/"
	echo "$img/bzImage"
}
image=${LOCKTRACE_KERNEL_IMAGE:-$(record_kernel)}
log "kernel $image, lab initramfs $base, node $NODE_BIN ($("$NODE_BIN" --version))"

# The second archive: node + its libraries (ldd), the CLI bundle, the init. The kernel unpacks
# concatenated archives in order, so these files are added to the lab's.
overlay() {
	local dir=$WORK/record-initramfs ir l key
	key=$(cat "$NODE_BIN" "$REPO/out/cli.js" "$HERE/record-init" | sha256sum | cut -c1-16)
	if [ ! -f "$dir/overlay-$key.cpio.gz" ]; then
		log "building the node overlay archive"
		ir=$dir/root
		rm -rf "$ir"
		mkdir -p "$ir/locktrace" "$ir/lib64" "$ir/lib/x86_64-linux-gnu"
		cp "$NODE_BIN" "$ir/locktrace/node"
		cp "$REPO/out/cli.js" "$ir/locktrace/cli.js"
		cp "$HERE/record-init" "$ir/locktrace-init"
		chmod +x "$ir/locktrace-init"
		for l in $(ldd "$NODE_BIN" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'); do
			case $l in
			*/ld-linux-x86-64.so.2) cp -L "$l" "$ir/lib64/" ;;
			*) cp -L "$l" "$ir/lib/x86_64-linux-gnu/" ;;
			esac
		done
		rm -f "$dir"/overlay-*.cpio.gz
		pack_initramfs "$ir" "$dir/overlay-$key.cpio.gz"
	fi
	echo "$dir/overlay-$key.cpio.gz"
}


run_one() {
	local name=$1 initrd=$2 out=$OUTROOT/$1 img khz ptrs extra="" rc
	grep -v '^#' "$LAB/captures.txt" | awk -F'|' -v n="$name" '{ k=$1; gsub(/^ +| +$/, "", k); if (k == n) f=1 } END { exit !f }' ||
		die "no workload named '$name' in $LAB/captures.txt"
	ptrs=$(grep -v '^#' "$LAB/captures.txt" | awk -F'|' -v n="$name" '{ k=$1; gsub(/^ +| +$/, "", k); if (k == n) { v=$2; gsub(/^ +| +$/, "", v); print v } }')
	[ "$ptrs" = raw ] && extra=" no_hash_pointers"
	khz=$(tsc_khz "$LAB/tools/tsc_khz.c")
	rm -rf "$out"
	mkdir -p "$out" "$WORK/tmp"
	img=$WORK/tmp/record-$name.img
	rm -f "$img"
	truncate -s 1G "$img"
	log "booting $name"
	timeout "$QEMU_TIMEOUT" qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64,+rdrand -smp 2,sockets=2,cores=1 -m 2048 \
		-kernel "$image" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 random.trust_cpu=on tsc=reliable tsc_early_khz=$khz rdinit=/locktrace-init locktrace.record=$name locktrace.mode=${RECORD_MODE:-kernel}$extra" \
		-drive file="$img",format=raw,if=virtio \
		-display none -monitor none -serial stdio -no-reboot < /dev/null > "$out/console.log" 2>&1 || log "qemu rc=$?"
	tar -xf "$img" -C "$out" 2> /dev/null || log "$name: no results on the disk image"
	rm -f "$img"
	[ -f "$out/$name.trace" ] || { echo "$name: FAIL: no recording (see $out/console.log, $out/stderr.txt)" | tee "$out/verdict.txt"; return 1; }
	set +e
	"$NODE_BIN" "$REPO/out/cli.js" check --no-progress "$out/$name.trace" > "$out/check.txt" 2> "$out/check-stderr.txt"
	"$NODE_BIN" "$REPO/out/cli.js" check --no-progress --json "$out/$name.trace" > "$out/check.json" 2> /dev/null
	rc=$?
	set -e
	[ $rc -le 1 ] || { echo "$name: FAIL: locktrace check exited $rc" | tee "$out/verdict.txt"; return 1; }
	# the lab's own ftrace capture of the same workload, when there is one, for comparison
	if [ -f "$WORK/captures/$name/trace.txt" ]; then
		"$NODE_BIN" "$REPO/out/cli.js" check --no-progress --json "$WORK/captures/$name/trace.txt" > "$out/lab-check.json" 2> /dev/null || true
	fi
	"$NODE_BIN" - "$out" "$name" "$(cat "$out/rc.txt")" <<'EOF' | tee "$out/verdict.txt"
const fs = require('fs');
const [out, name, rc] = process.argv.slice(2);
const report = JSON.parse(fs.readFileSync(`${out}/check.json`, 'utf8'));
const dmesg = fs.existsSync(`${out}/${name}.trace.dmesg.txt`) ? fs.readFileSync(`${out}/${name}.trace.dmesg.txt`, 'utf8') : '';
const titles = [];
const lines = dmesg.split('\n').map((l) => l.replace(/^\[\s*\d+\.\d+\]\s?/, ''));
lines.forEach((l, i) => { if (i > 0 && /^=+$/.test(lines[i - 1].trim()) && /^(WARNING|BUG|INFO): /.test(l)) titles.push(l.trim()); });
const kindOf = (t) => /circular locking/.test(t) ? 'inversion' : /recursive locking/.test(t) ? 'recursive' : /bad unlock/.test(t) ? 'bad-unlock'
  : /returning to user space/.test(t) ? 'held-across-syscall' : /still has locks held/.test(t) ? 'held-at-exit' : /held lock freed/.test(t) ? 'held-lock-freed'
  : /inconsistent lock state|irq lock inversion|-safe -> /.test(t) ? 'irq-state' : 'lockdep-other';
const byKind = {};
for (const f of report.findings) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
const header = fs.readFileSync(`${out}/${name}.trace`, 'utf8').split('\n').find((l) => l.startsWith('# locktrace-header: '));
const h = header ? JSON.parse(header.slice('# locktrace-header: '.length)) : {};
const leftovers = fs.readFileSync(`${out}/leftovers.txt`, 'utf8').trim().split('\n').slice(1).filter(Boolean);
const problems = [];
if (rc.trim() !== 'rc=0') problems.push(`the recorder (or the workload) exited ${rc.trim()}`);
if (!header) problems.push('no # locktrace-header line');
if (leftovers.length) problems.push(`tracefs leftovers: ${leftovers.join('; ')}`);
// lockdep's reports that the analysis misses are the recorder's fault only when the lab's own
// capture of the workload has them: otherwise they are the analysis' open points (noted)
const labKinds = fs.existsSync(`${out}/lab-check.json`) ? JSON.parse(fs.readFileSync(`${out}/lab-check.json`, 'utf8')).findings.map((f) => f.kind) : null;
const gaps = [];
for (const t of titles) {
  if (byKind[kindOf(t)]) continue;
  if (labKinds?.includes(kindOf(t))) problems.push(`lockdep reported "${t}": the lab's capture has a ${kindOf(t)} finding, this recording none`);
  else gaps.push(`analysis gap (${labKinds ? "the lab's capture misses it too" : 'no lab capture to compare'}): lockdep reported "${t}", locktrace found no ${kindOf(t)}`);
}
// addresses (user pointers naming files, heap locks) differ from run to run
const sig = (r) => r.findings.map((f) => `${f.kind} ${f.locks.join(',')}`.replace(/0x[0-9a-f]+/g, '0x…')).sort();
let lab = '';
if (fs.existsSync(`${out}/lab-check.json`)) {
  try {
    const l = sig(JSON.parse(fs.readFileSync(`${out}/lab-check.json`, 'utf8')));
    const m = sig(report);
    lab = JSON.stringify(l) === JSON.stringify(m) ? '; same findings (kind, classes) as the lab\'s ftrace capture' : `; the lab's ftrace capture has ${l.length} finding(s): ${JSON.stringify(l.filter((x) => !m.includes(x)))} not here, ${JSON.stringify(m.filter((x) => !l.includes(x)))} only here`;
  } catch {
    lab = '; the lab capture could not be checked';
  }
}
const summary = `${report.trace.events} events, ${report.findings.length} finding(s) ${JSON.stringify(byKind)}; lockdep: ${titles.length ? titles.join(' / ') : 'no report'}; header: ${h.events?.length ?? 0} events, event probes ${JSON.stringify(h.probeEvents)}, ${h.sharedClassNames?.length ?? '?'} shared class names, lost ${h.lostEvents}`;
console.log(`${name}: ${problems.length ? 'FAIL' : 'OK'}: ${summary}${lab}`);
for (const p of [...problems, ...gaps]) console.log(`  ${p}`);
process.exitCode = problems.length ? 1 : 0;
EOF
}

initrd=$WORK/record-initramfs/with-node.cpio.gz
ov=$(overlay)
cat "$base" "$ov" > "$initrd"
fails=0
for n in "$@"; do run_one "$n" "$initrd" || fails=$((fails + 1)); done
log "results in $OUTROOT"
[ $fails = 0 ]
