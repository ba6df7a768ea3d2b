#!/bin/sh
# sbom.sh BINARY VERSION EPOCH: the SPDX 2.3 JSON SBOM of one release
# binary, on stdout, from what the binary records of itself (`go version
# -m`): the main module, the Go standard library of the toolchain that
# built it, the FIPS 140-3 module when one was chosen, and the build
# settings. It fails if the binary links any other module: go.mod has no
# require line, and the SBOM says so by listing none.
#
# Deterministic, so that two release builds give the same file: dated by
# EPOCH (the commit time, SOURCE_DATE_EPOCH), never the clock, and its
# namespace made unique by the binary's SHA-256.
set -eu
bin=$1 version=$2 epoch=$3
name=$(basename "$bin")
sum=$( (sha256sum "$bin" 2>/dev/null || shasum -a 256 "$bin") | cut -d' ' -f1)
fmt=%Y-%m-%dT%H:%M:%SZ
created=$(date -u -d "@$epoch" +$fmt 2>/dev/null || date -u -r "$epoch" +$fmt)
go version -m "$bin" | awk -F '\t' -v file="$name" -v version="$version" \
	-v sum="$sum" -v created="$created" '
function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
function pkg(id, name, ver, purl, lic, rest) {
	return "    {\"SPDXID\": " q(id) ", \"name\": " q(name) ", \"versionInfo\": " q(ver) \
		", \"downloadLocation\": \"NOASSERTION\", \"filesAnalyzed\": false" \
		", \"licenseConcluded\": " q(lic) ", \"licenseDeclared\": " q(lic) \
		", \"copyrightText\": \"NOASSERTION\", \"externalRefs\": [{\"referenceCategory\": \"PACKAGE-MANAGER\"" \
		", \"referenceType\": \"purl\", \"referenceLocator\": " q(purl) "}]" rest "}"
}
function rel(a, type, b) {
	return "    {\"spdxElementId\": " q(a) ", \"relationshipType\": " q(type) ", \"relatedSpdxElement\": " q(b) "}"
}
NR == 1 { go = substr($0, index($0, ": ") + 2); next }
$2 == "mod" { module = $3 }
$2 == "dep" || $2 == "=>" { print "sbom.sh: " file " links module " $3 ", want none" > "/dev/stderr"; bad = 1 }
$2 == "build" {
	settings = settings sep "      {\"annotationType\": \"OTHER\", \"annotator\": \"Tool: sbom.sh\", \"annotationDate\": " \
		q(created) ", \"comment\": " q("go build setting " $3) "}"
	sep = ",\n"
	if ($3 ~ /^GOFIPS140=/) fips = substr($3, 11)
}
END {
	if (bad || module == "" || go !~ /^go[0-9]/) exit 1
	main = "SPDXRef-Package-" module
	print "{"
	print "  \"spdxVersion\": \"SPDX-2.3\", \"dataLicense\": \"CC0-1.0\", \"SPDXID\": \"SPDXRef-DOCUMENT\","
	print "  \"name\": " q(file) ","
	print "  \"documentNamespace\": " q("https://spdx.org/spdxdocs/" file "-" sum) ","
	print "  \"creationInfo\": {\"created\": " q(created) ", \"creators\": [\"Tool: sbom.sh\"]},"
	print "  \"packages\": ["
	printf "%s,\n", pkg(main, module, version, "pkg:golang/" module "@" version, "Apache-2.0", \
		", \"packageFileName\": " q(file) ", \"primaryPackagePurpose\": \"APPLICATION\"" \
		", \"checksums\": [{\"algorithm\": \"SHA256\", \"checksumValue\": " q(sum) "}]" \
		", \"annotations\": [\n" settings "\n    ]")
	printf "%s", pkg("SPDXRef-Package-stdlib", "stdlib", go, "pkg:golang/stdlib@" substr(go, 3), "BSD-3-Clause", \
		", \"primaryPackagePurpose\": \"LIBRARY\", \"comment\": " q("the Go standard library and runtime of the toolchain " go))
	if (fips != "")
		printf ",\n%s", pkg("SPDXRef-Package-fips140", "golang.org/fips140", fips, "pkg:golang/golang.org/fips140@" fips, \
			"BSD-3-Clause", ", \"primaryPackagePurpose\": \"LIBRARY\", \"comment\": " \
			q("the Go Cryptographic Module (FIPS 140-3) " fips ", frozen in lib/fips140 of the toolchain"))
	print "\n  ],"
	print "  \"relationships\": ["
	printf "%s,\n%s", rel("SPDXRef-DOCUMENT", "DESCRIBES", main), rel(main, "STATIC_LINK", "SPDXRef-Package-stdlib")
	if (fips != "") printf ",\n%s", rel(main, "STATIC_LINK", "SPDXRef-Package-fips140")
	print "\n  ]"
	print "}"
}'
