#!/usr/bin/env bash
# A throwaway OpenLDAP server (Debian's slapd) on loopback for the LDAP sign-in tests.
#   scripts/test-ldap.sh start   -> installs slapd + ldap-utils when missing (apt-get), starts slapd on
#                                   127.0.0.1:$GOTRS_TEST_LDAP_PORT (53389) with the test directory below, and adds
#                                   GOTRS_TEST_LDAP_* lines to var/test-services.env
#   scripts/test-ldap.sh stop    -> stops it, removes its data and its lines from var/test-services.env
# Run it after `scripts/test-services.sh start` (which recreates var/test-services.env).
#
# Directory (suffix dc=gotrs,dc=test), passwords as the tests use them:
#   cn=reader,dc=gotrs,dc=test                search account            reader-secret
#   uid=lena,ou=people,dc=gotrs,dc=test       Lena Dapper, agent        lena-ldap-pw
#   uid=omar,ou=people,dc=gotrs,dc=test       Omar Kaya                 omar-ldap-pw
#   uid=root@localhost,ou=people,...          same login as OTRS's admin ldap-root-pw
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN="$ROOT/var/test-ldap"
ENV_FILE="$ROOT/var/test-services.env"
PORT=${GOTRS_TEST_LDAP_PORT:-53389}
SUFFIX="dc=gotrs,dc=test"
ADMIN_PW="admin-secret"

log() { printf '[test-ldap] %s\n' "$*" >&2; }

ensure_installed() {
  if [ -x /usr/sbin/slapd ] && command -v ldapsearch >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" != 0 ]; then log "not root: cannot apt-get install slapd ldap-utils"; return 1; fi
  log "installing slapd ldap-utils"
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null || true
  # The package's own server is not used: RUNLEVEL=1 keeps its init script from starting it.
  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get -o DPkg::Lock::Timeout=600 install -y -qq slapd ldap-utils >/dev/null
}

hash_pw() { /usr/sbin/slappasswd -h '{SSHA}' -s "$1"; }

write_config() {
  cat > "$RUN/config.ldif" <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $RUN/slapd.pid

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $SUFFIX
olcDbDirectory: $RUN/data
olcRootDN: cn=admin,$SUFFIX
olcRootPW: $(hash_pw "$ADMIN_PW")
olcAccess: {0}to attrs=userPassword by self read by anonymous auth by * none
olcAccess: {1}to * by users read by * none
LDIF
}

person() {  # person UID GIVEN SN PASSWORD
  cat <<LDIF
dn: uid=$1,ou=people,$SUFFIX
objectClass: inetOrgPerson
uid: $1
cn: $2 $3
givenName: $2
sn: $3
mail: $1@ldap.gotrs.test
userPassword: $(hash_pw "$4")

LDIF
}

write_data() {
  {
    cat <<LDIF
dn: $SUFFIX
objectClass: dcObject
objectClass: organization
dc: gotrs
o: GOTRS test directory

dn: ou=people,$SUFFIX
objectClass: organizationalUnit
ou: people

dn: cn=reader,$SUFFIX
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: $(hash_pw reader-secret)

LDIF
    person lena Lena Dapper lena-ldap-pw
    person omar Omar Kaya omar-ldap-pw
    person root@localhost Root Directory ldap-root-pw
  } > "$RUN/data.ldif"
}

start() {
  stop
  ensure_installed || { log "slapd is not installed"; return 1; }
  mkdir -p "$RUN/slapd.d" "$RUN/data"
  write_config
  write_data
  /usr/sbin/slapadd -n 0 -F "$RUN/slapd.d" -l "$RUN/config.ldif" >/dev/null 2>&1
  /usr/sbin/slapadd -n 1 -F "$RUN/slapd.d" -l "$RUN/data.ldif" >/dev/null 2>&1
  /usr/sbin/slapd -h "ldap://127.0.0.1:$PORT/" -F "$RUN/slapd.d" >"$RUN/slapd.log" 2>&1
  for _ in $(seq 1 100); do
    if ldapsearch -x -H "ldap://127.0.0.1:$PORT" -D "cn=reader,$SUFFIX" -w reader-secret -b "$SUFFIX" -s base \
      >/dev/null 2>&1; then
      mkdir -p "$(dirname "$ENV_FILE")"
      {
        echo "GOTRS_TEST_LDAP_URL=ldap://127.0.0.1:$PORT"
        echo "GOTRS_TEST_LDAP_BASE_DN=ou=people,$SUFFIX"
        echo "GOTRS_TEST_LDAP_BIND_DN=cn=reader,$SUFFIX"
        echo "GOTRS_TEST_LDAP_BIND_PASSWORD=reader-secret"
      } >> "$ENV_FILE"
      log "slapd on ldap://127.0.0.1:$PORT ($SUFFIX)"
      return 0
    fi
    sleep 0.1
  done
  log "slapd did not come up: $(tail -5 "$RUN/slapd.log" 2>/dev/null)"
  return 1
}

stop() {
  if [ -f "$RUN/slapd.pid" ]; then
    local pid; pid=$(cat "$RUN/slapd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$RUN"
  if [ -f "$ENV_FILE" ]; then sed -i '/^GOTRS_TEST_LDAP_/d' "$ENV_FILE"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
