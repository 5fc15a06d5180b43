"""Camera calibration against the table: see ``reconstruct.calibrate`` for the entry points."""
