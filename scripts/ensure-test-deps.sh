#!/usr/bin/env bash
# Installs the Debian packages the test suite drives as real peers, when they are missing:
# kcat and python3-confluent-kafka (real librdkafka clients against the broker), openssl (the
# throwaway certificates of the broker's TLS tests),
# prometheus-alertmanager (the real Alertmanager alerts are delivered to), and chromium (the
# browser playwright-core drives in the console's tests; Playwright's own browser downloads are
# not used).
# python3-confluent-kafka is checked with /usr/bin/python3: a pyenv python3 earlier on PATH
# cannot import Debian's module.
# syslog-ng (syslog-ng-core + syslog-ng-mod-rdkafka) and rsyslog (rsyslog + rsyslog-kafka) are
# the syslog daemons shipping to the broker in the ingest tests. Debian lets only one system log
# daemon be installed, so syslog-ng is installed and rsyslog's packages are unpacked (dpkg -x)
# into $RSYSLOG_ROOT, its libraries installed; the tests run that rsyslogd with -M for its modules.
set -euo pipefail

RSYSLOG_ROOT=/var/cache/tidewatch-test-deps/rsyslog/root

missing=()
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
/usr/bin/python3 -c 'import confluent_kafka' >/dev/null 2>&1 || missing+=(python3-confluent-kafka)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v syslog-ng >/dev/null 2>&1 || missing+=(syslog-ng-core)
ls /usr/lib/syslog-ng/*/libkafka.so >/dev/null 2>&1 || missing+=(syslog-ng-mod-rdkafka)
rsyslog_missing=0
if [ ! -f /usr/lib/x86_64-linux-gnu/rsyslog/omkafka.so ] && [ ! -f "$RSYSLOG_ROOT/usr/lib/x86_64-linux-gnu/rsyslog/omkafka.so" ]; then
  rsyslog_missing=1
  missing+=(libestr0 libfastjson4 liblognorm5 librdkafka1)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "test dependencies: installing ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: ${missing[*]} missing and apt-get is not available; install them by hand" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "error: ${missing[*]} missing; run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ "$rsyslog_missing" -eq 1 ]; then
  debs="$(mktemp -d)"
  (cd "$debs" && apt-get download -qq rsyslog rsyslog-kafka >/dev/null)
  mkdir -p "$RSYSLOG_ROOT"
  for deb in "$debs"/*.deb; do dpkg -x "$deb" "$RSYSLOG_ROOT"; done
  rm -rf "$debs"
fi
echo "test dependencies: installed ${missing[*]}"
