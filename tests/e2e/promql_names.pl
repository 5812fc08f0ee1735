#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The metric names a PromQL expression reads, for test_monitoring.sh.
#   promql_names.pl rules FILE   Prometheus rule file (the subset of YAML
#                                rule files use: `expr:` inline or as a
#                                block scalar `|`/`>`)
#   promql_names.pl exprs        stdin: one "WHERE<TAB>EXPR" per line
# Prints "ref<TAB>NAME<TAB>WHERE" per name an expression reads,
# "label<TAB>NAME<TAB>LABEL<TAB>WHERE" per label a matcher on NAME names
# (NAME{LABEL=~"..."}), "value<TAB>NAME<TAB>LABEL<TAB>VALUE<TAB>WHERE" per
# equality matcher with a literal value (NAME{LABEL="VALUE"}), and, for
# rule files, "def<TAB>NAME<TAB>record" per recording rule and
# "expr<TAB>-<TAB>WHERE" per expression found (so a caller can count them).
#
# What is not a metric name: strings, label matchers ({...}), ranges and
# subqueries ([...]), the label lists of by/without/on/ignoring/
# group_left/group_right, offset/@ modifiers, numbers and durations,
# identifiers called as functions, PromQL keywords, Grafana variables
# ($x, ${x}, $__rate_interval) and the label argument of Grafana's
# label_values(METRIC, LABEL).
use strict;
use warnings;

my %keyword = map { $_ => 1 } qw(and or unless by without on ignoring
	group_left group_right offset bool inf nan Inf NaN start end);

# names(EXPR): the metric names EXPR reads; with a hash ref LABELS, also
# the label and value lines (above) of the matchers written on a name.
sub names {
	my ($e, $labels) = @_;
	my %seen;
	while ($labels && $e =~ /([A-Za-z_:][A-Za-z0-9_:]*)\s*\{((?:[^{}"]|"(?:[^"\\]|\\.)*")*)\}/g) {
		my ($n, $m) = ($1, $2);
		while ($m =~ /(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g) {
			$labels->{"label\t$n\t$1"} = 1;
			$labels->{"value\t$n\t$1\t$3"} = 1 if $2 eq '=' && $3 !~ /\$/;
		}
	}
	$e =~ s/"(?:[^"\\]|\\.)*"/""/g;
	$e =~ s/'(?:[^'\\]|\\.)*'/''/g;
	$e =~ s/`[^`]*`/``/g;
	$e =~ s/\$\{\w+(?::\w+)?\}|\$\w+/1/g;	# Grafana variables
	$e =~ s/\blabel_values\s*\(([^,()]*),\s*\w+\s*\)/label_values($1)/g;
	$e =~ s/\{[^{}]*\}/ /g;
	1 while $e =~ s/\[[^\[\]]*\]/ /g;
	$e =~ s/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)/ /g;
	$e =~ s/\boffset\s+-?[0-9a-z]+/ /g;
	$e =~ s/@\s*(?:[0-9.]+|start\s*\(\s*\)|end\s*\(\s*\))/ /g;
	while ($e =~ /\G.*?(?:(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?[a-z]*)|([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?)/gs) {
		next if defined $1;			# a number or a duration
		next if defined $3;			# a function call
		next if $keyword{$2};
		$seen{$2} = 1;
	}
	return sort keys %seen;
}

sub emit {
	my ($where, $expr) = @_;
	my %labels;
	print "expr\t-\t$where\n";
	print "ref\t$_\t$where\n" for names($expr, \%labels);
	print "$_\t$where\n" for sort keys %labels;
}

my $mode = shift // '';
if ($mode eq 'exprs') {
	while (my $l = <STDIN>) {
		chomp $l;
		my ($where, $expr) = split /\t/, $l, 2;
		emit($where, $expr // '');
	}
} elsif ($mode eq 'rules') {
	my $file = shift // die "usage: $0 rules FILE | exprs\n";
	open my $fh, '<', $file or die "$file: $!\n";
	my @lines = <$fh>;
	my $where = '?';
	for (my $i = 0; $i < @lines; $i++) {
		my $l = $lines[$i];
		if ($l =~ /^\s*-?\s*(record|alert):\s*(\S+)/) {
			$where = "$1 $2";
			print "def\t$2\trecord\n" if $1 eq 'record';
		} elsif ($l =~ /^(\s*)(?:-\s*)?expr:\s*(.*?)\s*$/) {
			my ($ind, $v) = (length $1, $2);
			if ($v =~ /^[|>][-+]?$/) {
				$v = '';
				while ($i + 1 < @lines &&
				       ($lines[$i + 1] =~ /^\s*$/ ||
					$lines[$i + 1] =~ /^(\s*)/ && length($1) > $ind)) {
					$v .= ' ' . $lines[++$i];
				}
			} elsif ($v =~ /^'(.*)'$/) {
				($v = $1) =~ s/''/'/g;
			} elsif ($v =~ /^"(.*)"$/) {
				($v = $1) =~ s/\\"/"/g;
			}
			$v =~ s/\s*#[^"'\n]*$//mg;	# YAML/PromQL comments
			emit($where, $v);
		}
	}
} else {
	die "usage: $0 rules FILE | exprs\n";
}
