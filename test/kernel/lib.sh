# Shell functions shared by run.sh and record-guest.sh (sourced; both set WORK and `set -euo pipefail`).

# pack_initramfs DIR OUT: DIR as a gzipped newc cpio archive at OUT (written beside it, then renamed), DIR removed.
pack_initramfs() {
	local ir=$1 out=$2
	(cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$ir"
}

# tsc_khz SOURCE.c: the host's TSC frequency in kHz (TSC_KHZ overrides), for the guest's tsc_khz= so
# that trace timestamps of host and guest agree; the probe is compiled once into $WORK/tools.
tsc_khz() {
	if [ -n "${TSC_KHZ:-}" ]; then echo "$TSC_KHZ"; return; fi
	mkdir -p "$WORK/tools"
	[ -x "$WORK/tools/tsc_khz" ] && [ "$WORK/tools/tsc_khz" -nt "$1" ] || gcc -O2 -o "$WORK/tools/tsc_khz" "$1"
	"$WORK/tools/tsc_khz"
}
