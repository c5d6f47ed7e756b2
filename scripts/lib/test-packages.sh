# The Debian packages the tests and benchmarks use, and how they get installed: one list for
# .ci/run and scripts/test. Source it, then call ensure_test_packages.
#   gcc, libc6-dev, linux-libc-dev, binutils, make: build the test guests and C baselines
#   gdb: the self-sandbox tests make the running tender call into libc;
#   iproute2: network namespaces and TAP devices; iputils-ping, netcat-openbsd, curl, iperf3: the
#   Linux peers on the other end of the wire; procps; python3: the benchmark scripts' peers.
test_packages=(gcc libc6-dev linux-libc-dev binutils make gdb iproute2 iputils-ping netcat-openbsd curl iperf3 procps python3 containerd runc busybox-static)

ensure_test_packages() {
  command -v dpkg-query >/dev/null || return 0 # not Debian: the tests name what they miss
  local missing=() p
  for p in "${test_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "the tests need these Debian packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  echo "installing: ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
