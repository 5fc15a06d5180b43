"""From video to a game record: calibration, detection, path inference, lifting, events,
statistics and evaluation."""
