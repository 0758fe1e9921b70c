#!/usr/bin/env bash
# Runs the libFuzzer targets built by `make fuzz-build` (build/fuzz/fuzz_<name>).
#
#   run.sh smoke [name...]        each target over its committed corpus (-runs=0: every file
#                                 once), then a short bounded mutation run; for `make test`
#   run.sh fuzz SECONDS [name...] each target for SECONDS on build/fuzz/work/<name>, a copy of
#                                 its corpus that keeps what it finds between runs
#
# One line per target: "ok   <name>: ..." or "FAIL <name>: ..." with the executions and exec/s
# (libFuzzer's final stat::number_of_executed_units; exec/s over the wall time). A crash, leak, sanitizer report or timeout fails the target; its
# input is saved as build/fuzz/artifacts/<name>-crash-<sha1> (or leak-, timeout-, oom-), the end
# of the log is shown, and the logs stay in build/fuzz/run.*/. The seeds are
# tests/fuzz/corpus/<name>/ (and, for pdf and ubl, the unit samples tests/unit/<name>_samples/);
# a run never writes there: copy an input on purpose. Exit status: non-zero when a target failed.
#
# Environment: FUZZ_SMOKE_RUNS (default 50000) and FUZZ_SMOKE_SECONDS (default 5) bound the
# mutation part of the smoke run, whichever ends first; FUZZ_TIMEOUT (default 10) is the
# seconds one input may take.
set -uo pipefail
cd "$(dirname "$0")/../.."

mode=${1:-}
case "$mode" in
smoke) shift ;;
fuzz)
	seconds=${2:-}
	[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: run.sh fuzz SECONDS [name...]" >&2; exit 2; }
	shift 2
	;;
*) echo "usage: run.sh smoke|fuzz SECONDS [name...]" >&2; exit 2 ;;
esac

smoke_runs=${FUZZ_SMOKE_RUNS:-50000}
smoke_seconds=${FUZZ_SMOKE_SECONDS:-5}
timeout=${FUZZ_TIMEOUT:-10}
# Leaks count as failures; UBSan stops at the first report (the build also says so).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1"

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for src in tests/fuzz/fuzz_*.c; do
		n=${src##*/fuzz_}
		names+=("${n%.c}")
	done
fi

out=build/fuzz
mkdir -p "$out/artifacts"
# Logs and scratch corpora of this run, so that two runs in one tree do not mix; removed when
# every target passed, kept (and named) otherwise.
run=$(mktemp -d "$out/run.XXXXXX")
trap 'rm -rf "$run"; exit 130' INT TERM

dict_for() { # the JSON targets share one dictionary
	case "$1" in
	body | pdf | ubl | statement_pdf) echo tests/fuzz/json.dict ;;
	*) [ -f "tests/fuzz/$1.dict" ] && echo "tests/fuzz/$1.dict" ;;
	esac
}

seeds_for() { # the committed seeds: corpus/<name>, and the renderers' unit samples
	echo "tests/fuzz/corpus/$1"
	case "$1" in
	pdf | ubl) echo "tests/unit/$1_samples" ;;
	statement_pdf) echo tests/unit/statement_samples ;;
	esac
}

stat() { # name logfile → the value of libFuzzer's final stat::name
	sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

# Runs one libFuzzer invocation; sets rc, execs, rate. A sanitizer report fails it even when
# the exit status does not say so.
run_target() { # name log args...
	local name=$1 log=$2
	shift 2
	local dict t0 ms
	dict=$(dict_for "$name")
	t0=$(date +%s%N)
	"$out/fuzz_$name" -print_final_stats=1 -timeout="$timeout" \
		-artifact_prefix="$out/artifacts/$name-" ${dict:+-dict="$dict"} "$@" >"$log" 2>&1
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$rc" -eq 0 ] && grep -qE '^SUMMARY: |runtime error:|^==[0-9]+==ERROR' "$log"; then
		rc=1
	fi
	execs=$(stat number_of_executed_units "$log")
	execs=${execs:-0}
	# libFuzzer's own average is per whole second (0 under one); this one counts the start too.
	rate=$((execs * 1000 / (ms > 0 ? ms : 1)))
	elapsed=$(printf '%d.%01d' $((ms / 1000)) $((ms % 1000 / 100)))
}

show_failure() { # name log
	local artifact
	artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$2" | tail -n 1)
	[ -n "$artifact" ] && echo "    input: $artifact (reproduce: $out/fuzz_$1 $artifact)"
	# what the target and the sanitizers said, without libFuzzer's progress and own frames
	grep -vE '^(#[0-9]+[[:space:]]|INFO:|Dictionary:|stat::|MS: |Done |artifact_prefix|Base64:|0x|[[:space:]]*$)' "$2" |
		grep -vE ' in (fuzzer::|__libc_start|_start|main )|__sanitizer_print_stack_trace' |
		sed 's/ (BuildId: [0-9a-f]*)//' | head -n 40 | sed 's/^/    /'
	echo "    log: $2"
}

failed=0
for name in "${names[@]}"; do
	bin=$out/fuzz_$name
	mapfile -t seeds < <(seeds_for "$name")
	if [ ! -x "$bin" ] || [ ! -d "${seeds[0]}" ]; then
		echo "FAIL $name: $bin or ${seeds[0]} is missing (make fuzz-build)"
		failed=$((failed + 1))
		continue
	fi
	ninputs=$(find "${seeds[@]}" -type f | wc -l)
	if [ "$mode" = smoke ]; then
		# New inputs go to the first directory, a scratch one: the committed corpus is
		# only read.
		scratch=$run/$name
		mkdir -p "$scratch"
		log=$run/$name-replay.log
		run_target "$name" "$log" -runs=0 "$scratch" "${seeds[@]}"
		if [ "$rc" -ne 0 ]; then
			echo "FAIL $name: the committed corpus ($ninputs inputs) fails (exit $rc)"
			show_failure "$name" "$log"
			failed=$((failed + 1))
			continue
		fi
		replayed=$execs
		log=$run/$name-smoke.log
		run_target "$name" "$log" -runs="$smoke_runs" -max_total_time="$smoke_seconds" \
			"$scratch" "${seeds[@]}"
		if [ "$rc" -ne 0 ]; then
			echo "FAIL $name: the mutation run failed after $execs executions in $elapsed s (exit $rc)"
			show_failure "$name" "$log"
			failed=$((failed + 1))
			continue
		fi
		echo "ok   $name: corpus of $ninputs replayed ($replayed executions), then $execs executions in $elapsed s ($rate exec/s)"
	else
		work=$out/work/$name
		mkdir -p "$work"
		for d in "${seeds[@]}"; do cp -n "$d"/* "$work"/ 2>/dev/null; done
		before=$(find "$work" -type f | wc -l)
		log=$run/$name-fuzz.log
		run_target "$name" "$log" -max_total_time="$seconds" "$work"
		after=$(find "$work" -type f | wc -l)
		if [ "$rc" -ne 0 ]; then
			echo "FAIL $name: a failure after $execs executions in $elapsed s (exit $rc)"
			show_failure "$name" "$log"
			failed=$((failed + 1))
			continue
		fi
		echo "ok   $name: $execs executions in $elapsed s ($rate exec/s), corpus $before -> $after inputs"
	fi
done
if [ "$failed" -eq 0 ]; then
	rm -rf "$run"
else
	echo "logs: $run"
	exit 1
fi
