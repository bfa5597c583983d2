#!/usr/bin/env bash
# Make sure the engine tests can start their servers: PostgreSQL's binaries (the distribution's
# package; no cluster is created here, each test session makes its own) and a Java runtime for
# Spark Connect. Installs what is missing with apt-get, when there is one.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need+=(postgresql)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
if [ ${#need[@]} -eq 0 ]; then
  echo "engine services: PostgreSQL and java present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "engine services: missing ${need[*]} and no apt-get" >&2
  exit 1
fi
echo "engine services: installing ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The package may start a cluster of its own; the tests do not use it.
if command -v pg_ctlcluster >/dev/null 2>&1; then
  for c in $(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}'); do
    pg_ctlcluster "${c%/*}" "${c#*/}" stop || true
  done
fi
