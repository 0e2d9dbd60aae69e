#!/usr/bin/env bash
# A real Apache Kafka 4.x broker on this machine, no Docker: the broker jars come
# from Maven Central (kafka/pom.xml), run on Java 17 as one KRaft node
# (broker + controller) on 127.0.0.1, data and logs under $LABBOOK_HOME/kafka.
# Idempotent: `up` reuses a running broker and restarts a dead one.
# Usage: deploy/local/kafka.sh up|down|status
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
home=${LABBOOK_HOME:-$root/.labbook}
dir=$home/kafka
port=${LABBOOK_KAFKA_PORT:-9092}
controller_port=$((port + 1))
libs=$dir/libs
pidfile=$dir/broker.pid
log=$dir/broker.log
heap=${LABBOOK_KAFKA_HEAP:-768m}

say() { echo "kafka: $*"; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

# Our broker's pid, if it runs (a zombie left unreaped by a container's init counts as dead).
our_pid() {
  local pid; pid=$(cat "$pidfile" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" | cut -c1)" != Z ] && echo "$pid"
}

apt_install() {
  [ "$(id -u)" = 0 ] || { say "need $* installed (run as root to install it)"; exit 1; }
  say "installing $* from Debian packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

need_tools() {
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_install maven
}

fetch_jars() {
  # The marker holds the pom's checksum, so a version bump fetches again.
  local sum; sum=$(sha256sum "$here/kafka/pom.xml" | cut -d' ' -f1)
  if [ "$(cat "$libs/.pom-sha256" 2>/dev/null)" = "$sum" ]; then return; fi
  say "fetching the broker jars from Maven Central (cached in ~/.m2)"
  rm -rf "$libs"
  mvn -q -B -Dstyle.color=never -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs"
  echo "$sum" > "$libs/.pom-sha256"
}

write_config() {
  mkdir -p "$dir/data"
  sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" -e "s|@DATA@|$dir/data|g" \
    "$here/kafka/server.properties.in" > "$dir/server.properties"
  cp "$here/kafka/log4j2.properties" "$dir/log4j2.properties"
}

format_storage() {
  [ -f "$dir/data/meta.properties" ] && return
  local id; id=$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
  java -cp "$libs/*" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" >/dev/null
  say "formatted KRaft storage in $dir/data (cluster $id)"
}

start() {
  if pid=$(our_pid); then say "already running (pid $pid) at 127.0.0.1:$port"; return; fi
  if listening; then say "something already listens at 127.0.0.1:$port; reusing it"; return; fi
  need_tools
  fetch_jars
  write_config
  format_storage
  say "starting the broker at 127.0.0.1:$port (log $log)"
  nohup setsid java -Xms256m -Xmx"$heap" -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$libs/*" kafka.Kafka "$dir/server.properties" >>"$log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  for _ in $(seq 1 120); do
    listening && { say "listening at 127.0.0.1:$port"; return; }
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { say "broker exited; last lines of $log:"; tail -20 "$log"; exit 1; }
    sleep 0.5
  done
  say "broker did not listen within 60 s; see $log"; exit 1
}

stop() {
  if pid=$(our_pid); then
    kill "$pid"
    for _ in $(seq 1 60); do our_pid >/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    say "stopped (pid $pid)"
  else
    say "not running (nothing of ours to stop)"
  fi
  rm -f "$pidfile"
}

status() {
  if pid=$(our_pid); then say "running (pid $pid) at 127.0.0.1:$port"
  elif listening; then say "a broker not started by labbook listens at 127.0.0.1:$port"
  else say "stopped"; return 3; fi
}

destroy() {
  stop
  rm -rf "$dir/data"  # the jars in $dir/libs stay: they came from Maven Central
  say "removed $dir/data"
}

case "${1:-}" in
  up) start ;;
  down) stop ;;
  destroy) destroy ;;  # stop and delete the broker's data (topics, offsets, cluster id)
  status) status ;;
  *) echo "usage: $0 up|down|destroy|status" >&2; exit 2 ;;
esac
