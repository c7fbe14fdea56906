"""Training: labels from past inspections, time-aware splits, LightGBM, MLflow."""

from .backtest import BacktestResult, backtest, backtest_folds
from .evaluate import evaluate_model
from .examples import NoLabelsError, build_examples
from .split import NotEnoughHistoryError, TimeSplit, time_split
from .train import TrainResult, train_model

__all__ = [
    "BacktestResult",
    "NoLabelsError",
    "NotEnoughHistoryError",
    "TimeSplit",
    "TrainResult",
    "backtest",
    "backtest_folds",
    "build_examples",
    "evaluate_model",
    "time_split",
    "train_model",
]
