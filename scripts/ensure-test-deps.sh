#!/usr/bin/env bash
# Installs the Debian packages the test suite drives as real peers, when they are missing:
# kcat and python3-confluent-kafka (real librdkafka clients against the broker),
# prometheus-alertmanager (the real Alertmanager alerts are delivered to), and chromium (the
# browser playwright-core drives in the console's tests; Playwright's own browser downloads are
# not used).
# python3-confluent-kafka is checked with /usr/bin/python3: a pyenv python3 earlier on PATH
# cannot import Debian's module.
set -euo pipefail

missing=()
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
/usr/bin/python3 -c 'import confluent_kafka' >/dev/null 2>&1 || missing+=(python3-confluent-kafka)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
[ -x /usr/bin/chromium ] || missing+=(chromium)

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
echo "test dependencies: installed ${missing[*]}"
