#!/usr/bin/env bash
# Mutation testing of the decisions that matter (tests/mutation/README.md).
#   tests/mutation/run.sh            fresh run over TARGETS, then the score per module
#   tests/mutation/run.sh --again    re-run only the mutants that were not killed last time
#   tests/mutation/run.sh --score    the score of the last run, nothing run
#   tests/mutation/run.sh --focus    fresh run over FOCUS only (a subset of TARGETS), then its score
#   tests/mutation/run.sh --delivery fresh run over DELIVERY only (the delivery evaluator), then its score
#   tests/mutation/run.sh --delivery --again   re-run DELIVERY's mutants not killed last time
# Files mutated and the tests run: [tool.mutmut] in pyproject.toml. Functions run: TARGETS below.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
MUTMUT=${MUTMUT:-.venv/bin/mutmut}
JOBS=${JOBS:-2}

# Mutant name globs (module.x_function / module.xǁClassǁmethod). A whole module is "module.*".
# The diff, the families' decisions and the codecs: in TARGETS and FOCUS alike.
FAMILIES=(
    "analyzer.diff.*"
    "analyzer.families.base.*"
    "analyzer.families.sites.x__renamable*"
    "analyzer.families.sites.x__site_likeness*"
    "analyzer.families.sites.x__site_severity*"
    "analyzer.families.kernel.x_hop_names*"
    "analyzer.families.kernel.x_hop_changes*"
    "analyzer.families.kernel.x__pair_renames*"
    "analyzer.families.kernel.x__entry_file*"
    "analyzer.families.kernel.x__release_calls*"
    "analyzer.families.kernel.x__release_force*"
    "analyzer.families.kernel.x__release_kill_paths*"
    "analyzer.codec.*"
    "analyzer.cache_codec.*"
    "analyzer.families.sites.x__stray_clears*"
    "analyzer.families.kernel.x__role*"
    "analyzer.families.kernel.x__same_role*"
    "analyzer.families.kernel.x__force_likeness*"
)

# The delivery table's evaluator (README "What happens to a signal sent to PID 1"): whole modules.
DELIVERY=(
    "analyzer.delivery.evaluate.*"
    "analyzer.delivery.expr.*"
    "analyzer.delivery.values.*"
    "analyzer.delivery.positions.*"
    "analyzer.delivery.machine.*"
    "analyzer.delivery.atoms.*"
    "analyzer.extract.routines.*"
)

TARGETS=(
    "${FAMILIES[@]}"
    "${DELIVERY[@]}"
    "analyzer.extract.kernel.x_analyze_file*"
    "analyzer.extract.kernel.x__account*"
    "analyzer.extract.kernel.x__kind_spans*"
    "analyzer.extract.kernel.x__kind_at*"
    "analyzer.extract.kernel.x__parse_variant*"
    "analyzer.extract.kernel.xǁ_Variantsǁget*"
    "analyzer.cache.x_cache_key*"
    "analyzer.scan.x_scan_many*"
    "analyzer.scan.x__analyze*"
    "analyzer.scan.xǁ_Planǁ__init__*"
    "analyzer.scan.x__family_names*"
    "analyzer.scan.x__file_key*"
    "analyzer.scan.x__assemble*"
    "analyzer.scan.x__timed_out*"
    "analyzer.extract.init.decisions.*"
    "analyzer.extract.init.order.*"
    "analyzer.extract.init.rows.x_final_rows*"
    "analyzer.extract.init.rows.x__applies*"
    "analyzer.extract.init.rows.x__row_*"
    "analyzer.extract.init.arguments.*"
    "analyzer.extract.init.handlers.x_handler_action*"
    "analyzer.extract.init.handlers.x_struct_handler*"
    "analyzer.extract.init.branches.*"
    "analyzer.extract.init.perfile.x__initializer_handler*"
    "analyzer.extract.init.perfile.x__compound_literal*"
    "analyzer.extract.init.perfile.x__array_values*"
    "analyzer.extract.init.perfile.x__local_struct*"
    "analyzer.extract.init.perfile.xǁ_Forksǁ*"
    "analyzer.init_files.*"
    "analyzer.extract.masks.*"
    "analyzer.extract.signals.*"
    "analyzer.families.kernel.x__calls_in*"
    "analyzer.families.delivery.x__routines*"
    "analyzer.preprocess.x__lexemes*"
    "analyzer.preprocess.x__word_*"
    "analyzer.queries.x_iter_matches*"
)

# The focus: every decision of the issue's list of missed mutations, mapped to the family
# layout, plus the codecs and the per-release assembly (run first when time is short).
FOCUS=(
    "${FAMILIES[@]}"
    "analyzer.cache.x_cache_key*"
    "analyzer.extract.kernel.x__kind_spans*"
    "analyzer.extract.kernel.x__kind_at*"
    "analyzer.extract.init.handlers.x_handler_action*"
    "analyzer.extract.init.decisions.xǁ_Callsǁ_mask*"
    "analyzer.extract.init.decisions.xǁ_Callsǁ_restore*"
    "analyzer.extract.init.decisions.xǁ_Callsǁ_sigaction*"
    "analyzer.scan.x__analyze*"
    "analyzer.scan.x__assemble*"
    "analyzer.scan.x__file_key*"
    "analyzer.scan.x__family_names*"
    "analyzer.scan.x__timed_out*"
)

# Tests run for DELIVERY: its unit tests only (tests/conftest.py deselects the rest of the
# fast selection, whose whole-tree tests also reach the evaluator at ~60 s a survivor).
DELIVERY_TESTS=${DELIVERY_TESTS:-"tests/test_delivery_evaluate.py::* tests/test_delivery_machine.py::* tests/test_delivery_atoms.py::* tests/test_delivery_positions.py::*"}

if [[ "${1:-}" == --delivery ]]; then
    shift
    TARGETS=("${DELIVERY[@]}")
    export SIGANALYZE_MUTATION_TESTS="$DELIVERY_TESTS"
    if [[ -z "${1:-}" ]]; then # a fresh run over DELIVERY, then its score
        rm -rf mutants
        nice "$MUTMUT" run --max-children "$JOBS" "${TARGETS[@]}" >mutants.log 2>&1 || true
        set -- --score
    fi
fi

case "${1:-}" in
--score)
    exec "$PY" tests/mutation/score.py "${TARGETS[@]}"
    ;;
--again)
    mapfile -t names < <("$PY" tests/mutation/score.py --not-killed "${TARGETS[@]}")
    rm -f mutants/mutmut-stats.json # the tests changed: find again which tests reach what
    if ((${#names[@]})); then
        nice "$MUTMUT" run --max-children "$JOBS" "${names[@]}" >mutants.log 2>&1 || true
    fi
    ;;
--focus)
    rm -rf mutants
    nice "$MUTMUT" run --max-children "$JOBS" "${FOCUS[@]}" >mutants.log 2>&1 || true
    exec "$PY" tests/mutation/score.py "${FOCUS[@]}"
    ;;
"")
    rm -rf mutants
    nice "$MUTMUT" run --max-children "$JOBS" "${TARGETS[@]}" >mutants.log 2>&1 || true
    ;;
*)
    echo "usage: $0 [--delivery] [--again|--score] | --focus" >&2
    exit 2
    ;;
esac
exec "$PY" tests/mutation/score.py "${TARGETS[@]}"
