#!/bin/sh
# Enforces the import rules of docs/ARCHITECTURE.md: data is authored in
# fleet, resolved by content, carried by device, shown by display or kiosk,
# and no package reaches back up that chain. Each rule names, for a package
# prefix, the lawpoint packages it may import (test files included).
set -eu
mod=lawpoint
go list -f '{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... |
awk -v mod="$mod" '
function allowed(pkg, imp,   p, i) {
	p = substr(pkg, length(mod) + 2); i = substr(imp, length(mod) + 2)
	if (p ~ /^cmd\//) return 1                          # thin mains wire everything
	if (i == p || index(i, p "/") == 1 || index(p, i "/") == 1) return 1 # own subtree (tests, subpackages)
	if (p ~ /^(fleet|kiosk)\// && index(i, substr(p, 1, index(p, "/"))) == 1) return 1 # fleet and kiosk subpackages compose each other
	if (i ~ /^(cmd|fleet)(\/|$)/) return 0               # nobody imports the top or the mains
	if (i ~ /^kiosk(\/|$)/) return 0                     # the kiosk app is a leaf
	if (p ~ /^content(\/|$)/) return 0                   # content is the shared vocabulary: imports nothing of ours
	if (i ~ /^content(\/|$)/) return 1                   # everyone else may use content
	if (p ~ /^device\/wire(\/|$)/) return 0              # the wire contract stands alone
	if (p ~ /^display\/(dots|bx|render)(\/|$)/) return (i ~ /^display\/dots$/)
	if (p ~ /^display(\/|$)/) return (i ~ /^display\//)
	if (p ~ /^device(\/|$)/) return (i ~ /^device\//)
	if (p ~ /^kiosk(\/|$)/) return (i ~ /^(device|display)(\/|$)/)
	if (p ~ /^fleet(\/|$)/) return (i ~ /^(device|display)(\/|$)/)
	return 0
}
{
	for (k = 2; k <= NF; k++) {
		if (index($k, mod "/") != 1) continue
		if (!allowed($1, $k)) { printf "import rule broken: %s imports %s (see docs/ARCHITECTURE.md)\n", $1, $k; bad = 1 }
	}
}
END { exit bad }
'
