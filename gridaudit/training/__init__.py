"""Training: labels from past inspections, time-aware splits, LightGBM, MLflow."""
