"""tfdetlint: find reproducibility hazards in TensorFlow and Keras code."""

__version__ = "0.1.0"
