#!/bin/sh
# Makes the container image's root file system from the release executable's directory: that
# directory (dist-release/sockscope-<version>-linux-<arch>/, see deploy/README.md) under
# /usr/lib/sockscope without its launcher script, the shared libraries `ldd` lists for
# every ELF file in it (the C library and the dynamic loader, nothing else), /etc/passwd and
# /etc/group with the non-root user sockscope (65532), and the two file capabilities the agent
# needs on its executable, permitted only (see deploy/README.md, "Capabilities"). No shell, no package manager.
# Run by the Containerfile's build stage and by deploy/container/build.mjs alike.
#   sh deploy/container/rootfs.sh RELEASE_DIR ROOTFS
set -eu
src=${1:?usage: rootfs.sh RELEASE_DIR ROOTFS}
out=${2:?usage: rootfs.sh RELEASE_DIR ROOTFS}
[ -e "$src/sockscope" ] || { echo "rootfs.sh: $src/sockscope not found: build it with pnpm release --only binary" >&2; exit 2; }
command -v ldd >/dev/null || { echo "rootfs.sh: ldd not found (Debian: apt-get install libc-bin)" >&2; exit 2; }
command -v setcap >/dev/null || { echo "rootfs.sh: setcap not found (Debian: apt-get install libcap2-bin)" >&2; exit 2; }

is_elf() { [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }

rm -rf "$out"
mkdir -p "$out/usr/lib/sockscope" "$out/etc" "$out/tmp" "$out/proc" "$out/sys" "$out/dev"
chmod 1777 "$out/tmp"
cp -R "$src/." "$out/usr/lib/sockscope/"
chown -R 0:0 "$out/usr/lib/sockscope"
chmod -R go-w "$out/usr/lib/sockscope"
# The image runs the Node.js runtime of the directory itself (the Containerfile's ENTRYPOINT), not
# the sockscope launcher script: a script is run by a shell, which as a non-root user holds no
# capabilities to hand on, and no_new_privs then keeps node from taking its file capabilities.
exe=lib/node
[ -f "$out/usr/lib/sockscope/$exe" ] && is_elf "$out/usr/lib/sockscope/$exe" || { echo "rootfs.sh: $src/$exe is not an ELF executable (deploy/README.md describes the layout)" >&2; exit 2; }
[ -f "$out/usr/lib/sockscope/lib/sockscope.mjs" ] || { echo "rootfs.sh: $src/lib/sockscope.mjs not found" >&2; exit 2; }
rm "$out/usr/lib/sockscope/sockscope"

# Shared libraries: every path ldd resolves, at the same path (symbolic links followed).
libs=$(find "$out" -type f | while read -r f; do
  if is_elf "$f"; then ldd "$f" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (0x.*/\1/p'; fi
done | sort -u)
for lib in $libs; do
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
done

cat > "$out/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/usr/sbin/nologin
sockscope:x:65532:65532:sockscope:/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PASSWD
cat > "$out/etc/group" <<'GROUP'
root:x:0:
sockscope:x:65532:
nogroup:x:65534:
GROUP
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$out/etc/nsswitch.conf"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' > "$out/etc/hosts"
mkdir -p "$out/etc/sockscope"

# CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH as file capabilities, permitted only (no effective
# bit): a container runtime grants a non-root process no ambient capabilities, so without these
# the two capabilities a pod or `--cap-add` grants are dropped when the agent is executed. The
# agent makes them effective itself at start (apps/exporter/src/capabilities.ts); without the
# effective bit the kernel starts the runtime whatever the bounding set (with it, a run without
# the two `--cap-add` is refused at exec), and the agent then says in /health what it cannot see.
setcap cap_sys_ptrace,cap_dac_read_search=p "$out/usr/lib/sockscope/$exe"
