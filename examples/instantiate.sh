#!/bin/sh
# instantiate.sh EXAMPLE DEST FIX [NAME=VALUE...]
#
# Makes a runnable copy of an example: DEST/certrotate.cfg with every
# @NAME@ placeholder replaced (NAME=VALUE arguments first; a @..._PORT@ left
# over gets a distinct port from 47001 up, good enough for `plan`, which
# contacts no endpoint), DEST/fix -> FIX (the fixture directory of
# softhsm-fixtures/mkfixtures.sh), and the files listed in EXAMPLE/files put
# in place, one per line:
#   DEST FROM [MODE]   a copy of FROM (relative to DEST), mode MODE (default 0644);
#                      FROM "A+B": A and B one after the other (a combined PEM);
#                      FROM "%NAME": the example's own file NAME, its @NAME@
#                      placeholders filled as in certrotate.cfg
#   DEST -> TARGET     a symbolic link DEST to TARGET (as certbot's live/ links)
# Prints nothing; exits 2 on a usage error or a placeholder it cannot fill.
set -eu

if [ $# -lt 3 ]; then
	echo "usage: $0 EXAMPLE DEST FIX [NAME=VALUE...]" >&2
	exit 2
fi
ex=$1 dest=$2 fix=$3
shift 3
[ -f "$ex/certrotate.cfg" ] || { echo "$0: no '$ex/certrotate.cfg'" >&2; exit 2; }
[ -d "$fix" ] || { echo "$0: no fixture directory '$fix'" >&2; exit 2; }

mkdir -p "$dest"
script=""
for kv in "$@"; do
	case $kv in
	*=*) ;;
	*) echo "$0: expected NAME=VALUE, got '$kv'" >&2; exit 2 ;;
	esac
	name=${kv%%=*} value=${kv#*=}
	case $name$value in
	*[!A-Za-z0-9_.:-]*) echo "$0: '$kv': unsafe characters" >&2; exit 2 ;;
	esac
	script="${script}s|@${name}@|${value}|g;"
done
port=47001
# the ports of the configuration and of the example's templates (%NAME in files)
templates=""
[ ! -f "$ex/files" ] || templates=$(sed -n 's|^[^#][^ ]* %\([^ ]*\).*|'"$ex"'/\1|p' "$ex/files")
for name in $(cat "$ex/certrotate.cfg" $templates | sed -n 's/.*@\([A-Z0-9_]*_PORT\)@.*/\1/p' | sort -u); do
	case ";$script" in
	*"|@$name@|"*) ;;
	*) script="${script}s|@${name}@|${port}|g;"; port=$((port + 1)) ;;
	esac
done
sed "${script:-p;d}" "$ex/certrotate.cfg" >"$dest/certrotate.cfg.tmp"
[ -n "$script" ] || cp "$ex/certrotate.cfg" "$dest/certrotate.cfg.tmp"
if grep -n '@[A-Z0-9_]*@' "$dest/certrotate.cfg.tmp" >&2; then
	echo "$0: placeholders left in '$ex/certrotate.cfg' (give NAME=VALUE)" >&2
	rm -f "$dest/certrotate.cfg.tmp"
	exit 2
fi
mv "$dest/certrotate.cfg.tmp" "$dest/certrotate.cfg"
ln -sfn "$fix" "$dest/fix"
if [ -f "$ex/files" ]; then
	grep -v '^[[:space:]]*\(#\|$\)' "$ex/files" | while read -r to from third; do
		mkdir -p "$dest/$(dirname "$to")"
		case $from in
		'->')
			ln -sfn "$third" "$dest/$to"
			continue
			;;
		%*)
			sed "${script:-p;d}" "$ex/${from#%}" >"$dest/$to"
			if grep -n '@[A-Z0-9_]*@' "$dest/$to" >&2; then
				echo "$0: placeholders left in '$ex/${from#%}'" >&2
				exit 2
			fi
			;;
		*)
			: >"$dest/$to"
			for part in $(echo "$from" | tr '+' ' '); do
				cat "$dest/$part" >>"$dest/$to"
			done
			;;
		esac
		chmod "${third:-0644}" "$dest/$to"
	done
fi
