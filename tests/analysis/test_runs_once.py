"""Issue 12: "runs once per program run" and the program's flags are facts of the analysis (the
fix builders read them; they no longer re-model the program their own way)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from tfdetlint.analysis import FileFacts, collect
from tfdetlint.catalogue import load_catalogue


def facts_of(code: str) -> FileFacts:
    return collect(ast.parse(textwrap.dedent(code)), load_catalogue(), notebook=False, path="train.py")


def once_by_line(code: str, api_suffix: str) -> dict[int, bool]:
    return {c.node.lineno: c.runs_once for c in facts_of(code).calls if c.api.endswith(api_suffix)}


def test_module_level_and_main_run_once_loops_do_not() -> None:
    code = """
    import numpy as np

    a = np.random.default_rng()                # 4: module level
    for _ in range(3):
        b = np.random.default_rng()            # 6: loop body
    gens = [np.random.default_rng() for _ in range(3)]   # 7: comprehension element
    while np.random.default_rng().random() < 0.5:         # 8: a while test runs every iteration
        pass

    def main():
        c = np.random.default_rng()            # 12: main() is called once
        helper()

    def helper():
        d = np.random.default_rng()            # 16: called once, from code that runs once

    if __name__ == "__main__":
        main()
    """
    assert once_by_line(code, "default_rng") == {4: True, 6: False, 7: False, 8: False, 12: True, 16: True}


def test_called_twice_in_a_loop_or_as_a_callback_is_not_once() -> None:
    code = """
    import numpy as np
    import tensorflow as tf

    def twice():
        return np.random.default_rng()          # 6: two call sites

    def in_loop():
        return np.random.default_rng()          # 9: called from a loop

    def mapped(x):
        return np.random.default_rng()          # 12: a callback tf.data calls per element

    def never():
        return np.random.default_rng()          # 15: nothing calls it

    twice()
    twice()
    for _ in range(2):
        in_loop()
    tf.data.Dataset.range(3).map(mapped)
    """
    assert once_by_line(code, "default_rng") == {6: False, 9: False, 12: False, 15: False}


def test_a_method_called_once_from_main_runs_once() -> None:
    code = """
    import numpy as np
    from absl import app

    class Trainer:
        def __init__(self):
            self.rng = np.random.default_rng()  # 7: one Trainer built in main

        def step(self):
            return np.random.default_rng()      # 10: step() is called per batch

    def main(_):
        trainer = Trainer()
        for _ in range(10):
            trainer.step()

    app.run(main)
    """
    assert once_by_line(code, "default_rng") == {7: True, 10: False}


def test_app_run_handing_main_over_still_runs_it_once() -> None:
    code = """
    import numpy as np
    from absl import app

    def main(argv):
        np.random.default_rng()                 # 6

    if __name__ == "__main__":
        app.run(main)
    """
    assert once_by_line(code, "default_rng") == {6: True}


@pytest.mark.parametrize("runner", ["app.run(main)", "tf.compat.v1.app.run()"])
def test_flags_main_is_the_function_the_flag_parser_runs(runner: str) -> None:
    code = f"""
    import tensorflow as tf
    from absl import app, flags

    flags.DEFINE_integer("seed", 0, "seed")
    FLAGS = flags.FLAGS

    def main(_):
        pass

    if __name__ == "__main__":
        {runner}
    """
    facts = facts_of(code)
    assert facts.flags_main is not None and facts.flags_main.name == "main"
    [flag] = [d for d in facts.values.flag_definitions() if d.name == "seed"]
    assert (flag.parser, flag.kind) == ("absl", "integer")


def test_fire_parses_no_absl_flags() -> None:
    code = """
    import fire

    def main(seed=0):
        pass

    fire.Fire(main)
    """
    assert facts_of(code).flags_main is None


def test_argparse_flags_are_read_by_their_dest() -> None:
    code = """
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--random-seed", type=int)
    parser.add_argument("--lr", dest="learning_rate", default=0.1)
    args = parser.parse_args()
    """
    definitions = {d.name: d for d in facts_of(code).values.flag_definitions()}
    assert set(definitions) == {"random_seed", "learning_rate"}
    assert definitions["random_seed"].default is None and definitions["random_seed"].parser == "argparse"
    assert isinstance(definitions["learning_rate"].default, ast.Constant)
