# A profile using every rule kind apparmor_parser 3.0 accepts.
abi <abi/3.0>,
include <tunables/global>

@{MYDATA} = /srv/data /var/lib/mydata
@{MYDATA} += /opt/mydata
@{LOGS}=/var/log/myapp

profile confine-features /usr/bin/myapp flags=(complain,attach_disconnected) {
  include <abstractions/base>
  include if exists <local/confine-features>

  capability net_bind_service,
  capability setuid setgid,
  network inet stream,
  network inet6 dgram,
  network netlink raw,

  signal (send, receive) set=(term, kill) peer=confine-features,
  signal receive peer=unconfined,
  ptrace (read, trace) peer=@{profile_name},
  unix (connect, receive, send) type=stream peer=(addr="@tmp/.x*"),
  dbus send bus=system path=/org/freedesktop/DBus interface=org.freedesktop.DBus member=Hello peer=(name=org.freedesktop.DBus),
  dbus bind bus=session name=org.example.MyApp,
  mount fstype=tmpfs options=(rw, nosuid) tmpfs -> /run/myapp/,
  remount /run/myapp/,
  umount /run/myapp/,
  pivot_root oldroot=/old/ /new/,
  change_profile -> confine-features//helper,
  set rlimit nofile <= 1024,

  /usr/bin/myapp mr,
  /usr/{bin,sbin}/helper* ix,
  /usr/bin/other Px -> confine-other,
  /usr/bin/child Cx -> helper,
  /usr/bin/tool pix,
  audit deny /etc/shadow rw,
  owner @{HOME}/.myapp/** rwk,
  @{MYDATA}/** r,
  @{LOGS}/*.log a,
  /tmp/myapp-[0-9]* rwl,
  file /etc/myapp.conf r,
  r /etc/myapp.d/,  # permissions first
  link subset /var/lib/myapp/a -> /var/lib/myapp/b,
  deny @{PROC}/sys/kernel/** w,

  profile helper {
    include <abstractions/base>
    /usr/bin/child mrix,
  }

  ^hat {
    /srv/hat/** r,
  }
}

/usr/bin/unnamed {
  /usr/bin/unnamed mr,
}
