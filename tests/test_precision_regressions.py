"""Regressions from the precision study on third-party code (docs/precision.md)."""

from __future__ import annotations

import textwrap

from tfdetlint.engine import check_bytes


def codes(src: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_bytes(textwrap.dedent(src).encode(), "x.py")]


def test_app_run_main_seeds_hold_for_functions_called_later() -> None:
    # official/legacy/xlnet/preprocess_pretrain_data.py: app.run(create_data) runs create_data now,
    # so its np.random.seed holds for code that runs after it (here: an unreached helper).
    src = """
    import numpy as np
    from absl import app

    def create_data(_):
        np.random.seed(1)

    def helper():
        return np.random.randint(3)

    def run_all():
        helper()

    if __name__ == "__main__":
        app.run(create_data)
        run_all()
    """
    assert codes(src) == []


def test_unseeded_after_app_run_without_seed_is_still_flagged() -> None:
    src = """
    import numpy as np
    from absl import app

    def main(_):
        return np.random.randint(3)

    if __name__ == "__main__":
        app.run(main)
    """
    assert codes(src) == [(6, "TFD103"), (6, "TFD501")]


def test_function_the_script_never_names_is_library_api() -> None:
    # tensor2tensor/rl/trainer_model_based.py: a dead copy of a library helper in a script.
    src = """
    import random

    def pick(xs):
        return random.choice(xs)

    def unused_pipeline(xs):
        return pick(xs)

    def main():
        print("no randomness here")

    if __name__ == "__main__":
        main()
    """
    assert codes(src) == []


def test_function_the_script_calls_is_still_flagged() -> None:
    src = """
    import random

    def pick(xs):
        return random.choice(xs)

    def main():
        pick([1, 2])

    if __name__ == "__main__":
        main()
    """
    assert codes(src) == [(5, "TFD104"), (5, "TFD501")]


def test_session_run_loop_without_train_op_is_not_training() -> None:
    # tensor2tensor/bin/t2t_decoder.py, t2t_attack.py: sess.run in a loop that only evaluates.
    src = """
    import tensorflow as tf

    def main():
        with tf.compat.v1.Session() as sess:
            for _ in range(10):
                sess.run(tf.constant(1))

    if __name__ == "__main__":
        main()
    """
    assert codes(src) == []


def test_session_run_loop_with_optimizer_is_training() -> None:
    src = """
    import tensorflow as tf

    def main():
        loss = tf.constant(1.0)
        train_op = tf.compat.v1.train.AdamOptimizer(0.1).minimize(loss)
        with tf.compat.v1.Session() as sess:
            for _ in range(10):
                sess.run(train_op)

    if __name__ == "__main__":
        main()
    """
    assert [c for _, c in codes(src)] == ["TFD502"]


def test_set_global_generator_none_does_not_seed() -> None:
    # official/projects/bigbird/recompute_grad.py:164: reset to None, then get_global_generator().
    src = """
    import tensorflow as tf

    def make_seed():
        tf.random.set_global_generator(None)
        return tf.random.get_global_generator()
    """
    assert codes(src) == [(6, "TFD105")]
