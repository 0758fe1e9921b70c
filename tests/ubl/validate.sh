#!/bin/sh
# Usage: tests/ubl/validate.sh DIR
#
# Runs the official SI-UBL 2.0 validation stylesheet over every *.xml in DIR with one JVM (Saxon-HE
# directory mode) and prints, per file, the fatal failed asserts (id and text) and the number of
# warnings. Exits 1 when any fatal assert failed (or the run itself failed), 0 otherwise.
#
# The stylesheet is not ours to copy into the repository: it is looked for at
# ${SIUBL_XSL:-../shared/validators/si-ubl-2.0/si-ubl-2.0.xsl}, a relative path being taken from the
# repository root (the parent of tests/). When it is not there the validation is skipped, loudly,
# with exit status 0. SAXON_JAR overrides the jar (default: Debian's libsaxonhe-java).
set -eu

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 DIR (a directory of UBL XML files)" >&2
	exit 2
fi
dir=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
xsl=${SIUBL_XSL:-../shared/validators/si-ubl-2.0/si-ubl-2.0.xsl}
case $xsl in
/*) ;;
*) xsl=$root/$xsl ;;
esac
jar=${SAXON_JAR:-/usr/share/java/Saxon-HE.jar}

if [ ! -f "$xsl" ]; then
	echo "official SI-UBL validation SKIPPED: stylesheet not found at $xsl"
	exit 0
fi
xsl=$(cd "$(dirname "$xsl")" && pwd)/$(basename "$xsl")
if ! command -v java >/dev/null 2>&1; then
	echo "official SI-UBL validation FAILED: java not found (apt-get install default-jre-headless)"
	exit 1
fi
if [ ! -f "$jar" ]; then
	echo "official SI-UBL validation FAILED: no Saxon-HE at $jar (apt-get install libsaxonhe-java)"
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
mkdir "$tmp/in" "$tmp/out"
n=0
for f in "$dir"/*.xml; do
	[ -f "$f" ] || continue
	cp "$f" "$tmp/in/"
	n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
	echo "official SI-UBL validation FAILED: no *.xml in $dir"
	exit 1
fi

# One JVM for all files: -s:DIR transforms every file in it into -o:DIR under the same name.
if ! java -jar "$jar" -s:"$tmp/in" -xsl:"$xsl" -o:"$tmp/out" >"$tmp/saxon.log" 2>&1; then
	cat "$tmp/saxon.log"
	echo "official SI-UBL validation FAILED: Saxon did not run to the end"
	exit 1
fi

# The SVRL reports are indented XML: collect each svrl:failed-assert element and take its id, flag
# and svrl:text (POSIX awk: no gawk extensions).
summarise='
function attr(s, name) {
	if (!match(s, " " name "=\"[^\"]*\"")) return ""
	return substr(s, RSTART + length(name) + 3, RLENGTH - length(name) - 4)
}
function unescape(s) {
	gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s)
	gsub(/&apos;/, "\047", s); gsub(/&amp;/, "\\&", s)
	return s
}
/<svrl:failed-assert/ { inside = 1; buf = "" }
inside { buf = buf " " $0 }
inside && /<\/svrl:failed-assert>/ {
	inside = 0
	open_tag = substr(buf, index(buf, "<svrl:failed-assert"))
	open_tag = substr(open_tag, 1, index(open_tag, ">"))
	id = attr(open_tag, "id"); flag = attr(open_tag, "flag")
	text = ""
	if (match(buf, /<svrl:text>.*<\/svrl:text>/)) text = substr(buf, RSTART + 11, RLENGTH - 23)
	gsub(/[ \t]+/, " ", text); sub(/^ /, "", text); sub(/ $/, "", text)
	if (flag == "fatal") { fatal++; lines = lines "\n    FATAL " id ": " unescape(text) }
	else { warnings++; ids = ids (ids == "" ? "" : " ") id }
}
END {
	printf "%s: %d fatal, %d warning(s)%s%s\n", file, fatal, warnings,
		(ids == "" ? "" : " (" ids ")"), lines
	exit (fatal > 0 ? 1 : 0)
}'

fatal_files=0
for f in "$tmp"/in/*.xml; do
	name=$(basename "$f")
	report=$tmp/out/$name
	if [ ! -s "$report" ]; then
		echo "$name: no SVRL report"
		fatal_files=$((fatal_files + 1))
		continue
	fi
	if ! awk -v file="$name" "$summarise" "$report"; then
		fatal_files=$((fatal_files + 1))
	fi
done

if [ "$fatal_files" -gt 0 ]; then
	echo "official SI-UBL validation FAILED: $fatal_files of $n file(s) break fatal rules ($xsl)"
	exit 1
fi
echo "official SI-UBL validation passed: $n file(s), no fatal failed assert ($xsl)"
