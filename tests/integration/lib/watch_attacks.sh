# The stock rules' attacks that each alert exactly once, shared by watch.sh (the unotify source)
# and watch_ebpf.sh (the eBPF source) so both sources face the same list.
#   watch_attacks ONE: runs "ONE NAME RULE FIELD_REGEX -- CMD..." for each attack.
# Needs T (a work directory), ATT (escape_attacks), WAT (escape_watch) and NOBODY (setpriv to 65534).
watch_attacks() {
  local one=$1
  mkdir -p "$T/srv" "$T/own" "$T/keys" "$T/bin"
  cp "$WAT" "$T/srv/nginx"  # a server's name (the rule knows server names, not test programs)
  touch "$T/own/f" && chown -R 65534:65534 "$T/own" "$T/keys"
  cp /bin/true "$T/bin/nc" && cp /bin/true "$T/bin/nmap" && cp /bin/true "$T/bin/kworker"
  cp /bin/true "$T/bin/useradd" && cp /bin/true "$T/bin/curl" && cp "$WAT" "$T/srv/postgres"
  "$one" ptrace "Ptrace attach or poke" '"evt.arg.request":"PTRACE_ATTACH".*"proc.name":"escape_attacks"' -- \
    "${NOBODY[@]}" "$ATT" ptrace-supervisor 1
  "$one" memfd-exec "Execution from memfd" '"proc.exepath":"/memfd:x \(deleted\)"' -- "${NOBODY[@]}" "$ATT" memfd-exec
  "$one" core-pattern "Write to kernel parameters" '"fd.name":"/proc/sys/kernel/core_pattern"' -- \
    "${NOBODY[@]}" "$ATT" core-pattern
  "$one" proc-exe "Write through proc exe link" '"fd.name":"/proc/1/exe"' -- "${NOBODY[@]}" "$ATT" proc-exe-overwrite /proc/1/exe
  "$one" write-etc "Write below etc" '"fd.name":"/etc/confine-watch-escape".*"user.name":"nobody"' -- \
    "${NOBODY[@]}" "$ATT" write-outside /etc/confine-watch-escape
  "$one" write-bin "Write below binary dir" '"fd.name":"/usr/bin/confine-watch-escape"' -- \
    "${NOBODY[@]}" "$ATT" write-outside /usr/bin/confine-watch-escape
  "$one" packet-socket "Packet socket created" '"proc.name":"escape_watch"' -- "${NOBODY[@]}" "$WAT" packet-socket
  "$one" module-load "Kernel module load" '"evt.type":"finit_module"' -- "${NOBODY[@]}" "$WAT" module-load
  "$one" release-agent "Write to cgroup release_agent" '"fd.name":"/sys/fs/cgroup/confine-watch-no-such-cgroup/release_agent"' -- \
    "${NOBODY[@]}" "$WAT" release-agent
  "$one" read-shadow "Read sensitive file" '"fd.name":"/etc/shadow".*"user.name":"nobody"' -- "${NOBODY[@]}" "$WAT" read-shadow
  "$one" devshm-exec "Execution from /dev/shm" '"proc.exepath":"/dev/shm/confine-watch-[0-9]+"' -- "${NOBODY[@]}" "$WAT" devshm-exec
  "$one" server-shell "Shell spawned by a server" '"proc.pname":"nginx","proc.name":"sh","proc.cmdline":"sh -c true"' -- \
    "${NOBODY[@]}" "$T/srv/nginx" server-shell
  "$one" setuid-bit "Set setuid or setgid bit" "\"fd.name\":\"$T/own/f\".*\"evt.arg.mode\":\"S_ISUID\\|" -- \
    "${NOBODY[@]}" "$WAT" setuid-bit "$T/own/f"
  "$one" reverse-shell "Network connection on standard input or output" '"fd.name":"127.0.0.1:[0-9]+".*"evt.arg.newfd":"0"' -- \
    "${NOBODY[@]}" "$WAT" reverse-shell
  "$one" setns "Join another namespace" '"evt.arg.nstype":"0x4000000"' -- "${NOBODY[@]}" "$WAT" setns
  "$one" mount "Mount a file system" '"evt.arg.dir":"/mnt".*"evt.arg.type":"tmpfs"' -- "${NOBODY[@]}" "$WAT" mount
  "$one" clear-log "Clear log files" '"fd.name":"/var/log/confine-watch-no-such.log"' -- "${NOBODY[@]}" "$WAT" clear-log
  "$one" bpf-load "Load a BPF program" '"proc.name":"escape_watch"' -- "${NOBODY[@]}" "$WAT" bpf-load
  "$one" key-search "Search for private keys or passwords" "\"proc.cmdline\":\"find $T/keys -name id_rsa\"" -- \
    "${NOBODY[@]}" "$WAT" key-search "$T/keys"
  "$one" rename-into-etc "Write below etc" '"fd.name":"/etc/confine-watch-no-such-dir/cron-job"' -- \
    "${NOBODY[@]}" "$WAT" rename-into-etc
  "$one" memfd-exec-procfd "Execution from memfd" '"proc.exepath":"/memfd:y \(deleted\)"' -- \
    "${NOBODY[@]}" "$WAT" memfd-exec-procfd
  "$one" devshm-exec-link "Execution from /dev/shm" '"proc.exepath":"/dev/shm/confine-watch-[0-9]+"' -- \
    "${NOBODY[@]}" "$WAT" devshm-exec-link
  "$one" listener-shell "Shell spawned by a server" '"proc.pname":"escape_watch","proc.name":"sh"' -- \
    "${NOBODY[@]}" "$WAT" listener-shell
  "$one" hardlink-shadow "Hardlink over sensitive file" '"evt.arg.oldpath":"/etc/shadow"' -- \
    "${NOBODY[@]}" "$WAT" hardlink-shadow
  "$one" delete-history "Delete or rename shell history" '"fd.name":"/tmp/confine-watch-no-such-dir/.bash_history"' -- \
    "${NOBODY[@]}" "$WAT" delete-history
  "$one" create-dev "Create files below dev" '"fd.name":"/dev/confine-watch-node"' -- "${NOBODY[@]}" "$WAT" create-dev
  "$one" userfaultfd "Unprivileged userfaultfd" '"user.name":"nobody"' -- "${NOBODY[@]}" "$WAT" userfaultfd
  "$one" authorized-keys "Write to SSH authorized keys" '"fd.name":"/root/.ssh/authorized_keys"' -- \
    "${NOBODY[@]}" "$WAT" authorized-keys
  "$one" metadata-service "Contact cloud metadata service" '"fd.name":"169.254.169.254:80"' -- \
    "${NOBODY[@]}" "$WAT" metadata-service
  "$one" proc-mem-write "Write to another process's memory" '"fd.name":"/proc/1/mem"' -- "${NOBODY[@]}" "$WAT" proc-mem-write
  "$one" vm-writev "Write to another process's memory" '"evt.type":"process_vm_writev"' -- "${NOBODY[@]}" "$WAT" vm-writev
  "$one" netcat-exec "Netcat remote code execution" '"proc.cmdline":"nc -e /bin/sh 127.0.0.1 1"' -- \
    "${NOBODY[@]}" "$WAT" netcat-exec "$T/bin/nc"
  "$one" clear-log-trunc "Clear log files" '"fd.name":"/var/log/confine-watch-no-such.log"' -- \
    "${NOBODY[@]}" "$WAT" clear-log-trunc
  "$one" shell-config "Modify shell configuration file" '"fd.name":"/tmp/confine-watch-no-such-dir/.bashrc"' -- \
    "${NOBODY[@]}" "$WAT" shell-config
  "$one" cron-spool "Schedule a cron job" '"fd.name":"/var/spool/cron/confine-watch-no-such-dir/nobody"' -- \
    "${NOBODY[@]}" "$WAT" cron-spool
  "$one" userns "Create a user namespace" '"evt.arg.flags":"CLONE_NEWNS\|CLONE_NEWUSER".*"user.name":"nobody"' -- \
    "${NOBODY[@]}" "$WAT" userns
  "$one" recon-tool "Network scanner or sniffer launched" '"proc.cmdline":"nmap -sS 10.0.0.0/8"' -- \
    "${NOBODY[@]}" "$WAT" recon-tool "$T/bin/nmap"
  "$one" miner "Crypto miner launched" '"proc.cmdline":"kworker -o stratum\+tcp://pool.example:3333 -u x"' -- \
    "${NOBODY[@]}" "$WAT" miner "$T/bin/kworker"
  "$one" block-device "Raw block device opened" '"fd.name":"/dev/sdzz"' -- "${NOBODY[@]}" "$WAT" block-device
  "$one" db-spawn "Database server spawned a process" '"proc.pname":"postgres".*"proc.cmdline":"curl -s http://127.0.0.1:1/x"' -- \
    "${NOBODY[@]}" "$T/srv/postgres" db-spawn x "$T/bin/curl"
  "$one" user-mgmt "User management binary launched" '"proc.cmdline":"useradd -o -u 0 backdoor"' -- \
    "${NOBODY[@]}" "$WAT" user-mgmt "$T/bin/useradd"
  "$one" read-user-key "Read sensitive file" '"fd.name":"/home/confine-watch-no-such-user/.ssh/id_ed25519"' -- \
    "${NOBODY[@]}" "$WAT" read-user-key
  "$one" read-environ "Read process environment" '"fd.name":"/proc/1/environ"' -- "${NOBODY[@]}" "$WAT" read-environ
  "$one" ptrace-traceme "Ptrace anti-debug attempt" '"proc.name":"escape_watch"' -- "${NOBODY[@]}" "$WAT" ptrace-traceme
}
