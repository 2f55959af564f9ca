# SPDX-License-Identifier: GPL-2.0-or-later
# bench/plot.gp - plots for `make bench` (gnuplot -e "out='DIR'" plot.gp)
#  shortfall.png: shortfall (% of demand) against host capacity, per policy
#  causes.png:    where balloond's shortfall comes from, per capacity (the
#                 report's breakdown, as shares of its shortfall)
#  series.png:    demand and balloond's allocation (pages held) of the four
#                 VMs with the biggest peaks, first three days, at the
#                 series capacity
set terminal pngcairo size 1000,600 noenhanced font ",11"

set output out."/shortfall.png"
set title "Memory shortfall against host capacity (v2 model: the daemon on the simulated host)"
set xlabel "host capacity for guests (GiB)"
set ylabel "shortfall, % of total demand (log scale; 0 drawn at the floor)"
set logscale y
set yrange [0.00005:100]
set xrange [20:125]
set key top right
set grid
f(x) = x > 0.00005 ? x : 0.00005
# the bound (oracle-min) dashed
plot for [c=2:5] out."/shortfall.dat" using 1:(f(column(c))) \
     with linespoints lw 2 pt 7 title columnheader(c), \
     out."/shortfall.dat" using 1:(f(column(6))) \
     with linespoints lw 2 pt 6 dt 2 title columnheader(6)

unset logscale y
set output out."/causes.png"
set title "Where balloond's shortfall comes from (the report's breakdown, with the VM starts)"
set xlabel "host capacity for guests (GiB)"
set ylabel "share of balloond's shortfall (%)"
set yrange [0:100]
set autoscale x
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.7
set key outside right
plot for [c=2:7] out."/causes.dat" using c:xtic(1) title columnheader(c)

set style data lines
set autoscale y
set output out."/series.png"
set datafile separator ","
cap = system("cat ".out."/series.cap 2>/dev/null")
set multiplot layout 2,2 title "Demand vs balloond's allocation at ".cap." GiB, first 3 days"
set xlabel "hours"
set ylabel "GiB"
set xrange [0:72]
set key top right
do for [j=0:3] {
    vm = system(sprintf("head -1 %s/series.csv | cut -d, -f%d | cut -d_ -f1", out, 2+2*j))
    set title vm
    plot out."/series.csv" using 1:(column(2+2*j)) with steps lw 1 lc rgb "#cc3333" title "demand", \
         "" using 1:(column(3+2*j)) with steps lw 2 lc rgb "#3366cc" title "allocation"
}
unset multiplot
