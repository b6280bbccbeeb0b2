#!/bin/sh
# tests/callgraph.sh [-q] BUILD LAYER... - the calls between the files of each
# source directory, read from the symbols of their objects, and a check that
# they form no cycle and that no layer uses one above it (HACKING.md: files
# in one directory do not call each other in circles; a lower layer never
# uses an upper one).
#
# LAYERs are given lowest first; a LAYER is a directory, or directories
# joined by ',' that stand side by side (check,runbook: neither may use the
# other).  For every directory, BUILD/DIR/*.o are read with nm: a global
# symbol one object uses (U) and another defines is an edge "user ->
# definer".  Within a directory the edges must form no cycle (tsort finds
# one); across directories an edge must go to a lower layer.  Prints the
# edges with the symbols behind them and the files bottom-up (unless -q).
# Exits 1 naming the files of a cycle, or each upward or sideways use, when
# there is one; 2 on a usage error or a directory without objects.
#   sh tests/callgraph.sh build pkcs11          the files of one directory
#   `make cycles` runs it on every layer (LAYER_DIRS in the Makefile)
set -u

quiet=0
if [ "${1:-}" = -q ]; then
	quiet=1
	shift
fi
if [ $# -lt 2 ]; then
	echo "usage: tests/callgraph.sh [-q] BUILD LAYER..." >&2
	exit 2
fi
build=$1
shift
status=0

# symbols DIR LEVEL: "D|U level dir file symbol" lines of every object in DIR
symbols() {
	for o in "$build/$1"/*.o; do
		f=$(basename "$o" .o)
		nm --defined-only -g "$o" | awk -v l="$2" -v d="$1" -v f="$f" \
		    'NF == 3 { print "D", l, d, f, $3 }'
		nm -u "$o" | awk -v l="$2" -v d="$1" -v f="$f" '{ print "U", l, d, f, $NF }'
	done
}

# edges DIR: "user definer symbol" lines within DIR (from $all)
edges() {
	printf '%s\n' "$all" | awk -v d="$1" '
		$3 != d { next }
		$1 == "D" { def[$5] = $4; next }
		{ use[++n] = $4 " " $5 }
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

# Every directory with its layer's level (0 lowest).
dirs=""
all=""
level=0
for layer in "$@"; do
	for dir in $(printf '%s\n' "$layer" | tr ',' ' '); do
		d=${dir%/}
		if ! ls "$build/$d"/*.o >/dev/null 2>&1; then
			echo "callgraph: no objects in $build/$d (build first)" >&2
			status=2
			continue
		fi
		dirs="$dirs $d"
		all=$(printf '%s\n%s\n' "$all" "$(symbols "$d" "$level")")
	done
	level=$((level + 1))
done

for d in $dirs; do
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

# Across directories: a use goes to a lower layer, never up or sideways.
wrong=$(printf '%s\n' "$all" | awk '
	$1 == "D" { lvl[$5] = $2; dir[$5] = $3; file[$5] = $4; next }
	$1 == "U" { use[++n] = $0 }
	END {
		for (i = 1; i <= n; i++) {
			split(use[i], a, " ")
			s = a[5]
			if (!(s in lvl) || dir[s] == a[3] || lvl[s] + 0 < a[2] + 0)
				continue
			where = lvl[s] + 0 > a[2] + 0 ? "a layer above" : "a layer beside"
			printf "  %s/%s.o uses %s of %s/%s.o (%s)\n", a[3], a[4], s, dir[s], file[s], where
		}
	}' | sort -u)
if [ -n "$wrong" ]; then
	echo "callgraph: a layer uses one above or beside it:" >&2
	printf '%s\n' "$wrong" >&2
	status=1
elif [ "$quiet" = 0 ] && [ $# -gt 1 ]; then
	echo "layers, lowest first: $*: no use of a layer above or beside"
fi
exit $status
