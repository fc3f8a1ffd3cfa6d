"""The bottom layer, what every stage may use: errors, progress reporting, staged output
folders, Ctrl-C handling, capture of native stderr, figures formatted for people, and the
one place TensorFlow is imported.

Imports nothing else of edgetf. Importing this package imports nothing heavy.
"""
