# SPDX-License-Identifier: GPL-2.0-or-later
# calgen.awk - bench/calibration.csv to the C table sim/calibration.c
# includes (the build runs it; the CSV stays the numbers' one home).
# Every field is checked: a bad row fails the build with its line number.
BEGIN { FS = ","; src = ""; rows = 0 }
function num(s, what) {
    if (s == "") return 0
    if (s !~ /^[0-9]+$/) { printf "%s:%d: %s is not a number: %s\n", FILENAME, NR, what, s > "/dev/stderr"; bad = 1 }
    return s
}
/^# SPDX-License-Identifier/ { next }
/^#/ { line = $0; sub(/^# ?/, "", line); gsub(/\\/, "\\\\", line); gsub(/"/, "\\\"", line)
       src = src "    \"" line "\\n\"\n"; next }
/^source,/ { next }
NF == 0 { next }
{
    if (NF != 8) { printf "%s:%d: %d fields, expected 8\n", FILENAME, NR, NF > "/dev/stderr"; bad = 1; next }
    if ($1 != "measured" && $1 != "hardware") { printf "%s:%d: source %s\n", FILENAME, NR, $1 > "/dev/stderr"; bad = 1 }
    t = $2 == "pv" ? "BD_CAL_PV" : $2 == "pvh" ? "BD_CAL_PVH" : $2 == "hvm" ? "BD_CAL_HVM" : ""
    if (t == "") { printf "%s:%d: type %s\n", FILENAME, NR, $2 > "/dev/stderr"; bad = 1 }
    body = body sprintf("    {%s, %s, %s, %s, %s, %s, %s, %s},\n", $1 == "measured" ? "true" : "false", t,
        num($3, "static_max_kib") "ULL", num($4, "kernel_overhead_kib") "ULL", num($5, "xen_overhead_kib") "ULL",
        num($6, "grow_kib_s") "ULL", num($7, "shrink_kib_s") "ULL", num($8, "report_ms") "ULL")
    rows++
}
END {
    if (bad || !rows) { if (!rows) print FILENAME ": no rows" > "/dev/stderr"; exit 1 }
    print "/* generated from bench/calibration.csv by bench/calgen.awk: do not edit */"
    print "static const struct bd_cal_row cal_rows[] = {"
    printf "%s", body
    print "};"
    print "static const char cal_source[] ="
    printf "%s", src
    print "    \"\";"
}
