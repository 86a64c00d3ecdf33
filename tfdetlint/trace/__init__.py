"""``tfdetlint trace``: run the user's own program twice and name the op that diverged.

Unlike ``check`` and ``verify``, this runs user code, by explicit request. Importing this package
never imports TensorFlow; only the child processes (``_boot``) do.
"""
