"""Coverage-guided fuzzing (atheris, libFuzzer) of every door through which outside bytes enter vst.

    python -m fuzz --runs 200000                 # every target; a report in fuzz/results/
    python -m fuzz --targets flo image --seconds 60

`targets.py`: the doors and the contract; `seeds.py`: the starting corpora; `worker.py`: one libFuzzer process;
`__main__.py`: the runner. Inputs that once broke the contract are kept in `regressions/` and replayed by
tests/test_fuzz.py.
"""
