# ruff: noqa: F821  (probe snippet: tf, np, API, ARGS, arg, given, RNG, WORKDIR come from the verify worker)
def run():
    if API.endswith("get_global_generator"):
        # The facts file: tf.random.set_seed does not seed the global Generator.
        tf.random.set_seed(1)
        return tf.random.get_global_generator().normal([256])
    return tf.random.Generator.from_non_deterministic_state().normal([256])
