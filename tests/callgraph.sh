#!/bin/sh
# tests/callgraph.sh [-q] BUILD DIR... - the calls between the files of each
# source directory, read from the symbols of their objects, and a check that
# they form no cycle (HACKING.md: files in one directory do not call each
# other in circles).
#
# For every DIR, BUILD/DIR/*.o are read with nm: a global symbol one object
# uses (U) and another defines is an edge "user -> definer".  Prints the
# edges with the symbols behind them and the files bottom-up (unless -q), and
# exits 1 naming the files of a cycle when there is one (tsort finds it);
# 2 on a usage error or a directory without objects.
#   sh tests/callgraph.sh build pkcs11          `make cycles` runs it on every layer
set -u

quiet=0
if [ "${1:-}" = -q ]; then
	quiet=1
	shift
fi
if [ $# -lt 2 ]; then
	echo "usage: tests/callgraph.sh [-q] BUILD DIR..." >&2
	exit 2
fi
build=$1
shift
status=0

# edges DIR: "user definer symbol" lines
edges() {
	for o in "$build/$1"/*.o; do
		f=$(basename "$o" .o)
		nm --defined-only -g "$o" | awk -v f="$f" 'NF == 3 { print "D", f, $3 }'
		nm -u "$o" | awk -v f="$f" '{ print "U", f, $NF }'
	done | awk '
		$1 == "D" { def[$3] = $2; next }
		{ use[++n] = $2 " " $3 }
		END {
			for (i = 1; i <= n; i++) {
				split(use[i], a, " ")
				if ((a[2] in def) && def[a[2]] != a[1])
					print a[1], def[a[2]], a[2]
			}
		}' | sort -u
}

# nodes DIR: every file as a self-edge, so that tsort lists files without calls
nodes() {
	for o in "$build/$1"/*.o; do
		f=$(basename "$o" .o)
		echo "$f $f"
	done
}

for dir in "$@"; do
	d=${dir%/}
	if ! ls "$build/$d"/*.o >/dev/null 2>&1; then
		echo "callgraph: no objects in $build/$d (build first)" >&2
		status=2
		continue
	fi
	e=$(edges "$d")
	pairs=$( { printf '%s\n' "$e" | awk 'NF { print $1, $2 }' | sort -u; nodes "$d"; })
	loop=$(printf '%s\n' "$pairs" | tsort 2>&1 >/dev/null)
	if [ -n "$loop" ]; then
		echo "callgraph: $d: calls between its files form a cycle:" >&2
		printf '%s\n' "$loop" | sed 's/^tsort: -: //; s/^tsort: //; s/^/  /' >&2
		status=1
	fi
	[ "$quiet" = 1 ] && continue
	echo "$d: file -> file it calls (symbols)"
	printf '%s\n' "$e" | awk 'NF {
		k = $1 " -> " $2
		if (!(k in s)) { order[++n] = k; s[k] = $3 } else s[k] = s[k] " " $3
	} END { for (i = 1; i <= n; i++) print "  " order[i] ": " s[order[i]] }'
	if [ -z "$loop" ]; then
		printf '%s: no cycle; bottom-up: %s\n' "$d" \
		    "$(printf '%s\n' "$pairs" | tsort | tac | tr '\n' ' ' | sed 's/ $//')"
	fi
done
exit $status
