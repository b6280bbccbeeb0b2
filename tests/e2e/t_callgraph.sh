#!/bin/sh
# tests/callgraph.sh (`make cycles`, run by `make check` on the real tree)
# finds what it is there to find, on objects built here: a cycle between the
# files of one directory, a use of a layer above, a use of a layer beside
# (layers joined by ','), and passes a tree without any.
. "$(dirname "$0")/lib.sh"

command -v nm >/dev/null || skip "nm not installed"
command -v cc >/dev/null || skip "cc not installed"
CG="$SRCDIR/tests/callgraph.sh"
O=$WORK/objs

# obj DIR FILE SOURCE: compiles SOURCE into $O/DIR/FILE.o
obj() {
	mkdir -p "$O/$1"
	printf '%s\n' "$3" >"$WORK/$2.c"
	cc -c -o "$O/$1/$2.o" "$WORK/$2.c" || die "cannot compile the sample $1/$2"
}

# low/ at the bottom; mid/ and side/ beside each other above it; top/ last
obj low base 'int base(void) { return 1; }'
obj mid a 'int base(void); int b(void); int a(void) { return b() + base(); }'
obj mid b 'int base(void); int b(void) { return base(); }'
obj side s 'int base(void); int s(void) { return base(); }'
obj top t 'int a(void); int s(void); int t(void) { return a() + s(); }'

sh "$CG" "$O" low mid,side top >"$WORK/out" 2>"$WORK/err"
expect_eq "$?" 0 "callgraph on a clean tree"
expect_out_contains "mid: no cycle; bottom-up: b a"
expect_out_contains "layers, lowest first: low mid,side top: no use of a layer above or beside"

# a cycle in mid/: b calls a back
obj mid b 'int base(void); int a(void); int b(void) { return base() + a(); }'
sh "$CG" -q "$O" low mid,side top >"$WORK/out" 2>"$WORK/err"
expect_eq "$?" 1 "callgraph on a cycle"
expect_err_contains "callgraph: mid: calls between its files form a cycle:"
grep -qx '  a' "$WORK/err" && grep -qx '  b' "$WORK/err" ||
	fail "the files of the cycle, a and b, are not named: $(cat "$WORK/err")"
obj mid b 'int base(void); int b(void) { return base(); }'

# low/ uses top/: a layer above
obj low base 'int t(void); int base(void) { return 1; } int up(void) { return t(); }'
sh "$CG" -q "$O" low mid,side top >"$WORK/out" 2>"$WORK/err"
expect_eq "$?" 1 "callgraph on an upward use"
expect_err_contains "low/base.o uses t of top/t.o (a layer above)"
obj low base 'int base(void) { return 1; }'

# side/ uses mid/: a layer beside
obj side s 'int b(void); int s(void) { return b(); }'
sh "$CG" -q "$O" low mid,side top >"$WORK/out" 2>"$WORK/err"
expect_eq "$?" 1 "callgraph on a sideways use"
expect_err_contains "side/s.o uses b of mid/b.o (a layer beside)"
# the same tree with mid below side: allowed
sh "$CG" -q "$O" low mid side top >"$WORK/out" 2>"$WORK/err"
expect_eq "$?" 0 "callgraph with mid below side"

# a directory without objects is a usage error
sh "$CG" -q "$O" low nothing >"$WORK/out" 2>"$WORK/err"
expect_eq "$?" 2 "callgraph on a directory without objects"
expect_err_contains "callgraph: no objects in $O/nothing (build first)"
