"""The foosball table, its physics, its players and its camera: a match simulator.

``sim`` never imports ``reconstruct``.
"""
