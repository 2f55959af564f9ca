# SPDX-License-Identifier: GPL-2.0-or-later
# demo.gp - the plot of `make demo` (demo-report.sh runs it):
#   gnuplot -e "csv='F.csv'; png='F.png'; title='...'; guests=3; phases='T NAME ...'" demo.gp
# Every series is drawn as sampled and held (steps).  One panel per
# guest: its target, its current memory, what it reports
# using (USED) and that plus what its kernel holds outside it (what
# balloond must cover); one panel of host free memory.  Columns: the CSV
# format of demo-report.sh (t_s, phase, free_kib, then six per guest).
set terminal pngcairo size 1200,800 noenhanced font ",10"
set output png
set datafile separator ","
set key autotitle columnhead
mib(x) = x / 1024.0
rows = (guests + 1 + 1) / 2
set multiplot layout rows,2 title title
set xlabel "seconds"
set ylabel "MiB"
set grid
set key below horizontal font ",9"

# Phase boundaries: a dotted line and the phase's name at the top.
np = words(phases) / 2
do for [g=1:guests+1] {
    unset arrow
    unset label
    do for [i=1:np] {
        t = word(phases, 2*i-1) + 0
        set arrow from t, graph 0 to t, graph 1 nohead dt 3 lc rgb "#888888"
        set label word(phases, 2*i) at t + 1, graph 0.97 font ",8" tc rgb "#666666"
    }
    if (g <= guests) {
        c = 4 + 6 * (g - 1)
        set title sprintf("guest g%d", g)
        set yrange [0:*]
        # current under target: where they agree, a blue line on red
        plot csv using 1:(mib(column(c))) with steps lw 4 lc rgb "#e08080" title "current", \
             "" using 1:(mib(column(c+1))) with steps lw 1.5 lc rgb "#2255cc" title "target", \
             "" using 1:(mib(column(c+2) + column(c+3))) with steps lw 1 dt 2 lc rgb "#339933" title "used + kernel", \
             "" using 1:(mib(column(c+2))) with steps lw 2 lc rgb "#339933" title "used (reported)"
    } else {
        set title "host"
        plot csv using 1:(mib(column(3))) with steps lw 2 lc rgb "#333333" title "free memory"
    }
}
unset multiplot
